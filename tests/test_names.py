"""Which names a message may show: plain identifiers, never a pasted token."""

import pytest

from cases import GHP, PAT
from flux_bootstrap.names import is_showable, nearest


@pytest.mark.parametrize(
    "name",
    [
        "repo", "branh", "destroyWorkloads", "tolerateControlPlane", "githubAppInstallationId", "k8sVersion2",
        "flux-bootstrap:protcet", "kubernetes:context", "tolerations.0.effect",
        "nodeSelector.node-role.kubernetes.io/control-plane", "resources.helm-controller.limits.memory",
    ],
)
def test_names_a_person_writes_are_shown(name):
    assert is_showable(name)


@pytest.mark.parametrize(
    "name",
    [
        GHP, PAT, "gho_abc", "ghu_abc", "ghs_abc", "ghr_abc", "glpat-Ab3dEf6hIj9kLm2nOp5q",
        "AGE-SECRET-KEY-1QQQ", "xoxb-1234",
        "flux-bootstrap:" + GHP,
        "a.glpat-Ab3dEf", "nodeSelector." + GHP,
        "abcdEFGH1234ijklMNOP",  # random-looking
        "s3cr3t-v4lue-9x8y7z",
        "a" * 41,  # longer than a name
        "1abc", "with space", "tab\tname", "", "ünïcode",
    ],
)
def test_names_that_may_be_secrets_are_hidden(name):
    assert not is_showable(name)


@pytest.mark.parametrize(
    "name,guess",
    [("githubtoken", "githubToken"), ("GITHUB_TOKEN", "githubToken"), ("github-token", "githubToken"),
     ("protcet", "protect"), ("githubToke", "githubToken"), ("xyz", None), (GHP, None)],
)
def test_the_nearest_known_name_ignores_case_and_separators(name, guess):
    assert nearest(name, ["githubToken", "protect", "path"]) == guess
