"""Config files and stack settings -> one validated `Settings` object.

Sources, highest precedence first:
- stack settings (`flux-bootstrap:*` in Pulumi.<stack>.yaml), given here as plain values;
- `config/flux.yaml` (repo, branch) and `config/secrets-flux.yaml` (token), in `configDir`.
Each field is taken from the highest source that sets it. Every problem of every source is
collected and raised at once as a ConfigError; no message contains an input value.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Mapping

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from ..bounded_read import present
from ..errors import ConfigError, Problem
from ..git_url import KIND_AZURE, RepoUrl
from .fields import SecretValue, StackValue, folder, normalise_path
from .auth import APP_KEY_SETTING, AuthSettings, github_repo, resolve_auth, token_use
from .files import FLUX_FILE, SECRETS_FILE, SecretsFile, display_path, read_flux_file, read_secrets_file
from .messages import location, messages
from .sops_settings import SOPS_KEY_SETTING, SopsSettings, resolve_sops
from .stack import DEFAULT_CONFIG_DIR, SECRET_SETTINGS, SETTING_NAMES, TOKEN_SETTING, KeyAlgorithm, StackSettings
from .stack_keys import unknown_setting
from .tuning_settings import TuningSettings, resolve_tuning

PROJECT = "flux-bootstrap"  # the Pulumi project name; it namespaces the stack settings


class Settings(BaseModel):
    """Everything the program needs, validated. Built only by `resolve_settings`."""

    model_config = ConfigDict(frozen=True)
    project: str
    stack: str
    repo: RepoUrl  # GitHub's rules applied on github.com and on the githubUrl server
    branch: str | None  # None: use the repository's default branch, looked up on GitHub
    path: str  # normalised, relative to the repository root; "" is the root
    # None offline when the stack's encrypted token was not decrypted, and when the mode uses none
    # (deploy-key off GitHub; github-app with an installation id).
    token: SecretStr | None
    token_source: str
    key_algorithm: KeyAlgorithm
    read_write_key: bool
    chart_version: str
    interval: str
    protect: bool
    destroy_workloads: bool
    wait_for_sync: bool
    adopt_existing: bool
    preflight: bool  # check the GitHub repository before creating anything
    config_dir: Path
    sops: SopsSettings = SopsSettings()
    auth: AuthSettings = AuthSettings()
    tuning: TuningSettings = TuningSettings()

    @property
    def kustomization_path(self) -> str:
        return f"./{self.path}"


class _StackProblems:
    """Problems of stack settings, named `project:setting`, with their line when known."""

    def __init__(self, project: str, source: str, lines: Mapping[str, int]):
        self.project, self.source, self.lines = project, source, lines

    def __call__(self, name: str, message: str) -> Problem:
        return Problem(self.source, message, field=f"{self.project}:{name}", line=self.lines.get(name.split(".")[0]), label="setting")


def split_stack_values(
    stack_values: Mapping[str, StackValue], problem: _StackProblems, problems: list[Problem]
) -> tuple[dict[str, object], dict[str, SecretValue]]:
    """Plain settings for the model, and the secret settings; a value stored the wrong way, or under a
    name that is no setting (plain or `--secret`), is a problem."""
    plain: dict[str, object] = {}
    secrets: dict[str, SecretValue] = {}
    secret_names = ", ".join(SECRET_SETTINGS)
    for name, value in stack_values.items():
        if name not in SETTING_NAMES:  # even when empty: Pulumi.yaml declares defaults for known names only
            problems.append(problem(name, unknown_setting(name, secret=isinstance(value, SecretValue))))
        elif value == "":
            continue  # Pulumi.yaml declares "" as the default of settings that are optional
        elif name in SECRET_SETTINGS:
            if isinstance(value, SecretValue):
                secrets[name] = value
            else:
                problems.append(
                    problem(name, "is stored in plain text. Remove it and set it as a secret: "
                                  f"pulumi config rm {name} && pulumi config set --secret {name}")
                )
        elif isinstance(value, SecretValue):
            problems.append(problem(name, f"is stored as a secret; only {secret_names} are. Set it again without --secret."))
        else:
            plain[name] = value
    return plain, secrets


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
    stack_problem = _StackProblems(project, stack_source, stack_lines or {})
    plain, secrets = split_stack_values(stack_values, stack_problem, problems)

    stack_settings: StackSettings | None = None
    try:
        stack_settings = StackSettings.model_validate(plain)
    except ValidationError as err:
        problems.extend(stack_problem(location(e) or "?", message) for e, message in messages(err, "setting"))

    config_dir = _config_dir(project_dir, plain.get("configDir"), stack_problem, problems)
    flux_file = read_flux_file(config_dir, project_dir, project, required="repo" not in plain, problems=problems)

    repo, repo_problem = _repo(stack_settings, flux_file, project_dir, config_dir, stack_problem)
    if repo_problem is not None:
        problems.append(repo_problem)
    use = token_use(stack_settings, repo) if stack_settings is not None else "required"

    token: SecretStr | None = None
    token_value = secrets.get(TOKEN_SETTING)
    if token_value is not None:
        token_source = f"stack setting {project}:{TOKEN_SETTING}"
        if use == "unused":
            problems.append(stack_problem(TOKEN_SETTING, _UNUSED_TOKEN))
        elif token_value.plaintext is not None:
            try:
                token = SecretsFile.model_validate({"token": token_value.plaintext}).token
            except ValidationError as err:
                problems.extend(stack_problem(TOKEN_SETTING, message) for _, message in messages(err, "setting"))
    else:
        secrets_path = config_dir / SECRETS_FILE
        token_source = display_path(secrets_path, project_dir) if use == "required" else "(not used)"
        if use == "required" and (require_token or present(secrets_path)):
            token = read_secrets_file(secrets_path, project_dir, problems)

    # A key stored in plain text is already a problem: count it as present, not as missing.
    sops_key = secrets.get(SOPS_KEY_SETTING) or (SecretValue(None) if stack_values.get(SOPS_KEY_SETTING) else None)
    sops = resolve_sops(
        project,
        stack_settings.sops if stack_settings else "off",
        sops_key,
        config_dir,
        project_dir,
        stack_problem,
        problems,
    )

    branch = (stack_settings.branch if stack_settings else None) or (flux_file.branch if flux_file else None)
    auth = None
    if stack_settings is not None and repo is not None:
        app_key = secrets.get(APP_KEY_SETTING) or (SecretValue(None) if stack_values.get(APP_KEY_SETTING) else None)
        auth = resolve_auth(project, stack_settings, plain, repo, branch, stack_settings.chart_version, app_key,
                            config_dir, project_dir, stack_problem, problems)

    tuning = None
    if stack_settings is not None:
        tuning = resolve_tuning(
            stack_settings,
            read_only_deploy_key=(
                stack_settings.auth == "deploy-key" and repo is not None and repo.is_github
                and not stack_settings.read_write_key
            ),
            chart_version=stack_settings.chart_version,
            stack_problem=stack_problem,
            problems=problems,
        )

    if problems:
        raise ConfigError(problems)
    # No problems means every part validated; flux.yaml is required when the stack gives no repo.
    assert stack_settings is not None and sops is not None and repo is not None and auth is not None and tuning is not None
    path = stack_settings.path if stack_settings.path is not None else normalise_path(f"clusters/{stack}")
    return Settings(
        project=project,
        stack=stack,
        repo=repo,
        branch=branch,
        path=path,
        token=token,
        token_source=token_source,
        key_algorithm=stack_settings.key_algorithm or default_key_algorithm(repo),
        read_write_key=stack_settings.read_write_key,
        chart_version=stack_settings.chart_version,
        interval=stack_settings.interval,
        protect=stack_settings.protect,
        destroy_workloads=stack_settings.destroy_workloads,
        wait_for_sync=stack_settings.wait_for_sync,
        adopt_existing=stack_settings.adopt_existing,
        preflight=stack_settings.preflight,
        config_dir=config_dir,
        sops=sops,
        auth=auth,
        tuning=tuning,
    )


def default_key_algorithm(repo: RepoUrl) -> KeyAlgorithm:
    """ed25519, as `ssh-keygen` makes today; Azure DevOps accepts only RSA SSH keys."""
    return "rsa-4096" if repo.kind == KIND_AZURE else "ed25519"


_UNUSED_TOKEN = (
    "is not used by this stack: with deploy-key on a host that is not GitHub nothing calls GitHub, and with "
    "githubAppInstallationId the program authenticates as the GitHub App. Remove it: pulumi config rm githubToken"
)


def _config_dir(project_dir: Path, raw_dir: object, stack_problem: _StackProblems, problems: list[Problem]) -> Path:
    """The config folder, absolute; ConfigError with every problem so far when it cannot be used.

    Read from the plain settings, so the files are still checked when another stack setting is
    invalid; a configDir that is itself refused is never used as a path (nor shown: it may be
    anything). A missing default folder is no problem here: its files are reported missing.
    """
    try:
        usable = folder(raw_dir) if isinstance(raw_dir, str) else None
    except ValueError:
        usable = None
    path = project_dir / (usable or DEFAULT_CONFIG_DIR)
    try:
        path = path.resolve()
        if path.is_dir():
            return path
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, before Python 3.13
        pass
    refusal = _folder_refusal(path)
    where = "flux.yaml and secrets-flux.yaml"
    if usable:
        problems.append(stack_problem("configDir", f"{refusal or 'names a folder that does not exist.'} Point it "
                                                   f"to the folder holding {where}, or remove the setting."))
    elif refusal and raw_dir is None:
        problems.append(Problem(DEFAULT_CONFIG_DIR, f"{refusal} It must be the folder holding {where}: make it one, "
                                                    "or point the configDir stack setting to one."))
    if usable or raw_dir is not None or refusal:
        raise ConfigError(problems)
    return path


def _folder_refusal(path: Path) -> str | None:
    """Why `path` is no usable folder, in our words; None when nothing is there."""
    try:
        os.stat(path)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "is a symbolic link that loops (it leads back to itself, or a folder on its path does)."
        if err.errno in (errno.EACCES, errno.EPERM):
            return "cannot be opened: permission denied."
        if err.errno not in (errno.ENOENT, errno.ENOTDIR):
            return f"cannot be opened ({err.strerror})."
        return None
    except ValueError:
        return None
    return "is not a folder." if not path.is_dir() else "cannot be opened."


def _repo(stack_settings: StackSettings | None, flux_file, project_dir: Path, config_dir: Path,
          stack_problem: _StackProblems) -> tuple[RepoUrl | None, Problem | None]:
    """The repository from the stack or flux.yaml, with GitHub's rules on the githubUrl server."""
    if stack_settings is not None and stack_settings.repo is not None:
        repo, from_stack = stack_settings.repo, True
    elif flux_file is not None:
        repo, from_stack = flux_file.repo, False
    else:
        return None, None
    try:
        return github_repo(repo, stack_settings.github_url if stack_settings else None), None
    except ValueError as err:  # our words: git_url never puts the URL in a message
        if from_stack:
            return None, stack_problem("repo", str(err))
        return None, Problem(display_path(config_dir / FLUX_FILE, project_dir), str(err), field="repo")
