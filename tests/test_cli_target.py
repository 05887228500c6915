"""`check` says which cluster the stack targets (issue #17): the stack's kubernetes:context, or
else the current kubectl context, with a warning to pin it. Only the name is read from a kubeconfig."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import TOKEN, run_cli

# A kubeconfig as kubectl writes it, credentials included: none of them may ever be shown.
KUBECONFIG = f"""\
apiVersion: v1
kind: Config
clusters:
- name: kind-dev
  cluster: {{server: "https://127.0.0.1:6443", certificate-authority-data: TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0}}
contexts:
- name: kind-dev
  context: {{cluster: kind-dev, user: kind-dev}}
users:
- name: kind-dev
  user: {{token: "{TOKEN}"}}
current-context: {{current}}
"""


def kubeconfig(path: Path, current: str = "kind-dev") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(KUBECONFIG.replace("{current}", current))
    return path


@pytest.fixture
def elsewhere(tmp_path_factory) -> Path:
    """A folder outside the project (whose folder is tmp_path)."""
    return tmp_path_factory.mktemp("elsewhere")


def pin(project: Path, *lines: str) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n" + "".join(f"  {line}\n" for line in lines))


def target_and_warnings(project: Path, capsys) -> tuple[str, list[str]]:
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 0, err
    ok, target, chart = out.splitlines()
    assert ok.startswith("ok: stack dev:") and chart.startswith("chart: ")
    assert TOKEN not in out + err and "TFMwdEx" not in out + err and "127.0.0.1" not in out + err
    warnings = [line for line in err.splitlines() if "repository is still the example" not in line]
    return target, warnings


def test_the_stacks_context_is_shown_and_nothing_is_read(project, capsys, monkeypatch, elsewhere):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(elsewhere / "config", current="other")))
    pin(project, "kubernetes:context: kind-dev")
    assert target_and_warnings(project, capsys) == ("target: kubernetes context kind-dev (kubernetes:context of stack dev)", [])
    pin(project, "kubernetes:context: prod-admin", "kubernetes:kubeconfig: ~/.kube/prod", "kubernetes:cluster: prod-eu")
    assert target_and_warnings(project, capsys) == (
        "target: kubernetes context prod-admin (kubernetes:context of stack dev, in its kubernetes:kubeconfig, cluster prod-eu)", []
    )
    pin(project, "kubernetes:context:", "  secure: v1:c2VjcmV0")
    assert target_and_warnings(project, capsys) == ("target: the kubernetes:context of stack dev, encrypted (not shown)", [])


def test_unpinned_the_current_context_of_the_home_kubeconfig_and_a_warning(project, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    kubeconfig(tmp_path / "home" / ".kube" / "config")
    pin(project, "flux-bootstrap:interval: 1m")
    target, warnings = target_and_warnings(project, capsys)
    assert target == "target: kubernetes context kind-dev (current kubectl context: pulumi up would use it)"
    assert warnings == [
        "warning: stack dev pins no kubernetes context, so pulumi up deploys to whichever context is current when it "
        "runs (now kind-dev, from ~/.kube/config). Pin it: pulumi config set -s dev kubernetes:context kind-dev"
    ]


def test_kubeconfig_files_merge_as_kubectl_merges_them(project, capsys, monkeypatch, elsewhere):
    # A missing file is skipped and the first file that sets a current context wins.
    first = kubeconfig(elsewhere / "a", current='""')
    second = kubeconfig(elsewhere / "b", current="arn:aws:eks:eu-west-1:123456789012:cluster/prod eu")
    third = kubeconfig(elsewhere / "c", current="kind-dev")
    monkeypatch.setenv("KUBECONFIG", f"{elsewhere / 'missing'}:{first}::{second}:{third}")
    pin(project, "flux-bootstrap:interval: 1m")
    target, (warning,) = target_and_warnings(project, capsys)
    name = "arn:aws:eks:eu-west-1:123456789012:cluster/prod eu"
    assert target == f"target: kubernetes context {name} (current kubectl context: pulumi up would use it)"
    assert warning.endswith(f"(now {name}, from {second}). Pin it: pulumi config set -s dev kubernetes:context '{name}'")


@pytest.mark.parametrize("content", [None, "", "# only a comment\n", "apiVersion: v1\nkind: Config\n"])
def test_no_current_context_says_so_and_how_to_pin_one(project, capsys, monkeypatch, tmp_path, content):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG")
    where = "~/.kube/config (no such file)"
    if content is not None:
        (tmp_path / "home" / ".kube").mkdir(parents=True)
        (tmp_path / "home" / ".kube" / "config").write_text(content)
        where = "~/.kube/config"
    pin(project, "flux-bootstrap:interval: 1m")
    target, warnings = target_and_warnings(project, capsys)
    assert target == (
        f"target: no kubectl context: no kubernetes:context in the stack and no current context in {where} "
        "(pulumi up would find no cluster)"
    )
    assert warnings == [
        "warning: stack dev pins no kubernetes context, so pulumi up deploys to whichever context is current when it "
        "runs. Pin it: pulumi config set -s dev kubernetes:context <name> (kubectl config get-contexts lists the names)"
    ]


def test_an_unreadable_kubeconfig_is_named_and_never_quoted(project, capsys, monkeypatch, elsewhere):
    broken = elsewhere / "config"
    broken.write_text(f'users:\n- name: x\n  user: {{token: "{TOKEN}"\ncurrent-context: x\n')
    monkeypatch.setenv("KUBECONFIG", str(broken))
    pin(project, "flux-bootstrap:interval: 1m")
    target, (warning,) = target_and_warnings(project, capsys)
    assert target.startswith(f"target: unknown: cannot read the current context: {broken}: not valid YAML at line 3")
    assert warning.endswith("Pin it: pulumi config set -s dev kubernetes:context <name> (kubectl config get-contexts lists the names)")


def test_the_stacks_own_kubeconfig_is_the_one_read(project, capsys, monkeypatch, elsewhere):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(elsewhere / "ambient", current="not-this-one")))
    kubeconfig(project / "kube" / "dev.yaml", current="kind-dev")
    pin(project, "kubernetes:kubeconfig: kube/dev.yaml")  # relative to the project, where pulumi runs
    target, (warning,) = target_and_warnings(project, capsys)
    own = "(current context of the stack's kubernetes:kubeconfig: pulumi up would use it)"
    assert target == f"target: kubernetes context kind-dev {own}"
    assert warning.endswith("Pin it: pulumi config set -s dev kubernetes:context kind-dev")
    # Inline in the stack file only without credentials (an exec plugin): a token there is refused.
    no_token = KUBECONFIG.replace('{token: "' + TOKEN + '"}', "{exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin}}")
    inline = no_token.replace("{current}", "kind-inline").replace("\n", "\n    ")
    pin(project, f"kubernetes:kubeconfig: |\n    {inline}")
    assert target_and_warnings(project, capsys)[0] == f"target: kubernetes context kind-inline {own}"
    pin(project, "kubernetes:kubeconfig:", "  apiVersion: v1", "  current-context: kind-yaml")
    assert target_and_warnings(project, capsys)[0] == f"target: kubernetes context kind-yaml {own}"
    pin(project, "kubernetes:kubeconfig:", "  secure: v1:c2VjcmV0")
    assert target_and_warnings(project, capsys)[0] == (
        "target: unknown: cannot read the current context: the stack's kubernetes:kubeconfig: is encrypted, "
        "so its current context is not known offline."
    )
    pin(project, "kubernetes:kubeconfig: kube/missing.yaml")
    assert target_and_warnings(project, capsys)[0] == (
        "target: unknown: cannot read the current context: kube/missing.yaml: file not found. "
        "pulumi up would not find it either."
    )


def test_a_name_with_control_characters_is_not_shown(project, capsys, monkeypatch, elsewhere):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig(elsewhere / "config", current='"kind\\e[31m-dev"')))
    pin(project, "flux-bootstrap:interval: 1m")
    target, (warning,) = target_and_warnings(project, capsys)
    assert target == "target: kubernetes context (a name that cannot be shown) (current kubectl context: pulumi up would use it)"
    assert "\x1b" not in warning and warning.endswith("kubernetes:context <name> (kubectl config get-contexts lists the names)")


def test_a_secret_typed_as_a_context_or_kubeconfig_path_is_never_shown(project, capsys, monkeypatch):
    from cases import GHP

    pin(project, f"kubernetes:context: {GHP}")
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert GHP not in out + err and GHP[4:20] not in out + err
    assert "(a name that cannot be shown)" in out
    pin(project, f"kubernetes:kubeconfig: /tmp/{GHP}")
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert GHP not in out + err and "(a path that looks like a secret, not shown)" in out
    pin(project)
    monkeypatch.setenv("KUBECONFIG", f"/tmp/{GHP}")
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert GHP not in out + err
