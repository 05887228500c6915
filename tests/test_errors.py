"""Problems: `message` is the whole text producers write (what is wrong, then what to do), `fix`
the part of it that says what to do (split after the first sentence) or the fix they give apart;
describe() tells the text as written."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cases import GHP
from helpers import resolve, write_repo
from flux_bootstrap.errors import ConfigError, Problem
from flux_bootstrap.settings import SecretValue
from flux_bootstrap.yaml_source import parse_mapping
from pems import app_private_key

APP = {"auth": "github-app", "githubAppId": "1", "githubAppPrivateKey": SecretValue(app_private_key())}


def refused(project_dir, **values) -> Problem:
    with pytest.raises(ConfigError) as err:
        resolve(project_dir, **values)
    (problem,) = err.value.problems
    return problem


@pytest.mark.parametrize(
    "values,field,message,fix",
    [
        ({"githubUrl": "https://github.com"}, "githubUrl",
         "points at github.com, which needs no githubUrl.", "Remove it: pulumi config rm githubUrl"),
        # "?" ends the first sentence too
        ({"githubtoken": "x"}, "githubtoken", "is not a known setting; did you mean `githubToken`?",
         "Store the value there, encrypted: pulumi config set --secret githubToken; then pulumi config rm githubtoken."),
        # a version number ends the sentence; its inner dots do not
        ({**APP, "githubAppInstallationOwner": "acme", "chartVersion": "2.17.2"}, "githubAppInstallationOwner",
         "needs Flux 2.8 or newer, and chart 2.17.2 installs Flux 2.7.5.", "Set githubAppInstallationId instead."),
        ({"protect": "maybe"}, "protect", "must be true or false.", None),
    ],
)
def test_a_refused_setting_says_what_is_wrong_then_what_to_do(config_dir, values, field, message, fix):
    problem = refused(config_dir.parent, **values)
    whole = f"{message} {fix}" if fix else message
    assert (problem.field, problem.message, problem.fix) == (f"flux-bootstrap:{field}", whole, fix)


def test_a_dotted_file_name_does_not_end_the_sentence(config_dir):
    write_repo(config_dir, "https://gitlab.com/a/b", branch=None)
    problem = refused(config_dir.parent, auth="https")
    assert problem.fix == "Set `branch` in config/flux.yaml, or: pulumi config set branch main"
    assert problem.message == ("is required for a repository that is not on GitHub: the default branch can only be "
                               f"looked up on GitHub. {problem.fix}")


def test_a_file_problem_is_split_too():
    (problem,) = parse_mapping("a: &x 1\nb: *x\n", "config/flux.yaml")[1]
    assert problem.message.endswith("anchors and aliases are not supported in config files. Write the value out in full.")
    assert problem.fix == "Write the value out in full."


@pytest.mark.parametrize(
    "text,message,fix",
    [
        ("is wrong, e.g. here. Do this.", "is wrong, e.g. here.", "Do this."),
        ("use the AGE-SECRET-KEY-1... Line that age-keygen writes.", "use the AGE-SECRET-KEY-1... Line that age-keygen writes.", None),
        ("is wrong (see docs/a.md. Then retry). Do this.", "is wrong (see docs/a.md. Then retry).", "Do this."),
        ("must be `a. B` here. `pulumi config rm x` removes it.", "must be `a. B` here.", "`pulumi config rm x` removes it."),
        ("file not found. pulumi up would not find it either.", "file not found. pulumi up would not find it either.", None),
    ],
)
def test_the_first_sentence_ends_at_a_real_sentence_end(text, message, fix):
    problem = Problem("f", text)
    assert (problem.message, problem.fix) == (text, fix)
    assert text == (f"{message} {fix}" if fix else message)
    assert problem.describe() == text


def test_describe_tells_the_text_as_written(config_dir):
    problem = Problem("config/flux.yaml", "is not a known field. Check the spelling, or remove it.", field="reop", line=3)
    assert problem.describe() == "line 3, field 'reop': is not a known field. Check the spelling, or remove it."
    hidden = Problem("config/flux.yaml", "is not a known field. Check the spelling, or remove it.", field=GHP, line=2)
    assert hidden.describe().startswith(
        "line 2, a field whose name looks like a secret (not shown): is not a known field. Check the spelling, or "
        "remove it. If a token or key was pasted there, delete that line"
    )
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, githubUrl="https://github.com")
    assert ("setting 'flux-bootstrap:githubUrl': points at github.com, which needs no githubUrl. "
            "Remove it: pulumi config rm githubUrl") in str(err.value)


def test_an_explicit_fix_is_kept_and_told_and_a_copy_keeps_both():
    problem = Problem("charts/x.tgz", "is missing. It was deleted.", fix="Restore it.")
    assert (problem.message, problem.fix, problem.describe()) == ("is missing. It was deleted. Restore it.",
                                                                  "Restore it.", "is missing. It was deleted. Restore it.")
    assert replace(problem, line=3).message == problem.message  # the fix is told once
    split = Problem("f", "is missing. Restore it. Then run again.")
    again = replace(split, hides_others=True)
    assert (again.message, again.fix) == ("is missing. Restore it. Then run again.", "Restore it. Then run again.")
    assert again.describe() == "is missing. Restore it. Then run again."
