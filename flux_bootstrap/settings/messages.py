"""Our wording for pydantic's validation errors, built without the input value, and their Problems.

Leaf checks raise ValueError in our words. A check whose refusal belongs somewhere else than the
field it validates raises `Refusal` (at another setting, or with a Problem of its own, such as one
in a key file beside the config files); one that finds several at once raises `Refusals`. The
aggregator (`validate`) turns every error of one validation into Problems, in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import Problem


class Refusal(ValueError):
    """A refusal reported at the stack setting (key path) `at`, or as `problem` (a file's)."""

    def __init__(self, message: str, *, at: str | None = None, problem: Problem | None = None):
        super().__init__(message)
        self.at, self.problem = at, problem

    @classmethod
    def of(cls, problem: Problem) -> Refusal:
        return cls(problem.message, problem=problem)


class Refusals(ValueError):
    """Several refusals of one check, each reported on its own."""

    def __init__(self, refusals: Iterable[ValueError]):
        self.refusals = list(refusals)
        super().__init__("; ".join(str(r) for r in self.refusals))


def raise_all(found: list[ValueError]) -> None:
    if len(found) == 1:
        raise found[0]
    if found:
        raise Refusals(found)


def messages(err: ValidationError, label: str) -> list[tuple[dict, str]]:
    """(error, message) for each error; `label` is "field" or "setting"."""
    out = []
    for error in err.errors(include_url=False, include_input=False, include_context=True):
        kind = error["type"]
        if kind == "missing":
            message = "is required but missing. Add it."
        elif kind == "extra_forbidden":
            message = f"is not a known {label}. Check the spelling, or remove it."
        elif kind in ("string_type", "string_sub_type"):
            message = "must be a string. Quote the value in YAML."
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        elif kind == "literal_error":
            message = f"must be one of: {error['ctx']['expected']}."
        elif kind == "string_too_short":
            message = "must not be empty."
        else:
            message = error["msg"].rstrip(".") + "."
        out.append((error, message))
    return out


def location(error: dict) -> str | None:
    """The dotted path of the erroneous field ("tolerations.0.key"), None for the whole document."""
    return ".".join(str(part) for part in error["loc"]) or None


@dataclass(frozen=True)
class StackPlace:
    """Where stack settings come from: problems are named `project:setting`, with their line when known."""

    project: str
    source: str
    lines: Mapping[str, int] = field(default_factory=dict)

    def __call__(self, name: str, message: str, *, hides_others: bool = False) -> Problem:
        return Problem(self.source, message, field=f"{self.project}:{name}", line=self.lines.get(name.split(".")[0]),
                       label="setting", hides_others=hides_others)


def validate(schema: TypeAdapter | type[BaseModel], data: Mapping[str, Any], context: object, place: StackPlace, *,
             tag: str | None = None, hiding: frozenset[str] | set[str] = frozenset(),
             models: tuple[type[BaseModel], ...] = ()) -> tuple[Any, list[Problem]]:
    """`data` (stack settings by name) as `schema`, or None with every problem.

    `tag`: the schema is a union of `models` tagged by that setting; its mode leads each error
    location, and a refused mode hides the checks of the mode's settings, as a refused setting named
    in `hiding` does. A default's error is named by the field's stack name too."""
    adapter = schema if isinstance(schema, TypeAdapter) else TypeAdapter(schema)
    models = models or ((schema,) if isinstance(schema, type) else ())
    names = {name: f.alias for model in models for name, f in model.model_fields.items() if f.alias}
    try:
        return adapter.validate_python(dict(data), context=context), []
    except ValidationError as err:
        problems = []
        for error, message in messages(err, "setting"):
            loc = [str(part) for part in error["loc"]]
            if tag is not None:
                loc = loc[1:] if loc else [tag]
            if loc:
                loc[0] = names.get(loc[0], loc[0])
            at = ".".join(loc) or "?"
            hides = at in hiding or (tag is not None and at == tag and error["type"] == "mode_error")
            problems.extend(_problems(error.get("ctx", {}).get("error"), at, message, place, hides))
        return None, problems


def _problems(error: object, at: str, message: str, place: StackPlace, hides: bool) -> list[Problem]:
    if isinstance(error, Refusals):
        return [p for inner in error.refusals for p in _problems(inner, at, str(inner), place, hides)]
    if isinstance(error, Refusal):
        if error.problem is not None:
            return [error.problem]
        return [place(error.at or at, message)]
    return [place(at, message, hides_others=hides)]
