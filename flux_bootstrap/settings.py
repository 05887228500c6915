"""Config files and stack settings → one validated `Settings` object.

Sources, highest precedence first:
- stack settings (`flux-bootstrap:*` in Pulumi.<stack>.yaml), given here as plain values;
- `config/flux.yaml` (repo, branch) and `config/secrets-flux.yaml` (token), in `configDir`.
Each field is taken from the highest source that sets it. Every problem of every source is
collected and raised at once as a ConfigError; no message contains an input value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SecretStr,
    StrictStr,
    ValidationError,
)

from .errors import ConfigError, Problem
from .git_ref import branch_name_problem
from .github_repo import GitHubRepo, parse_github_repo
from .yaml_source import YamlDocument, read_mapping

PROJECT = "flux-bootstrap"  # the Pulumi project name; it namespaces the stack settings
DEFAULT_CHART_VERSION = "2.18.3"  # fluxcd-community flux2 chart = Flux 2.8.5
DEFAULT_INTERVAL = "1m"
DEFAULT_CONFIG_DIR = "config"
FLUX_FILE = "flux.yaml"
SECRETS_FILE = "secrets-flux.yaml"
KeyAlgorithm = Literal["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-4096"]

_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+")  # the Flux CRDs' interval pattern
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*)?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


@dataclass(frozen=True)
class SecretValue:
    """A stack setting stored with `--secret`. `plaintext` is None where it was not decrypted
    (the offline check only checks that it is present)."""

    plaintext: str | None

    def __repr__(self) -> str:  # never show the value, even in a debugger or a test failure
        return "SecretValue(<hidden>)" if self.plaintext is not None else "SecretValue(<encrypted>)"


StackValue = str | SecretValue


# --- field types: each validator raises ValueError with our own words, never the value ---------


def _repo(value: object) -> GitHubRepo:
    if isinstance(value, GitHubRepo):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a string (a GitHub repository URL).")
    return parse_github_repo(value)


def _branch(value: str) -> str:
    problem = branch_name_problem(value)
    if problem:
        raise ValueError(f"is not a valid Git branch name: it {problem}. Use a name `git branch` accepts.")
    return value


def _token(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _token_present(value: SecretStr) -> SecretStr:
    token = value.get_secret_value()
    if not token:
        raise ValueError("is empty. Put your GitHub token there (fine-grained: Metadata read, Administration read/write).")
    if any(c.isspace() for c in token):
        raise ValueError("contains whitespace inside the token. Paste the token again, on one line.")
    return value


def _path(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("is empty. Give a folder of the repository, such as clusters/dev.")
    if text.startswith("/"):
        raise ValueError("must be relative to the repository root: remove the leading '/'.")
    if "\\" in text:
        raise ValueError("must use '/' between folders, not '\\'.")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError("must not contain '..': it must stay inside the repository.")
    return "/".join(parts)  # "" is the repository root


def _interval(value: str) -> str:
    if not _DURATION.fullmatch(value):
        raise ValueError("is not a Flux duration. Use a number and a unit (ms, s, m, h), such as 1m, 90s or 1h30m.")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    if sum(float(n) * scale[u] for n, u in _DURATION_PART.findall(value)) <= 0:
        raise ValueError("must be longer than zero, such as 1m.")
    return value


def _chart_version(value: str) -> str:
    if not _SEMVER.fullmatch(value):
        raise ValueError("must be an exact chart version such as 2.18.3 (no 'v', no range), so installs are reproducible.")
    return value


def _stack_bool(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be true or false.")


RepoUrl = Annotated[GitHubRepo, PlainValidator(_repo)]
BranchName = Annotated[StrictStr, AfterValidator(_branch)]
Token = Annotated[SecretStr, BeforeValidator(_token), AfterValidator(_token_present)]
RepoPath = Annotated[StrictStr, AfterValidator(_path)]
Interval = Annotated[StrictStr, AfterValidator(_interval)]
ChartVersion = Annotated[StrictStr, AfterValidator(_chart_version)]
StackBool = Annotated[bool, PlainValidator(_stack_bool)]


# --- the three sources ----------------------------------------------------------------------


class FluxFile(BaseModel):
    """config/flux.yaml, exactly the documented schema."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    repo: RepoUrl
    branch: BranchName | None = None


class SecretsFile(BaseModel):
    """config/secrets-flux.yaml, exactly the documented schema."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)
    token: Token


class StackSettings(BaseModel):
    """The `flux-bootstrap:*` stack settings (not the token, which is handled as a secret)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)
    repo: RepoUrl | None = None
    branch: BranchName | None = None
    path: RepoPath | None = None
    key_algorithm: KeyAlgorithm = Field("ed25519", alias="keyAlgorithm")
    read_write_key: StackBool = Field(False, alias="readWriteKey")
    chart_version: ChartVersion = Field(DEFAULT_CHART_VERSION, alias="chartVersion")
    interval: Interval = DEFAULT_INTERVAL
    protect: StackBool = False
    destroy_workloads: StackBool = Field(False, alias="destroyWorkloads")
    wait_for_sync: StackBool = Field(True, alias="waitForSync")
    preflight: StackBool = True
    config_dir: StrictStr = Field(DEFAULT_CONFIG_DIR, alias="configDir", min_length=1)


TOKEN_SETTING = "githubToken"
SETTING_NAMES = tuple(f.alias or name for name, f in StackSettings.model_fields.items()) + (TOKEN_SETTING,)


class Settings(BaseModel):
    """Everything the program needs, validated. Built only by `resolve_settings`."""

    model_config = ConfigDict(frozen=True)
    project: str
    stack: str
    repo: GitHubRepo
    branch: str | None  # None: use the repository's default branch, looked up on GitHub
    path: str  # normalised, relative to the repository root; "" is the root
    token: SecretStr | None  # None only offline, when the stack's encrypted token was not decrypted
    token_source: str
    key_algorithm: KeyAlgorithm
    read_write_key: bool
    chart_version: str
    interval: str
    protect: bool
    destroy_workloads: bool
    wait_for_sync: bool
    preflight: bool  # check the GitHub repository before creating anything
    config_dir: Path

    @property
    def kustomization_path(self) -> str:
        return f"./{self.path}"


# --- resolution -----------------------------------------------------------------------------


def resolve_settings(
    *,
    project_dir: Path,
    project: str,
    stack: str,
    stack_values: Mapping[str, StackValue],
    stack_source: str,
    stack_lines: Mapping[str, int] | None = None,
    require_token: bool = True,
) -> Settings:
    """Combine stack settings and config files into Settings, or raise ConfigError listing all problems.

    `stack_values` maps bare setting names (`repo`, `githubToken`, ...) to the stack's values;
    `stack_source` names where they come from in messages, `stack_lines` their lines if known.
    Offline commands that need no token pass `require_token=False`: a missing token is then no
    problem, but a secrets file that is present is still checked.
    """
    problems: list[Problem] = []
    lines = stack_lines or {}

    def stack_problem(name: str, message: str) -> Problem:
        return Problem(stack_source, message, field=f"{project}:{name}", line=lines.get(name), label="setting")

    plain: dict[str, str] = {}
    token_value: SecretValue | None = None
    for name, value in stack_values.items():
        if value == "":
            continue  # Pulumi.yaml declares "" as the default of settings that are optional
        if name == TOKEN_SETTING:
            if isinstance(value, SecretValue):
                token_value = value
            else:
                problems.append(
                    stack_problem(name, "is stored in plain text. Remove it and set it as a secret: "
                                        f"pulumi config rm {TOKEN_SETTING} && pulumi config set --secret {TOKEN_SETTING}")
                )
        elif isinstance(value, SecretValue):
            problems.append(stack_problem(name, f"is stored as a secret; only {TOKEN_SETTING} is. Set it again without --secret."))
        else:
            plain[name] = value

    stack_settings: StackSettings | None = None
    try:
        stack_settings = StackSettings.model_validate(plain)
    except ValidationError as err:
        problems.extend(
            stack_problem(str(e["loc"][0]) if e["loc"] else "?", message)
            for e, message in _messages(err, "setting")
        )

    # Read from `plain`, so the files are still checked when another stack setting is invalid.
    config_dir = (project_dir / (plain.get("configDir") or DEFAULT_CONFIG_DIR)).resolve()

    if "configDir" in plain and not config_dir.is_dir():
        problems.append(
            stack_problem("configDir", f"the folder {config_dir} does not exist. Point it to the folder "
                                       "holding flux.yaml and secrets-flux.yaml, or remove the setting.")
        )
        raise ConfigError(problems)

    flux_file = _read_flux_file(config_dir, project_dir, project, required="repo" not in plain, problems=problems)

    token: SecretStr | None = None
    token_source = ""
    if token_value is not None:
        token_source = f"stack setting {project}:{TOKEN_SETTING}"
        if token_value.plaintext is not None:
            try:
                token = SecretsFile.model_validate({"token": token_value.plaintext}).token
            except ValidationError as err:
                problems.extend(stack_problem(TOKEN_SETTING, message) for _, message in _messages(err, "setting"))
    else:
        secrets_path = config_dir / SECRETS_FILE
        token_source = display_path(secrets_path, project_dir)
        if require_token or secrets_path.exists():
            token = _read_secrets_file(secrets_path, project_dir, problems)

    if problems:
        raise ConfigError(problems)
    assert stack_settings is not None  # no problems means the stack settings validated

    repo = stack_settings.repo or (flux_file.repo if flux_file else None)
    assert repo is not None  # flux.yaml is required, and was valid, when the stack gives no repo
    branch = stack_settings.branch or (flux_file.branch if flux_file else None)
    path = stack_settings.path if stack_settings.path is not None else _path(f"clusters/{stack}")
    return Settings(
        project=project,
        stack=stack,
        repo=repo,
        branch=branch,
        path=path,
        token=token,
        token_source=token_source,
        key_algorithm=stack_settings.key_algorithm,
        read_write_key=stack_settings.read_write_key,
        chart_version=stack_settings.chart_version,
        interval=stack_settings.interval,
        protect=stack_settings.protect,
        destroy_workloads=stack_settings.destroy_workloads,
        wait_for_sync=stack_settings.wait_for_sync,
        preflight=stack_settings.preflight,
        config_dir=config_dir,
    )


def display_path(path: Path, project_dir: Path) -> str:
    """A path as the user knows it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(project_dir.resolve()))
    except ValueError:
        return str(path)


def _read_flux_file(
    config_dir: Path, project_dir: Path, project: str, *, required: bool, problems: list[Problem]
) -> FluxFile | None:
    path = config_dir / FLUX_FILE
    source = display_path(path, project_dir)
    if not required and not path.exists():
        return None
    document, found = read_mapping(
        path,
        source,
        "Create it with a line `repo: https://github.com/OWNER/NAME` (and optionally `branch: main`), "
        f"or give the repository as a stack setting: pulumi config set {project}:repo URL",
    )
    problems.extend(found)
    return _validate_document(FluxFile, document, source, problems)


def _read_secrets_file(path: Path, project_dir: Path, problems: list[Problem]) -> SecretStr | None:
    source = display_path(path, project_dir)
    document, found = read_mapping(
        path,
        source,
        f"Give the GitHub token one of two ways: create {source} with a line `token: \"...\"` "
        f"(see {source}.example), or store it in the stack: pulumi config set --secret {TOKEN_SETTING}",
    )
    problems.extend(found)
    secrets = _validate_document(SecretsFile, document, source, problems)
    return secrets.token if secrets else None


def _validate_document(model: type[BaseModel], document: YamlDocument | None, source: str, problems: list[Problem]) -> Any:
    if document is None:
        return None
    try:
        return model.model_validate(document.data)
    except ValidationError as err:
        for error, message in _messages(err, "field"):
            name = str(error["loc"][0]) if error["loc"] else None
            line = document.line(name) if name else None
            problems.append(Problem(source, message, field=name, line=line))
        return None


def _messages(err: ValidationError, label: str) -> list[tuple[dict, str]]:
    """Our wording for each pydantic error, built without the input value."""
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
