"""Writes the schemas `check` validates against without Helm or kubernetes-validate's 1.4 MB of
definitions:
- charts/flux2-<version>.crd-schemas.json for every carried chart: the openAPIV3Schema of each CRD
  version the chart serves, as real Helm renders it with the chart's own default values
  (tests/test_chart.py fails when a file differs from a fresh render);
- charts/kubernetes-<version>.core-schemas.json: the strict schemas of Namespace and Secret and the
  definitions they reach, from kubernetes-validate (tests/test_validation.py compares).
Run after adding a chart archive or moving kubernetes-validate:
    .venv/bin/python scripts/chart_schemas.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flux_bootstrap import chart  # noqa: E402
from flux_bootstrap.chart.values import RELEASE_NAME  # noqa: E402
from flux_bootstrap.manifests import NAMESPACE  # noqa: E402
from flux_bootstrap.validation import CORE_SCHEMAS, core_schemas  # noqa: E402


def schemas_text(version: str) -> str:
    """The file's content: the served CRD schemas of a Helm render with the chart's defaults."""
    rendered = chart.render(version, chart.default_values(version), name=RELEASE_NAME, namespace=NAMESPACE)
    return json.dumps(chart.schemas_of(rendered), indent=1, sort_keys=True) + "\n"


def core_schemas_text() -> str:
    return json.dumps(core_schemas(), indent=1, sort_keys=True) + "\n"


def main() -> int:
    for version, carried in chart.CARRIED.items():
        carried.schemas_path.write_text(schemas_text(version))
        print(f"wrote {carried.schemas_path.name}")
    CORE_SCHEMAS.write_text(core_schemas_text())
    print(f"wrote {CORE_SCHEMAS.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
