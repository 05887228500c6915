"""Which cluster `pulumi up` would deploy a stack to, as far as that is known offline.

The program hands the stack's standard `kubernetes:context`, `kubernetes:kubeconfig` and
`kubernetes:cluster` settings to its Kubernetes provider (components/stack_config.py,
`kubernetes_target`). Without a context, the provider uses the current context of the kubeconfig,
as kubectl does: the stack's `kubernetes:kubeconfig` when it has one, else the files of
$KUBECONFIG (the first that sets a current context wins), else ~/.kube/config. So a stack that
pins no context deploys to whatever context is current when `pulumi up` runs.

From a kubeconfig only the `current-context` name is read, with the project's safe YAML reader:
never its clusters, users or credentials, and no message quotes its content.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .errors import Problem
from .secret_detector import detect
from .settings import SecretValue, StackValue
from .stack_file import KUBERNETES_SETTINGS
from .yaml_source import EmptyFile, YamlDocument, parse_mapping, read_mapping

# Kubeconfigs embed certificates: far larger than our config files, still never megabytes.
MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024
MAX_SHOWN_NAME = 253
CURRENT_MARK = "current kubectl context: pulumi up would use it"


@dataclass(frozen=True)
class ClusterTarget:
    line: str  # what `check` prints after "target: "
    warning: str | None = None


@dataclass(frozen=True)
class CurrentContext:
    name: str | None  # None when no kubeconfig sets one, or it cannot be read
    where: str  # the kubeconfig(s) it comes from, as the user knows them
    problem: Problem | None = None


def cluster_target(
    stack: str, settings: Mapping[str, StackValue], project_dir: Path, environ: Mapping[str, str], home: Path
) -> ClusterTarget:
    """The cluster of `stack` from its `kubernetes:*` settings, else the current kubectl context."""
    context, kubeconfig, cluster = (settings.get(name) or None for name in KUBERNETES_SETTINGS)  # "" is unset
    notes = [] if kubeconfig is None else ["in its kubernetes:kubeconfig"]
    if isinstance(cluster, str) and cluster:
        notes.append(f"cluster {_shown(cluster)}")
    if isinstance(context, SecretValue):
        return ClusterTarget(f"the kubernetes:context of stack {stack}, encrypted ({', '.join(['not shown', *notes])})")
    if isinstance(context, str):
        return ClusterTarget(f"kubernetes context {_shown(context)} ({', '.join([f'kubernetes:context of stack {stack}', *notes])})")
    current = current_context(kubeconfig, project_dir, environ, home)
    if current.problem is not None:
        where = _shown_path(current.problem.source)
        why = current.problem.describe() if where == current.problem.source else "cannot be read"
        line = f"unknown: cannot read the current context: {where}: {why}"
    elif current.name is None:
        line = (f"no kubectl context: no kubernetes:context in the stack and no current context in {_shown_path(current.where)} "
                "(pulumi up would find no cluster)")
    else:
        mark = CURRENT_MARK if kubeconfig is None else "current context of the stack's kubernetes:kubeconfig: pulumi up would use it"
        line = f"kubernetes context {_shown(current.name)} ({mark})"
    return ClusterTarget(line, _pin_warning(stack, current))


def _pin_warning(stack: str, current: CurrentContext) -> str:
    name = current.name if current.name is not None and _showable(current.name) else None
    now = f" (now {name}, from {_shown_path(current.where)})" if name else ""
    command = f"pulumi config set -s {shlex.quote(stack)} kubernetes:context {shlex.quote(name) if name else '<name>'}"
    hint = "" if name else " (kubectl config get-contexts lists the names)"
    return (
        f"stack {stack} pins no kubernetes context, so pulumi up deploys to whichever context is current "
        f"when it runs{now}. Pin it: {command}{hint}"
    )


def current_context(
    kubeconfig: StackValue | None, project_dir: Path, environ: Mapping[str, str], home: Path
) -> CurrentContext:
    """The current context the provider would use: of the stack's kubeconfig (a path or the
    content itself), else of $KUBECONFIG's files, else of ~/.kube/config."""
    own = "the stack's kubernetes:kubeconfig"
    files = _Files(project_dir, home)
    if isinstance(kubeconfig, SecretValue):
        return CurrentContext(None, own, Problem(own, "is encrypted, so its current context is not known offline."))
    if isinstance(kubeconfig, dict):  # written as YAML in the stack file: Pulumi hands it on as JSON text
        return _from_document(YamlDocument(kubeconfig), [], own)
    if isinstance(kubeconfig, list):
        return CurrentContext(None, own, Problem(own, "is a list: set it to the path of a kubeconfig or its content."))
    if kubeconfig is not None:
        if "\n" in kubeconfig:  # the kubeconfig itself, not a path to it
            return _from_document(*parse_mapping(kubeconfig, own, max_bytes=MAX_KUBECONFIG_BYTES), own)
        # The provider expands a leading ~ here; in $KUBECONFIG the shell does.
        path = home / kubeconfig[2:] if kubeconfig.startswith("~/") else Path(kubeconfig)
        return files.first_context([path], required=True)
    listed = [Path(p) for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return files.first_context(listed or [home / ".kube" / "config"], required=False)


@dataclass(frozen=True)
class _Files:
    project_dir: Path  # where pulumi runs the program: relative paths start there
    home: Path

    def first_context(self, paths: list[Path], *, required: bool) -> CurrentContext:
        """The first current context set by one of `paths`, as kubectl merges them; a missing
        file is skipped (kubectl does the same), unless it is the stack's own kubeconfig."""
        paths = [self.project_dir / p for p in paths]  # an absolute p stays as it is
        for path in paths:
            if not required and not path.exists():
                continue
            source = self.display(path)
            hint = "pulumi up would not find it either."
            found = _from_document(*read_mapping(path, source, hint, max_bytes=MAX_KUBECONFIG_BYTES), source)
            if found.name is not None or found.problem is not None:
                return found
        return CurrentContext(None, " and ".join(self.display(p) + ("" if p.exists() else " (no such file)") for p in paths))

    def display(self, path: Path) -> str:
        """Relative to the project or as ~/..., whichever folder is nearer, else absolute."""
        for base, prefix in sorted([(self.project_dir, ""), (self.home, "~/")], key=lambda b: -len(b[0].parts)):
            if path.is_relative_to(base):
                return prefix + str(path.relative_to(base))
        return str(path)


def _from_document(document: YamlDocument | None, problems: list[Problem], where: str) -> CurrentContext:
    if document is None:  # an empty kubeconfig is no error for kubectl: it sets no context
        return CurrentContext(None, where, None if isinstance(problems[0], EmptyFile) else problems[0])
    name = document.data.get("current-context")
    return CurrentContext(name if isinstance(name, str) and name else None, where)


def _showable(name: str) -> bool:
    return 0 < len(name) <= MAX_SHOWN_NAME and name.isprintable() and detect(name) is None


def _shown(name: str) -> str:
    """A context or cluster name: printed as it is unless it holds control characters, is absurdly
    long, or looks like a secret (a token typed where the name goes)."""
    return name if _showable(name) else "(a name that cannot be shown)"


def _shown_path(text: str) -> str:
    """A kubeconfig path as the user gave it, unless some of it looks like a secret."""
    return text if detect(text) is None else "(a path that looks like a secret, not shown)"
