"""Refused inputs shared by the program tests (under mocks) and the offline `check` tests.

Each case: files to write into the config folder (None deletes it), stack settings, and the
fragments the error message must contain.
"""

from pathlib import Path

from helpers import TOKEN

# Token-shaped strings, built at run time so no tracked file holds one.
GHP = "ghp_" + "A1b2C3d4E5" * 4
PAT = "github_pat_" + "11AB" * 10

REFUSED = {
    "missing flux.yaml": ({"flux.yaml": None}, {}, ["config/flux.yaml", "file not found", "pulumi config set flux-bootstrap:repo"]),
    "empty flux.yaml": ({"flux.yaml": ""}, {}, ["config/flux.yaml", "empty"]),
    "bad YAML": ({"flux.yaml": "repo: [unclosed\n"}, {}, ["config/flux.yaml", "not valid YAML at line"]),
    "list instead of mapping": ({"flux.yaml": "- repo\n"}, {}, ["must be a YAML mapping"]),
    "repo missing": ({"flux.yaml": "branch: main\n"}, {}, ["field 'repo'", "required"]),
    "repo not a string": ({"flux.yaml": "repo: 42\n"}, {}, ["field 'repo'", "must be a string"]),
    "unknown field": ({"flux.yaml": "repo: https://github.com/a/b\nbranh: main\n"}, {}, ["line 2, field 'branh'", "not a known field"]),
    "duplicate field": ({"flux.yaml": "repo: https://github.com/a/b\nrepo: https://github.com/a/c\n"}, {}, ["line 2, field 'repo'", "twice"]),
    "other host without knownHosts": ({"flux.yaml": "repo: https://gitlab.com/a/b\nbranch: main\n"}, {}, ["setting 'flux-bootstrap:knownHosts'", "is required for deploy-key on a host that is not GitHub", "documented fingerprints"]),
    "scp form without user": ({"flux.yaml": "repo: github.com:a/b\n"}, {}, ["field 'repo'", "Accepted forms"]),
    "bad branch": ({"flux.yaml": "repo: https://github.com/a/b\nbranch: feat..x\n"}, {}, ["field 'branch'", "'..'"]),
    "branch a number": ({"flux.yaml": "repo: https://github.com/a/b\nbranch: 1.0\n"}, {}, ["field 'branch'", "Quote"]),
    "missing token file": ({"secrets-flux.yaml": None}, {}, ["config/secrets-flux.yaml", "pulumi config set --secret githubToken"]),
    "empty token": ({"secrets-flux.yaml": 'token: "  \\n"\n'}, {}, ["field 'token'", "is empty"]),
    "token missing": ({"secrets-flux.yaml": "tokn: x\n"}, {}, ["field 'token'", "required", "field 'tokn'"]),
    "token not a string": ({"secrets-flux.yaml": "token: 12345\n"}, {}, ["field 'token'", "must be a string"]),
    "token with inner space": ({"secrets-flux.yaml": f'token: "{TOKEN} x"\n'}, {}, ["field 'token'", "whitespace"]),
    "tagged token": ({"secrets-flux.yaml": f"token: !!int {TOKEN}\n"}, {}, ["config/secrets-flux.yaml", "YAML tags"]),
    "unknown YAML tag": ({"flux.yaml": "repo: !env REPO\n"}, {}, ["config/flux.yaml", "YAML tags"]),
    "secrets bad YAML": ({"secrets-flux.yaml": f'token: "{TOKEN}\n'}, {}, ["config/secrets-flux.yaml", "not valid YAML"]),
    "bad path setting": ({}, {"path": "../other"}, ["setting 'flux-bootstrap:path'", "'..'"]),
    "bad interval setting": ({}, {"interval": "often"}, ["setting 'flux-bootstrap:interval'", "Flux duration"]),
    "bad key algorithm": ({}, {"keyAlgorithm": "dsa"}, ["setting 'flux-bootstrap:keyAlgorithm'", "ed25519"]),
    "bad chart version": ({}, {"chartVersion": "latest"}, ["setting 'flux-bootstrap:chartVersion'", "exact chart version"]),
    "bad boolean": ({}, {"readWriteKey": "yes"}, ["setting 'flux-bootstrap:readWriteKey'", "true or false"]),
    # Names that look like a secret are never shown (a token pasted where a key belongs).
    "token as a key in flux.yaml": ({"flux.yaml": f"repo: https://github.com/a/b\n{GHP}: x\n"}, {}, ["line 2, a field whose name looks like a secret (not shown): is not a known field", "revoke the token"]),
    "token as the key in secrets-flux.yaml": ({"secrets-flux.yaml": f"{PAT}:\n"}, {}, ["line 1, a field whose name looks like a secret (not shown)", "field 'token': is required"]),
    "token as a setting name": ({}, {GHP: "true"}, ["a setting whose name looks like a secret (not shown): is not a known setting"]),
    "empty flux.yaml says repo is required": ({"flux.yaml": "# nothing yet\n"}, {}, ["config/flux.yaml", "field 'repo'", "the file is empty, but `repo` is required"]),
    "example placeholder token": ({"secrets-flux.yaml": 'token: "ghp_your-token-here"\n'}, {}, ["field 'token'", "example placeholder"]),
    "seed placeholder token": ({"secrets-flux.yaml": 'token: "ghp_' + "x" * 36 + '"\n'}, {}, ["field 'token'", "example placeholder"]),
    "branch of thousands of characters": ({}, {"branch": "b" * 5000}, ["setting 'flux-bootstrap:branch'", "longer than 255 bytes"]),
    "path of thousands of characters": ({}, {"path": "p/" * 3000}, ["setting 'flux-bootstrap:path'", "longer than 1024"]),
    "interval beyond Go's limit": ({}, {"interval": "2562048h"}, ["setting 'flux-bootstrap:interval'", "longer than Flux can count"]),
    "huge interval text": ({}, {"interval": "1" * 100000 + "h"}, ["setting 'flux-bootstrap:interval'", "Flux duration"]),
    "look-alike letter in the URL": ({"flux.yaml": "repo: https://github.com/acme/\u212aube\n"}, {}, ["field 'repo'", "non-ASCII"]),
    "URL of thousands of characters": ({"flux.yaml": "repo: https://github.com/" + "a" * 5000 + "\n"}, {}, ["field 'repo'", "longer than 2048"]),
    # Hostile or broken YAML: refused before anything is expanded, at the line where it starts.
    "alias in a list": ({"flux.yaml": "repo: &r https://github.com/a/b\nextra:\n  - *r\n"}, {}, ["config/flux.yaml", "at line 1;", "anchors and aliases are not supported"]),
    "alias in a nested mapping": ({"secrets-flux.yaml": f"a:\n  b: &t {{v: {TOKEN}}}\nc:\n  d: *t\n"}, {}, ["config/secrets-flux.yaml", "at line 2;", "anchors and aliases are not supported"]),
    "token behind an alias": ({"secrets-flux.yaml": f"token: *{GHP}\n"}, {}, ["config/secrets-flux.yaml", "at line 1;", "anchors and aliases"]),
    "merge key": ({"flux.yaml": "base: &b {repo: https://github.com/a/b}\n<<: *b\n"}, {}, ["config/flux.yaml", "at line 1;", "anchors and aliases are not supported"]),
    "merge key without alias": ({"flux.yaml": "<<: {repo: https://github.com/a/b}\n"}, {}, ["config/flux.yaml", "merge key (<<) at line 1"]),
    "billion laughs": ({"secrets-flux.yaml": f"a0: &a0 [{TOKEN}, {TOKEN}]\n" + "".join(f"a{i}: &a{i} [*a{i-1}, *a{i-1}]\n" for i in range(1, 40))}, {}, ["config/secrets-flux.yaml", "at line 1;", "anchors and aliases"]),
    "huge file": ({"flux.yaml": "repo: https://github.com/a/b\n" + "# padding\n" * 30000}, {}, ["config/flux.yaml", "larger than 256 KiB"]),
    "deep nesting": ({"flux.yaml": "repo: " + "[" * 100 + "]" * 100 + "\n"}, {}, ["config/flux.yaml", "nests deeper than 32 levels at line 1"]),
    "too many keys": ({"flux.yaml": "repo: https://github.com/a/b\n" + "".join(f"k{i}: v\n" for i in range(6000))}, {}, ["config/flux.yaml", "more than 10000 keys and values"]),
    "tab indentation": ({"flux.yaml": "repo: https://github.com/a/b\n\tbranch: main\n"}, {}, ["config/flux.yaml", "line 2, column 1", "a tab is used for indentation"]),
    "missing space after colon": ({"secrets-flux.yaml": f'token:"{TOKEN}"\n'}, {}, ["config/secrets-flux.yaml", "missing space after ':' on line 1"]),
    "missing space on line 2": ({"flux.yaml": "repo: https://github.com/a/b\nbranch:main\n"}, {}, ["config/flux.yaml", "missing space after ':' on line 2"]),
    "unclosed quote on line 2": ({"secrets-flux.yaml": f'# GitHub token\ntoken: "{TOKEN}\n# end\n# more\n'}, {}, ["config/secrets-flux.yaml", "at line 2, column 8", "never closed"]),
    "unclosed single quote": ({"flux.yaml": "repo: https://github.com/a/b\nbranch: 'main\n# a\n# b\n"}, {}, ["config/flux.yaml", "at line 2, column 9", "single quote", "never closed"]),
    # Authentication (issue #11): a setting of another mode is refused, never ignored.
    "App setting with auth https": ({}, {"githubAppId": "12345", "auth": "https"}, ["setting 'flux-bootstrap:githubAppId'", "only used with `auth: github-app`"]),
    "knownHosts on github.com": ({}, {"knownHosts": "github.com ssh-ed25519 " + "A" * 68}, ["setting 'flux-bootstrap:knownHosts'", "not used for github.com"]),
    "githubUrl at github.com": ({}, {"githubUrl": "https://github.com"}, ["setting 'flux-bootstrap:githubUrl'", "points at github.com"]),
    "github-app without a private key": ({}, {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"}, ["setting 'flux-bootstrap:auth'", "private key is missing", "config/github-app.pem"]),
    "key algorithm with auth https": ({}, {"keyAlgorithm": "rsa-4096", "auth": "https"}, ["setting 'flux-bootstrap:keyAlgorithm'", "no SSH key is made"]),
    "github-app on GitLab": ({"flux.yaml": "repo: https://gitlab.com/a/b\nbranch: main\n"}, {"auth": "github-app", "githubAppId": "1", "githubAppInstallationId": "2"}, ["setting 'flux-bootstrap:auth'", "works only with GitHub"]),
    "missing config dir": ({}, {"configDir": "/nonexistent/flux-config"}, ["setting 'flux-bootstrap:configDir'", "names a folder that does not exist"]),
    "token as the config dir": ({}, {"configDir": GHP}, ["setting 'flux-bootstrap:configDir': looks like a GitHub token", "(more may follow)"]),
    "config dir of a huge name": ({}, {"configDir": "a" * 300}, ["setting 'flux-bootstrap:configDir'", "not a usable folder path"]),
    "config dir of thousands of parts": ({}, {"configDir": "a/" * 3000}, ["setting 'flux-bootstrap:configDir'", "not a usable folder path"]),
}


def apply_files(config_dir: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        if text is None:
            (config_dir / name).unlink()
        else:
            (config_dir / name).write_text(text)
