"""The flux2 Helm chart: where it comes from and a typed model of the values we set.

The model forbids unknown keys, and a test checks every key path against the chart's real
values.yaml: Helm silently ignores a misspelled value, so this is the only guard against one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CHART_NAME = "flux2"
CHART_REPOSITORY = "https://fluxcd-community.github.io/helm-charts"
RELEASE_NAME = "flux2"  # fixed: a reinstall with the same name adopts CRDs kept from an earlier one


class _Values(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Controller(_Values):
    create: bool


class _Crds(_Values):
    annotations: dict[str, str]


class FluxChartValues(_Values):
    install_crds: bool = Field(alias="installCRDs")
    crds: _Crds
    image_automation_controller: _Controller = Field(alias="imageAutomationController")
    image_reflection_controller: _Controller = Field(alias="imageReflectionController")

    def as_helm_values(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


def chart_values() -> FluxChartValues:
    return FluxChartValues(
        install_crds=True,
        # CRDs live in the chart's templates: without this, an uninstall deletes them and with
        # them every Flux object in the cluster.
        crds=_Crds(annotations={"helm.sh/resource-policy": "keep"}),
        # `flux bootstrap` installs only source, kustomize, helm and notification controllers.
        image_automation_controller=_Controller(create=False),
        image_reflection_controller=_Controller(create=False),
    )


@dataclass(frozen=True)
class HelmReleaseSpec:
    """The release, and where Helm takes the chart from: a carried archive (`chart` is its path
    relative to the project, `repository` None) or the chart repository (`chart` is the name)."""

    name: str
    chart: str
    repository: str | None
    version: str
    namespace: str
    values: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        source = {"chart": self.chart} if self.repository is None else {"chart": self.chart, "repository": self.repository}
        return {"name": self.name, **source, "version": self.version, "namespace": self.namespace, "values": self.values}
