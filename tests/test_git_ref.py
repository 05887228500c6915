import re
import shutil
import subprocess

import pytest

from flux_bootstrap.git_ref import check_branch_name

# "@" alone is a valid branch name for git (only the full refname "@" is refused).
VALID = ["main", "master", "feature/x", "release-1.2", "a/b/c", "v1.0", "ünïcode", "x@y", "a.b", "@"]
INVALID = {
    "": "is empty",
    "-main": "start with '-'",
    "HEAD": "'HEAD'",
    "a..b": "'..'",
    "a b": "a space",
    "a~b": "'~'",
    "a^b": "'^'",
    "a:b": "':'",
    "a?b": "'?'",
    "a*b": "'*'",
    "a[b": "'['",
    "a\\b": "'\\'",
    "a\tb": "control character",
    "a@{b": "'@{'",
    "/main": "start or end with '/'",
    "main/": "start or end with '/'",
    "a//b": "'//'",
    "main.": "end with '.'",
    ".hidden": "starting with '.'",
    "a/.b": "starting with '.'",
    "main.lock": "ending with '.lock'",
    "a.lock/b": "ending with '.lock'",
}


@pytest.mark.parametrize("name", VALID)
def test_valid_names(name):
    assert check_branch_name(name) == name


@pytest.mark.parametrize("name,reason", INVALID.items())
def test_invalid_names_say_why(name, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_branch_name(name)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed: cannot compare with git check-ref-format")
@pytest.mark.parametrize("name", VALID + [n for n in INVALID if n])
def test_agrees_with_git_check_ref_format(name):
    git = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, cwd="/")
    assert (git.returncode == 0) == _accepted(name)


def _accepted(name: str) -> bool:
    try:
        check_branch_name(name)
    except ValueError:
        return False
    return True
