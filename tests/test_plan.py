"""The one plan: `pulumi up` registers it, `render` prints it, and it is pure."""

from __future__ import annotations

import pytest

from flux_bootstrap.cli import planned_objects
from flux_bootstrap.plan import Deferred, fill_deferred, plan
from flux_bootstrap.settings import SecretValue
from harness import NAMESPACE, SECRET, run_program
from helpers import APP, settings_for
from pems import app_private_key


def markers(value) -> set[Deferred]:
    found: set[Deferred] = set()
    fill_deferred(value, lambda marker: found.add(marker))
    return found


@pytest.mark.parametrize(
    "values, expected",
    [
        ({}, {Deferred.IDENTITY, Deferred.IDENTITY_PUB, Deferred.KNOWN_HOSTS}),
        ({"auth": "https"}, {Deferred.TOKEN}),
        ({**APP}, {Deferred.APP_PRIVATE_KEY}),
        ({"sops": "generate"}, {Deferred.IDENTITY, Deferred.IDENTITY_PUB, Deferred.KNOWN_HOSTS, Deferred.SOPS_IDENTITY}),
    ],
    ids=["deploy-key", "https", "github-app", "sops"],
)
def test_secret_values_are_deferred_and_only_in_secrets(config_dir, values, expected):
    if values.get("auth") == "github-app":
        values = {**values, "githubAppPrivateKey": SecretValue(app_private_key())}
    planned = plan(settings_for(config_dir, **values))
    assert set().union(*(markers(p.manifest) for p in planned.objects)) == expected
    for planned_object in planned.objects:
        secret_markers = {m for m in markers(planned_object.manifest) if m.secret}
        assert not secret_markers or planned_object.kind == "Secret"


def test_the_default_branch_is_deferred_to_github(config_dir):
    planned = plan(settings_for(config_dir, branch=None))
    assert planned.object("git-repository").manifest["spec"]["ref"] == {"branch": Deferred.BRANCH}
    assert plan(settings_for(config_dir)).object("git-repository").manifest["spec"]["ref"] == {"branch": "main"}


def test_order_and_dependencies(config_dir):
    planned = plan(settings_for(config_dir, sops="generate"))
    assert [p.resource for p in planned.objects] == ["namespace", "secret", "sops-secret", "git-repository", "kustomization"]
    assert planned.object("git-repository").depends_on == ("release", "secret", "deploy-key")
    assert planned.object("kustomization").depends_on == ("release", "git-repository", "sops-secret")
    namespace = planned.object("namespace")
    assert namespace.retain_on_delete and not namespace.protect
    assert plan(settings_for(config_dir, protect="true")).object("namespace").protect


def test_a_key_the_program_does_not_register_is_not_waited_for(config_dir):
    planned = plan(settings_for(config_dir, auth="https"))
    assert planned.deploy_key is None
    assert "deploy-key" not in planned.object("git-repository").depends_on


def test_the_plan_is_pure(config_dir):
    settings = settings_for(config_dir, sops="generate")
    assert plan(settings) == plan(settings)


def test_render_is_the_plan_with_every_secret_value_redacted(config_dir):
    planned = plan(settings_for(config_dir))
    shown = planned_objects(planned)
    assert [o["kind"] for o in shown] == [p.kind for p in planned.objects]
    for obj in shown:
        assert not markers(obj)
        if obj["kind"] == "Secret":
            assert set(obj["stringData"].values()) == {"<redacted>"}
    assert shown[2:] == [p.manifest for p in planned.objects[2:]]  # no marker outside the Secrets here


def test_pulumi_up_registers_exactly_the_plan(config_dir):
    settings = settings_for(config_dir)
    run = run_program({"configDir": str(config_dir)})
    planned = plan(settings)
    namespace, secret = run.one(NAMESPACE), run.one(SECRET)
    assert namespace.inputs["metadata"] == planned.object("namespace").manifest["metadata"]
    assert secret.inputs["metadata"] == planned.object("secret").manifest["metadata"]
    assert set(secret.inputs["stringData"]) == set(planned.object("secret").manifest["stringData"])
    by_name = {r.name.removeprefix("flux-"): r for r in run.registrations}
    for planned_object in planned.objects:
        registration = by_name[planned_object.resource]
        for dependency in planned_object.depends_on:
            assert by_name[dependency].urn in registration.dependencies, (planned_object.resource, dependency)
        if "spec" in planned_object.manifest:
            assert registration.inputs["spec"] == fill_deferred(planned_object.manifest["spec"], lambda m: None)
