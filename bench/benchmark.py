"""Benchmark: median wall time of `check`, of a cold evaluation of the program under mocks (each
beside `import pulumi`, measured in the same way and in turn with it, and as a ratio of it), of
`audit` on a generated manifests repository of 2,000 files, and of the test suite; and how many
GitHub API calls a healthy `pulumi preview` makes. Each run is a fresh interpreter, as a user or CI starts it.

    .venv/bin/python bench/benchmark.py [--runs N]

Prints a Markdown table with the machine it ran on (quoted in the README).
"""

from __future__ import annotations

import argparse
import hashlib
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
print(len([i for i in run.invokes if i.token.startswith("github:")]))
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


APP = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {team}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {team}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      containers:
        - name: {name}
          image: ghcr.io/example/{name}:1.{i}.0@sha256:{digest}
          ports:
            - containerPort: 8080
          envFrom:
            - configMapRef:
                name: {name}-config
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {team}
spec:
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - port: 80
      targetPort: 8080
"""
CONFIG = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {team}
data:
  LOG_LEVEL: info
  UPSTREAM_URL: http://{team}-gateway.{team}.svc.cluster.local:8080/{name}
  FEATURE_FLAGS: "search,export,beta-{i}"
"""


def make_manifests(folder: Path, files: int = 2000) -> str:
    """A manifests repository of `files` files: per app a Deployment, a Service, a ConfigMap and a
    kustomization.yaml, one app in ten with a SOPS-encrypted Secret. Returns the age recipient."""
    sys.path.insert(0, str(ROOT / "tests"))
    from sops_fixtures import new_identity, random_text, sops_secret

    _, recipient = new_identity()
    (folder / ".sops.yaml").write_text(
        f"creation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: {recipient}\n"
    )
    written, i = 1, 0
    while written < files:
        team = f"team-{i % 25}"
        name = f"service-{i}"
        app = folder / "clusters" / "dev" / team / name
        app.mkdir(parents=True)
        values = {"name": name, "team": team, "i": i, "digest": hashlib.sha256(name.encode()).hexdigest()}
        docs = {"deployment.yaml": APP, "service.yaml": SERVICE, "configmap.yaml": CONFIG}
        resources = list(docs)
        if i % 10 == 0:
            resources.append("secret.sops.yaml")
        docs["kustomization.yaml"] = "resources:\n" + "".join(f"  - {r}\n" for r in resources)
        for file_name, template in docs.items():
            if written < files:
                (app / file_name).write_text(template.format(**values))
                written += 1
        if i % 10 == 0 and written < files:
            secret = sops_secret([recipient], string_data={"DATABASE_PASSWORD": random_text(), "API_TOKEN": random_text(40)}, name=name)
            (app / "secret.sops.yaml").write_text(secret)
            written += 1
        i += 1
    return recipient


def timed_run(command: list[str], *, expect: int = 0, **kwargs) -> float:
    """Wall time of one run of `command`, which must exit with `expect`."""
    start = time.perf_counter()
    code = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs).returncode
    if code != expect:
        raise SystemExit(f"{command[:4]}... exited {code}, expected {expect}")
    return time.perf_counter() - start


def median_seconds(command: list[str], runs: int, *, expect: int = 0, **kwargs) -> float:
    """Median wall time of `command`, which must exit with `expect` every time."""
    return statistics.median(timed_run(command, expect=expect, **kwargs) for _ in range(runs))


def side_by_side(commands: dict[str, tuple[list[str], int]], **kwargs) -> dict[str, float]:
    """Median wall time of each command (name -> (command, runs)), their runs taken in turn, so a
    machine that gets busier or quieter meanwhile moves every median alike (the ratios hold)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for turn in range(max(runs for _, runs in commands.values())):
        for name, (command, runs) in commands.items():
            if turn < runs:
                times[name].append(timed_run(command, **kwargs))
    return {name: statistics.median(found) for name, found in times.items()}


# Hostile config files `check` must refuse fast (issue: within a second or two, modest memory).
HOSTILE_FLUX_FILES = {
    "an alias bomb": "a0: &a0 [x, x]\n" + "".join(f"a{i}: &a{i} [*a{i-1}, *a{i-1}]\n" for i in range(1, 40)),
    "a 256 KiB file of 10,000 keys": "".join(f"k{i}: value-{i}\n" for i in range(10_000)),
    "a branch of 200,000 characters": "repo: https://github.com/acme/fleet\nbranch: " + "b" * 200_000 + "\n",
}


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
    parser.add_argument("--no-suite", action="store_true", help="leave out the test suite (the slowest row)")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        config = make_project(project)
        program = COLD_PROGRAM.format(root=str(ROOT), tests=str(ROOT / "tests"), config=str(config))
        medians = side_by_side({
            "baseline": ([PYTHON, "-c", "import pulumi"], args.runs),
            "check": ([PYTHON, "-m", "flux_bootstrap", "--project-dir", str(project), "check", "--stack", "dev"], args.runs),
            "cold": ([PYTHON, "-c", program], max(3, args.runs // 3)),
        }, env=env)
        baseline, check, cold = medians["baseline"], medians["check"], medians["cold"]
        # Every GitHub lookup is an invoke through the mocks, answered as a healthy repository.
        calls = int(subprocess.run([PYTHON, "-c", program], env=env, capture_output=True, text=True, check=True).stdout)
        hostile = {}
        for what, text in HOSTILE_FLUX_FILES.items():
            (config / "flux.yaml").write_text(text)
            hostile[what] = median_seconds(
                [PYTHON, "-m", "flux_bootstrap", "--project-dir", str(project), "check", "--stack", "dev"],
                max(3, args.runs // 3), expect=1, env=env,
            )
        repo = project / "manifests"
        repo.mkdir()
        recipient = make_manifests(repo)
        assert sum(1 for p in repo.rglob("*") if p.is_file()) == 2000
        audit = median_seconds(
            [PYTHON, "-m", "flux_bootstrap", "audit", str(repo), "--recipient", recipient], max(3, args.runs // 3), env=env
        )  # check=True: the generated repository audits clean (exit 0), so every check ran
    suite_runs = max(3, args.runs // 3)
    suite = None if args.no_suite else median_seconds([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider"], suite_runs, cwd=ROOT)
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}, {platform.system()}")
    print()
    print("| what | median | runs |")
    print("| --- | --- | --- |")
    print(f"| `import pulumi` (fresh interpreter; the yardstick) | {baseline:.3f} s | {args.runs} |")
    print(f"| `check --stack dev` (fresh interpreter) | {check:.3f} s ({check / baseline:.2f}x import pulumi) | {args.runs} |")
    print(f"| cold evaluation of the program under mocks (imports included) | {cold:.3f} s ({cold / baseline:.2f}x import pulumi) | {max(3, args.runs // 3)} |")
    print(f"| GitHub API calls of a healthy `pulumi preview` (lookups, under mocks) | {calls} | 1 |")
    for what, seconds in hostile.items():
        print(f"| `check` refusing {what} in flux.yaml (fresh interpreter) | {seconds:.3f} s | {max(3, args.runs // 3)} |")
    print(f"| `audit` of a repository of 2,000 manifest files (fresh interpreter) | {audit:.2f} s | {max(3, args.runs // 3)} |")
    if suite is not None:
        print(f"| whole test suite (`pytest`) | {suite:.2f} s | {suite_runs} |")


if __name__ == "__main__":
    main()
