"""Offline commands: `check` validates a stack's configuration and everything it would emit,
`render` prints what `pulumi up` would apply. Neither needs Pulumi, a cluster, a token or the
network, and neither imports a Pulumi SDK.
"""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from . import __version__, chart, commit_status, credentials, manifests, rotation, sops, webhook
from .bounded_read import present
from .errors import ConfigError, Problem, format_problems
from .plan import Deferred, Plan, plan
from .github_env import environment_problems
from .settings.stack import DEFAULT_CHART_VERSION
from .settings import EXAMPLE_REPO, SECRETS_FILE, Settings, display_path, resolve_settings
from .settings.auth import APP_KEY_FILE
from .stack_file import StackFile, read_stack_file, stack_name
from .validation import (
    HELM_VALUES_SETTING,
    chart_objects,
    helm_values_problems,
    validate_chart_objects,
    validate_helm_values,
    validate_object,
)

REDACTED = "<redacted>"


def load(project_dir: Path, stack: str, *, require_token: bool) -> tuple[Settings, StackFile]:
    """Settings of `stack` (already a bare stack name, see stack_name), or ConfigError."""
    stack_file, problems = read_stack_file(project_dir, stack)
    try:
        settings = resolve_settings(
            project_dir=project_dir,
            project=stack_file.project,
            stack=stack,
            stack_values=stack_file.values,
            stack_source=display_path(stack_file.path, project_dir),
            stack_lines=stack_file.lines,
            require_token=require_token,
        )
    except ConfigError as err:
        raise ConfigError(problems + err.problems) from None
    if problems:
        raise ConfigError(problems)
    return settings, stack_file


def planned_objects(planned: Plan) -> list[dict[str, Any]]:
    """The Kubernetes objects `pulumi up` applies, from the plan, the data of every Secret redacted."""
    repository = planned.settings.repo.full_name

    def shown(marker: Deferred) -> str:
        if marker is Deferred.BRANCH:
            return f"<default branch of {repository}, looked up on GitHub>"
        return REDACTED if marker.secret else f"<{marker.description}>"

    objects = planned.manifests(shown)
    for obj in objects:
        if obj["kind"] == "Secret":  # whatever a key holds, render never shows it
            obj["stringData"] = {key: REDACTED for key in obj["stringData"]}
    return objects


def schema_problems(planned: Plan) -> list[str]:
    version = planned.settings.chart_version
    problems = [p for obj in planned_objects(planned) for p in validate_object(obj, version)]
    return problems + validate_helm_values(planned.release.values)


def render_problems(settings: Settings, stack_file: StackFile, project_dir: Path, values: dict[str, Any]) -> list[Problem]:
    """helmValues that Helm cannot render with the carried chart, as a problem of that setting."""
    return helm_values_problems(
        settings, values, source=display_path(stack_file.path, project_dir), line=stack_file.lines.get(HELM_VALUES_SETTING)
    )


# Files beside the config that hold a secret, and what leaks when one is committed.
SECRET_FILES = {
    SECRETS_FILE: "the token is in the repository. Run: git rm --cached {source}; add it to .gitignore, and revoke the token on GitHub.",
    sops.KEY_FILE: "the SOPS key is in the repository, and with it every encrypted Secret. Run: git rm --cached {source}; add it to .gitignore, and rotate the key (docs/sops.md).",
    APP_KEY_FILE: "the GitHub App's private key is in the repository. Run: git rm --cached {source}; add it to .gitignore, and on the App's settings page generate a new private key and delete this one.",
}


def secrets_file_problems(settings: Settings, project_dir: Path) -> tuple[list[Problem], list[str]]:
    """A secret file tracked by Git is an error; one readable by others is a warning."""
    problems, warnings = [], []
    for name, leak in SECRET_FILES.items():
        path = settings.config_dir / name
        try:
            mode = path.stat().st_mode
        except (OSError, ValueError):  # absent, or a loop: the settings read what they use, and refuse it
            continue
        source = display_path(path, project_dir)
        try:
            tracked = subprocess.run(
                ["git", "ls-files", "--error-unmatch", "--", str(path)],
                cwd=path.parent,
                capture_output=True,
            ).returncode == 0
        except FileNotFoundError:  # no git on this machine: nothing can be tracked
            tracked = False
        if tracked:
            problems.append(Problem(source, "is tracked by Git, so " + leak.format(source=source)))
        if stat.S_IMODE(mode) & 0o077:
            warnings.append(f"{source} can be read by other users; run: chmod 600 {source}")
    return problems, warnings


def check(project_dir: Path, stack: str, *, require_token: bool) -> int:
    try:
        settings, stack_file = load(project_dir, stack, require_token=require_token)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    problems, warnings = secrets_file_problems(settings, project_dir)
    problems += environment_problems(os.environ, settings)  # what `pulumi up` would refuse in this shell
    if settings.repo.full_name == EXAMPLE_REPO:
        warnings.append(
            f"the repository is still the example {EXAMPLE_REPO} of the user docs; set `repo` in config/flux.yaml "
            "(or the repo stack setting) to your own"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        planned = plan(settings)
        schema = schema_problems(planned)
        # Only with helmValues set: the only values no key check fully covers (keeps check fast).
        problems += render_problems(settings, stack_file, project_dir, planned.release.values)
    except ConfigError as err:  # the carried chart archive is missing or altered
        print(err, file=sys.stderr)
        return 1
    if problems or schema:
        if problems:
            print(format_problems(problems), file=sys.stderr)
        for line in schema:
            print(f"schema: {line}", file=sys.stderr)
        return 1
    branch = settings.branch or "(repository default branch)"
    print(
        f"ok: stack {stack}: {credentials.flux_url(settings)} branch {branch} path {settings.kustomization_path} "
        f"(auth {settings.auth.mode}), "
        f"flux2 chart {settings.chart_version}; {len(planned.objects)} objects and the Helm values match their schemas"
    )
    print_chart_version(settings.chart_version)
    return 0


def print_chart_version(version: str) -> None:
    """What the chart version installs; a version the tests did not verify is a warning."""
    if chart.is_carried(version):
        print(f"chart: {chart.describe(version)}")
    else:
        print(f"warning: {chart.describe(version)}", file=sys.stderr)


def render(project_dir: Path, stack: str, *, with_chart: bool = False) -> int:
    try:
        settings, stack_file = load(project_dir, stack, require_token=False)
        planned = plan(settings)
        release = planned.release
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    version = settings.chart_version
    if with_chart and not chart.is_carried(version):
        print(f"flux2 chart {version} is not carried in charts/, so its objects cannot be rendered offline; "
              f"carried: {', '.join(sorted(chart.CARRIED))}.", file=sys.stderr)
        return 1
    if with_chart:
        failed = render_problems(settings, stack_file, project_dir, release.values)
        if failed:
            print(ConfigError(failed), file=sys.stderr)
            return 1
    if not chart.is_carried(version):
        print(f"warning: {chart.describe(version)}", file=sys.stderr)
    header = (
        f"# What `pulumi up` applies for stack {stack}. Secret data is redacted.\n"
        f"# {credentials.describe(settings, manifests.deploy_key_title(settings))}\n"
        f"# {chart.describe(version)}.\n"
        f"# {rotation.describe(settings, manifests.NAME)}\n"
        f"# {webhook.describe(settings)}\n"
        f"# {commit_status.describe(settings)}\n"
        + _sops_line(settings)
    )
    documents = [{"helmRelease": release.as_dict()}] + planned_objects(planned)
    problems: list[str] = []
    chart_text = ""
    if with_chart:
        summary, chart_text, problems = render_chart_objects(version, release.values)
        header += summary
    sys.stdout.write(header + yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True) + chart_text)
    return 1 if problems else 0


def render_chart_objects(version: str, values: dict[str, Any] | None = None) -> tuple[str, str, list[str]]:
    """Every object the Helm release creates, after a summary line: each under a comment naming
    its template and whether it is a Helm hook (run by Helm around the install, not kept with the
    release). Also the objects' problems against the Kubernetes schemas (strict)."""
    objects = chart_objects(version, values)
    kubernetes = chart.KNOWN_VERSIONS[version].min_kubernetes
    problems = validate_chart_objects(objects, kubernetes)
    summary = (
        f"# After them, the {len(objects)} objects of the Helm release, rendered by Helm from "
        f"charts/{chart.CARRIED[version].file} with these values; "
        f"{'all valid' if not problems else f'{len(problems)} problem(s)'} against the Kubernetes {kubernetes} "
        "schemas (strict).\n"
    ) + "".join(f"# schema problem: {problem}\n" for problem in problems)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: the CRDs are large
    parts = []
    for rendered in objects:
        hook = (f"Helm hook ({rendered.hook}): Helm runs it at that step; not one of the release's objects"
                if rendered.hook else "not a hook")
        parts.append(f"---\n# {rendered.template}: {hook}\n{yaml.dump(rendered.object, Dumper=dumper, sort_keys=False)}")
    return summary, "".join(parts), problems


# The checkout this package sits in, when it runs from one (scripts/, python -m in the project).
CHECKOUT_DIR = Path(__file__).resolve().parent.parent


def find_project_dir(start: Path) -> Path | None:
    """The folder holding Pulumi.yaml: `start` or its nearest parent that has one (as the Pulumi
    CLI looks for it), else the checkout this package runs from; None when there is neither."""
    for folder in (start, *start.parents):
        if present(folder / "Pulumi.yaml"):  # whatever it is: reading it says what is wrong
            return folder
    return CHECKOUT_DIR if present(CHECKOUT_DIR / "Pulumi.yaml") else None


def _given_project_dir(parser: argparse.ArgumentParser, path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, before Python 3.13
        parser.error("--project-dir leads through a symbolic link that loops: pass the project folder itself")


def version_text() -> str:
    default = DEFAULT_CHART_VERSION
    return f"flux-bootstrap {__version__} (flux2 chart {default}, Flux {chart.KNOWN_VERSIONS[default].flux})"


def _stack(reference: str) -> str:
    try:
        return stack_name(reference)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _stack_option(parser: argparse.ArgumentParser) -> None:
    """-s/--stack as Pulumi takes it; PULUMI_STACK when none is given."""
    default = os.environ.get("PULUMI_STACK") or None
    parser.add_argument(
        "-s", "--stack", required=default is None, default=default, type=_stack,
        help="stack: NAME, ORG/NAME or ORG/PROJECT/NAME (default: $PULUMI_STACK)",
    )


def _sops_line(settings: Settings) -> str:
    if not settings.sops.enabled:
        return ""
    if settings.sops.recipient:
        recipient = f"recipient {settings.sops.recipient}"
    elif settings.sops.mode == "generate":
        recipient = "recipient: the stack output sopsAgeRecipient after the first pulumi up (the key is made then)"
    else:
        recipient = "recipient: the stack output sopsAgeRecipient (the key is an encrypted stack setting)"
    return f"# SOPS: Flux decrypts with the age key in Secret {sops.SECRET_NAME} ({settings.sops.mode}); {recipient}.\n"


def _stack_recipients(settings: Settings) -> list[str]:
    """The stack's age recipient when it is known offline; otherwise say how to pass it."""
    if settings.sops.recipient:
        return [settings.sops.recipient]
    if settings.sops.enabled:
        print(
            f"note: the SOPS recipient of stack {settings.stack} is not known offline ({settings.sops.mode}); "
            f"pass it: --recipient \"$(pulumi stack output -s {settings.stack} sopsAgeRecipient)\"",
            file=sys.stderr,
        )
    return []


def audit_command(checkout: Path, path: str | None, recipients: list[str]) -> int:
    """`audit`: exit 1 on any finding, 2 if it cannot run, 0 with a one-line summary."""
    from .audit import AuditError, audit, format_report  # detect-secrets only loads for this command

    try:
        report = audit(checkout, path=path, recipients=recipients)
    except AuditError as err:
        print(f"audit: {err}", file=sys.stderr)
        return 2
    out, notes = format_report(report)
    for note in notes:
        print(note, file=sys.stderr)
    print("\n".join(out))
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flux-bootstrap", description=__doc__)
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument(
        "--project-dir",
        type=Path,
        help="folder holding Pulumi.yaml (default: the current folder or its nearest parent with one)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="validate config files, stack settings and every emitted object")
    _stack_option(check_parser)
    check_parser.add_argument(
        "--no-token",
        action="store_true",
        help="do not require a GitHub token (CI without secrets); a token that is present is still checked",
    )
    render_parser = commands.add_parser("render", help="print the objects and Helm release `pulumi up` would apply")
    _stack_option(render_parser)
    render_parser.add_argument(
        "--chart", action="store_true", help="also print every object the Helm chart installs (carried chart versions)"
    )
    audit_parser = commands.add_parser("audit", help="find plain-text secrets and SOPS problems in a manifests checkout")
    audit_parser.add_argument("checkout", type=Path, help="local checkout of the manifests repository")
    audit_parser.add_argument("--path", help="audit only this folder of the checkout (default: clusters/<stack> with --stack)")
    audit_parser.add_argument(
        "-s", "--stack", type=_stack, help="stack: its Kustomization path (unless --path) and its SOPS recipient (unless --recipient)"
    )
    audit_parser.add_argument(
        "--recipient", action="append", default=[], metavar="AGE1...", help="the stack's age recipient (repeatable)"
    )
    args = parser.parse_args(argv)
    project_dir = _given_project_dir(parser, args.project_dir) if args.project_dir else find_project_dir(Path.cwd())
    if project_dir is None and (args.command != "audit" or args.stack is not None):
        parser.error("no Pulumi.yaml in this folder or above it: run in the flux-bootstrap project, or pass --project-dir")
    if args.command == "audit":
        if args.stack is None:
            return audit_command(args.checkout, args.path, args.recipient)
        try:
            settings, _ = load(project_dir, args.stack, require_token=False)
        except ConfigError as err:
            print(err, file=sys.stderr)
            return 2
        # The stack's own folder and, when it can be known offline, its SOPS recipient.
        return audit_command(
            args.checkout, args.path or settings.path or None, args.recipient or _stack_recipients(settings)
        )
    if args.command == "check":
        return check(project_dir, args.stack, require_token=not args.no_token)
    return render(project_dir, args.stack, with_chart=args.chart)
