"""Git branch names, checked by the rules of `git check-ref-format --branch`."""

from __future__ import annotations

_FORBIDDEN_CHARS = set(" ~^:?*[\\")


def check_branch_name(name: str) -> str:
    """`name` when git takes it as a branch; else ValueError, worded to follow "it" ("contains '..'")."""
    if not name:
        raise ValueError("is empty")
    if name.startswith("-"):
        raise ValueError("cannot start with '-'")
    if name == "HEAD":
        raise ValueError("cannot be 'HEAD'")
    for char in name:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            raise ValueError("contains a control character")
        if char in _FORBIDDEN_CHARS:
            shown = "a space" if char == " " else f"'{char}'"
            raise ValueError(f"contains {shown}")
    if ".." in name:
        raise ValueError("contains '..'")
    if "@{" in name:
        raise ValueError("contains '@{'")
    if name.startswith("/") or name.endswith("/"):
        raise ValueError("cannot start or end with '/'")
    if "//" in name:
        raise ValueError("contains '//'")
    if name.endswith("."):
        raise ValueError("cannot end with '.'")
    for component in name.split("/"):
        if component.startswith("."):
            raise ValueError("has a part starting with '.'")
        if component.endswith(".lock"):
            raise ValueError("has a part ending with '.lock'")
    return name
