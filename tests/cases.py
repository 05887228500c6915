"""Refused inputs shared by the program tests (under mocks) and the offline `check` tests.

Each case: files to write into the config folder (None deletes it), stack settings, and the
fragments the error message must contain.
"""

from pathlib import Path

from conftest import TOKEN

REFUSED = {
    "missing flux.yaml": ({"flux.yaml": None}, {}, ["config/flux.yaml", "file not found", "pulumi config set flux-bootstrap:repo"]),
    "empty flux.yaml": ({"flux.yaml": ""}, {}, ["config/flux.yaml", "empty"]),
    "bad YAML": ({"flux.yaml": "repo: [unclosed\n"}, {}, ["config/flux.yaml", "not valid YAML at line"]),
    "list instead of mapping": ({"flux.yaml": "- repo\n"}, {}, ["must be a YAML mapping"]),
    "repo missing": ({"flux.yaml": "branch: main\n"}, {}, ["field 'repo'", "required"]),
    "repo not a string": ({"flux.yaml": "repo: 42\n"}, {}, ["field 'repo'", "must be a string"]),
    "unknown field": ({"flux.yaml": "repo: https://github.com/a/b\nbranh: main\n"}, {}, ["line 2, field 'branh'", "not a known field"]),
    "duplicate field": ({"flux.yaml": "repo: https://github.com/a/b\nrepo: https://github.com/a/c\n"}, {}, ["line 2, field 'repo'", "twice"]),
    "other host": ({"flux.yaml": "repo: https://gitlab.com/a/b\n"}, {}, ["field 'repo'", "https://github.com/OWNER/NAME"]),
    "scp form without user": ({"flux.yaml": "repo: github.com:a/b\n"}, {}, ["field 'repo'", "accepted form"]),
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
    "missing config dir": ({}, {"configDir": "/nonexistent/flux-config"}, ["setting 'flux-bootstrap:configDir'", "/nonexistent/flux-config does not exist"]),
}


def apply_files(config_dir: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        if text is None:
            (config_dir / name).unlink()
        else:
            (config_dir / name).write_text(text)
