"""scripts/up.sh, as far as it runs without the Pulumi CLI: the offline check comes first."""

import os
import subprocess

from conftest import ROOT


def test_a_stack_name_typo_stops_before_anything_else(tmp_path):
    # No `pulumi` on PATH: the typo must be reported by `check`, not by the missing CLI, and no
    # stack is created. (What up.sh does with the CLI is only on paper here.)
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "PULUMI_BACKEND_URL": f"file://{tmp_path}"}
    result = subprocess.run(["bash", str(ROOT / "scripts" / "up.sh"), "prdo"], capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert "Pulumi.prdo.yaml:\n  - does not exist, so stack prdo is not set up here" in result.stderr
    assert "pulumi stack init prdo" in result.stderr
    assert "Pulumi CLI is not installed" not in result.stderr
    assert list(tmp_path.iterdir()) == []
