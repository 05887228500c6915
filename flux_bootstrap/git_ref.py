"""Git branch names, checked by the rules of `git check-ref-format --branch`."""

from __future__ import annotations

_FORBIDDEN_CHARS = set(" ~^:?*[\\")


def branch_name_problem(name: str) -> str | None:
    """Return why `name` is not a valid branch name, or None when it is valid."""
    if not name:
        return "is empty"
    if name.startswith("-"):
        return "cannot start with '-'"
    if name == "HEAD":
        return "cannot be 'HEAD'"
    for char in name:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return "contains a control character"
        if char in _FORBIDDEN_CHARS:
            shown = "a space" if char == " " else f"'{char}'"
            return f"contains {shown}"
    if ".." in name:
        return "contains '..'"
    if "@{" in name:
        return "contains '@{'"
    if name.startswith("/") or name.endswith("/"):
        return "cannot start or end with '/'"
    if "//" in name:
        return "contains '//'"
    if name.endswith("."):
        return "cannot end with '.'"
    for component in name.split("/"):
        if component.startswith("."):
            return "has a part starting with '.'"
        if component.endswith(".lock"):
            return "has a part ending with '.lock'"
    return None
