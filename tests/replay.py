"""Replays the steps `pulumi up` takes from one run of the program to the next, and what exists
in the cluster and on GitHub after each step.

Pulumi's engine, as documented ("How Pulumi works", resource options `deleteBeforeReplace`,
`replaceOnChanges`) and as its step generator behaves:
- resources are visited in the order the program registers them (dependencies first);
- a URN the old state lacks is created; one whose inputs changed is updated in place, or replaced
  when a changed input forces replacement: create-before-delete (the old one deleted at the end)
  unless the resource asks for delete-before-replace (deleted first, then created);
- every old URN the program no longer registers, and every replaced old resource, is deleted
  after all creates and updates, dependents first (by the recorded dependencies).
What forces replacement, per provider: every input of a tls PrivateKey and a GitHub deploy key;
a Kubernetes object's name, and a Secret's data (the Kubernetes provider replaces a Secret whose
data changes, delete-first when its name stays: two objects cannot share a name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness import DEPLOY_KEY, GIT_REPO, KEY, SECRET, Registration, Run

PROVIDER = "kubernetes:notification.toolkit.fluxcd.io/v1beta3:Provider"  # commit status, as the App


@dataclass(frozen=True)
class Step:
    op: str  # create, update, delete
    resource: Registration

    def __str__(self) -> str:
        return f"{self.op} {self.resource.name}"


def _name(reg: Registration) -> str | None:
    return (reg.inputs.get("metadata") or {}).get("name")


def _replacement(old: Registration, new: Registration, forced: bool) -> str | None:
    """None (no replace), 'create-first' or 'delete-first'."""
    if forced or (old.type in (KEY, DEPLOY_KEY) and old.inputs != new.inputs):
        return "delete-first" if new.delete_before_replace else "create-first"
    if old.type.startswith("kubernetes:") and _name(old) != _name(new):
        return "create-first"
    if old.type == SECRET and old.inputs.get("stringData") != new.inputs.get("stringData"):
        return "delete-first"
    return None


def steps(old: Run, new: Run, replace: frozenset[str] = frozenset()) -> list[Step]:
    """The steps of `pulumi up` from `old`'s state to `new`'s program; `replace` lists URNs given
    to `--replace`."""
    before = {reg.urn: reg for reg in old.registrations}
    now = {reg.urn for reg in new.registrations}
    out: list[Step] = []
    condemned: list[Registration] = [reg for reg in old.registrations if reg.urn not in now]
    for reg in new.registrations:
        previous = before.get(reg.urn)
        if previous is None:
            out.append(Step("create", reg))
            continue
        how = _replacement(previous, reg, reg.urn in replace)
        if how == "delete-first":
            out += [Step("delete", previous), Step("create", reg)]
        elif how == "create-first":
            out.append(Step("create", reg))
            condemned.append(previous)
        elif previous.inputs != reg.inputs:
            out.append(Step("update", reg))
    out += [Step("delete", reg) for reg in _dependents_first(condemned)]
    return out


def _dependents_first(condemned: list[Registration]) -> list[Registration]:
    """The delete order: a resource only once nothing condemned depends on it any more (Pulumi runs
    independent deletes in parallel; ties here go by reverse registration order)."""
    left = list(reversed(condemned))
    ordered: list[Registration] = []
    while left:
        ready = next(reg for reg in left if not any(reg.urn in other.dependencies for other in left))
        ordered.append(ready)
        left.remove(ready)
    return ordered


@dataclass
class World:
    """What the cluster and GitHub hold: Secrets by name, deploy keys, the GitRepository and the
    commit status Provider (which reads the Git Secret as the GitHub App)."""

    secrets: dict[str, dict] = field(default_factory=dict)
    deploy_keys: set[str] = field(default_factory=set)
    git_repository: dict | None = None
    provider: dict | None = None

    def apply(self, step: Step) -> None:
        reg, creating = step.resource, step.op != "delete"
        if reg.type == SECRET:
            if creating:
                self.secrets[_name(reg)] = reg.inputs["stringData"]
            else:
                self.secrets.pop(_name(reg), None)
        elif reg.type == DEPLOY_KEY:
            key = reg.inputs["key"].strip()
            (self.deploy_keys.add if creating else self.deploy_keys.discard)(key)
        elif reg.type == GIT_REPO:
            self.git_repository = reg.inputs["spec"] if creating else None
        elif reg.type == PROVIDER:
            self.provider = reg.inputs["spec"] if creating else None

    def gap(self) -> str | None:
        """Why Flux could not fetch (or post a status) now, or None."""
        if self.provider is not None and self.provider["secretRef"]["name"] not in self.secrets:
            return f"the commit status Provider references Secret {self.provider['secretRef']['name']}, which does not exist"
        if self.git_repository is None:
            return None
        name = self.git_repository["secretRef"]["name"]
        if name not in self.secrets:
            return f"the GitRepository references Secret {name}, which does not exist"
        public = self.secrets[name].get("identity.pub")
        if public is not None and public.strip() not in self.deploy_keys:
            return f"the key of Secret {name} is not a deploy key on GitHub"
        return None


def replay(old: Run, new: Run, replace: frozenset[str] = frozenset()) -> tuple[list[Step], list[str]]:
    """The steps, and every gap seen after one of them (as 'after STEP: why')."""
    world = World()
    for reg in old.registrations:
        world.apply(Step("create", reg))
    assert world.gap() is None, "the old state itself has a gap"
    done, gaps = steps(old, new, replace), []
    for step in done:
        world.apply(step)
        why = world.gap()
        if why:
            gaps.append(f"after {step}: {why}")
    return done, gaps
