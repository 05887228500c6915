"""FluxBootstrap: one ComponentResource that wires every Pulumi resource of a Flux bootstrap.

It only wires: every value comes from `flux_bootstrap.manifests`, so `render` shows exactly this.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from flux_bootstrap import manifests, validation
from flux_bootstrap.errors import ConfigError
from flux_bootstrap.settings import Settings

from . import credentials, sops
from .preflight import checked_branch
from .stack_config import KubernetesTarget


class FluxBootstrap(pulumi.ComponentResource):
    # The SSH key's outputs: None in the auth modes that make no key (github-app, https).
    public_key: pulumi.Output[str] | None
    fingerprint: pulumi.Output[str] | None
    private_key_urn: pulumi.Output[str] | None
    branch: pulumi.Output[str]
    sops_recipient: pulumi.Output[str] | None  # with SOPS on: the age public key to encrypt to

    def __init__(
        self,
        name: str,
        settings: Settings,
        kubernetes: KubernetesTarget,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("flux-bootstrap:index:FluxBootstrap", name, None, opts)
        try:
            # First: a missing or altered chart archive, or helmValues Helm cannot render with the
            # carried chart, stops the run before anything is created.
            spec = manifests.helm_release(settings)
            unrenderable = validation.helm_values_problems(settings, spec.values, source=f"stack '{settings.stack}' settings")
            if unrenderable:
                raise ConfigError(unrenderable)
        except ConfigError as err:
            raise pulumi.RunError(str(err)) from None

        def child(**options) -> pulumi.ResourceOptions:
            return pulumi.ResourceOptions(parent=self, **options)

        # None on a host that is not GitHub; authenticated with the token or as the GitHub App.
        gh = credentials.github_provider(name, settings, self)
        cluster = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=kubernetes.kubeconfig,
            context=kubernetes.context,
            cluster=kubernetes.cluster,
            # Only on request (adoptExisting): adopt the namespace and objects an earlier install
            # left behind instead of failing with "already exists", and take over fields another
            # manager (flux bootstrap, kubectl) owns. Off, a stack run against the wrong cluster
            # cannot silently take over its Flux.
            upsert_existing_objects=settings.adopt_existing,
            enable_patch_force=settings.adopt_existing,
            opts=child(),
        )
        on_cluster = {"parent": self, "provider": cluster}

        # Synchronous: a failed check raises before the key or anything else below is registered.
        branch = checked_branch(settings, gh, self)

        # Per auth mode: the SSH key and deploy key, the App's key or the token, as the Secret's data.
        access = credentials.git_access(name, settings, gh, self)

        namespace = self._kubernetes_object(
            f"{name}-namespace",
            manifests.namespace_manifest(),
            # Retained: objects Flux created from Git may live in it and hold finalizers.
            pulumi.ResourceOptions(**on_cluster, protect=settings.protect, retain_on_delete=True),
        )

        secret = credentials.git_secret(name, access, pulumi.ResourceOptions(**on_cluster, depends_on=[namespace]))

        decryption_key = []
        self.sops_recipient = None
        if settings.sops.enabled:
            identity = sops.age_identity(name, settings, self)
            self.sops_recipient = sops.recipient(identity)
            manifest = manifests.sops_secret_manifest("")
            manifest["stringData"] = identity.apply(lambda key: manifests.sops_secret_manifest(key)["stringData"])
            # Created before the Kustomization: encrypted files in Git fail to apply without it.
            decryption_key.append(
                self._kubernetes_object(f"{name}-sops-secret", manifest, pulumi.ResourceOptions(**on_cluster, depends_on=[namespace]))
            )

        release = k8s.helm.v3.Release(
            f"{name}-release",
            name=spec.name,
            chart=spec.chart,
            version=spec.version,
            namespace=spec.namespace,
            # None for a carried archive: with a repository, Helm would download instead.
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=spec.repository) if spec.repository else None,
            values=spec.values,
            opts=pulumi.ResourceOptions(**on_cluster, protect=settings.protect, depends_on=[namespace]),
        )

        # Flux objects depend on the Release: their CRDs come from it, and on destroy they are
        # deleted while the controllers still run to clear their finalizers.
        def timeouts(kind: str) -> pulumi.CustomTimeouts:
            return pulumi.CustomTimeouts(**manifests.custom_timeouts(settings, kind))

        git_repository = self._kubernetes_object(
            f"{name}-git-repository",
            manifests.git_repository_manifest(settings, branch),
            # The deploy key (when the program registers one) must be on GitHub before Flux's first fetch.
            pulumi.ResourceOptions(
                **on_cluster, depends_on=[release, secret, *access.waits], custom_timeouts=timeouts("GitRepository")
            ),
        )
        self._kubernetes_object(
            f"{name}-kustomization",
            manifests.kustomization_manifest(settings),
            pulumi.ResourceOptions(
                **on_cluster,
                depends_on=[release, git_repository, *decryption_key],
                custom_timeouts=timeouts("Kustomization"),
            ),
        )

        key = access.key
        self.public_key = key.public_key_openssh if key else None
        self.fingerprint = key.public_key_fingerprint_sha256 if key else None
        self.private_key_urn = key.urn if key else None
        self.branch = pulumi.Output.from_input(branch)
        outputs = {"public_key": self.public_key, "fingerprint": self.fingerprint, "branch": self.branch}
        self.register_outputs({k: v for k, v in outputs.items() if v is not None})

    @staticmethod
    def _kubernetes_object(resource_name: str, manifest: dict, opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
        """A Namespace, Secret or Flux custom resource straight from its manifest."""
        if manifest["kind"] == "Namespace":
            return k8s.core.v1.Namespace(resource_name, metadata=manifest["metadata"], opts=opts)
        if manifest["kind"] == "Secret":
            return k8s.core.v1.Secret(
                resource_name,
                metadata=manifest["metadata"],
                type=manifest["type"],
                string_data=pulumi.Output.secret(manifest["stringData"]),
                opts=opts,
            )
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=opts,
        )
