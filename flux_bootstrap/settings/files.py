"""The two config files of the user docs: config/flux.yaml and config/secrets-flux.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from ..bounded_read import UnreadableFile, present, read_bytes_bounded
from ..errors import Problem
from ..yaml_source import EmptyFile, YamlDocument, read_mapping
from .fields import BranchName, RepoUrlSetting, Token
from .messages import location, messages
from .secret_screen import document_problems, screened_over

FLUX_FILE = "flux.yaml"
SECRETS_FILE = "secrets-flux.yaml"
TOKEN_SETTING = "githubToken"  # the stack setting that replaces the secrets file
EXAMPLE_REPO = "username/manifests"  # the user docs' example: a sign the file was not edited


class FluxFile(BaseModel):
    """config/flux.yaml, exactly the documented schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repo: RepoUrlSetting
    branch: BranchName | None = None


class SecretsFile(BaseModel):
    """config/secrets-flux.yaml, exactly the documented schema."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    token: Token


def display_path(path: Path, project_dir: Path) -> str:
    """A path as the user knows it: relative to the project when inside it.

    Only the folder is resolved, not the file: a file that is a symbolic link keeps the name the
    user gave it, and one that loops is still named (Path.resolve raises on a loop)."""
    try:
        resolved, base = path.parent.resolve() / path.name, project_dir.resolve()
    except (OSError, RuntimeError):  # a symbolic link loop on the way (RuntimeError before Python 3.13)
        resolved, base = path, project_dir
    try:
        return str(resolved.relative_to(base))
    except ValueError:  # outside the project
        return str(path)


def read_flux_file(config_dir: Path, project_dir: Path, project: str, *, required: bool) -> tuple[FluxFile | None, list[Problem]]:
    """config/flux.yaml, or None with its problems (none when it is not required and absent)."""
    path = config_dir / FLUX_FILE
    source = display_path(path, project_dir)
    if not required and not present(path):
        return None, []
    hint = (
        "Create it with a line `repo: https://github.com/OWNER/NAME` (and optionally `branch: main`), "
        f"or give the repository as a stack setting: pulumi config set {project}:repo URL"
    )
    document, found = read_mapping(path, source, hint)
    if any(isinstance(p, EmptyFile) for p in found):
        found = [Problem(source, f"the file is empty, but `repo` is required. {hint}", field="repo")]
    flux_file, invalid = validate_document(FluxFile, document, source)
    # A secret typed where a name, a URL or a branch belongs: the screen's words replace the field's.
    return flux_file, found + screened_over(invalid, document_problems(document, source))


def read_secrets_file(path: Path, project_dir: Path) -> tuple[SecretStr | None, list[Problem]]:
    """The token of config/secrets-flux.yaml, or None with the file's problems."""
    source = display_path(path, project_dir)
    hint = (
        f"Give the GitHub token one of two ways: create {source} with a line `token: \"...\"` "
        f"(see {source}.example), or store it in the stack: pulumi config set --secret {TOKEN_SETTING}"
    )
    document, found = read_mapping(path, source, hint)
    if any(isinstance(p, EmptyFile) for p in found):
        found = [Problem(source, f"the file is empty, but `token` is required. {hint}", field="token")]
    secrets, invalid = validate_document(SecretsFile, document, source)
    return (secrets.token if secrets else None), found + invalid


def read_secret_text(path: Path, source: str, max_size: int, expected: str) -> str:
    """A small text file holding a key, read bounded; UnreadableFile (its problem) when it cannot be
    read as text. Its content never reaches a message."""
    data = read_bytes_bounded(path, source, max_size, expected=expected, missing="file not found.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnreadableFile(Problem(source, "is not UTF-8 text.")) from None


def validate_document(model: type[BaseModel], document: YamlDocument | None, source: str) -> tuple[Any, list[Problem]]:
    """The document as `model`, or None with every problem (file, line, field)."""
    if document is None:
        return None, []
    try:
        return model.model_validate(document.data), []
    except ValidationError as err:
        problems = []
        for error, message in messages(err, "field"):
            name = location(error)
            line = document.line(*[str(p) for p in error["loc"]]) if name else None
            problems.append(Problem(source, message, field=name, line=line))
        return None, problems
