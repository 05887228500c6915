"""The flux2 Helm chart: the versions we know, the archive we carry, and rendering it with real Helm.

The project carries the chart it pins (charts/flux2-<version>.tgz, checked against a sha256 pinned
here), so what the tests render and validate is byte for byte what `pulumi up` installs. Rendering
uses Helm's own Go SDK (helm_python), as `helm template` would; hooks are kept and marked.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..bounded_read import UnreadableFile, read_bytes_bounded
from ..errors import ConfigError, Problem
from .values import CHART_NAME, CHART_REPOSITORY

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # flux_bootstrap/
# charts/ of the project checkout; `pip install .` puts the same archives inside the package.
CHARTS_DIR = next(
    (d for d in (_PACKAGE_DIR.parent / "charts", _PACKAGE_DIR / "charts") if d.is_dir()), _PACKAGE_DIR.parent / "charts"
)


@dataclass(frozen=True)
class KnownVersion:
    flux: str
    min_kubernetes: str  # what the chart's pre-install hook (`flux check --pre`) requires
    # The chart has the pre-upgrade hook that runs `flux migrate` (value crds.migration.enabled),
    # which moves stored Flux objects to the newest API versions before a Flux minor upgrade.
    migration_hook: bool = False


# Chart version -> Flux version -> minimum Kubernetes. Flux: `appVersion` of charts/flux2/Chart.yaml
# at tag flux2-<chart> of fluxcd-community/helm-charts; Kubernetes: `kubernetesConstraints` of
# cmd/flux/check.go at tag v<flux> of fluxcd/flux2; migration hook: templates/pre-upgrade-migrate-resources.yaml,
# first in flux2-2.18.3.
KNOWN_VERSIONS: dict[str, KnownVersion] = {
    "2.17.0": KnownVersion("2.7.2", "1.32"),
    "2.17.1": KnownVersion("2.7.2", "1.32"),
    "2.17.2": KnownVersion("2.7.5", "1.32"),
    "2.18.0": KnownVersion("2.8.1", "1.33"),
    "2.18.1": KnownVersion("2.8.2", "1.33"),
    "2.18.2": KnownVersion("2.8.3", "1.33"),
    "2.18.3": KnownVersion("2.8.5", "1.33", migration_hook=True),
}


SCHEMAS_SUFFIX = ".crd-schemas.json"


@dataclass(frozen=True)
class CarriedChart:
    file: str  # in charts/
    sha256: str

    @property
    def path(self) -> Path:
        return CHARTS_DIR / self.file

    @property
    def schemas_path(self) -> Path:
        """The CRD schemas this archive installs, extracted once by scripts/chart_schemas.py (a test
        compares them with a fresh Helm render), so `check` validates without running Helm."""
        return CHARTS_DIR / self.file.replace(".tgz", SCHEMAS_SUFFIX)

    @property
    def release_path(self) -> str:
        """The chart as helm.v3.Release takes it: relative to the project folder, the Kubernetes
        provider's working directory, so the state holds no machine-specific path."""
        return f"./charts/{self.file}"


# The archives in charts/: rendered and validated by the tests, installed by `pulumi up`.
CARRIED: dict[str, CarriedChart] = {
    "2.18.3": CarriedChart("flux2-2.18.3.tgz", "97dee84d14389a37b17d56e6a36632c30d30611ffd7ff0f6e0fb76e2f0d45108"),
}
# flux2-2.18.3.tgz is 59 KiB: an archive many times that size is not one of ours, and is not read.
MAX_ARCHIVE_BYTES = 1024 * 1024
# The chart whose CRDs validate the program's objects when chartVersion is not carried.
NEWEST_CARRIED = max(CARRIED, key=lambda v: tuple(int(p) for p in v.split(".")))


class ChartError(ConfigError):
    """The carried chart archive is missing or is not the one the tests verified."""

    def __init__(self, file: str, message: str):
        super().__init__([Problem(f"charts/{file}", message)])


def is_carried(version: str) -> bool:
    return version in CARRIED


def schema_version(version: str) -> str:
    """The carried chart whose CRDs validate objects for `version`: itself, or the newest carried."""
    return version if is_carried(version) else NEWEST_CARRIED


def describe(version: str) -> str:
    """What a chart version installs and how far this project verified it, in one sentence."""
    known = KNOWN_VERSIONS.get(version)
    installs = (
        f"flux2 chart {version} installs Flux {known.flux} (Kubernetes >= {known.min_kubernetes})"
        if known
        else f"flux2 chart {version} is not a version this project knows (Flux and minimum Kubernetes unknown)"
    )
    if is_carried(version):
        return f"{installs}; installed from charts/{CARRIED[version].file} (sha256 verified), rendered and validated by the tests"
    return (
        f"{installs}; not verified by this project: downloaded from {CHART_REPOSITORY} by `pulumi up`, "
        f"and the GitRepository and Kustomization are checked against the CRDs of chart {NEWEST_CARRIED} instead"
    )


def load_archive(path: Path, sha256: str) -> bytes:
    """The archive's bytes, read bounded, or ChartError when it is missing, unreadable, not a
    regular file or larger than MAX_ARCHIVE_BYTES, or its sha256 is not `sha256`."""
    restore = f"restore it with `git checkout -- charts/{path.name}`"
    missing = (f"is missing: {restore}, or set chartVersion to a version that is not carried to download it "
               "from the chart repository (not verified).")
    try:
        data = read_bytes_bounded(path, f"charts/{path.name}", MAX_ARCHIVE_BYTES, expected="a Helm chart archive",
                                  missing=missing, fix=f"Remove it and {restore}.")
    except UnreadableFile as err:
        raise ChartError(path.name, err.problem.message) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ChartError(path.name, "is not the archive this project verified (its sha256 differs from the one "
                                    f"pinned in flux_bootstrap/chart/__init__.py): {restore}. To carry a new chart, "
                                    "update CARRIED there and run the tests.")
    return data


@lru_cache(maxsize=None)
def carried_archive(version: str) -> bytes:
    """The verified bytes of a carried chart version (KeyError when it is not carried)."""
    chart = CARRIED[version]
    return load_archive(chart.path, chart.sha256)


@dataclass(frozen=True)
class RenderedObject:
    template: str  # e.g. flux2/templates/source-controller.yaml
    hook: str | None  # the `helm.sh/hook` annotation (e.g. "pre-install"), None for a plain object
    object: dict[str, Any]


def _yaml_loader():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


class RenderedNotObjects(ValueError):
    """Helm rendered the chart, but a template's output is not Kubernetes objects (a value put
    text where the chart expects objects, e.g. in extraObjects). Names only the template."""

    def __init__(self, template: str, reason: str):
        super().__init__(f"{template} {reason}")
        self.template = template
        self.reason = reason


@lru_cache(maxsize=8)
def _render(version: str, values_json: str, name: str, namespace: str) -> tuple[RenderedObject, ...]:
    import helm_python
    import yaml

    with helm_python.Chart.load_archive(carried_archive(version)) as chart:
        rendered = chart.render(json.loads(values_json), name=name, namespace=namespace, is_install=True)
    objects = []
    for template in sorted(rendered):
        if not template.endswith((".yaml", ".yml")):
            continue  # NOTES.txt
        try:
            documents = list(yaml.load_all(rendered[template], Loader=_yaml_loader()))
        except yaml.YAMLError:
            raise RenderedNotObjects(template, "is not valid YAML") from None
        for document in documents:
            if document and not isinstance(document, dict):  # Helm would refuse to install it
                raise RenderedNotObjects(template, "holds a document that is not a Kubernetes object")
            if document:
                hook = (document.get("metadata", {}).get("annotations") or {}).get("helm.sh/hook")
                objects.append(RenderedObject(template, hook, document))
    return tuple(objects)


def render(version: str, values: dict[str, Any], *, name: str, namespace: str) -> tuple[RenderedObject, ...]:
    """Every object Helm renders from the carried chart `version` for release `name` in `namespace`,
    hooks included, in a fixed order (template path, then document order). Cached: do not mutate."""
    return _render(version, json.dumps(values, sort_keys=True), name, namespace)


@lru_cache(maxsize=None)
def _default_values(version: str) -> str:
    """values.yaml of the verified archive, read from it as Helm reads it (no Helm needed)."""
    import tarfile

    import yaml

    with tarfile.open(fileobj=io.BytesIO(carried_archive(version)), mode="r:gz") as archive:
        member = archive.extractfile(f"{CHART_NAME}/values.yaml")
        if member is None:
            raise ChartError(CARRIED[version].file, "has no values.yaml: restore it with `git checkout`.")
        return json.dumps(yaml.load(member.read(), Loader=_yaml_loader()))


def default_values(version: str) -> dict[str, Any]:
    """The chart's values.yaml."""
    return json.loads(_default_values(version))


@lru_cache(maxsize=None)
def crd_schemas(version: str) -> dict[str, dict[str, Any]]:
    """kind -> apiVersion -> openAPIV3Schema of every CRD version the carried chart `version` serves."""
    path = CARRIED[version].schemas_path
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise ChartError(path.name, "is missing or unreadable: restore it with `git checkout`, or regenerate it: "
                                    ".venv/bin/python scripts/chart_schemas.py") from None


def served_schema(version: str, kind: str, api_version: str) -> dict[str, Any]:
    """The openAPIV3Schema the carried chart `version` serves for `kind` at `api_version` (KeyError if none)."""
    return crd_schemas(version)[kind][api_version]


def schemas_of(objects: tuple[RenderedObject, ...]) -> dict[str, dict[str, Any]]:
    """kind -> apiVersion -> openAPIV3Schema of the served versions of the CRDs among rendered `objects`."""
    found: dict[str, dict[str, Any]] = {}
    for rendered in objects:
        crd = rendered.object
        if crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        for entry in spec["versions"]:
            if entry.get("served"):
                found.setdefault(spec["names"]["kind"], {})[f"{spec['group']}/{entry['name']}"] = entry["schema"]["openAPIV3Schema"]
    return found


# Rendering the user's helmValues runs in a child process with these bounds: values come from the
# stack, and Helm's templates are a language (a loop can take minutes and gigabytes).
RENDER_SECONDS = 20
RENDER_MEMORY = 512 << 20  # data of the child (heap, not reserved address space): a render of this chart fits in 256 MB

_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
from flux_bootstrap import chart
request = json.load(sys.stdin)
try:
    objects = chart.render(request["version"], request["values"], name=request["name"], namespace=request["namespace"])
except chart.RenderedNotObjects as err:
    answer = {"not_objects": [err.template, err.reason]}
except Exception as err:  # Helm's own error: its text is kept only to find the template path
    answer = {"helm_error": type(err).__name__, "text": str(err)}
else:
    answer = {"objects": [[o.template, o.hook, o.object] for o in objects]}
json.dump(answer, sys.stdout)
"""


class RenderLimit(ValueError):
    """Helm did not finish rendering within RENDER_SECONDS and RENDER_MEMORY."""


class HelmFailed(ValueError):
    """Helm refused the values; the text may quote a value: use it only to find a template path."""


def render_bounded(version: str, values: dict[str, Any], *, name: str, namespace: str) -> tuple[RenderedObject, ...]:
    """render() in a child process bounded in time and memory. Raises RenderLimit past the
    bounds, RenderedNotObjects or HelmFailed as render() would fail."""
    import subprocess
    import sys

    def limit_memory() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (RENDER_MEMORY, RENDER_MEMORY))

    request = json.dumps({"version": version, "values": values, "name": name, "namespace": namespace})
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(_PACKAGE_DIR.parent)], input=request, capture_output=True, text=True,
            timeout=RENDER_SECONDS, preexec_fn=limit_memory if sys.platform != "win32" else None,
        )
    except subprocess.TimeoutExpired:
        raise RenderLimit(f"took Helm longer than {RENDER_SECONDS} s") from None
    if done.returncode != 0:
        raise RenderLimit(f"took Helm more than {RENDER_MEMORY >> 20} MB of memory (or Helm stopped)")
    answer = json.loads(done.stdout)
    if "not_objects" in answer:
        raise RenderedNotObjects(*answer["not_objects"])
    if "helm_error" in answer:
        raise HelmFailed(answer["text"])
    return tuple(RenderedObject(template, hook, obj) for template, hook, obj in answer["objects"])

