"""Offline commands: `check` validates a stack's configuration and everything it would emit,
`render` prints what `pulumi up` would apply. Neither needs Pulumi, a cluster, a token or the
network, and neither imports a Pulumi SDK.
"""

from __future__ import annotations

import argparse
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

from . import manifests
from .errors import ConfigError, Problem, format_problems
from .settings import SECRETS_FILE, Settings, display_path, resolve_settings
from .stack_file import StackFile, read_stack_file
from .validation import validate_helm_values, validate_object

REDACTED = "<redacted>"


def load(project_dir: Path, stack: str, *, require_token: bool) -> tuple[Settings, StackFile]:
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


def planned_objects(settings: Settings) -> list[dict[str, Any]]:
    """The Kubernetes objects `pulumi up` applies, from the same builders, key data redacted."""
    branch = settings.branch or f"<default branch of {settings.repo.full_name}, looked up on GitHub>"
    return [
        manifests.namespace_manifest(),
        manifests.secret_manifest(REDACTED, REDACTED, REDACTED),
        manifests.git_repository_manifest(settings, branch),
        manifests.kustomization_manifest(settings),
    ]


def schema_problems(settings: Settings) -> list[str]:
    problems = [p for obj in planned_objects(settings) for p in validate_object(obj)]
    return problems + validate_helm_values(manifests.helm_release(settings).values)


def secrets_file_problems(settings: Settings, project_dir: Path) -> tuple[list[Problem], list[str]]:
    """A secrets file tracked by Git is an error; one readable by others is a warning."""
    path = settings.config_dir / SECRETS_FILE
    if not path.exists():
        return [], []
    source = display_path(path, project_dir)
    problems, warnings = [], []
    try:
        tracked = subprocess.run(
            ["git", "ls-files", "--error-unmatch", "--", str(path)],
            cwd=path.parent,
            capture_output=True,
        ).returncode == 0
    except FileNotFoundError:  # no git on this machine: nothing can be tracked
        tracked = False
    if tracked:
        problems.append(
            Problem(source, f"is tracked by Git, so the token is in the repository. Run: git rm --cached {source}; "
                            "add it to .gitignore, and revoke the token on GitHub.")
        )
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        warnings.append(f"{source} can be read by other users; run: chmod 600 {source}")
    return problems, warnings


def check(project_dir: Path, stack: str, *, require_token: bool) -> int:
    try:
        settings, stack_file = load(project_dir, stack, require_token=require_token)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    problems, warnings = secrets_file_problems(settings, project_dir)
    if not stack_file.exists:
        warnings.append(
            f"{display_path(stack_file.path, project_dir)} does not exist: stack {stack} has no settings of its own "
            "(check the stack name)"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    schema = schema_problems(settings)
    if problems or schema:
        if problems:
            print(format_problems(problems), file=sys.stderr)
        for line in schema:
            print(f"schema: {line}", file=sys.stderr)
        return 1
    branch = settings.branch or "(repository default branch)"
    print(
        f"ok: stack {stack}: {settings.repo.ssh_url} branch {branch} path {settings.kustomization_path}, "
        f"flux2 chart {settings.chart_version}; 4 objects and the Helm values match their schemas"
    )
    return 0


def render(project_dir: Path, stack: str) -> int:
    try:
        settings, _ = load(project_dir, stack, require_token=False)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 1
    release = manifests.helm_release(settings)
    header = (
        f"# What `pulumi up` applies for stack {stack}. Secret data is redacted.\n"
        f"# GitHub deploy key on {settings.repo.full_name}: title {manifests.deploy_key_title(settings)!r}, "
        f"{'read-write' if settings.read_write_key else 'read-only'}, {settings.key_algorithm}.\n"
    )
    documents = [{"helmRelease": release.as_dict()}] + planned_objects(settings)
    sys.stdout.write(header + yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True))
    return 0


def audit_command(
    checkout: Path,
    path: str | None,
    stack: str | None,
    recipients: list[str],
    stack_recipients: Callable[[str], list[str]] | None = None,
) -> int:
    """`audit`: exit 1 on any finding, 2 if it cannot run, 0 with a one-line summary.

    `stack_recipients(stack)` is the hook for the stack's own age recipient (the `sopsAgeRecipient`
    of its sops settings); it is used when no --recipient is given. Not wired yet.
    """
    from .audit import AuditError, audit, format_report  # detect-secrets only loads for this command

    if stack and not path:
        path = f"clusters/{stack}"
    if stack and not recipients and stack_recipients is not None:
        recipients = stack_recipients(stack)
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
    parser = argparse.ArgumentParser(prog="python -m flux_bootstrap", description=__doc__)
    parser.add_argument("--project-dir", type=Path, default=Path.cwd(), help="folder holding Pulumi.yaml (default: here)")
    commands = parser.add_subparsers(dest="command", required=True)
    check_parser = commands.add_parser("check", help="validate config files, stack settings and every emitted object")
    check_parser.add_argument("--stack", required=True, help="stack name, as in Pulumi.<stack>.yaml")
    check_parser.add_argument(
        "--no-token",
        action="store_true",
        help="do not require a GitHub token (CI without secrets); a token that is present is still checked",
    )
    render_parser = commands.add_parser("render", help="print the objects and Helm release `pulumi up` would apply")
    render_parser.add_argument("--stack", required=True, help="stack name, as in Pulumi.<stack>.yaml")
    audit_parser = commands.add_parser("audit", help="find plain-text secrets and SOPS problems in a manifests checkout")
    audit_parser.add_argument("checkout", type=Path, help="local checkout of the manifests repository")
    audit_parser.add_argument("--path", help="audit only this folder of the checkout (default: clusters/<stack> with --stack)")
    audit_parser.add_argument("--stack", help="stack name: its folder clusters/<stack> unless --path is given")
    audit_parser.add_argument(
        "--recipient", action="append", default=[], metavar="AGE1...", help="the stack's age recipient (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.command == "audit":
        return audit_command(args.checkout, args.path, args.stack, args.recipient)
    project_dir = args.project_dir.resolve()
    if args.command == "check":
        return check(project_dir, args.stack, require_token=not args.no_token)
    return render(project_dir, args.stack)
