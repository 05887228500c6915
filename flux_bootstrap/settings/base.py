"""The base of every settings group, and the outside facts its rules read.

A group is validated from the stack settings of its concern (by their stack names) with `Facts`
as pydantic's validation context: what the group's own fields cannot tell (the repository and
its host, the chart version, the project and stack names, the config folder). Without a context
(a group built in a test) the rules that need a fact are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, ValidationInfo

from ..git_url import RepoUrl
from .files import FluxFile


class Group(BaseModel):
    """Some settings of one concern. Unknown names are refused, not ignored; stack input arrives by
    stack name (aliases), and only known names reach a group (resolve refuses the others)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class Facts:
    project: str
    stack: str
    project_dir: Path
    config_dir: Path | None  # None when unusable (its own problem): no file beside it is read
    github_url: str | None = None  # the githubUrl setting when valid: its host follows GitHub's rules
    flux_file: FluxFile | None = None  # config/flux.yaml when read and valid
    flux_file_source: str = ""
    repo: RepoUrl | None = None  # None while unknown (the source group, or a problem of its own)
    chart_version: str | None = None  # None when the chartVersion setting is refused
    read_only_deploy_key: bool = False  # Flux reads through a deploy key this program registers read-only

    def setting_source(self, name: str) -> str:
        return f"stack setting {self.project}:{name}"


def facts(info: ValidationInfo) -> Facts | None:
    return info.context if isinstance(info.context, Facts) else None


def file_facts(info: ValidationInfo) -> Facts | None:
    """The facts, when the files beside the config files can be read."""
    known = facts(info)
    return known if known is not None and known.config_dir is not None else None


def refuse_when(message: str | Callable[[Any], str], given: Callable[[Any], bool] = lambda v: v is not None):
    """An after-validator refusing a value that is `given` (a setting of another mode)."""
    def check(value: Any) -> Any:
        if given(value):
            raise ValueError(message(value) if callable(message) else message)
        return value
    return check
