"""Offline commands: `check` validates a stack's configuration and everything it would emit,
`render` prints what `pulumi up` would apply, `audit` looks for secrets in a manifests checkout.
None needs Pulumi, a cluster, a token or the network, and none imports a Pulumi SDK.

Each prints text or, with `-o json`, one JSON document on stdout (docs/check-and-render.md lists
its fields). Exit codes: 0 ok, 1 problems (or audit findings), 2 the command cannot run as asked.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from . import __version__, age_key, chart, commit_status, credentials, manifests, rotation, webhook
from .bounded_read import present
from .cluster_target import cluster_target
from .errors import HIDDEN_NAME_HINT, ConfigError, Problem, format_problems, known
from .plan import Deferred, Plan, plan
from .github_env import environment_problems
from .names import is_showable
from .secret_detector import AGE_KEY, detect
from .settings.stack import DEFAULT_CHART_VERSION
from .settings import EXAMPLE_REPO, SECRETS_FILE, Settings, display_path, resolve_settings
from .settings.auth import APP_KEY_FILE
from .stack_file import StackFile, read_stack_file, stack_name
from .validation import (
    HELM_VALUES_SETTING,
    chart_objects,
    helm_values_problems,
    helm_values_render,
    validate_chart_objects,
    validate_helm_values,
    validate_object,
)

REDACTED = "<redacted>"
# Exit codes, the same for every command.
OK, PROBLEMS, USAGE = 0, 1, 2


class UsageError(Exception):
    """The command cannot run as asked (exit 2), such as a stack that is not set up here."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(format_problems(problems))


def load(project_dir: Path, stack: str, *, require_token: bool) -> tuple[Settings, StackFile]:
    """Settings of `stack` (already a bare stack name, see stack_name), or ConfigError; UsageError
    when the stack has no settings file (a misspelt stack name, as the Pulumi CLI would run it)."""
    stack_file, problems = read_stack_file(project_dir, stack)
    source = display_path(stack_file.path, project_dir)
    if not stack_file.exists and problems and all(problem.source == source for problem in problems):
        raise UsageError(problems)
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

    return [redacted(obj) for obj in planned.manifests(shown)]


def redacted(obj: dict[str, Any]) -> dict[str, Any]:
    """The object, or a copy of a Secret with every `data` and `stringData` value redacted:
    whatever a key holds, render never shows it (the chart's Secrets included)."""
    if obj.get("kind") != "Secret":
        return obj
    copy = dict(obj)
    for part in ("data", "stringData"):
        if isinstance(obj.get(part), dict):
            copy[part] = {key: REDACTED for key in obj[part]}
    return copy


def schema_problems(planned: Plan) -> list[str]:
    version = planned.settings.source.chart_version
    problems = [p for obj in planned_objects(planned) for p in validate_object(obj, version)]
    return problems + validate_helm_values(planned.release.values)


def helm_values_place(stack_file: StackFile, project_dir: Path) -> dict[str, Any]:
    """Where a problem of helmValues is told: the stack file and the setting's line."""
    return {"source": display_path(stack_file.path, project_dir), "line": stack_file.lines.get(HELM_VALUES_SETTING)}


# Files beside the config that hold a secret, and what leaks when one is committed.
SECRET_FILES = {
    SECRETS_FILE: "the token is in the repository. Run: git rm --cached {source}; add it to .gitignore, and revoke the token on GitHub.",
    age_key.KEY_FILE: "the SOPS key is in the repository, and with it every encrypted Secret. Run: git rm --cached {source}; add it to .gitignore, and rotate the key (docs/sops.md).",
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


@dataclass
class CheckReport:
    """What `check` found for one stack; the text and the JSON output are both printed from it."""

    stack: str
    settings: Settings | None = None  # None when the settings could not be read
    problems: list[Problem] = field(default_factory=list)
    schema: list[str] = field(default_factory=list)  # objects or Helm values against their schemas
    warnings: list[str] = field(default_factory=list)
    objects: int | None = None  # the rest only once everything is valid
    target: str | None = None
    chart: str | None = None
    loop: list[str] = field(default_factory=list)  # key rotation, sync on push, commit status: what is on


    def passed(self, strict: bool) -> bool:
        return not self.problems and not self.schema and not (strict and self.warnings)


def check_report(project_dir: Path, stack: str, *, require_token: bool) -> CheckReport:
    report = CheckReport(stack)
    try:
        settings, stack_file = load(project_dir, stack, require_token=require_token)
    except ConfigError as err:
        report.problems = err.problems
        return report
    report.settings = settings
    report.problems, report.warnings = secrets_file_problems(settings, project_dir)
    report.problems += environment_problems(os.environ, settings)  # what `pulumi up` would refuse in this shell
    if settings.repo.full_name == EXAMPLE_REPO:
        report.warnings.append(
            f"the repository is still the example {EXAMPLE_REPO} of the user docs; set `repo` in config/flux.yaml "
            "(or the repo stack setting) to your own"
        )
    try:
        planned = plan(settings)
        report.schema = schema_problems(planned)
        # Only with helmValues set: the only values no key check fully covers (keeps check fast).
        report.problems += helm_values_problems(settings, planned.release.values, **helm_values_place(stack_file, project_dir))
    except ConfigError as err:  # the carried chart archive is missing or altered
        report.problems += err.problems
        return report
    if report.problems or report.schema:
        return report
    report.objects = len(planned.objects)
    report.loop = loop_lines(settings)
    if settings.gitops.key_rotation is not None and settings.lifecycle.protect and planned.deploy_key is not None:
        report.warnings.append(
            "keyRotation with protect: the old deploy key is protected, so the rotation's last step (deleting it) "
            "fails and leaves it registered on GitHub; set protect to false for the rotating pulumi up "
            "(docs/key-rotation.md)"
        )
    target = cluster_target(stack, stack_file.kubernetes, project_dir, os.environ, Path(os.path.expanduser("~")))
    report.target = target.line
    if target.warning:  # a stack that pins no cluster
        report.warnings.append(target.warning)
    report.chart = chart.describe(settings.source.chart_version)
    if not chart.is_carried(settings.source.chart_version):  # a version the tests did not verify
        report.warnings.append(report.chart)
    return report


def check(project_dir: Path, stack: str, *, require_token: bool, strict: bool = False, output: str = "text") -> int:
    report = check_report(project_dir, stack, require_token=require_token)
    passed = report.passed(strict)
    if output == "json":
        print_json(check_json(report, passed))
    else:
        print_check(report, strict)
    return OK if passed else PROBLEMS


def print_check(report: CheckReport, strict: bool) -> None:
    """Warnings and problems on stderr; on success the ok, target and chart lines on stdout."""
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if report.problems:
        print(format_problems(report.problems), file=sys.stderr)
    for line in report.schema:
        print(f"schema: {line}", file=sys.stderr)
    if report.problems or report.schema:
        return
    if not report.passed(strict):
        count = len(report.warnings)
        print(f"check: {count} warning{'s' if count != 1 else ''}, which {'fail' if count != 1 else 'fails'} the check with --strict", file=sys.stderr)
        return
    settings = known(report.settings, "a check without problems has settings")
    branch = settings.source.branch or "(repository default branch)"
    print(
        f"ok: stack {report.stack}: {credentials.flux_url(settings)} branch {branch} path {settings.kustomization_path} "
        f"(auth {settings.auth.mode}), "
        f"flux2 chart {settings.source.chart_version}; {report.objects} objects and the Helm values match their schemas"
    )
    print(f"target: {known(report.target, 'a check without problems has its target')}")
    for line in report.loop:
        print(f"loop: {line}")
    if chart.is_carried(settings.source.chart_version):  # otherwise it is a warning, above
        print(f"chart: {known(report.chart, 'a check without problems describes its chart')}")


def check_json(report: CheckReport, passed: bool) -> dict[str, Any]:
    """`check -o json`: every key always present, null when not known (see docs/check-and-render.md)."""
    settings = report.settings
    return {
        "ok": passed,
        "stack": report.stack,
        "gitUrl": credentials.flux_url(settings) if settings else None,
        "branch": settings.source.branch if settings else None,  # null: the repository's default branch
        "path": settings.kustomization_path if settings else None,
        "auth": settings.auth.mode if settings else None,
        "chartVersion": settings.source.chart_version if settings else None,
        "chart": report.chart,
        "target": report.target,
        "objects": report.objects,
        "loop": report.loop,
        "warnings": report.warnings,
        # true when a problem hid checks that could not run: more may follow once it is fixed
        "incomplete": any(problem.hides_others for problem in report.problems),
        "problems": [problem_json(problem) for problem in report.problems]
        + [{"source": "schema", "line": None, "field": None, "message": line, "fix": None} for line in report.schema],
    }


def loop_lines(settings: Settings) -> list[str]:
    """What closes the GitOps loop for this stack, one line each, only what is on."""
    on = [
        (settings.gitops.key_rotation is not None, rotation.describe(settings, manifests.NAME)),
        (settings.gitops.webhook is not None, webhook.describe(settings)),
        (settings.gitops.commit_status, commit_status.describe(settings)),
    ]
    return [line for enabled, line in on if enabled]


def problem_json(problem: Problem) -> dict[str, Any]:
    """A problem as Problem.describe says it, in parts: `message` (the whole text) and `fix` (its
    part that says what to do, or null). A field name that could be a pasted secret is not shown
    (null); the message says so, and the fix tells what to do about it too, as in the text."""
    if problem.field is None or is_showable(problem.field):
        return {"source": problem.source, "line": problem.line, "field": problem.field, "message": problem.message,
                "fix": problem.fix}
    message = f"a {problem.label} whose name looks like a secret (not shown): {problem.message}{HIDDEN_NAME_HINT}"
    fix = f"{problem.fix}{HIDDEN_NAME_HINT}" if problem.fix else HIDDEN_NAME_HINT.lstrip()
    return {"source": problem.source, "line": problem.line, "field": None, "message": message, "fix": fix}


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2)
    sys.stdout.write("\n")


def render(project_dir: Path, stack: str, *, view: str = "objects", output: str = "text") -> int:
    """`render`: the Kubernetes objects `pulumi up` applies (view "objects"), with the chart's
    objects ("chart"), or what the Helm release gets ("values"). Problems go to stderr."""
    try:
        settings, stack_file = load(project_dir, stack, require_token=False)
        planned = plan(settings)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return PROBLEMS
    version = settings.source.chart_version
    rendered = None  # the chart's objects, for --chart
    if view == "chart":
        if not chart.is_carried(version):
            print(f"flux2 chart {version} is not carried in charts/, so its objects cannot be rendered offline; "
                  f"carried: {', '.join(sorted(chart.CARRIED))}.", file=sys.stderr)
            return PROBLEMS
        try:  # rendered once: in the bounded child when the stack sets helmValues (the check), else here
            rendered = helm_values_render(settings, planned.release.values, **helm_values_place(stack_file, project_dir))
        except ConfigError as err:
            print(err, file=sys.stderr)
            return PROBLEMS
        if rendered is None:
            rendered = chart_objects(version, planned.release.values)
    if not chart.is_carried(version):
        print(f"warning: {chart.describe(version)}", file=sys.stderr)
    if view == "values":
        return render_values(planned, stack, output)
    objects = planned_objects(planned)
    if output == "json":
        problems = []
        if rendered is not None:
            problems = validate_chart_objects(rendered, chart.KNOWN_VERSIONS[version].min_kubernetes)
            objects += [redacted(r.object) for r in rendered]
            for problem in problems:
                print(f"schema problem: {problem}", file=sys.stderr)
        print_json({"apiVersion": "v1", "kind": "List", "items": objects})
        return PROBLEMS if problems else OK
    return render_text(planned, stack, objects, rendered)


def render_text(planned: Plan, stack: str, objects: list[dict[str, Any]],
                rendered: tuple[chart.RenderedObject, ...] | None) -> int:
    """The objects as multi-document YAML under comment lines: what kubectl and kubeconform read."""
    settings = planned.settings
    version = settings.source.chart_version
    header = (
        f"# What `pulumi up` applies for stack {stack}. Secret data is redacted.\n"
        f"# {credentials.describe(settings, planned.deploy_key.title if planned.deploy_key else manifests.deploy_key_title(settings))}\n"
        f"# {chart.describe(version)}.\n"
        f"# {rotation.describe(settings, manifests.NAME)}\n"
        f"# {webhook.describe(settings)}\n"
        f"# {commit_status.describe(settings)}\n"
        + _sops_line(settings)
        + f"# The Helm release {planned.release.name} and its values: flux-bootstrap render --values --stack {stack}\n"
    )
    problems: list[str] = []
    chart_text = ""
    if rendered is not None:  # render --chart
        summary, chart_text, problems = render_chart_objects(version, rendered)
        header += summary
    sys.stdout.write(header + yaml.safe_dump_all(objects, sort_keys=False, explicit_start=True) + chart_text)
    return PROBLEMS if problems else OK


def render_values(planned: Plan, stack: str, output: str) -> int:
    """`render --values`: the Helm release `pulumi up` installs: name, chart, version, namespace, values."""
    release = {"helmRelease": planned.release.as_dict()}
    if output == "json":
        print_json(release)
        return OK
    sys.stdout.write(
        f"# The Helm release `pulumi up` installs for stack {stack}, and the values it gets.\n"
        f"# {chart.describe(planned.settings.source.chart_version)}.\n"
        + yaml.safe_dump(release, sort_keys=False)
    )
    return OK


def render_chart_objects(version: str, objects: tuple[chart.RenderedObject, ...]) -> tuple[str, str, list[str]]:
    """Every object the Helm release creates, after a summary line: each under a comment naming
    its template and whether it is a Helm hook (run by Helm around the install, not kept with the
    release). Also the objects' problems against the Kubernetes schemas (strict)."""
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
        shown = redacted(rendered.object)
        parts.append(f"---\n# {rendered.template}: {hook}\n{yaml.dump(shown, Dumper=dumper, sort_keys=False)}")
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


def _sops_line(settings: Settings) -> str:
    if not settings.sops.enabled:
        return ""
    if settings.sops.recipient:
        recipient = f"recipient {settings.sops.recipient}"
    elif settings.sops.mode == "generate":
        recipient = "recipient: the stack output sopsAgeRecipient after the first pulumi up (the key is made then)"
    else:
        recipient = "recipient: the stack output sopsAgeRecipient (the key is an encrypted stack setting)"
    return f"# SOPS: Flux decrypts with the age key in Secret {age_key.SECRET_NAME} ({settings.sops.mode}); {recipient}.\n"


def _stack_recipients(settings: Settings) -> tuple[list[str], list[str]]:
    """The stack's age recipient when it is known offline; otherwise a note saying how to pass it."""
    if settings.sops.recipient:
        return [settings.sops.recipient], []
    if settings.sops.enabled:
        return [], [
            f"note: the SOPS recipient of stack {settings.stack} is not known offline ({settings.sops.mode}); "
            f"pass it: --recipient \"$(pulumi stack output -s {settings.stack} sopsAgeRecipient)\""
        ]
    return [], []


def audit_command(
    checkout: Path, path: str | None, recipients: list[str], *, output: str = "text", notes: list[str] | None = None,
    strict: bool = False,
) -> int:
    """`audit`: exit 1 on any finding, 2 if it cannot run, 0 with a one-line summary."""
    from .audit import AuditError, audit, format_report  # detect-secrets only loads for this command

    notes = list(notes or [])
    try:
        report = audit(checkout, path=path, recipients=recipients, strict=strict)
    except AuditError as err:
        for note in notes:
            print(note, file=sys.stderr)
        print(f"audit: {err}", file=sys.stderr)
        return USAGE
    out, report_notes = format_report(report)
    if output == "json":
        print_json(audit_json(report, out[-1], notes))
    else:
        for note in notes + report_notes:
            print(note, file=sys.stderr)
        print("\n".join(out))
    return OK if report.ok else PROBLEMS


def audit_json(report: Any, summary_line: str, notes: list[str]) -> dict[str, Any]:
    """`audit -o json`, from the report's public fields (see docs/audit.md); never a secret value:
    findings hold only where and what, as in the text."""
    findings = report.findings
    return {
        "ok": report.ok,
        "scope": report.scope,
        "recipients": list(report.recipients),
        "findings": [{"file": f.file, "line": f.line, "kind": f.kind, "message": f.message} for f in findings],
        "summary": {
            "files": report.files,
            "yamlDocuments": report.yaml_documents,
            "secrets": report.secrets,
            "sopsFiles": report.sops_files,
            "findings": len(findings),
            "filesWithFindings": len({f.file for f in findings}),
            "recipientCheck": bool(report.recipients),
            "text": summary_line,
        },
        "skipped": [{"file": file, "reason": why} for file, why in report.skipped],
        "notes": notes,
    }


def run_check(args: argparse.Namespace, project_dir: Path) -> int:
    return check(project_dir, args.stack, require_token=not args.no_token, strict=args.strict, output=args.output)


def run_render(args: argparse.Namespace, project_dir: Path) -> int:
    view = "chart" if args.chart else "values" if args.values else "objects"
    return render(project_dir, args.stack, view=view, output=args.output)


def run_audit(args: argparse.Namespace, project_dir: Path | None) -> int:
    if args.stack is None:
        return audit_command(args.checkout, args.path, args.recipient, output=args.output, strict=args.strict)
    try:
        settings, _ = load(known(project_dir, "--stack finds the project first"), args.stack, require_token=False)
    except ConfigError as err:  # the audit cannot know the stack's folder and recipient
        print(err, file=sys.stderr)
        return USAGE
    # The stack's own folder and, when it can be known offline, its SOPS recipient.
    recipients, notes = (args.recipient, []) if args.recipient else _stack_recipients(settings)
    return audit_command(
        args.checkout, args.path or settings.path or None, recipients, output=args.output, notes=notes, strict=args.strict
    )


DESCRIPTION = "Offline commands of the flux-bootstrap Pulumi program: no Pulumi CLI, cluster, token or network needed."
EXIT_CODES = """exit codes:
  0  ok
  1  problems: configuration or schema problems (check, render), warnings with check --strict,
     findings (audit)
  2  the command cannot run as asked: a bad option or argument, a stack with no Pulumi.<stack>.yaml,
     no Pulumi.yaml (no project); for audit also a checkout, --path or --recipient it cannot use,
     or a --stack whose settings have problems"""


def _command(commands: Any, name: str, summary: str, description: str, parents: list[argparse.ArgumentParser]):
    return commands.add_parser(
        name, help=summary, description=textwrap.fill(description, 100), parents=parents,
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _shared_options() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The parent parsers of the commands: -s/--stack (as Pulumi takes it; $PULUMI_STACK when
    none is given), and -o/--output."""
    stack = argparse.ArgumentParser(add_help=False)
    default = os.environ.get("PULUMI_STACK") or None
    stack.add_argument(
        "-s", "--stack", required=default is None, default=default, type=_stack,
        help="stack: NAME, ORG/NAME or ORG/PROJECT/NAME (default: $PULUMI_STACK)",
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument(
        "-o", "--output", choices=("text", "json"), default="text",
        help="text (default) or json: one JSON document on stdout (fields: docs/check-and-render.md, docs/audit.md)",
    )
    return stack, output


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flux-bootstrap", description=textwrap.fill(DESCRIPTION, 100), epilog=EXIT_CODES + "\n\nflux-bootstrap COMMAND --help: a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument(
        "--project-dir", type=Path,
        help="folder holding Pulumi.yaml (default: the current folder or its nearest parent with one)",
    )
    stack, output = _shared_options()
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command", required=True)
    check_parser = _command(commands, "check", "validate a stack's settings, config files and every object it emits",
                            "Validate a stack's configuration and every object `pulumi up` would create; "
                            "print the cluster it targets.", [stack, output])
    check_parser.add_argument(
        "--no-token", action="store_true",
        help="do not require a GitHub token (CI without secrets); a token that is present is still checked",
    )
    check_parser.add_argument("--strict", action="store_true", help="warnings fail the check (exit 1)")
    check_parser.set_defaults(func=run_check)
    render_parser = _command(commands, "render", "print the Kubernetes objects `pulumi up` applies, as YAML",
                             "Print the Kubernetes objects `pulumi up` applies (Secret data redacted), as "
                             "multi-document YAML for kubectl or kubeconform.", [stack, output])
    view = render_parser.add_mutually_exclusive_group()
    view.add_argument("--chart", action="store_true",
                      help="also print every object the Helm chart installs (carried chart versions)")
    view.add_argument("--values", action="store_true",
                      help="print instead what the Helm release gets: name, chart, version, namespace, values")
    render_parser.set_defaults(func=run_render)
    _add_audit(commands, output)
    return parser


def _add_audit(commands: Any, output: argparse.ArgumentParser) -> None:
    audit_parser = _command(commands, "audit", "find plain-text secrets and SOPS problems in a manifests checkout",
                            "Find plain-text secrets and SOPS problems in a local checkout of the repository "
                            "Flux syncs (docs/audit.md).", [output])
    audit_parser.add_argument("checkout", type=Path, help="local checkout of the manifests repository")
    audit_parser.add_argument("--path", help="audit only this folder of the checkout (default: clusters/<stack> with --stack)")
    audit_parser.add_argument(
        "-s", "--stack", type=_stack, help="stack: its Kustomization path (unless --path) and its SOPS recipient (unless --recipient)"
    )
    audit_parser.add_argument(
        "--recipient", action="append", default=[], metavar="AGE1...", help="the stack's age recipient (repeatable)"
    )
    audit_parser.add_argument("--strict", action="store_true", help="fail (exit 1) on anything not checked: files not read, long lines")
    audit_parser.set_defaults(func=run_audit)


def _project_dir(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Path | None:
    """The project folder; a usage error when the command needs one (it names a stack) and there is none."""
    if args.project_dir:
        project_dir = _given_project_dir(parser, args.project_dir)
        if args.stack is not None and not present(project_dir / "Pulumi.yaml"):
            parser.error("--project-dir: that folder holds no Pulumi.yaml; pass the folder of the flux-bootstrap project")
        return project_dir
    project_dir = find_project_dir(Path.cwd())
    if project_dir is None and args.stack is not None:
        parser.error("no Pulumi.yaml in this folder or above it: run in the flux-bootstrap project, or pass --project-dir")
    return project_dir


def secret_arguments(argv: list[str], environ: Mapping[str, str]) -> list[str]:
    """Why each command-line argument (and $PULUMI_STACK, the default stack) that looks like a
    secret is refused, before argparse could echo it: where it is and what it looks like, never it."""
    given = [(f"argument {number}{_after(argv, number)}", text) for number, text in enumerate(argv, start=1)]
    given.append(("$PULUMI_STACK", environ.get("PULUMI_STACK") or ""))
    refused = []
    for where, text in given:
        finding = detect(text)
        if finding is not None:
            belongs = ("an identity is the private key; pass the recipient, the age public key (age1..., what "
                       "age-keygen -y prints)") if finding.kind == AGE_KEY else "no secret belongs on a command line"
            refused.append(f"flux-bootstrap: {where} looks like {finding.label}; {belongs}. Nothing was run; "
                           "the value is not shown. If it was ever shared (a shell history, a CI log), revoke or rotate it.")
    return refused


def _after(argv: list[str], number: int) -> str:
    """` (the value of --stack)` when an option name precedes or leads the argument."""
    text = argv[number - 1]
    option = text.split("=", 1)[0] if text.startswith("--") and "=" in text else (argv[number - 2] if number > 1 else "")
    return f" (the value of {option})" if option.startswith("-") and is_showable(option.lstrip("-")) else ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    refused = secret_arguments(argv, os.environ)
    if refused:
        print("\n".join(refused), file=sys.stderr)
        return USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    project_dir = _project_dir(parser, args)
    try:
        return args.func(args, project_dir)
    except UsageError as err:  # a stack that is not set up here
        print(err, file=sys.stderr)
        return USAGE
