"""`python -m flux_bootstrap` and the `flux-bootstrap` command: the offline commands."""

import sys

from .startup import frozen_imports


def run() -> int:
    try:
        with frozen_imports():  # pydantic models, jsonschema, YAML: see there
            from .cli import main
    except ModuleNotFoundError as err:  # run outside the project's venv: say what to run, no traceback
        if err.name is None or err.name.split(".")[0] == __package__:
            raise
        print(
            f"flux-bootstrap: the Python package {err.name!r} is not installed; set up the tools first: "
            "scripts/venv.sh (then .venv/bin/python -m flux_bootstrap ...), or pip install .",
            file=sys.stderr,
        )
        return 2  # cannot run as asked (docs/check-and-render.md: exit codes)
    return main()


if __name__ == "__main__":
    sys.exit(run())
