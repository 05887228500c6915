"""Field types shared by the config files and the stack settings.

Each validator raises ValueError with our own words, never the value. Lengths are bounded
before any pattern runs: a value Git, GitHub, Kubernetes or Flux cannot store is refused fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Callable, TypeVar

from pydantic import AfterValidator, BeforeValidator, PlainValidator, SecretStr, StrictStr

from ..git_ref import check_branch_name
from ..git_url import RepoUrl, parse_repo_url

MAX_BRANCH_BYTES = 255  # a ref is a file name in Git's ref store: one path component at most
MAX_PATH_LENGTH = 1024
MAX_PATH_PART_BYTES = 255  # one file or folder name
MAX_TOKEN_LENGTH = 255  # GitHub tokens are far shorter (fine-grained: 93 characters)
MAX_SHORT_TEXT = 64  # durations, versions, enumerations
MAX_FOLDER_LENGTH = 4096  # PATH_MAX
# Go's time.Duration (Flux parses intervals with it) holds at most 2^63-1 nanoseconds.
MAX_DURATION_NS = 2**63 - 1
# The placeholders of the user docs and of secrets-flux.yaml.example.
_PLACEHOLDER = re.compile(r"ghp_x{20,}|.*your[-_]token.*", re.IGNORECASE | re.ASCII)

_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+", re.ASCII)  # the Flux CRDs' interval pattern
_DURATION_PART = re.compile(r"([0-9]+)(?:\.([0-9]+))?(ms|s|m|h)", re.ASCII)
_NS = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?",
    re.ASCII,
)


@dataclass(frozen=True)
class SecretValue:
    """A stack setting stored with `--secret`. `plaintext` is None where it was not decrypted
    (the offline check only checks that it is present)."""

    plaintext: str | None

    def __repr__(self) -> str:  # never show the value, even in a debugger or a test failure
        return "SecretValue(<hidden>)" if self.plaintext is not None else "SecretValue(<encrypted>)"


# A stack setting as the program or `check` hands it over: text, a secret, or a structured
# value (object or list) for the settings that take one.
StackValue = str | SecretValue | dict | list


T = TypeVar("T")
# A check of a value: when the test holds, the value is refused with the message.
Rule = tuple[Callable[[Any], object], str]


def refusing(*rules: Rule) -> Callable[[T], T]:
    """A validator that returns the value unchanged, or refuses it with the message of the first
    rule whose test holds (in order: an earlier, more basic problem is the one shown)."""
    def check(value: T) -> T:
        for test, message in rules:
            if test(value):
                raise ValueError(message)
        return value
    return check


def unmatched(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """The test of a rule for text that must match `pattern` as a whole."""
    return lambda value: not pattern.fullmatch(value)


def _too_long(value: str, limit: int, *, unit: str = "characters") -> bool:
    size = len(value.encode("utf-8")) if unit == "bytes" else len(value)
    return size > limit


def _repo(value: object) -> RepoUrl:
    """Any host's URL; a GitHub Enterprise host (githubUrl) gets GitHub's rules in settings.auth."""
    if isinstance(value, RepoUrl):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a string (a repository URL).")
    return parse_repo_url(value)


def _branch(value: str) -> str:
    if _too_long(value, MAX_BRANCH_BYTES, unit="bytes"):
        raise ValueError(f"is longer than {MAX_BRANCH_BYTES} bytes, more than Git can store as a branch name.")
    try:
        return check_branch_name(value)
    except ValueError as err:
        raise ValueError(f"is not a valid Git branch name: it {err}. Use a name `git branch` accepts.") from None


def _token(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


_token_text = refusing(
    (lambda token: not token,
     "is empty. Put your GitHub token there (fine-grained: Metadata read, Administration read/write)."),
    (lambda token: len(token) > MAX_TOKEN_LENGTH,
     f"is longer than {MAX_TOKEN_LENGTH} characters, which no GitHub token is. Paste the token alone."),
    (lambda token: any(c.isspace() for c in token),
     "contains whitespace inside the token. Paste the token again, on one line."),
    (lambda token: not token.isascii() or not token.isprintable(),
     "contains characters a GitHub token never has. Paste the token again."),
    (_PLACEHOLDER.fullmatch, "is still the example placeholder. Replace it with your own GitHub token."),
)


def _token_present(value: SecretStr) -> SecretStr:
    _token_text(value.get_secret_value())
    return value


def _path_parts(text: str) -> list[str]:
    return [part for part in text.split("/") if part not in ("", ".")]


_path_text = refusing(
    (lambda text: not text, "is empty. Give a folder of the repository, such as clusters/dev."),
    (lambda text: len(text) > MAX_PATH_LENGTH,
     f"is longer than {MAX_PATH_LENGTH} characters. Give a folder of the repository, such as clusters/dev."),
    (lambda text: text.startswith("/"), "must be relative to the repository root: remove the leading '/'."),
    (lambda text: "\\" in text, "must use '/' between folders, not '\\'."),
    (lambda text: not text.isprintable(), "contains a control character."),
    (lambda text: ".." in _path_parts(text), "must not contain '..': it must stay inside the repository."),
    (lambda text: any(len(part.encode("utf-8")) > MAX_PATH_PART_BYTES for part in _path_parts(text)),
     f"has a folder name longer than {MAX_PATH_PART_BYTES} bytes, more than Git can store."),
)


def normalise_path(value: str) -> str:
    return "/".join(_path_parts(_path_text(value.strip())))  # "" is the repository root


def _interval(value: str) -> str:
    if len(value) > MAX_SHORT_TEXT or not _DURATION.fullmatch(value):
        raise ValueError("is not a Flux duration. Use a number and a unit (ms, s, m, h), such as 1m, 90s or 1h30m.")
    total = 0
    for whole, fraction, unit in _DURATION_PART.findall(value):
        scale = _NS[unit]
        total += int(whole) * scale
        if fraction:
            total += int(fraction) * scale // 10 ** len(fraction)
    if total <= 0:
        raise ValueError("must be longer than zero, such as 1m.")
    if total > MAX_DURATION_NS:
        raise ValueError("is longer than Flux can count (about 292 years, Go's longest duration). Use a shorter one, such as 1h.")
    return value


def _chart_version(value: str) -> str:
    if len(value) > MAX_SHORT_TEXT or not _SEMVER.fullmatch(value):
        raise ValueError("must be an exact chart version such as 2.18.3 (no 'v', no range), so installs are reproducible.")
    return value


def folder(value: str) -> str:
    if not value:
        raise ValueError("must not be empty.")
    if (
        len(value) > MAX_FOLDER_LENGTH
        or not value.isprintable()
        or any(len(part.encode("utf-8")) > MAX_PATH_PART_BYTES for part in value.split("/"))
    ):
        raise ValueError("is not a usable folder path (too long, or with control characters).")
    return value


def stack_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be true or false.")


RepoUrlSetting = Annotated[RepoUrl, PlainValidator(_repo)]
BranchName = Annotated[StrictStr, AfterValidator(_branch)]
Token = Annotated[SecretStr, BeforeValidator(_token), AfterValidator(_token_present)]
RepoPath = Annotated[StrictStr, AfterValidator(normalise_path)]
Interval = Annotated[StrictStr, AfterValidator(_interval)]
ChartVersion = Annotated[StrictStr, AfterValidator(_chart_version)]
Folder = Annotated[StrictStr, AfterValidator(folder)]
StackBool = Annotated[bool, PlainValidator(stack_bool)]
