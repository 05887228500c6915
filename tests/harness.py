"""Runs the real __main__.py under Pulumi mocks and records what it registers.

The recording monitor keeps what `MockResourceArgs` lacks: parent, dependencies, provider,
resource options, and which inputs arrived as secrets (seen on the wire, before unwrapping).
Stack config is built as the Pulumi CLI builds it: Pulumi.yaml defaults, then stack values.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

ROOT = Path(__file__).resolve().parent.parent
# Resource types as the engine sees them, for the tests' assertions.
COMPONENT = "flux-bootstrap:index:FluxBootstrap"
GH_PROVIDER = "pulumi:providers:github"
K8S_PROVIDER = "pulumi:providers:kubernetes"
KEY = "tls:index/privateKey:PrivateKey"
DEPLOY_KEY = "github:index/repositoryDeployKey:RepositoryDeployKey"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECRET = "kubernetes:core/v1:Secret"
RELEASE = "kubernetes:helm.sh/v3:Release"
GIT_REPO = "kubernetes:source.toolkit.fluxcd.io/v1:GitRepository"
RECEIVER = "kubernetes:notification.toolkit.fluxcd.io/v1:Receiver"
WEBHOOK = "github:index/repositoryWebhook:RepositoryWebhook"
RANDOM_BYTES = "random:index/randomBytes:RandomBytes"
KUSTOMIZATION = "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization"
PROJECT = "flux-bootstrap"
# Every resource's URN (type and name, under its parent). With adoption on, a renamed resource
# would be created (adopting the live object) and the old name deleted at the end of `pulumi up`,
# deleting the object itself: a rename must come with an alias, and this list must change with it.
PINNED_URNS = {
    "pulumi:pulumi:Stack$flux-bootstrap:index:FluxBootstrap::flux",
    "flux-bootstrap:index:FluxBootstrap$pulumi:providers:github::flux-github",
    "flux-bootstrap:index:FluxBootstrap$pulumi:providers:kubernetes::flux-kubernetes",
    "flux-bootstrap:index:FluxBootstrap$tls:index/privateKey:PrivateKey::flux-deploy-key",
    "flux-bootstrap:index:FluxBootstrap$github:index/repositoryDeployKey:RepositoryDeployKey::flux-deploy-key",
    "flux-bootstrap:index:FluxBootstrap$kubernetes:core/v1:Namespace::flux-namespace",
    "flux-bootstrap:index:FluxBootstrap$kubernetes:helm.sh/v3:Release::flux-release",
    "flux-bootstrap:index:FluxBootstrap$kubernetes:core/v1:Secret::flux-secret",
    "flux-bootstrap:index:FluxBootstrap$kubernetes:source.toolkit.fluxcd.io/v1:GitRepository::flux-git-repository",
    "flux-bootstrap:index:FluxBootstrap$kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization::flux-kustomization",
}
# GitHub's published host keys have this shape; the test needs no network.
HOST_KEYS = [
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt",
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
]


def make_key() -> dict[str, str]:
    """A real ED25519 key in the shape tls.PrivateKey outputs, made at test time."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    blob = base64.b64decode(public.split()[1])
    fingerprint = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")  # as ssh-keygen -l
    return {
        "privateKeyOpenssh": private,
        "publicKeyOpenssh": public + "\n",
        "publicKeyFingerprintSha256": "SHA256:" + fingerprint,
    }


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    provider: str
    dependencies: list[str]
    inputs: dict[str, Any]
    secret_inputs: set[str]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    custom_timeouts: dict[str, str]


@dataclass
class Invoke:
    token: str
    args: dict[str, Any]
    provider: str


@dataclass
class Run:
    registrations: list[Registration] = field(default_factory=list)
    invokes: list[Invoke] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # stack outputs
    secret_outputs: set[str] = field(default_factory=set)
    events: list[str] = field(default_factory=list)  # "register TYPE" and "invoke TOKEN", in order

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str) -> Registration:
        (found,) = self.of_type(type_)
        return found

    def by_urn(self, urn: str) -> Registration:
        (found,) = [r for r in self.registrations if r.urn == urn]
        return found


def provider_urn(ref: str) -> str:
    """The provider's URN out of a provider reference (`URN::ID`)."""
    return ref.rsplit("::", 1)[0]


def _is_secret_wrapper(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _unwrap(value: Any) -> Any:
    """Inputs with secret wrappers replaced by their values (secrecy is kept in secret_inputs)."""
    if _is_secret_wrapper(value):
        return _unwrap(value["value"])
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _top_level_secrets(struct) -> set[str]:
    """Names of the inputs that are secret on the wire (wholly, or somewhere inside)."""
    raw = json_format.MessageToDict(struct)

    def has_secret(value: Any) -> bool:
        if _is_secret_wrapper(value):
            return True
        if isinstance(value, dict):
            return any(has_secret(v) for v in value.values())
        if isinstance(value, list):
            return any(has_secret(v) for v in value)
        return False

    return {name for name, value in raw.items() if has_secret(value)}


class RecordingMonitor(MockMonitor):
    def __init__(self, mocks, run: Run):
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.run.events.append(f"register {request.type}")
            timeouts = request.customTimeouts
            self.run.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent=request.parent,
                    provider=request.provider,
                    dependencies=list(request.dependencies),
                    inputs=_unwrap(rpc.deserialize_properties(request.object)),
                    secret_inputs=_top_level_secrets(request.object),
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    delete_before_replace=request.deleteBeforeReplace,
                    custom_timeouts={"create": timeouts.create, "update": timeouts.update, "delete": timeouts.delete},
                )
            )
        return response


# Files every branch of the default repository holds: enough for each stack and path the tests use.
HEALTHY_FILES = (
    "README.md",
    "clusters/dev/kustomization.yaml",
    "clusters/dev/apps.yaml",
    "clusters/prod/infrastructure/sources.yaml",
    "envs/prod/kustomization.yaml",
)
REPOSITORY = "github:index/getRepository:getRepository"
BRANCH = "github:index/getBranch:getBranch"
TREE = "github:index/getTree:getTree"
DEPLOY_KEYS = "github:index/getRepositoryDeployKeys:getRepositoryDeployKeys"
WEBHOOKS = "github:index/getRepositoryWebhooks:getRepositoryWebhooks"
SSH_KEYS = "github:index/getSshKeys:getSshKeys"
LOOKUPS = (REPOSITORY, BRANCH, TREE, DEPLOY_KEYS)  # with webhookHost also WEBHOOKS


@dataclass
class Scenario:
    """What GitHub holds and how it answers, whatever repository the program asks about.

    `branches` maps each branch to its files; no branches at all is an empty repository.
    `refusals` maps an invoke token to the status line GitHub answers it with, e.g.
    {TREE: "403 Resource not accessible by personal access token"}.
    """

    exists: bool = True
    default_branch: str = "trunk"
    visibility: str = "private"
    branches: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {name: HEALTHY_FILES for name in ("main", "trunk", "release")}
    )
    refusals: dict[str, str] = field(default_factory=dict)

    def tree_sha(self, branch: str, folder: str) -> str:
        return hashlib.sha1(f"{branch}:{folder}".encode()).hexdigest()

    def commit_sha(self, branch: str) -> str:
        return self.tree_sha(branch, "")  # GitHub lists a commit's tree when given the commit


class FakeCloud(pulumi.runtime.Mocks):
    """Provider behaviour: keys from the TLS provider, answers from GitHub's API.

    GitHub lookups answer as pulumi-github 6.15 does: a missing repository or branch comes back
    EMPTY (no error); an empty repository, a refused permission and a bad tree reference come back
    as invoke failures carrying GitHub's status line, which the program sees as an exception.
    """

    def __init__(self, run: Run, key: dict[str, str], scenario: Scenario, host_keys: list[str]):
        self.run, self.key, self.scenario, self.host_keys = run, key, scenario, host_keys

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "tls:index/privateKey:PrivateKey":
            outputs.update(self.key)
        if args.typ == "random:index/randomBytes:RandomBytes":
            # As the provider does on create: `length` fresh random bytes, as base64 and hex.
            raw = os.urandom(int(args.inputs["length"]))
            outputs.update({"base64": base64.b64encode(raw).decode(), "hex": raw.hex()})
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.run.invokes.append(Invoke(args.token, dict(args.args), args.provider))
        self.run.events.append(f"invoke {args.token}")
        if args.token == SSH_KEYS:
            return {"keys": list(self.host_keys)}
        if args.token not in LOOKUPS + (WEBHOOKS,):
            raise AssertionError(f"unexpected invoke {args.token}")
        scenario = self.scenario
        if args.token in scenario.refusals:
            return self._failure(args, scenario.refusals[args.token])
        # Invoke results travel camelCase, as from the real provider.
        if args.token == REPOSITORY:
            if not scenario.exists:
                return {"fullName": "", "defaultBranch": "", "visibility": "", "private": False}
            return {
                "fullName": args.args["fullName"],
                "defaultBranch": scenario.default_branch,
                "visibility": scenario.visibility,
                "private": scenario.visibility != "public",
            }
        if not scenario.exists:
            return self._failure(args, "404 Not Found")
        if args.token == DEPLOY_KEYS:
            return {"repository": args.args["repository"], "keys": []}
        if args.token == WEBHOOKS:
            return {"repository": args.args["repository"], "webhooks": []}
        if not scenario.branches:
            return self._failure(args, "409 Git Repository is empty.")
        if args.token == BRANCH:
            name = args.args["branch"]
            if name not in scenario.branches:
                return {"branch": name, "repository": args.args["repository"], "id": "", "sha": "", "ref": "", "etag": ""}
            return {
                "branch": name, "repository": args.args["repository"], "id": f"{args.args['repository']}:{name}",
                "sha": scenario.commit_sha(name), "ref": f"refs/heads/{name}", "etag": "W/etag",
            }
        return self._tree(args)

    def _tree(self, args: pulumi.runtime.MockCallArgs):
        # GitHub's GET .../git/trees/{tree_sha}: a tree's sha, or a ref name (a branch's tree); an
        # unknown name or sha is not found. The provider keeps the tree's sha as the answer's id.
        scenario, sha, recursive = self.scenario, args.args["treeSha"], bool(args.args.get("recursive"))
        for branch, files in scenario.branches.items():
            folders = {""} | {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
            for folder in folders:
                if scenario.tree_sha(branch, folder) != sha and (folder or sha != branch):
                    continue
                prefix = f"{folder}/" if folder else ""
                below = sorted({f[len(prefix):] for f in files if f.startswith(prefix)})
                entries = {}
                for rest in below:
                    parts = rest.split("/")
                    for depth in range(1, len(parts) + 1 if recursive else 2):
                        relative = "/".join(parts[:depth])
                        is_file = depth == len(parts)
                        entries[relative] = {
                            "path": relative, "mode": "100644" if is_file else "040000",
                            "type": "blob" if is_file else "tree", "size": 10 if is_file else 0,
                            "sha": scenario.tree_sha(branch, prefix + relative),
                        }
                listed = _cut(list(entries.values()), args.args["repository"]) if recursive else list(entries.values())
                return {"id": scenario.tree_sha(branch, folder), "repository": args.args["repository"],
                        "treeSha": sha, "recursive": recursive, "entries": listed}
        if len(sha) == 40 and all(c in "0123456789abcdef" for c in sha):
            return self._failure(args, "422 Invalid tree info")
        return self._failure(args, "404 Not Found")

    @staticmethod
    def _failure(args: pulumi.runtime.MockCallArgs, status_line: str):
        # The provider's error text: go-github's "METHOD URL: STATUS MESSAGE []".
        return {}, [("", f"GET https://api.github.com/repos/lookup/{args.token.rsplit(':', 1)[-1]}: {status_line} []")]


def _cut(entries: list[dict[str, Any]], repository: str) -> list[dict[str, Any]]:
    """A recursive listing as GitHub answers it: cut once 100,000 entries or 7 MB of entries are
    reached (GitHub then says `truncated`, which the provider drops)."""
    kept, size = [], 0
    for entry in entries:
        kind = "trees" if entry["type"] == "tree" else "blobs"
        url = f"https://api.github.com/repos/lookup/{repository}/git/{kind}/{entry['sha']}"
        size += len(json.dumps({**entry, "url": url}).encode())
        if len(kept) == 100_000 or size > 7_000_000:
            break
        kept.append(entry)
    return kept


def project_defaults() -> dict[str, str]:
    """The defaults Pulumi.yaml declares, as the CLI passes them: strings, namespaced."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: read at every run
    declared = yaml.load((ROOT / "Pulumi.yaml").read_text(), Loader=loader)["config"]
    out = {}
    for name, spec in declared.items():
        value = spec["default"]
        out[f"{PROJECT}:{name}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def run_program(
    settings: dict[str, str] | None = None,
    secrets: dict[str, str] | None = None,
    *,
    stack: str = "dev",
    key: dict[str, str] | None = None,
    default_branch: str = "trunk",
    scenario: Scenario | None = None,
    extra_config: dict[str, str] | None = None,
    extra_secrets: dict[str, str] | None = None,
    run: Run | None = None,
    host_keys: list[str] = HOST_KEYS,
) -> Run:
    """Run __main__.py for `stack` with these stack settings (bare names); secrets as --secret.
    `extra_config` and `extra_secrets` hold other keys as written (`kubernetes:context`), plain or --secret.

    What was registered is recorded in `run`, also when the program fails. GitHub answers as
    `scenario` says; by default a healthy private repository whose default branch is `default_branch`.
    """
    run = run if run is not None else Run()
    mocks = FakeCloud(run, key or make_key(), scenario or Scenario(default_branch=default_branch), host_keys)
    # A fresh root Stack each run: set_mocks keeps an existing one, and with it the last run's outputs.
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=RecordingMonitor(mocks, run))
    config = project_defaults()
    config.update({f"{PROJECT}:{k}": v for k, v in (settings or {}).items()})
    config.update({f"{PROJECT}:{k}": v for k, v in (secrets or {}).items()})
    config.update(extra_config or {})
    config.update(extra_secrets or {})
    secret_keys = [f"{PROJECT}:{k}" for k in (secrets or {})] + list(extra_secrets or {})
    pulumi.runtime.set_all_config(config, secret_keys=secret_keys)

    @pulumi.runtime.test
    def program():
        # As in production, __main__ freezes the heap it imported (gc.freeze) and leaves it frozen:
        # unfreezing here would make the benchmark's one-run process pay the collector at exit.
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    program()

    exported = dict(pulumi.runtime.settings.get_root_resource().outputs)

    @pulumi.runtime.test
    def collect():
        async def resolve():
            for name, value in exported.items():
                output = pulumi.Output.from_input(value)
                run.outputs[name] = await output.future()
                if await output.is_secret():
                    run.secret_outputs.add(name)

        return pulumi.Output.from_input(resolve())

    collect()
    return run
