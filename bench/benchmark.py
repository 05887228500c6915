"""Benchmark: median wall time of `check`, of a cold evaluation of the program under mocks, and
of the test suite. Each run is a fresh interpreter, as a user or CI starts it.

    .venv/bin/python bench/benchmark.py [--runs N]

Prints a Markdown table with the machine it ran on (quoted in the README).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

COLD_PROGRAM = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from harness import run_program
run = run_program({{"configDir": {config!r}}})
assert len(run.registrations) == 10, run.registrations
"""


def make_project(folder: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", folder)
    shutil.copy(ROOT / "Pulumi.dev.yaml", folder)
    config = folder / "config"
    config.mkdir()
    shutil.copy(ROOT / "config" / "flux.yaml", config)
    secrets = config / "secrets-flux.yaml"
    secrets.write_text('token: "benchmark-token"\n')
    secrets.chmod(0o600)
    return config


def median_seconds(command: list[str], runs: int, **kwargs) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11, help="runs of check (a third of that for the others)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        config = make_project(project)
        check = median_seconds(
            [PYTHON, "-m", "flux_bootstrap", "--project-dir", str(project), "check", "--stack", "dev"], args.runs, env=env
        )
        program = COLD_PROGRAM.format(root=str(ROOT), tests=str(ROOT / "tests"), config=str(config))
        cold = median_seconds([PYTHON, "-c", program], max(3, args.runs // 3), env=env)
    suite_runs = max(3, args.runs // 3)
    suite = median_seconds([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], suite_runs, cwd=ROOT)
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}, {platform.system()}")
    print()
    print("| what | median | runs |")
    print("| --- | --- | --- |")
    print(f"| `check --stack dev` (fresh interpreter) | {check:.3f} s | {args.runs} |")
    print(f"| cold evaluation of the program under mocks (imports included) | {cold:.3f} s | {max(3, args.runs // 3)} |")
    print(f"| whole test suite (`pytest`) | {suite:.2f} s | {suite_runs} |")


if __name__ == "__main__":
    main()
