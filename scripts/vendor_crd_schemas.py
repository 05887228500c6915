"""Refresh flux_bootstrap/schemas/*.json from the Flux CRDs in ../shared/reference/flux/crds.

Run after updating the reference CRDs: `.venv/bin/python scripts/vendor_crd_schemas.py`.
A test fails when the vendored schemas and the reference CRDs disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flux_bootstrap.validation import CRD_SCHEMA_FILES, crd_schema_from_file  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "reference" / "flux" / "crds"


def main() -> None:
    for kind, (crd_file, schema_file) in CRD_SCHEMA_FILES.items():
        schema = crd_schema_from_file(REFERENCE / crd_file)
        target = ROOT / "flux_bootstrap" / "schemas" / schema_file
        target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{kind}: {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
