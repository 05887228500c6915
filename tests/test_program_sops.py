"""SOPS under Pulumi mocks: the key Secret, its ordering, the decryption settings, the output,
and a real encrypt/decrypt proving the deployed key matches the output recipient."""

from __future__ import annotations

import json

import pyrage
import pytest
from pyrage import x25519

from harness import KUSTOMIZATION, NAMESPACE, PINNED_URNS, SECRET, Run, run_program

RANDOM = "random:index/randomBytes:RandomBytes"


def sops_secret(run: Run):
    (found,) = [r for r in run.of_type(SECRET) if r.inputs["metadata"]["name"] == "sops-age"]
    return found


def deployed_identity(run: Run) -> str:
    return sops_secret(run).inputs["stringData"]["age.agekey"].strip()


def assert_decrypts_what_is_encrypted_to_the_output(run: Run) -> None:
    recipient = x25519.Recipient.from_str(run.outputs["sopsAgeRecipient"])
    ciphertext = pyrage.encrypt(b"apiVersion: v1\nkind: Secret\n", [recipient])
    identity = x25519.Identity.from_str(deployed_identity(run))
    assert pyrage.decrypt(ciphertext, [identity]) == b"apiVersion: v1\nkind: Secret\n"


def test_generate_keeps_random_bytes_in_the_state_and_deploys_their_key(config_dir):
    run = run_program({"configDir": str(config_dir), "sops": "generate"})
    material = run.one(RANDOM)
    assert material.inputs == {"length": 32}
    assert material.dependencies == []  # nothing of the cluster: a rebuilt cluster gets the same key
    assert_decrypts_what_is_encrypted_to_the_output(run)
    assert run.outputs["sopsAgeRecipient"].startswith("age1")
    assert "sopsAgeRecipient" not in run.secret_outputs  # a public key


def test_provided_key_is_deployed_as_is(config_dir):
    identity = x25519.Identity.generate()
    run = run_program({"configDir": str(config_dir), "sops": "provided"}, secrets={"sopsAgeKey": str(identity)})
    assert run.of_type(RANDOM) == []
    assert deployed_identity(run) == str(identity)
    assert run.outputs["sopsAgeRecipient"] == str(identity.to_public())
    assert_decrypts_what_is_encrypted_to_the_output(run)


def test_provided_key_from_the_file(config_dir):
    identity = x25519.Identity.generate()
    (config_dir / "age.agekey").write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    run = run_program({"configDir": str(config_dir), "sops": "provided"})
    assert deployed_identity(run) == str(identity)


def test_secret_exists_before_the_kustomization_that_decrypts(config_dir):
    run = run_program({"configDir": str(config_dir), "sops": "generate"})
    secret = sops_secret(run)
    assert secret.inputs["metadata"] == {
        "name": "sops-age",
        "namespace": "flux-system",
        "labels": {"app.kubernetes.io/managed-by": "flux-bootstrap"},
    }
    assert secret.inputs["type"] == "Opaque"
    assert run.one(NAMESPACE).urn in secret.dependencies
    kustomization = run.one(KUSTOMIZATION)
    assert secret.urn in kustomization.dependencies
    assert kustomization.inputs["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}


def test_the_key_is_secret_on_the_wire_and_nowhere_in_plain_text(config_dir):
    identity = x25519.Identity.generate()
    run = run_program({"configDir": str(config_dir), "sops": "provided"}, secrets={"sopsAgeKey": str(identity)})
    assert "stringData" in sops_secret(run).secret_inputs
    for registration in run.registrations:
        plain = {k: v for k, v in registration.inputs.items() if k not in registration.secret_inputs}
        assert str(identity) not in json.dumps(plain), registration.type
    assert str(identity) not in json.dumps(run.outputs)


def test_generated_key_is_secret_on_the_wire(config_dir):
    run = run_program({"configDir": str(config_dir), "sops": "generate"})
    identity = deployed_identity(run)
    assert "stringData" in sops_secret(run).secret_inputs
    assert identity not in json.dumps(run.outputs)


def test_off_makes_no_key_and_no_decryption(config_dir):
    run = run_program({"configDir": str(config_dir)})
    assert run.of_type(RANDOM) == [] and len(run.of_type(SECRET)) == 1
    assert "decryption" not in run.one(KUSTOMIZATION).inputs["spec"]
    assert "sopsAgeRecipient" not in run.outputs


def test_sops_resources_are_pinned(config_dir):
    run = run_program({"configDir": str(config_dir), "sops": "generate", "protect": "true"})
    added = {
        "flux-bootstrap:index:FluxBootstrap$random:index/randomBytes:RandomBytes::flux-sops-age-key",
        "flux-bootstrap:index:FluxBootstrap$kubernetes:core/v1:Secret::flux-sops-secret",
    }
    assert {r.urn.removeprefix("urn:pulumi:dev::flux-bootstrap::") for r in run.registrations} == PINNED_URNS | added
    assert run.one(RANDOM).protect  # losing it means re-encrypting every file


@pytest.mark.parametrize("values,secrets", [({"sops": "provided"}, {}), ({"sops": "generate"}, {"sopsAgeKey": "x"})])
def test_refused_sops_settings_create_nothing(config_dir, values, secrets):
    import pulumi

    run = Run()
    with pytest.raises(pulumi.RunError):
        run_program({"configDir": str(config_dir), **values}, secrets=secrets, run=run)
    assert run.registrations == []
