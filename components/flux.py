"""FluxBootstrap: one ComponentResource that wires the plan of a Flux bootstrap to the providers.

It only wires: every object comes from `flux_bootstrap.plan`, which `render` and `check` read too.
"""

from __future__ import annotations

import pulumi
# Imported here, not on first use: __main__ freezes what the imports built (see there).
from pulumi_kubernetes import Provider as KubernetesProvider
from pulumi_kubernetes.apiextensions import CustomResource
from pulumi_kubernetes.core.v1 import Namespace, Secret
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

from flux_bootstrap.plan import Deferred, Plan, PlannedObject, fill_deferred
from flux_bootstrap.age_key import key_file_text as age_key_file_text

from . import age_identity, git_access, github_webhook
from .github_lookups import checked_branch
from .stack_config import KubernetesTarget


class FluxBootstrap(pulumi.ComponentResource):
    # The SSH key's outputs: None in the auth modes that make no key (github-app, https).
    public_key: pulumi.Output[str] | None
    fingerprint: pulumi.Output[str] | None
    private_key_urn: pulumi.Output[str] | None
    branch: pulumi.Output[str]
    sops_recipient: pulumi.Output[str] | None  # with SOPS on: the age public key to encrypt to
    webhook_url: pulumi.Output[str] | None  # with webhookHost: the receiver's URL
    webhook_id: pulumi.Output[str] | None  # on GitHub: the repository webhook's id

    def __init__(
        self,
        name: str,
        plan: Plan,
        kubernetes: KubernetesTarget,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("flux-bootstrap:index:FluxBootstrap", name, None, opts)
        settings = plan.settings
        # None on a host that is not GitHub; authenticated with the token or as the GitHub App.
        gh = git_access.github_provider(name, settings, self)
        cluster = KubernetesProvider(
            f"{name}-kubernetes",
            kubeconfig=kubernetes.kubeconfig,
            context=kubernetes.context,
            cluster=kubernetes.cluster,
            # Only on request (adoptExisting): adopt the namespace and objects an earlier install
            # left behind instead of failing with "already exists", and take over fields another
            # manager (flux bootstrap, kubectl) owns. Off, a stack run against the wrong cluster
            # cannot silently take over its Flux.
            upsert_existing_objects=settings.lifecycle.adopt_existing,
            enable_patch_force=settings.lifecycle.adopt_existing,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Synchronous: a failed check raises before the key or anything else below is registered.
        branch = checked_branch(settings, gh, self)
        # The deferred values of the plan, as Outputs: keys, the token, host keys, the branch.
        values = git_access.deferred_values(name, plan, gh, self)
        values[Deferred.BRANCH] = branch
        if settings.sops.enabled:
            identity = age_identity.age_identity(name, settings, self)
            values[Deferred.SOPS_IDENTITY] = identity.apply(age_key_file_text)
        self.webhook_url = self._webhook_token(name, plan, values)
        registered: dict[str, pulumi.Resource] = dict(values.resources)
        for planned in plan.objects:
            if planned.resource == "git-repository":
                registered["release"] = self._release(name, plan, cluster, registered["namespace"])
            registered[planned.resource] = self._kubernetes_object(
                f"{name}-{planned.resource}", planned, values, self._options(planned, cluster, registered)
            )
        hook = github_webhook.repository_webhook(name, plan, self.webhook_url, values, gh, registered, self)
        self.webhook_id = hook.id if hook is not None else None

        key = values.key
        self.public_key = key.public_key_openssh if key else None
        self.fingerprint = key.public_key_fingerprint_sha256 if key else None
        self.private_key_urn = key.urn if key else None
        self.sops_recipient = age_identity.recipient(identity) if settings.sops.enabled else None
        self.branch = pulumi.Output.from_input(branch)
        outputs = {"public_key": self.public_key, "fingerprint": self.fingerprint, "branch": self.branch,
                   "webhook_url": self.webhook_url, "webhook_id": self.webhook_id}
        self.register_outputs({k: v for k, v in outputs.items() if v is not None})

    def _webhook_token(self, name: str, plan: Plan, values: dict) -> pulumi.Output[str] | None:
        """With webhookHost: the random token (for the plan's Secret), and the receiver's URL."""
        if plan.webhook is None:
            return None
        token = values[Deferred.WEBHOOK_TOKEN] = github_webhook.token(name, self)
        return github_webhook.hook_url(plan, token)

    def _options(self, planned: PlannedObject, cluster: KubernetesProvider, registered: dict) -> pulumi.ResourceOptions:
        timeouts = pulumi.CustomTimeouts(**planned.timeouts) if planned.timeouts else None
        return pulumi.ResourceOptions(
            parent=self,
            provider=cluster,
            depends_on=[registered[name] for name in planned.depends_on],  # the plan names only what exists
            protect=planned.protect,
            retain_on_delete=planned.retain_on_delete or None,
            custom_timeouts=timeouts,
        )

    def _release(self, name: str, plan: Plan, cluster: KubernetesProvider, namespace: pulumi.Resource) -> Release:
        spec = plan.release
        return Release(
            f"{name}-release",
            name=spec.name,
            chart=spec.chart,
            version=spec.version,
            namespace=spec.namespace,
            # None for a carried archive: with a repository, Helm would download instead.
            repository_opts=RepositoryOptsArgs(repo=spec.repository) if spec.repository else None,
            values=spec.values,
            opts=pulumi.ResourceOptions(
                parent=self, provider=cluster, protect=plan.settings.lifecycle.protect, depends_on=[namespace]
            ),
        )

    @staticmethod
    def _kubernetes_object(
        resource_name: str, planned: PlannedObject, values: dict, opts: pulumi.ResourceOptions
    ) -> pulumi.CustomResource:
        """A Namespace, Secret or Flux custom resource straight from its planned manifest."""
        manifest = fill_deferred(planned.manifest, values.__getitem__)
        if manifest["kind"] == "Namespace":
            return Namespace(resource_name, metadata=manifest["metadata"], opts=opts)
        if manifest["kind"] == "Secret":
            return Secret(
                resource_name,
                metadata=manifest["metadata"],
                type=manifest["type"],
                # Secret on the wire and in the state, whatever its keys hold.
                string_data=pulumi.Output.secret(manifest["stringData"]),
                opts=opts,
            )
        return CustomResource(
            resource_name,
            api_version=manifest["apiVersion"],
            kind=manifest["kind"],
            metadata=manifest["metadata"],
            spec=manifest["spec"],
            opts=opts,
        )
