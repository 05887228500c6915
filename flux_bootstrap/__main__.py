"""`python -m flux_bootstrap`: the offline commands (the same as the `flux-bootstrap` command)."""

import sys

try:
    from .cli import main
except ModuleNotFoundError as err:  # run outside the project's venv: say what to run, no traceback
    if err.name is None or err.name.split(".")[0] == __package__:
        raise
    print(
        f"flux-bootstrap: the Python package {err.name!r} is not installed; set up the tools first: "
        "scripts/venv.sh (then .venv/bin/python -m flux_bootstrap ...), or pip install .",
        file=sys.stderr,
    )
    sys.exit(2)  # cannot run as asked (docs/check-and-render.md: exit codes)

sys.exit(main())
