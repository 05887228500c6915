"""Pure builders: Settings → the Kubernetes objects, Helm release and GitHub inputs Flux needs.

Used by the Pulumi component and by the offline `render` and `check` commands alike, so there is
one copy of every manifest. Output is plain dicts with a fixed key order and no time or
randomness, so the same settings always give the same inputs (no perpetual diff).
"""

from __future__ import annotations

from typing import Any, Iterable

from . import age_key, chart, credentials
from .chart import tuning
from .known_hosts import from_published_keys
from .chart.values import CHART_NAME, CHART_REPOSITORY, RELEASE_NAME, HelmReleaseSpec
from .settings import Settings

NAMESPACE = "flux-system"
NAME = "flux-system"  # Secret, GitRepository and Kustomization, as `flux bootstrap` names them
KUSTOMIZATION_INTERVAL = "10m"
GITHUB_HOST = "github.com"
# How long `pulumi up` waits for a Flux object to become Ready before failing.
SYNC_TIMEOUT = "5m"
# With destroyWorkloads, how long Flux may take to delete what it deployed (Kustomization
# spec.timeout bounds WaitForTermination), and how long Pulumi waits for that delete: longer, so
# the controllers are uninstalled only once the workloads are gone.
WORKLOAD_DELETE_TIMEOUT = "5m"
KUSTOMIZATION_DELETE_TIMEOUT = "10m"

GIT_REPOSITORY_API = "source.toolkit.fluxcd.io/v1"
KUSTOMIZATION_API = "kustomize.toolkit.fluxcd.io/v1"

_LABELS = {"app.kubernetes.io/managed-by": "flux-bootstrap"}

# tls.PrivateKey arguments per key algorithm. The ECDSA curve is always set: the provider's
# default, P224, has no OpenSSH form.
KEY_ARGS: dict[str, dict[str, Any]] = {
    "ed25519": {"algorithm": "ED25519"},
    "ecdsa-p256": {"algorithm": "ECDSA", "ecdsa_curve": "P256"},
    "ecdsa-p384": {"algorithm": "ECDSA", "ecdsa_curve": "P384"},
    "ecdsa-p521": {"algorithm": "ECDSA", "ecdsa_curve": "P521"},
    "rsa-4096": {"algorithm": "RSA", "rsa_bits": 4096},
}


def _metadata(name: str, namespace: str | None = NAMESPACE, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    metadata["labels"] = dict(_LABELS)
    if annotations:
        metadata["annotations"] = dict(annotations)
    return metadata


def metadata(name: str, settings: Settings | None = None) -> dict[str, Any]:
    """Metadata of an object of ours in flux-system, labelled like every other; with `settings`,
    `pulumi up` waits for it to become Ready when waitForSync is on."""
    return _metadata(name, annotations=_readiness(settings) if settings is not None else None)


def namespace_manifest() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(NAMESPACE, namespace=None)}


def known_hosts(host_keys: Iterable[str], host: str = GITHUB_HOST) -> str:
    """known_hosts of the Secret, from the Git host's published keys (see known_hosts.py)."""
    return from_published_keys(host_keys, host)


def git_secret_manifest(string_data: Any, name: str = NAME) -> dict[str, Any]:
    """The Secret the GitRepository reads; `string_data` from credentials (per auth mode); `name`
    per credential generation (rotation.py)."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(name),
        "type": "Opaque",
        "stringData": string_data,
    }


def sops_secret_manifest(identity: str) -> dict[str, Any]:
    """The Secret holding the SOPS age key, labelled like every object we make."""
    return age_key.secret_manifest(identity, namespace=NAMESPACE, labels=_LABELS)


def _readiness(settings: Settings) -> dict[str, str] | None:
    return {"pulumi.com/waitFor": "condition=Ready"} if settings.lifecycle.wait_for_sync else None


def git_repository_manifest(settings: Settings, branch: str, secret_name: str = NAME) -> dict[str, Any]:
    return {
        "apiVersion": GIT_REPOSITORY_API,
        "kind": "GitRepository",
        "metadata": _metadata(NAME, annotations=_readiness(settings)),
        "spec": {
            "interval": settings.source.interval,
            **({"provider": provider} if (provider := credentials.git_provider(settings)) else {}),
            "ref": {"branch": branch},
            "secretRef": {"name": secret_name},
            "url": credentials.flux_url(settings),
        },
    }


def kustomization_manifest(settings: Settings) -> dict[str, Any]:
    spec: dict[str, Any] = {
        # Orphan: deleting this object (pulumi destroy) leaves what Flux deployed running.
        # WaitForTermination: the delete returns only once Flux's workloads are gone, so the
        # controllers (deleted after this object) are still there to clear their finalizers.
        "deletionPolicy": "WaitForTermination" if settings.lifecycle.destroy_workloads else "Orphan",
        "interval": KUSTOMIZATION_INTERVAL,
        "path": settings.kustomization_path,
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": NAME},
    }
    if settings.lifecycle.destroy_workloads:
        spec["timeout"] = WORKLOAD_DELETE_TIMEOUT
    if settings.sops.enabled:
        spec["decryption"] = age_key.decryption_spec()
    if settings.tuning.multitenancy:
        # Multi-tenancy lockdown makes Kustomizations without an account impersonate `default` of
        # their namespace, which may do nothing: this one applies the cluster's own configuration.
        spec["serviceAccountName"] = "kustomize-controller"
    return {
        "apiVersion": KUSTOMIZATION_API,
        "kind": "Kustomization",
        "metadata": _metadata(NAME, annotations=_readiness(settings)),
        "spec": spec,
    }


def custom_timeouts(settings: Settings, kind: str) -> dict[str, str]:
    """How long Pulumi waits for a Flux object: Ready on create/update, gone on delete."""
    delete = KUSTOMIZATION_DELETE_TIMEOUT if kind == "Kustomization" and settings.lifecycle.destroy_workloads else SYNC_TIMEOUT
    return {"create": SYNC_TIMEOUT, "update": SYNC_TIMEOUT, "delete": delete}


def helm_release(settings: Settings) -> HelmReleaseSpec:
    """A carried chart version installs from its archive (verified here: ChartError when missing or
    altered, never a silent download); any other version from the chart repository."""
    version = settings.source.chart_version
    if chart.is_carried(version):
        chart.carried_archive(version)
        source = {"chart": chart.CARRIED[version].release_path, "repository": None}
    else:
        source = {"chart": CHART_NAME, "repository": CHART_REPOSITORY}
    return HelmReleaseSpec(
        name=RELEASE_NAME,
        **source,
        version=version,
        namespace=NAMESPACE,
        values=tuning.chart_values(settings.tuning, version),
    )


def deploy_key_title(settings: Settings) -> str:
    """Names project and stack, so several environments can share one repository."""
    return f"{settings.project}/{settings.stack}"


def private_key_args(settings: Settings) -> dict[str, Any]:
    return dict(KEY_ARGS[settings.key_algorithm])
