"""Our wording for pydantic's validation errors, built without the input value."""

from __future__ import annotations

from pydantic import ValidationError


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
