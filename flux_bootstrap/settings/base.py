"""The base of every settings group, and the outside facts its rules read.

A group is validated from the stack settings of its concern (by their stack names) with `Facts`
as pydantic's validation context: what the group's own fields cannot tell (the repository and
its host, the chart version, the project and stack names, the config folder). Without a context
(a group built in a test) the rules that need a fact are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationInfo, field_validator
from pydantic.fields import FieldInfo

from ..git_url import RepoUrl
from .fields import refusing
from .files import FluxFile


class Group(BaseModel):
    """Some settings of one concern. Unknown names are refused, not ignored; stack input arrives by
    stack name (aliases), and only known names reach a group (resolve refuses the others)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class Facts:
    """What a group cannot tell from its own settings, given to its validators as pydantic's
    validation context; resolve fills in what an earlier group resolved before the later ones."""

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


def facts_validator(*fields: str, needs_repo: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """A field validator for a rule that reads the facts: `rule(value, known, info)`. Without the
    facts (or, with `needs_repo`, while the repository is unknown) the value passes as given: the
    rule cannot be judged, and the missing fact is someone else's problem."""
    def decorate(rule: Callable[[Any, Facts, ValidationInfo], Any]) -> Any:
        # Not functools.wraps: pydantic reads the signature, which must stay (value, info).
        def validator(cls: type, value: Any, info: ValidationInfo) -> Any:
            known = facts(info)
            if known is None or (needs_repo and known.repo is None):
                return value
            return rule(value, known, info)
        validator.__name__, validator.__qualname__ = rule.__name__, rule.__qualname__
        return field_validator(*fields)(classmethod(validator))
    return decorate


def known_kind(info: ValidationInfo) -> str | None:
    """The repository's kind of host, when the rules run with the facts and the repository is known."""
    known = facts(info)
    return known.repo.kind if known is not None and known.repo is not None else None


def with_key_source(data: Any, info: ValidationInfo, *, setting: str, field: str, source_field: str,
                    key_file: str) -> Any:
    """`data` with where a key comes from (`source_field`): the stack setting when given, else its
    file beside the config files; unchanged without the facts or a usable config folder."""
    from .files import display_path

    known = facts(info)
    if not isinstance(data, dict) or data.get(source_field) or known is None or known.config_dir is None:
        return data
    given = data.get(setting, data.get(field)) is not None
    where = known.setting_source(setting) if given else display_path(known.config_dir / key_file, known.project_dir)
    return {**data, source_field: where}


def file_facts(info: ValidationInfo) -> Facts | None:
    """The facts, when the files beside the config files can be read."""
    known = facts(info)
    return known if known is not None and known.config_dir is not None else None


@dataclass(frozen=True)
class OtherMode(AfterValidator):
    """Marks a field of a mode's model as a setting of another mode, refused when given."""


def other_mode(message: str, given: Callable[[Any], bool] = lambda v: v is not None) -> OtherMode:
    """Refuses a value that is `given` (by default: any) with `message`, after its own type's checks."""
    return OtherMode(refusing((given, message)))


def is_other_mode(field: FieldInfo) -> bool:
    return any(isinstance(m, OtherMode) for m in field.metadata)


def derived(default: Any) -> Any:
    """A field the group fills itself (where a value came from), never a stack setting."""
    return Field(default, json_schema_extra={"derived": True})


def is_derived(field: FieldInfo) -> bool:
    return isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("derived") is True


@dataclass(frozen=True)
class GroupSchema:
    """A settings group as resolve validates it: its model, or its modes' models tagged by `tag`."""

    attribute: str  # the Settings field it becomes
    models: tuple[type[Group], ...]
    tag: str | None = None  # the setting that chooses the mode
    adapter: TypeAdapter | None = None  # the tagged union of `models`

    @property
    def schema(self) -> TypeAdapter | type[Group]:
        return self.adapter or self.models[0]

    @cached_property
    def names(self) -> tuple[str, ...]:
        """Its settings' stack names, in declaration order."""
        return tuple(self.fields())

    def fields(self) -> dict[str, FieldInfo]:
        """Each setting's field by stack name, as the user sets it: the mode's own (never a field that
        refuses it), and the mode itself with every mode allowed, the first one by default."""
        found: dict[str, FieldInfo] = {}
        for model in self.models:
            for name, field in model.model_fields.items():
                stack_name = field.alias or name
                if stack_name == self.tag:
                    modes = tuple(m.model_fields[name].annotation.__args__[0] for m in self.models)
                    described = Field(modes[0], description=self.models[0].model_fields[name].description)
                    found[stack_name] = FieldInfo.from_annotated_attribute(Literal[modes], described)
                elif not is_derived(field) and (stack_name not in found or is_other_mode(found[stack_name])):
                    found[stack_name] = field
        return found
