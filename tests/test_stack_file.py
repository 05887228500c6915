"""Reading Pulumi.yaml and Pulumi.<stack>.yaml offline, as the Pulumi CLI reads them."""

import shutil

import pytest

from helpers import ROOT
from flux_bootstrap.settings import SecretValue
from flux_bootstrap.stack_file import read_stack_file, stack_name


@pytest.mark.parametrize("reference,name", [("dev", "dev"), ("acme/dev", "dev"), ("acme/flux-bootstrap/dev", "dev"), ("a.b_c-1", "a.b_c-1")])
def test_stack_references_resolve_as_the_cli_does(reference, name):
    assert stack_name(reference) == name


@pytest.mark.parametrize("reference", ["", "a/b/c/d", "dev/", "/dev", "de v", "..", "acme/../dev", "x" * 101, "dév"])
def test_malformed_stack_references_are_refused(reference):
    with pytest.raises(ValueError, match="is not a stack name"):
        stack_name(reference)


@pytest.fixture
def project(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    return tmp_path


def test_a_missing_stack_file_is_a_problem_with_the_init_command(project):
    stack_file, problems = read_stack_file(project, "prdo")
    assert not stack_file.exists
    (problem,) = problems
    assert problem.source == "Pulumi.prdo.yaml"
    assert "pulumi stack init prdo" in problem.fix


def test_values_are_read_as_the_cli_reads_them(project):
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n"
        "  flux-bootstrap:branch: 1.10\n"          # top-level scalars stay text
        "  protect: yes\n"                           # bare key: this project's namespace
        "  kubernetes:context: kind-dev\n"           # the provider's: kept apart
        "  kubernetes:kubeconfig:\n    secure: v1:abc\n"
        "  kubernetes:namespace: x\n"                # another package's setting: left alone
        "  aws:region: eu-west-1\n"
        "  flux-bootstrap:githubToken:\n    secure: v1:abc\n"
        "  flux-bootstrap:tolerations:\n    - key: a\n      tolerationSeconds: 30\n"  # objects keep their types
    )
    stack_file, problems = read_stack_file(project, "dev")
    assert problems == []
    assert stack_file.values["branch"] == "1.10" and stack_file.values["protect"] == "yes"
    assert "context" not in stack_file.values and "region" not in stack_file.values
    assert stack_file.kubernetes == {"context": "kind-dev", "kubeconfig": SecretValue(None)}
    assert stack_file.values["githubToken"] == SecretValue(None)
    assert stack_file.values["tolerations"] == [{"key": "a", "tolerationSeconds": 30}]
    assert stack_file.lines == {"branch": 2, "protect": 3, "githubToken": 9, "tolerations": 11}


def test_an_object_set_as_json_text_is_read_as_pulumi_reads_it(project):
    # `pulumi config set tolerations '[...]'` (no --path) stores text; the program's
    # Config.get_object parses it, so the offline reader does too. Other text stays text.
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n"
        "  flux-bootstrap:tolerations: '[{\"key\": \"dedicated\", \"operator\": \"Exists\"}]'\n"
        "  flux-bootstrap:nodeSelector: not json\n"
        "  flux-bootstrap:branch: '[1]'\n"  # not a structured setting: stays text
    )
    stack_file, problems = read_stack_file(project, "dev")
    assert problems == []
    assert stack_file.values["tolerations"] == [{"key": "dedicated", "operator": "Exists"}]
    assert stack_file.values["nodeSelector"] == "not json"
    assert stack_file.values["branch"] == "[1]"


def test_a_token_typed_as_a_namespace_is_refused_without_its_name(project):
    from cases import GHP

    (project / "Pulumi.dev.yaml").write_text(f"config:\n  {GHP}:path: x\n")
    stack, problems = read_stack_file(project, "dev")
    (problem,) = problems
    assert problem.line == 2 and GHP not in problem.describe() and "looks like a secret" in problem.describe()
