import pytest

from flux_bootstrap.github_repo import ACCEPTED_FORMS, GitHubRepo, parse_github_repo


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/fleet",
        "https://github.com/acme/fleet.git",
        "https://github.com/acme/fleet/",
        "ssh://git@github.com/acme/fleet",
        "ssh://git@github.com/acme/fleet.git",
        "git@github.com:acme/fleet",
        "git@github.com:acme/fleet.git",
        "  https://GitHub.com/acme/fleet.git  ",
    ],
)
def test_accepted_forms_give_owner_name_and_flux_url(url):
    repo = parse_github_repo(url)
    assert repo == GitHubRepo("acme", "fleet")
    assert repo.ssh_url == "ssh://git@github.com/acme/fleet"
    assert repo.full_name == "acme/fleet"


def test_names_with_dots_dashes_and_underscores():
    assert parse_github_repo("git@github.com:my-org/k8s.config_v2.git") == GitHubRepo("my-org", "k8s.config_v2")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "github.com/acme/fleet",
        "http://github.com/acme/fleet",
        "https://gitlab.com/acme/fleet",
        "https://github.com/acme",
        "https://github.com/acme/fleet/tree/main",
        "ssh://github.com/acme/fleet",
        "git@github.com/acme/fleet",
        "https://github.com/-acme/fleet",
        "https://github.com/ac--me/fleet",
        "https://github.com/acme/..",
        "https://github.com/acme/fl eet",
    ],
)
def test_refused_forms_list_the_accepted_ones(url):
    with pytest.raises(ValueError) as err:
        parse_github_repo(url)
    for form in ACCEPTED_FORMS:
        assert form in str(err.value)


@pytest.mark.parametrize(
    "url",
    ["https://x-access-token:s3cr3t-value@github.com/acme/fleet", "https://s3cr3t-value@github.com/acme/fleet"],
)
def test_credentials_in_url_are_refused_without_echoing_them(url):
    with pytest.raises(ValueError, match="credentials") as err:
        parse_github_repo(url)
    assert "s3cr3t-value" not in str(err.value)
