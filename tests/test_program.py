"""The whole program (__main__.py) under Pulumi mocks: graph, wiring, secrets, options, errors."""

from __future__ import annotations

import hashlib
import json

import pulumi
import pytest

from cases import GHP, PAT, REFUSED, apply_files
from helpers import ROOT, TOKEN, carried_archive_replaced
from flux_bootstrap import chart
from flux_bootstrap.validation import validate_helm_values, validate_object
from harness import COMPONENT, DEPLOY_KEY, GH_PROVIDER, GIT_REPO, K8S_PROVIDER, KEY, KUSTOMIZATION, NAMESPACE, PINNED_URNS, RELEASE, SECRET, HOST_KEYS, Run, make_key, provider_urn, run_program


@pytest.fixture
def run(config_dir):
    return run_program({"configDir": str(config_dir)})


def test_resource_graph(run):
    assert sorted(r.type for r in run.registrations) == sorted(
        [COMPONENT, GH_PROVIDER, K8S_PROVIDER, KEY, DEPLOY_KEY, NAMESPACE, SECRET, RELEASE, GIT_REPO, KUSTOMIZATION]
    )
    component = run.one(COMPONENT)
    assert component.parent.endswith("pulumi:pulumi:Stack::flux-bootstrap-dev")
    for registration in run.registrations:
        if registration is not component:
            assert registration.parent == component.urn, registration.type


def test_explicit_providers(run):
    github = run.one(GH_PROVIDER)
    kubernetes = run.one(K8S_PROVIDER)
    # Owner and API address are always passed: the SDK would otherwise fill them from the environment.
    assert (github.inputs["owner"], github.inputs["baseUrl"]) == ("username", "https://api.github.com/")
    # Provider inputs travel as strings. No adoption unless asked for (adoptExisting).
    assert kubernetes.inputs["upsertExistingObjects"] == "false"
    assert kubernetes.inputs["enablePatchForce"] == "false"
    assert provider_urn(run.one(DEPLOY_KEY).provider) == github.urn
    for kind in (NAMESPACE, SECRET, RELEASE, GIT_REPO, KUSTOMIZATION):
        assert provider_urn(run.one(kind).provider) == kubernetes.urn, kind
    assert run.one(KEY).provider == ""  # tls needs no configuration
    for invoke in run.invokes:
        assert provider_urn(invoke.provider) == github.urn, invoke.token


def test_kubernetes_target_comes_from_the_stack(config_dir):
    run = run_program(
        {"configDir": str(config_dir)},
        extra_config={"kubernetes:context": "kind-dev", "kubernetes:kubeconfig": "/home/me/.kube/config"},
    )
    provider = run.one(K8S_PROVIDER)
    assert provider.inputs["context"] == "kind-dev"
    assert provider.inputs["kubeconfig"] == "/home/me/.kube/config"
    assert "kubeconfig" in provider.secret_inputs


def test_dependencies(run):
    def deps(kind):
        return {run.by_urn(urn).type for urn in run.one(kind).dependencies}

    assert deps(DEPLOY_KEY) == {KEY}
    assert deps(SECRET) == {KEY, NAMESPACE}
    assert deps(RELEASE) == {NAMESPACE}
    assert deps(GIT_REPO) == {RELEASE, SECRET, DEPLOY_KEY}  # CRDs come from the Release
    assert deps(KUSTOMIZATION) == {RELEASE, GIT_REPO}
    # The key and deploy key do not depend on the cluster: a rebuilt cluster keeps them.
    assert deps(KEY) == set()


def test_token_and_secret_data_arrive_as_secrets(run):
    assert run.one(GH_PROVIDER).inputs["token"] == TOKEN
    assert "token" in run.one(GH_PROVIDER).secret_inputs
    assert "stringData" in run.one(SECRET).secret_inputs


def test_secret_carries_the_key_and_githubs_host_keys(config_dir):
    key = make_key()
    run = run_program({"configDir": str(config_dir)}, key=key)
    data = run.one(SECRET).inputs["stringData"]
    assert data["identity"] == key["privateKeyOpenssh"]
    assert data["identity.pub"] == key["publicKeyOpenssh"]
    assert data["known_hosts"].splitlines() == sorted(f"github.com {k}" for k in HOST_KEYS)
    assert any(line.startswith("github.com ecdsa-sha2-nistp256 ") for line in data["known_hosts"].splitlines())
    deploy_key = run.one(DEPLOY_KEY).inputs
    assert deploy_key == {
        "key": key["publicKeyOpenssh"],
        "readOnly": True,
        "repository": "manifests",
        "title": "flux-bootstrap/dev",
    }


def test_no_secret_in_plain_text_anywhere(run):
    # Neither the token nor the private key may appear outside secret inputs.
    private = run.one(SECRET).inputs["stringData"]["identity"]
    for registration in run.registrations:
        plain = {k: v for k, v in registration.inputs.items() if k not in registration.secret_inputs}
        text = json.dumps(plain)
        assert TOKEN not in text and private not in text, registration.type
    outputs = json.dumps(run.outputs)
    assert TOKEN not in outputs and private not in outputs


def test_emitted_objects_validate_against_the_upstream_schemas(run):
    secret = run.one(SECRET).inputs
    for kind in (NAMESPACE, SECRET, GIT_REPO, KUSTOMIZATION):
        inputs = dict(run.one(kind).inputs)
        if kind == NAMESPACE:
            inputs = {"apiVersion": "v1", "kind": "Namespace", **inputs}
        if kind == SECRET:
            inputs = {"apiVersion": "v1", "kind": "Secret", **secret}
        assert validate_object(inputs) == [], kind
    assert validate_helm_values(run.one(RELEASE).inputs["values"]) == []


def test_release(run):
    release = run.one(RELEASE).inputs
    # The carried archive, relative to the project folder (the provider's working directory), so
    # the state holds no machine-specific path; no repository, or Helm would download instead.
    assert release["name"] == "flux2" and release["chart"] == "./charts/flux2-2.18.3.tgz" and release["version"] == "2.18.3"
    archive = ROOT / release["chart"]
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == chart.CARRIED["2.18.3"].sha256
    assert "repositoryOpts" not in release
    assert "takeOwnership" not in release  # kept CRDs of our own release are re-adopted by Helm itself
    assert release["namespace"] == "flux-system"
    assert release["values"]["imageAutomationController"] == {"create": False}
    assert release["values"]["crds"]["annotations"] == {"helm.sh/resource-policy": "keep"}


def test_a_version_not_carried_installs_from_the_chart_repository(config_dir):
    release = run_program({"configDir": str(config_dir), "chartVersion": "2.17.2"}).one(RELEASE).inputs
    assert (release["chart"], release["version"]) == ("flux2", "2.17.2")
    assert release["repositoryOpts"] == {"repo": "https://fluxcd-community.github.io/helm-charts"}


def test_an_altered_chart_archive_stops_the_run_before_anything_is_created(config_dir, tmp_path, monkeypatch):
    altered = (ROOT / "charts" / "flux2-2.18.3.tgz").read_bytes() + b"\0"
    run = Run()
    with carried_archive_replaced(monkeypatch, tmp_path, lambda path: path.write_bytes(altered)):
        with pytest.raises(pulumi.RunError, match="(?s)charts/flux2-2.18.3.tgz:.*sha256 differs.*git checkout -- charts/flux2-2.18.3.tgz"):
            run_program({"configDir": str(config_dir)}, run=run)
    assert run.registrations == []  # the plan is refused before the component exists


def test_flux_objects(run):
    source = run.one(GIT_REPO).inputs
    assert source["spec"]["url"] == "ssh://git@github.com/username/manifests"
    assert source["spec"]["ref"] == {"branch": "main"}  # from flux.yaml, not the default branch (trunk)
    sync = run.one(KUSTOMIZATION).inputs
    assert sync["spec"]["path"] == "./clusters/dev" and sync["spec"]["deletionPolicy"] == "Orphan"
    # Preflight checks the configured branch, not the default one (its tree, listed by name).
    (tree,) = [i for i in run.invokes if i.token == "github:index/getTree:getTree"]
    assert tree.args == {"repository": "manifests", "treeSha": "main", "recursive": True}


def test_default_branch_is_looked_up_on_github(config_dir):
    (config_dir / "flux.yaml").write_text("repo: git@github.com:acme/fleet.git\n")
    run = run_program({"configDir": str(config_dir)}, default_branch="trunk")
    (lookup,) = [i for i in run.invokes if i.token == "github:index/getRepository:getRepository"]
    assert lookup.args == {"fullName": "acme/fleet"}
    assert run.one(GIT_REPO).inputs["spec"]["ref"] == {"branch": "trunk"}
    assert run.outputs["branch"] == "trunk"


def test_stack_outputs(config_dir):
    key = make_key()
    run = run_program({"configDir": str(config_dir)}, key=key)
    assert run.outputs == {
        "deployKeyPublicKey": key["publicKeyOpenssh"],
        "deployKeyFingerprint": key["publicKeyFingerprintSha256"],
        "privateKeyUrn": run.one(KEY).urn,
        "gitUrl": "ssh://git@github.com/username/manifests",
        "branch": "main",
        "path": "./clusters/dev",
        "namespace": "flux-system",
        "chartVersion": "2.18.3",
    }
    assert run.secret_outputs == set()


def test_readiness_and_bounded_wait(run):
    for kind in (GIT_REPO, KUSTOMIZATION):
        registration = run.one(kind)
        assert registration.inputs["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
        assert registration.custom_timeouts == {"create": "5m", "update": "5m", "delete": "5m"}


def test_no_wait_without_wait_for_sync(config_dir):
    run = run_program({"configDir": str(config_dir), "waitForSync": "false"})
    for kind in (GIT_REPO, KUSTOMIZATION):
        assert "annotations" not in run.one(kind).inputs["metadata"]


def test_safe_destroy_options(run):
    assert run.one(NAMESPACE).retain_on_delete
    assert run.one(KUSTOMIZATION).inputs["spec"]["deletionPolicy"] == "Orphan"
    assert run.one(DEPLOY_KEY).delete_before_replace  # GitHub refuses a key already in use
    for kind in (RELEASE, NAMESPACE, DEPLOY_KEY, SECRET, GIT_REPO, KUSTOMIZATION, KEY):
        assert not run.one(kind).protect, kind


def test_protect_and_destroy_workloads(config_dir):
    run = run_program({"configDir": str(config_dir), "protect": "true", "destroyWorkloads": "true"})
    assert {r.type for r in run.registrations if r.protect} == {RELEASE, NAMESPACE, DEPLOY_KEY}
    kustomization = run.one(KUSTOMIZATION)
    assert kustomization.inputs["spec"]["deletionPolicy"] == "WaitForTermination"
    assert kustomization.inputs["spec"]["timeout"] == "5m"
    # The delete waits longer than Flux's spec.timeout, and before the Release (its dependency) goes.
    assert kustomization.custom_timeouts == {"create": "5m", "update": "5m", "delete": "10m"}
    assert run.one(RELEASE).urn in kustomization.dependencies


def test_every_setting_reaches_the_resources(config_dir):
    run = run_program(
        {
            "configDir": str(config_dir),
            "repo": "https://github.com/acme/prod-fleet",
            "branch": "release",
            "path": "envs/prod",
            "keyAlgorithm": "ecdsa-p384",
            "readWriteKey": "true",
            "chartVersion": "2.19.1",
            "interval": "5m",
        },
        secrets={"githubToken": "stack-token-value"},
        stack="prod",
    )
    assert run.one(GH_PROVIDER).inputs["token"] == "stack-token-value"
    assert run.one(GH_PROVIDER).inputs["owner"] == "acme"
    assert run.one(KEY).inputs == {"algorithm": "ECDSA", "ecdsaCurve": "P384"}
    assert run.one(DEPLOY_KEY).inputs["readOnly"] is False
    assert run.one(DEPLOY_KEY).inputs["repository"] == "prod-fleet"
    assert run.one(DEPLOY_KEY).inputs["title"] == "flux-bootstrap/prod"
    assert run.one(RELEASE).inputs["version"] == "2.19.1"
    assert run.one(GIT_REPO).inputs["spec"]["interval"] == "5m"
    assert run.one(GIT_REPO).inputs["spec"]["ref"] == {"branch": "release"}
    assert run.one(KUSTOMIZATION).inputs["spec"]["path"] == "./envs/prod"


def test_key_rotation_moves_deploy_key_and_secret_together(config_dir):
    # `pulumi up --replace <privateKeyUrn>` makes the TLS resource produce a new key. The deploy
    # key and the Secret take their key from it, so both change with it, and nothing else does.
    first, second = make_key(), make_key()
    before = run_program({"configDir": str(config_dir)}, key=first)
    after = run_program({"configDir": str(config_dir)}, key=second)
    for run, key in ((before, first), (after, second)):
        assert run.outputs["privateKeyUrn"] == run.one(KEY).urn
        assert run.one(DEPLOY_KEY).inputs["key"] == key["publicKeyOpenssh"]
        assert run.one(SECRET).inputs["stringData"]["identity"] == key["privateKeyOpenssh"]
        assert run.one(SECRET).inputs["stringData"]["identity.pub"] == key["publicKeyOpenssh"]
    changed = {r.type for r in after.registrations if r.inputs != before.one(r.type).inputs}
    assert changed == {DEPLOY_KEY, SECRET}
    # Every deploy-key input forces a replacement; it deletes first, in an order GitHub accepts.
    assert after.one(DEPLOY_KEY).delete_before_replace


def test_same_configuration_gives_identical_inputs(config_dir):
    key = make_key()

    def snapshot(host_keys):
        # GitHub may list its host keys in any order: the inputs must not follow it.
        run = run_program({"configDir": str(config_dir)}, key=key, host_keys=host_keys)
        # Registration order is async and no input; everything registered must be identical.
        return json.dumps(
            sorted(
                [(r.type, r.name, r.inputs, sorted(r.dependencies), r.custom_timeouts) for r in run.registrations],
                key=lambda item: (item[0], item[1]),
            ),
            sort_keys=True,
        )

    assert snapshot(HOST_KEYS) == snapshot(list(reversed(HOST_KEYS)))


# --- refused inputs: a clear RunError and nothing registered ----------------------------------

@pytest.mark.parametrize("files,settings,fragments", REFUSED.values(), ids=REFUSED.keys())
def test_refused_input_creates_nothing(config_dir, files, settings, fragments):
    apply_files(config_dir, files)
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir), **settings}, run=run)
    message = str(err.value)
    assert message.startswith(("1 configuration problem;", "2 configuration problems;"))
    for fragment in fragments:
        assert fragment in message
    for secret in (TOKEN, GHP, PAT):
        assert secret not in message
    assert run.registrations == [] and run.invokes == []


def test_misspelled_stack_setting_is_refused(config_dir):
    run = Run()
    with pytest.raises(pulumi.RunError, match="setting 'flux-bootstrap:protcet': is not a known setting"):
        run_program({"configDir": str(config_dir), "protcet": "true"}, run=run)
    assert run.registrations == []


def test_a_token_typed_as_a_secret_settings_name_is_never_shown(config_dir, capsys):
    # `pulumi config set --secret ghp_...`: the token lands where the setting name goes.
    run = Run()
    with pytest.raises(pulumi.RunError) as err:
        run_program({"configDir": str(config_dir)}, secrets={GHP: "value"}, run=run)
    assert "a setting whose name looks like a secret (not shown): is not a known setting" in str(err.value)
    assert "without --secret" not in str(err.value)
    assert GHP not in str(err.value) and GHP not in capsys.readouterr().err
    assert run.registrations == []


def test_plain_text_stack_token_is_refused(config_dir):
    with pytest.raises(pulumi.RunError, match="pulumi config set --secret githubToken") as err:
        run_program({"configDir": str(config_dir), "githubToken": "plain-token-value"})
    assert "plain-token-value" not in str(err.value)


def test_rebootstrap_keeps_the_key_and_adopts_leftovers(config_dir):
    # After `pulumi refresh` drops the lost cluster's objects, `pulumi up` recreates only them:
    # the key lives in the stack's state and nothing on the GitHub side hangs off the cluster.
    run = run_program({"configDir": str(config_dir)})
    cluster = run.one(K8S_PROVIDER).urn
    for kind in (KEY, DEPLOY_KEY):
        registration = run.one(kind)
        assert provider_urn(registration.provider) != cluster
        assert all(run.by_urn(dep).type in (KEY,) for dep in registration.dependencies)
    # The Release needs no takeOwnership: Helm re-adopts CRDs kept from an install of the same
    # release name and namespace, and taking ownership would silently adopt other installs' objects.
    assert "takeOwnership" not in run.one(RELEASE).inputs
    assert run.one(RELEASE).inputs["name"] == "flux2"
    # A cluster that kept the namespace of an earlier install is adopted only on request.
    assert run.one(K8S_PROVIDER).inputs["upsertExistingObjects"] == "false"
    adopting = run_program({"configDir": str(config_dir), "adoptExisting": "true"})
    provider = adopting.one(K8S_PROVIDER).inputs
    assert (provider["upsertExistingObjects"], provider["enablePatchForce"]) == ("true", "true")


def test_resource_urns_are_pinned(run):
    prefix = "urn:pulumi:dev::flux-bootstrap::"
    assert {r.urn.removeprefix(prefix) for r in run.registrations} == PINNED_URNS


def test_a_hostile_config_dir_is_refused_without_touching_the_file_system(config_dir):
    # Half a million folders: refused by its length, never resolved as a path.
    run = Run()
    with pytest.raises(pulumi.RunError, match="configDir'.*not a usable folder path"):
        run_program({"configDir": "a/" * 500000}, run=run)
    assert run.registrations == []
