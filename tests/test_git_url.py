import jsonschema
import pytest

from flux_bootstrap.git_url import (
    ACCEPTED_FORMS,
    MAX_URL_LENGTH,
    RepoUrl,
    parse_github_host,
    parse_repo_url,
)

from flux_bootstrap import chart
from cases import GHP

# spec.url of Flux's GitRepository, from the CRD of the chart we install: ^(http|https|ssh)://.*$
FLUX_URL_SCHEMA = chart.served_schema(chart.NEWEST_CARRIED, "GitRepository", "source.toolkit.fluxcd.io/v1")[
    "properties"]["spec"]["properties"]["url"]
GHES = frozenset({"github.com", "GitHub.Example.COM"})

# url, kind, host, port, owner, name, ssh_url, https_url; the URL Flux gets is the one of the scheme given.
ACCEPTED = [
    # GitHub: exactly OWNER/NAME; ssh without .git as `flux bootstrap` writes it, https as the clone button
    ("https://github.com/acme/fleet", "github", "github.com", None, "acme", "fleet",
     "ssh://git@github.com/acme/fleet", "https://github.com/acme/fleet.git"),
    ("https://github.com/acme/fleet.git/", "github", "github.com", None, "acme", "fleet",
     "ssh://git@github.com/acme/fleet", "https://github.com/acme/fleet.git"),
    ("https://github.com:443/acme/fleet", "github", "github.com", None, "acme", "fleet",
     "ssh://git@github.com/acme/fleet", "https://github.com/acme/fleet.git"),
    ("ssh://git@github.com/acme/fleet.git", "github", "github.com", None, "acme", "fleet",
     "ssh://git@github.com/acme/fleet", "https://github.com/acme/fleet.git"),
    ("git@github.com:acme/fleet.git", "github", "github.com", None, "acme", "fleet",
     "ssh://git@github.com/acme/fleet", "https://github.com/acme/fleet.git"),
    # GitHub Enterprise Server: a configured host, compared without case
    ("https://GITHUB.example.com/platform/clusters.git", "github", "github.example.com", None, "platform",
     "clusters", "ssh://git@github.example.com/platform/clusters", "https://github.example.com/platform/clusters.git"),
    ("git@github.example.com:platform/clusters", "github", "github.example.com", None, "platform", "clusters",
     "ssh://git@github.example.com/platform/clusters", "https://github.example.com/platform/clusters.git"),
    # GitLab.com with subgroups
    ("https://gitlab.com/group/sub/repo.git", "gitlab", "gitlab.com", None, "group/sub", "repo",
     "ssh://git@gitlab.com/group/sub/repo.git", "https://gitlab.com/group/sub/repo.git"),
    ("git@gitlab.com:group/sub/repo.git", "gitlab", "gitlab.com", None, "group/sub", "repo",
     "ssh://git@gitlab.com/group/sub/repo.git", "https://gitlab.com/group/sub/repo.git"),
    ("ssh://git@gitlab.com/group/repo", "gitlab", "gitlab.com", None, "group", "repo",
     "ssh://git@gitlab.com/group/repo.git", "https://gitlab.com/group/repo.git"),
    # Bitbucket Cloud
    ("https://bitbucket.org/ws/repo.git", "bitbucket", "bitbucket.org", None, "ws", "repo",
     "ssh://git@bitbucket.org/ws/repo.git", "https://bitbucket.org/ws/repo.git"),
    ("git@bitbucket.org:ws/repo.git", "bitbucket", "bitbucket.org", None, "ws", "repo",
     "ssh://git@bitbucket.org/ws/repo.git", "https://bitbucket.org/ws/repo.git"),
    # Bitbucket Server / Data Center: one scheme only, path kept as given
    ("https://bitbucket.corp.example/scm/PROJ/repo.git", "generic", "bitbucket.corp.example", None, "scm/PROJ",
     "repo", None, "https://bitbucket.corp.example/scm/PROJ/repo.git"),
    ("ssh://git@bitbucket.corp.example:7999/proj/repo.git", "generic", "bitbucket.corp.example", 7999, "proj",
     "repo", "ssh://git@bitbucket.corp.example:7999/proj/repo.git", None),
    # Gitea / Forgejo / self-hosted GitLab
    ("https://gitea.example.org/owner/repo.git", "generic", "gitea.example.org", None, "owner", "repo",
     None, "https://gitea.example.org/owner/repo.git"),
    ("ssh://git@gitea.example.org:2222/owner/repo.git", "generic", "gitea.example.org", 2222, "owner", "repo",
     "ssh://git@gitea.example.org:2222/owner/repo.git", None),
    ("git@gitlab.example.org:group/sub/repo.git", "generic", "gitlab.example.org", None, "group/sub", "repo",
     "ssh://git@gitlab.example.org/group/sub/repo.git", None),
    ("https://Git.Example.Org:8443/owner/repo", "generic", "git.example.org", 8443, "owner", "repo",
     None, "https://git.example.org:8443/owner/repo"),
    ("ssh://git@git.example.org:22/owner/repo.git", "generic", "git.example.org", None, "owner", "repo",
     "ssh://git@git.example.org/owner/repo.git", None),
    # Azure DevOps
    ("https://dev.azure.com/contoso/Fabrikam/_git/fleet", "azure-devops", "dev.azure.com", None,
     "contoso/Fabrikam", "fleet", "ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet",
     "https://dev.azure.com/contoso/Fabrikam/_git/fleet"),
    ("https://contoso@dev.azure.com/contoso/Fabrikam/_git/fleet", "azure-devops", "dev.azure.com", None,
     "contoso/Fabrikam", "fleet", "ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet",
     "https://dev.azure.com/contoso/Fabrikam/_git/fleet"),
    ("https://contoso.visualstudio.com/Fabrikam/_git/fleet", "azure-devops", "contoso.visualstudio.com", None,
     "contoso/Fabrikam", "fleet", "ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet",
     "https://dev.azure.com/contoso/Fabrikam/_git/fleet"),
    ("git@ssh.dev.azure.com:v3/contoso/Fabrikam/fleet", "azure-devops", "ssh.dev.azure.com", None,
     "contoso/Fabrikam", "fleet", "ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet",
     "https://dev.azure.com/contoso/Fabrikam/_git/fleet"),
    ("ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet", "azure-devops", "ssh.dev.azure.com", None,
     "contoso/Fabrikam", "fleet", "ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet",
     "https://dev.azure.com/contoso/Fabrikam/_git/fleet"),
    ("contoso@vs-ssh.visualstudio.com:v3/contoso/Fabrikam/fleet", "azure-devops", "vs-ssh.visualstudio.com", None,
     "contoso/Fabrikam", "fleet", "ssh://git@ssh.dev.azure.com/v3/contoso/Fabrikam/fleet",
     "https://dev.azure.com/contoso/Fabrikam/_git/fleet"),
    ("https://dev.azure.com/contoso/My%20Project/_git/My%20Repo", "azure-devops", "dev.azure.com", None,
     "contoso/My%20Project", "My%20Repo", "ssh://git@ssh.dev.azure.com/v3/contoso/My%20Project/My%20Repo",
     "https://dev.azure.com/contoso/My%20Project/_git/My%20Repo"),
    # plain SSH servers: the scp path becomes an ssh:// path; other users are kept
    ("ssh://deploy@10.0.0.5:2200/srv/git/fleet.git", "generic", "10.0.0.5", 2200, "srv/git", "fleet",
     "ssh://deploy@10.0.0.5:2200/srv/git/fleet.git", None),
    ("deploy@gitbox:/srv/git/fleet.git", "generic", "gitbox", None, "srv/git", "fleet",
     "ssh://deploy@gitbox/srv/git/fleet.git", None),
    ("deploy@gitbox:fleet.git", "generic", "gitbox", None, "", "fleet", "ssh://deploy@gitbox/fleet.git", None),
    ("ssh://git@[2001:DB8::0001]:2222/~deploy/fleet.git", "generic", "2001:db8::1", 2222, "~deploy", "fleet",
     "ssh://git@[2001:db8::1]:2222/~deploy/fleet.git", None),
    ("git@[2001:db8::1]:fleet.git", "generic", "2001:db8::1", None, "", "fleet",
     "ssh://git@[2001:db8::1]/fleet.git", None),
]


@pytest.mark.parametrize("url, kind, host, port, owner, name, ssh_url, https_url", ACCEPTED)
def test_accepted_forms_give_parts_and_flux_urls(url, kind, host, port, owner, name, ssh_url, https_url):
    repo = parse_repo_url(url, github_hosts=GHES)
    assert (repo.kind, repo.host, repo.port, repo.owner, repo.name) == (kind, host, port, owner, name)
    assert (repo.ssh_url, repo.https_url) == (ssh_url, https_url)
    assert repo.url == (ssh_url if repo.scheme == "ssh" else https_url)
    for flux_url in (u for u in (repo.ssh_url, repo.https_url) if u is not None):
        jsonschema.validate(flux_url, FLUX_URL_SCHEMA)
    assert repo.is_github == (kind == "github")


def test_github_full_name_and_segments():
    repo = parse_repo_url("git@github.com:my-org/k8s.config_v2.git")
    assert repo == RepoUrl("github", "ssh", "github.com", None, "git", ("my-org", "k8s.config_v2"))
    assert repo.full_name == "my-org/k8s.config_v2"


def test_github_rules_apply_only_to_configured_hosts():
    # without the GHES host configured, a URL pointing below a repository is a plain path there
    generic = parse_repo_url("https://github.example.com/platform/clusters/tree/main")
    assert generic.kind == "generic" and not generic.is_github
    with pytest.raises(ValueError, match="below the repository"):
        parse_repo_url("https://github.example.com/platform/clusters/tree/main", github_hosts=GHES)
    # a caller that leaves github.com out gets generic rules for it
    assert parse_repo_url("https://github.com/a/b", github_hosts=frozenset({"ghe.example"})).kind == "generic"


def test_url_of_maximum_length_is_accepted_and_one_more_is_refused():
    head = "https://git.example.org/"
    segment = "s" * 200
    path = "/".join([segment] * 9)
    filler = "f" * (MAX_URL_LENGTH - len(head) - len(path) - 1)
    url = f"{head}{path}/{filler}"
    assert len(url) == MAX_URL_LENGTH
    assert parse_repo_url(url).name == filler
    with pytest.raises(ValueError, match="longer than 2048"):
        parse_repo_url(url + "x")


# --- the cases of tests/test_github_repo.py, ported ----------------------------------------------


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
def test_github_repo_accepted_forms(url):
    repo = parse_repo_url(url)
    assert (repo.kind, repo.owner, repo.name, repo.full_name) == ("github", "acme", "fleet", "acme/fleet")
    assert repo.ssh_url == "ssh://git@github.com/acme/fleet"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://github.com/acme/fleet",
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
def test_github_repo_refused_forms_list_the_github_forms(url):
    with pytest.raises(ValueError) as err:
        parse_repo_url(url)
    for form in ACCEPTED_FORMS["github"]:
        assert form in str(err.value)


@pytest.mark.parametrize(
    "url",
    ["acme/fleet", "acme/fleet.git", "github.com/acme/fleet", "GitHub.com/acme/fleet/", "https://www.github.com/acme/fleet",
     "https://www.github.com/acme/fleet.git", "git@www.github.com:acme/fleet", "ssh://git@www.github.com/acme/fleet"],
)
def test_a_shorthand_or_www_gets_the_exact_line_to_write(url):
    with pytest.raises(ValueError) as err:
        parse_repo_url(url)
    message = str(err.value)
    assert "did you mean https://github.com/acme/fleet? Write `repo: https://github.com/acme/fleet`." in message
    assert "Accepted forms" not in message and len(message) < 200


@pytest.mark.parametrize("owner", [GHP, "a" * 40, "-acme"])
def test_a_shorthand_shows_nothing_that_is_not_a_github_name(owner):
    with pytest.raises(ValueError) as err:
        parse_repo_url(f"{owner}/fleet")
    assert owner not in str(err.value) and "https://github.com/OWNER/NAME" in str(err.value)


def test_gitlab_url_refused_by_github_repo_is_now_a_gitlab_repository():
    # the one deliberate change from github_repo.py (issue #11)
    assert parse_repo_url("https://gitlab.com/acme/fleet").kind == "gitlab"


# --- refusals: the reason, and never any part of the URL ----------------------------------------

TOKEN = "ghp_" + "Zq9SecretTokenValue" + "0123456789abcdef"  # built here: no token-shaped literal in Git

REFUSED = [
    # credentials
    (f"https://x-access-token:{TOKEN}@github.com/zqxowner/zqxrepo", "password or token"),
    (f"https://{TOKEN}@github.com/zqxowner/zqxrepo", "user or a token before '@'"),
    (f"https://{TOKEN}@gitlab.zqx.example/zqxgroup/zqxrepo.git", "user or a token before '@'"),
    ("ssh://glpat-Ab3dEf6hIj9kLm2nOp5q@gitlab.zqx.example/zqxgroup/zqxrepo.git", "SSH user name that looks like a token"),
    ("ghp_Zq9Sec@gitea.zqx.example:zqxowner/zqxrepo.git", "SSH user name that looks like a token"),
    ("https://zqxuser@bitbucket.org/zqxws/zqxrepo.git", "user or a token before '@'"),
    (f"https://{TOKEN}@dev.azure.com/zqxorg/zqxproj/_git/zqxrepo", "user or a token before '@'"),
    (f"https://zqxorg:{TOKEN}@dev.azure.com/zqxorg/zqxproj/_git/zqxrepo", "password or token"),
    (f"ssh://git:{TOKEN}@gitea.zqx.example/zqxowner/zqxrepo.git", "password or token"),
    (f"git:{TOKEN}@gitea.zqx.example:zqxowner/zqxrepo.git", "password or token"),
    (f"https://zqx:pa/ss{TOKEN}@github.com/zqxowner/zqxrepo", "password or token"),
    (f"ssh://{TOKEN}@github.com/zqxowner/zqxrepo", "SSH user name that is not valid"),
    ("ssh://zqxdeploy@github.com/zqxowner/zqxrepo", "SSH user other than git"),
    ("zqxdeploy@gitlab.com:zqxgroup/zqxrepo", "SSH user other than git"),
    (f"ssh://{TOKEN}@gitea.zqx.example/zqxowner/zqxrepo", "SSH user name that is not valid"),
    (f"https://a@{TOKEN}@gitea.zqx.example/zqxowner/zqxrepo", "user or a token before '@'"),
    # schemes Flux cannot use, or that would expose the token
    (f"http://gitea.zqx.example/zqxowner/zqxrepo{TOKEN}.git", "http://"),
    (f"git://gitea.zqx.example/zqxowner/zqxrepo{TOKEN}.git", "git://"),
    (f"file:///srv/zqx/{TOKEN}.git", "file://"),
    (f"ftp://gitea.zqx.example/zqxowner/{TOKEN}.git", "scheme Flux cannot read"),
    (f"gitea.zqx.example/zqxowner/{TOKEN}", "neither a URL"),
    (f"ssh://gitea.zqx.example/zqxowner/{TOKEN}.git", "without a user"),
    (f"git@gitea.zqx.example:2222/zqxowner/{TOKEN}.git", "this form has no port"),
    (f"gitea.zqx.example:zqxowner/{TOKEN}.git", "without a user"),
    # queries, fragments, encodings, characters
    (f"https://github.com/zqxowner/zqxrepo?access_token={TOKEN}", "query"),
    (f"https://github.com/zqxowner/zqxrepo#{TOKEN}", "fragment"),
    (f"https://github.com/zqxowner/zqx%2F{TOKEN}", "percent-encoded"),
    (f"https://dev.azure.com/zqxorg/zqx%2Fproj/_git/{TOKEN}", "percent-encoded"),
    (f"https://github.com/zqxowner/zqx{TOKEN}\u212a", "non-ASCII"),
    (f"https://github.com/zqxowner/zqx\t{TOKEN}", "control character"),
    (f"https://github.com/zqxowner/zqx\x00{TOKEN}", "control character"),
    (f"https://github.com/zqx owner/{TOKEN}", "space"),
    (f"https://dev.azure.com/zqxorg/zqx proj/_git/{TOKEN}", "space"),
    # hosts and ports
    (f"https://gitea_zqx.example/zqxowner/{TOKEN}", "not a valid DNS name"),
    (f"https://-zqx.example/zqxowner/{TOKEN}", "not a valid DNS name"),
    (f"https://zqx..example/zqxowner/{TOKEN}", "not a valid DNS name"),
    (f"https://999.1.2.3/zqxowner/{TOKEN}", "not a valid name or address"),
    (f"https://[zqx::1]/zqxowner/{TOKEN}", "not a valid name or address"),
    (f"https:///zqxowner/{TOKEN}", "no host"),
    (f"ssh://git@gitea.zqx.example:0/zqxowner/{TOKEN}", "port"),
    (f"ssh://git@gitea.zqx.example:65536/zqxowner/{TOKEN}", "port"),
    (f"ssh://git@gitea.zqx.example:22zqx/zqxowner/{TOKEN}", "port"),
    (f"https://github.com:8443/zqxowner/{TOKEN}", "names a port"),
    # paths
    ("https://github.com/zqxowner/zqxrepo/tree/main", "below the repository"),
    ("https://github.com/zqxowner", "lacks the owner"),
    (f"https://gitlab.com/zqxgroup/zqxrepo/-/tree/{TOKEN}", "below the project"),
    ("https://gitlab.com/zqxgroup", "lacks the group"),
    (f"https://bitbucket.org/zqxws/zqxrepo/src/{TOKEN}", "below the repository"),
    (f"https://dev.azure.com/zqxorg/zqxproj/_git/zqxrepo/{TOKEN}", "below the repository"),
    (f"https://dev.azure.com/zqxorg/zqxproj/{TOKEN}", "ORG/PROJECT/_git/NAME"),
    (f"https://dev.azure.com/zqxorg/zqxproj/_git/{TOKEN}%20", "Azure DevOps would not accept"),
    (f"git@ssh.dev.azure.com:v2/zqxorg/zqxproj/{TOKEN}", "v3/ORG/PROJECT/NAME"),
    (f"zqxuser@ssh.dev.azure.com:v3/zqxorg/zqxproj/{TOKEN}", "SSH user Azure DevOps does not use"),
    (f"git@dev.azure.com:v3/zqxorg/zqxproj/{TOKEN}", "no SSH"),
    (f"https://ssh.dev.azure.com/v3/zqxorg/zqxproj/{TOKEN}", "SSH host with https"),
    (f"https://gitea.zqx.example/zqxowner//{TOKEN}", "empty path part"),
    (f"https://gitea.zqx.example/zqxowner/../{TOKEN}", "'.' or '..'"),
    (f"https://gitea.zqx.example/zqx$owner/{TOKEN}", "characters other than"),
    ("https://gitea.zqx.example/", "no repository path"),
    ("https://gitea.zqx.example", "no repository path"),
    (f"ssh://git@gitea.zqx.example/{'/'.join(['zqx'] * 40)}", "more than 32 path parts"),
]


@pytest.mark.parametrize("url, reason", REFUSED)
def test_refused_forms_say_why_without_echoing_the_url(url, reason):
    with pytest.raises(ValueError) as err:
        parse_repo_url(url, github_hosts=GHES)
    message = str(err.value)
    assert reason in message
    assert "Accepted forms:" in message
    for part in ("zqx", "ghp_", "glpat", "Secret", "0123456789", "pa/ss"):
        assert part not in message


def test_credential_messages_say_where_the_token_goes():
    with pytest.raises(ValueError, match="secrets-flux.yaml"):
        parse_repo_url(f"https://{TOKEN}@github.com/acme/fleet")


@pytest.mark.parametrize(
    "char",
    [
        "\u212a",  # KELVIN SIGN: re.IGNORECASE matches it as 'k'
        "\u017f",  # LATIN SMALL LETTER LONG S: matched as 's'
        "\u0130",  # LATIN CAPITAL LETTER I WITH DOT ABOVE: matched as 'i'
        "\u0131",  # LATIN SMALL LETTER DOTLESS I
        "\ufb00",  # LATIN SMALL LIGATURE FF: casefolds to 'ff'
        "\uff47",  # FULLWIDTH LATIN SMALL LETTER G
        "\u00a0",  # NO-BREAK SPACE: str.strip() would remove it
    ],
)
@pytest.mark.parametrize(
    "template",
    ["https://github.com/ac{c}me/fleet", "https://git{c}hub.com/acme/fleet", "git@github.com:acme/fleet{c}",
     "{c}https://github.com/acme/fleet", "https://{c}@github.com/acme/fleet"],
)
def test_case_folding_and_other_non_ascii_characters_are_refused(char, template):
    with pytest.raises(ValueError, match="non-ASCII") as err:
        parse_repo_url(template.format(c=char))
    assert char not in str(err.value)


@pytest.mark.parametrize("url", ["https://github.com/" + "a" * 100_000, "x" * 100_000, "@" * 100_000 + ":/"])
def test_absurd_lengths_are_refused_by_the_length_check(url):
    with pytest.raises(ValueError, match="longer than 2048 characters") as err:
        parse_repo_url(url)
    assert "aaaa" not in str(err.value) and "xxxx" not in str(err.value)


def test_non_text_is_refused():
    with pytest.raises(ValueError, match="is not text"):
        parse_repo_url(b"https://github.com/acme/fleet")  # type: ignore[arg-type]


def test_repo_url_is_immutable():
    repo = parse_repo_url("https://github.com/acme/fleet")
    with pytest.raises(AttributeError):
        repo.host = "evil.example"  # type: ignore[misc]


# --- GitHub Enterprise Server address (the githubUrl setting) ------------------------------------


@pytest.mark.parametrize(
    "text, host",
    [("https://github.example.com", "github.example.com"), (" HTTPS://GitHub.Example.com/ ", "github.example.com")],
)
def test_github_host_from_address(text, host):
    assert parse_github_host(text) == host
    assert parse_repo_url(f"git@{host}:o/r", github_hosts=frozenset({parse_github_host(text)})).is_github


@pytest.mark.parametrize(
    "text",
    [
        "github.zqx.example",
        "http://github.zqx.example",
        f"https://{TOKEN}@github.zqx.example",
        "https://github.zqx.example:8443",
        "https://github.zqx.example/api/v3",
        "https://git\u212ahub.zqx.example",
        "https://" + "a" * 100_000,
        "https://10.1.2.3",
    ],
)
def test_github_host_refuses_anything_but_an_https_host(text):
    with pytest.raises(ValueError, match="https:// address of a GitHub Enterprise Server") as err:
        parse_github_host(text)
    assert "zqx" not in str(err.value) and "ghp_" not in str(err.value)
