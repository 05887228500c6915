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
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from ..bounded_read import present
from ..errors import ConfigError, Problem
from ..git_url import RepoUrl
from .auth import Auth, DeployKeyAuth, KeyAlgorithm, token_use, valid_github_url
from .base import Facts, GroupSchema
from .fields import SecretValue, StackValue, folder
from .gitops import COMMIT_STATUS_TOKEN_SETTING, GitOpsSettings, resolve_gitops
from .files import FLUX_FILE, SECRETS_FILE, SecretsFile, display_path, read_flux_file, read_secrets_file
from .messages import StackPlace, messages, validate
from .secret_screen import screened_over, stack_problems
from .sops_settings import Sops, SopsOff
from .stack import (
    AUTH_GROUP,
    DEFAULT_CONFIG_DIR,
    GITOPS,
    GROUPS,
    SECRET_SETTINGS,
    SETTING_NAMES,
    SOURCE,
    TOKEN_SETTING,
    LifecycleSettings,
    SourceSettings,
)
from .stack_keys import unknown_setting
from .tuning_settings import TuningSettings

PROJECT = "flux-bootstrap"  # the Pulumi project name; it namespaces the stack settings


class Settings(BaseModel):
    """Everything the program needs, validated: one model per group, the mode's own model for
    `auth` and `sops`. Built only by `resolve_settings`."""

    model_config = ConfigDict(frozen=True)
    project: str
    stack: str
    config_dir: Path
    # None offline when the stack's encrypted token was not decrypted, and when the mode uses none
    # (deploy-key off GitHub; github-app with an installation id).
    token: SecretStr | None
    token_source: str
    source: SourceSettings
    lifecycle: LifecycleSettings = LifecycleSettings()
    auth: Auth = Field(default_factory=DeployKeyAuth)
    sops: Sops = Field(default_factory=SopsOff)
    tuning: TuningSettings = TuningSettings()
    gitops: GitOpsSettings = GitOpsSettings()

    @model_validator(mode="after")
    def _repository_known(self) -> Settings:
        if self.source.repo is None:  # resolve_settings reports why first; never a Settings without one
            raise ValueError("the repository is unknown: give `repo` in config/flux.yaml or as a stack setting.")
        return self

    @property
    def repo(self) -> RepoUrl:  # GitHub's rules applied on github.com and on the githubUrl server
        return self.source.repo  # type: ignore[return-value]  # never None: see _repository_known

    @property
    def path(self) -> str:  # normalised, relative to the repository root; "" is the root
        return self.source.path or ""

    @property
    def kustomization_path(self) -> str:
        return f"./{self.path}"

    @property
    def key_algorithm(self) -> KeyAlgorithm:
        return self.auth.key_algorithm or "ed25519"

    def __getattr__(self, name: str) -> Any:
        # A flat name reads the field of the one group that has it, as before the settings were
        # grouped (settings.protect is settings.lifecycle.protect); builders read the group.
        groups = [group for attribute in _GROUP_ATTRIBUTES if (group := self.__dict__.get(attribute)) is not None
                  and name in type(group).model_fields]
        if len(groups) == 1 and not name.startswith("_"):
            return getattr(groups[0], name)
        return super().__getattr__(name)  # pydantic's own lookup, or AttributeError


_GROUP_ATTRIBUTES = tuple(group.attribute for group in GROUPS)


def split_stack_values(
    stack_values: Mapping[str, StackValue], place: StackPlace
) -> tuple[dict[str, object], dict[str, SecretValue], list[Problem]]:
    """Plain settings for the groups, the secret settings, and the problems: a value stored the wrong
    way, or under a name that is no setting (plain or `--secret`)."""
    plain: dict[str, object] = {}
    secrets: dict[str, SecretValue] = {}
    problems: list[Problem] = []
    secret_names = ", ".join(SECRET_SETTINGS)
    for name, value in stack_values.items():
        if name not in SETTING_NAMES:  # even when empty: Pulumi.yaml declares defaults for known names only
            problems.append(place(name, unknown_setting(name, secret=isinstance(value, SecretValue))))
        elif value == "":
            continue  # Pulumi.yaml declares "" as the default of settings that are optional
        elif name in SECRET_SETTINGS:
            if isinstance(value, SecretValue):
                secrets[name] = value
            else:
                # Already a problem: the secret counts as present (not decrypted), not as missing.
                secrets[name] = SecretValue(None)
                problems.append(place(name, "is stored in plain text. Remove it and set it as a secret: "
                                            f"pulumi config rm {name} && pulumi config set --secret {name}"))
        elif isinstance(value, SecretValue):
            problems.append(place(name, f"is stored as a secret; only {secret_names} are. Set it again without --secret."))
        else:
            plain[name] = value
    return plain, secrets, problems


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
    place = StackPlace(project, stack_source, stack_lines or {})
    plain, secrets, problems = split_stack_values(stack_values, place)
    config_dir, found = _config_dir(project_dir, plain.get("configDir"), place)
    problems += found
    facts = Facts(project, stack, project_dir, config_dir, github_url=valid_github_url(plain))
    if config_dir is not None:
        flux_file, found = read_flux_file(config_dir, project_dir, project, required="repo" not in plain)
        problems += [replace(p, hides_others=True) for p in found] if "repo" not in plain else found
        facts = replace(facts, flux_file=flux_file, flux_file_source=display_path(config_dir / FLUX_FILE, project_dir))
    values = {**plain, **secrets}
    source, found = _validated(SOURCE, values, facts, place, hiding={"repo", "chartVersion", "configDir"})
    problems += found
    facts = replace(facts, repo=source.repo if source else None, chart_version=source.chart_version if source else None)
    token, token_source, found = _token(facts, plain, secrets.get(TOKEN_SETTING), place, require_token)
    problems += found
    auth, found = _validated(AUTH_GROUP, values, facts, place)
    problems += found
    facts = replace(facts, read_only_deploy_key=_read_only_deploy_key(auth, facts.repo))
    groups: dict[str, object] = {}
    for group in GROUPS:
        if group not in (SOURCE, AUTH_GROUP):  # the ones above, whose results are facts of the others
            groups[group.attribute], found = _validated(group, values, facts, place)
            problems += found
    gitops_stack = groups.pop(GITOPS.attribute)
    if gitops_stack is not None:  # the rules across groups: the auth mode, the host, the tokens
        commit_token = secrets.get(COMMIT_STATUS_TOKEN_SETTING) or stack_values.get(COMMIT_STATUS_TOKEN_SETTING)
        groups[GITOPS.attribute] = resolve_gitops(gitops_stack, place, problems, auth.mode if auth else "deploy-key",
                                                  facts.repo, commit_token, token)
    # One screen for every plain setting (names not ours are refused already, their values unused).
    problems = screened_over(problems, stack_problems(plain, place, SECRET_SETTINGS))
    if problems:
        raise ConfigError(problems)
    return Settings(project=project, stack=stack, config_dir=config_dir, token=token, token_source=token_source,
                    source=source, auth=auth, **groups)


def _validated(group: GroupSchema, values: Mapping[str, object], facts: Facts, place: StackPlace, *,
               hiding: frozenset[str] | set[str] = frozenset()) -> tuple[Any, list[Problem]]:
    """The group validated from its settings among `values`, or None, with its problems."""
    given = {name: values[name] for name in group.names if name in values}
    return validate(group.schema, given, facts, place, tag=group.tag, hiding=hiding, models=group.models)


def _read_only_deploy_key(auth: Auth | None, repo: RepoUrl | None) -> bool:
    """Flux reads through a deploy key this program registers read-only (with a token or an App, or a
    key pasted by hand on another host, write access is granted there)."""
    return isinstance(auth, DeployKeyAuth) and repo is not None and repo.is_github and not auth.read_write_key


def _token(facts: Facts, plain: dict[str, object], given: SecretValue | None, place: StackPlace,
           require_token: bool) -> tuple[SecretStr | None, str, list[Problem]]:
    """The GitHub token, where it comes from, and its problems: the stack's secret setting, or the secrets file."""
    use = token_use(plain, facts.repo, facts.github_url)
    if given is not None:
        token_source = facts.setting_source(TOKEN_SETTING)
        if use == "unused":
            return None, token_source, [place(TOKEN_SETTING, _UNUSED_TOKEN)]
        if given.plaintext is None:
            return None, token_source, []
        try:
            return SecretsFile.model_validate({"token": given.plaintext}).token, token_source, []
        except ValidationError as err:
            return None, token_source, [place(TOKEN_SETTING, message) for _, message in messages(err, "setting")]
    if use != "required":
        return None, "(not used)", []
    if facts.config_dir is None:
        return None, "(config folder unusable)", []
    secrets_path = facts.config_dir / SECRETS_FILE
    token_source = display_path(secrets_path, facts.project_dir)
    if require_token or present(secrets_path):
        token, found = read_secrets_file(secrets_path, facts.project_dir)
        return token, token_source, found
    return None, token_source, []


_UNUSED_TOKEN = (
    "is not used by this stack: with deploy-key on a host that is not GitHub nothing calls GitHub, and with "
    "githubAppInstallationId the program authenticates as the GitHub App. Remove it: pulumi config rm githubToken"
)


def _config_dir(project_dir: Path, raw_dir: object, place: StackPlace) -> tuple[Path | None, list[Problem]]:
    """The config folder, absolute, or None when it cannot be used (a problem that hides the files' own).

    Read from the plain settings, so the files are still checked when another stack setting is
    invalid; a configDir that is itself refused (by the source group) is never used as a path (nor
    shown: it may be anything). A missing default folder is no problem here: its files are
    reported missing.
    """
    try:
        usable = folder(raw_dir) if isinstance(raw_dir, str) else None
    except ValueError:
        return None, []  # the source group refuses it
    path = project_dir / (usable or DEFAULT_CONFIG_DIR)
    try:
        path = path.resolve()
        if path.is_dir():
            return path, []
    except (OSError, RuntimeError):  # RuntimeError: a symbolic link loop, before Python 3.13
        pass
    refusal = _folder_refusal(path)
    where = "flux.yaml and secrets-flux.yaml"
    if usable:
        return None, [place("configDir", f"{refusal or 'names a folder that does not exist.'} Point it to the "
                                         f"folder holding {where}, or remove the setting.", hides_others=True)]
    if refusal and raw_dir is None:
        return None, [Problem(DEFAULT_CONFIG_DIR, f"{refusal} It must be the folder holding {where}: make it one, "
                                                  "or point the configDir stack setting to one.", hides_others=True)]
    return (None if raw_dir is not None or refusal else path), []


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


