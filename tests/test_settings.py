"""Resolution of settings from files and stack settings (pure, no Pulumi)."""

from pathlib import Path

import pytest

from helpers import TOKEN, resolve
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.settings import (
    DEFAULT_CHART_VERSION,
    SECRET_SETTINGS,
    SETTING_NAMES,
    SecretValue,
    SETTING_FIELDS,
    resolve_settings,
)


def test_seed_example_with_defaults(config_dir):
    settings = resolve(config_dir.parent)
    assert (settings.repo.kind, settings.repo.full_name) == ("github", "username/manifests")
    assert settings.source.branch == "main"
    assert settings.kustomization_path == "./clusters/dev"
    assert settings.token.get_secret_value() == TOKEN
    assert settings.token_source == "config/secrets-flux.yaml"
    assert (settings.key_algorithm, settings.auth.read_write_key) == ("ed25519", False)
    assert (settings.source.chart_version, settings.source.interval) == (DEFAULT_CHART_VERSION, "1m")
    assert (settings.lifecycle.protect, settings.lifecycle.destroy_workloads, settings.lifecycle.wait_for_sync) == (False, False, True)


def test_token_is_trimmed_and_hidden_in_repr(config_dir):
    (config_dir / "secrets-flux.yaml").write_text(f"token: |\n  {TOKEN}\n")
    settings = resolve(config_dir.parent)
    assert settings.token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)


def test_branch_is_optional(config_dir):
    (config_dir / "flux.yaml").write_text("repo: git@github.com:acme/fleet\n")
    assert resolve(config_dir.parent).source.branch is None


def test_stack_settings_override_the_files(config_dir):
    settings = resolve(
        config_dir.parent,
        stack="prod",
        repo="ssh://git@github.com/acme/prod-fleet.git",
        branch="release",
        path="./envs/prod/",
        githubToken=SecretValue(" stack-token "),
        keyAlgorithm="ecdsa-p384",
        readWriteKey="true",
        chartVersion="2.19.0",
        interval="1h30m",
        protect="True",
        destroyWorkloads="true",
        waitForSync="false",
    )
    assert (settings.repo.kind, settings.repo.full_name) == ("github", "acme/prod-fleet")
    assert settings.source.branch == "release"
    assert settings.kustomization_path == "./envs/prod"
    assert settings.token.get_secret_value() == "stack-token"
    assert settings.token_source == "stack setting flux-bootstrap:githubToken"
    assert settings.key_algorithm == "ecdsa-p384"
    assert settings.auth.read_write_key and settings.lifecycle.protect and settings.lifecycle.destroy_workloads
    assert not settings.lifecycle.wait_for_sync
    assert (settings.source.chart_version, settings.source.interval) == ("2.19.0", "1h30m")


def test_each_field_takes_the_highest_source(config_dir):
    # The stack's repo wins; the file's branch still applies (each field on its own).
    settings = resolve(config_dir.parent, repo="https://github.com/acme/other")
    assert (settings.repo.kind, settings.repo.full_name) == ("github", "acme/other") and settings.source.branch == "main"


def test_empty_stack_values_mean_not_set(config_dir):
    # Pulumi.yaml declares "" as the default of the optional settings.
    settings = resolve(config_dir.parent, repo="", branch="", path="", githubToken="")
    assert settings.repo.name == "manifests" and settings.source.branch == "main"
    assert settings.kustomization_path == "./clusters/dev" and settings.token_source.endswith("secrets-flux.yaml")


def test_stack_token_needs_no_secrets_file(config_dir):
    (config_dir / "secrets-flux.yaml").unlink()
    assert resolve(config_dir.parent, githubToken=SecretValue("t")).token.get_secret_value() == "t"


def test_stack_repo_needs_no_flux_file(config_dir):
    (config_dir / "flux.yaml").unlink()
    settings = resolve(config_dir.parent, repo="https://github.com/acme/fleet")
    assert settings.repo.name == "fleet" and settings.source.branch is None


def test_encrypted_token_counts_as_present_offline(config_dir):
    settings = resolve(config_dir.parent, githubToken=SecretValue(None))
    assert settings.token is None and "githubToken" in settings.token_source


def test_config_dir_relative_and_absolute(tmp_path, config_dir):
    other = tmp_path / "elsewhere"
    config_dir.rename(other)
    assert resolve(tmp_path, configDir="elsewhere").config_dir == other
    assert resolve(Path("/nonexistent"), configDir=str(other)).config_dir == other


def test_repository_root_path(config_dir):
    assert resolve(config_dir.parent, path=".").kustomization_path == "./"


@pytest.mark.parametrize(
    "values,field,fragment",
    [
        ({"path": "../x"}, "path", "'..'"),
        ({"path": "a/../../x"}, "path", "'..'"),
        ({"path": "/clusters/dev"}, "path", "leading '/'"),
        ({"path": "a\\b"}, "path", "'/'"),
        ({"interval": "1 minute"}, "interval", "Flux duration"),
        ({"interval": "10"}, "interval", "Flux duration"),
        ({"interval": "0m"}, "interval", "longer than zero"),
        ({"chartVersion": "v2.18.3"}, "chartVersion", "exact chart version"),
        ({"chartVersion": "2.x"}, "chartVersion", "exact chart version"),
        ({"chartVersion": ">=2.18"}, "chartVersion", "exact chart version"),
        ({"keyAlgorithm": "dsa"}, "keyAlgorithm", "'ed25519'"),
        ({"keyAlgorithm": "ECDSA"}, "keyAlgorithm", "'rsa-4096'"),
        ({"readWriteKey": "yes"}, "readWriteKey", "true or false"),
        ({"protect": "1"}, "protect", "true or false"),
        ({"destroyWorkloads": "no"}, "destroyWorkloads", "true or false"),
        ({"waitForSync": "maybe"}, "waitForSync", "true or false"),
        ({"branch": "bad..name"}, "branch", "'..'"),
        ({"repo": "https://gitlab.com/a/b"}, "knownHosts", "is required for deploy-key on a host that is not GitHub"),
        ({"githubToken": "plain-token-value"}, "githubToken", "--secret"),
        ({"branch": SecretValue("main")}, "branch", "only githubToken, sopsAgeKey, githubAppPrivateKey, commitStatusToken are"),
        ({"githubToken": SecretValue("   ")}, "githubToken", "empty"),
        ({"reop": "x"}, "reop", "not a known setting"),
    ],
)
def test_refused_stack_settings_name_the_setting(config_dir, values, field, fragment):
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, **values)
    (problem,) = err.value.problems
    assert problem.field == f"flux-bootstrap:{field}"
    assert fragment in problem.message
    assert "plain-token-value" not in str(err.value)


def test_all_problems_of_all_sources_at_once(config_dir):
    (config_dir / "flux.yaml").write_text("repo: nope\nbranh: main\n")
    (config_dir / "secrets-flux.yaml").write_text("token: 42\n")
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, interval="soon")
    where = {(p.source, p.field, p.line) for p in err.value.problems}
    assert where == {
        ("stack", "flux-bootstrap:interval", None),
        ("config/flux.yaml", "repo", 1),
        ("config/flux.yaml", "branh", 2),
        ("config/secrets-flux.yaml", "token", 1),
    }
    assert str(err.value).startswith("4 configuration problems; nothing was changed.")


def test_no_token_anywhere_names_both_ways(config_dir):
    (config_dir / "secrets-flux.yaml").unlink()
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent)
    message = str(err.value)
    assert "config/secrets-flux.yaml" in message and "pulumi config set --secret githubToken" in message


def test_setting_names_cover_the_model():
    assert set(SETTING_NAMES) == {f.alias or n for n, f in SETTING_FIELDS.items()} | set(SECRET_SETTINGS)
    assert set(SECRET_SETTINGS) == {"githubToken", "sopsAgeKey", "githubAppPrivateKey", "commitStatusToken"}


def refused(project_dir: Path, lines: dict[str, int] | None = None, **values) -> ConfigError:
    with pytest.raises(ConfigError) as err:
        resolve_settings(project_dir=project_dir, project="flux-bootstrap", stack="dev", stack_values=values,
                         stack_source="Pulumi.dev.yaml", stack_lines=lines)
    return err.value


def test_a_refused_setting_of_one_group_hides_no_problem_of_another(config_dir):
    # Each problem below used to show only once the ones before it were fixed (#16).
    err = refused(config_dir.parent, interval="soon", resources={"helm-controler": {}}, tenantServiceAccount="x",
                  httpsUsername="flux", sops="provided", priorityClassName="Not A Name")
    assert [p.field.split(":")[1] for p in err.problems] == [
        "interval", "httpsUsername", "sops", "priorityClassName", "resources.helm-controler", "tenantServiceAccount"]
    assert "more may follow" not in str(err).lower()


def test_problems_are_listed_in_line_order_those_without_a_line_last(config_dir):
    lines = {"tenantServiceAccount": 4, "interval": 9, "protect": 2}
    err = refused(config_dir.parent, lines, interval="soon", tenantServiceAccount="x", protect="maybe",
                  bogus="1")
    assert [(p.field, p.line) for p in err.problems] == [
        ("flux-bootstrap:protect", 2), ("flux-bootstrap:tenantServiceAccount", 4), ("flux-bootstrap:interval", 9),
        ("flux-bootstrap:bogus", None)]


def test_a_problem_that_hides_others_says_more_may_follow(config_dir):
    err = refused(config_dir.parent, auth="ssh", knownHosts="x", protect="maybe")
    assert [p.field for p in err.problems] == ["flux-bootstrap:auth", "flux-bootstrap:protect"]
    text = str(err)
    assert "'flux-bootstrap:auth': must be one of: 'deploy-key', 'github-app' or 'https'. (more may follow)" in text
    assert text.endswith("More problems may follow: some checks could not run until the ones marked above are fixed.")


def test_an_unusable_config_folder_hides_only_what_needs_it(config_dir):
    err = refused(config_dir.parent, configDir="missing", repo="https://github.com/acme/fleet", protect="maybe",
                  tenantServiceAccount="x")
    assert {p.field: p.hides_others for p in err.problems} == {
        "flux-bootstrap:configDir": True, "flux-bootstrap:protect": False, "flux-bootstrap:tenantServiceAccount": False}


def test_settings_carry_the_mode_s_own_model(config_dir):
    from flux_bootstrap.settings.auth import DeployKeyAuth, HttpsAuth
    from flux_bootstrap.settings.sops_settings import SopsGenerate, SopsOff

    settings = resolve(config_dir.parent)
    assert isinstance(settings.auth, DeployKeyAuth) and isinstance(settings.sops, SopsOff)
    settings = resolve(config_dir.parent, auth="https", sops="generate")
    assert isinstance(settings.auth, HttpsAuth) and isinstance(settings.sops, SopsGenerate)
    assert settings.auth.https_username == "git" and settings.auth.known_hosts is None


def test_a_flat_name_reads_the_one_group_that_has_it(config_dir):
    # As before the settings were grouped: settings.protect is settings.lifecycle.protect.
    settings = resolve(config_dir.parent, protect="true", interval="5m", imageAutomation="true", readWriteKey="true")
    assert (settings.protect, settings.interval, settings.image_automation, settings.read_write_key) == (
        settings.lifecycle.protect, settings.source.interval, settings.tuning.image_automation,
        settings.auth.read_write_key) == (True, "5m", True, True)
    assert settings.branch == settings.source.branch and settings.chart_version == settings.source.chart_version
    for ambiguous_or_unknown in ("mode", "no_such_setting"):  # `mode` is auth's and sops'
        with pytest.raises(AttributeError):
            getattr(settings, ambiguous_or_unknown)
