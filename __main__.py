"""flux-bootstrap: Flux on this stack's cluster, syncing a Git repository (deploy key, GitHub App or HTTPS)."""

from flux_bootstrap.startup import frozen_imports

with frozen_imports():  # the provider SDKs: see there
    from pathlib import Path

    import pulumi

    from components.flux import FluxBootstrap
    from components.stack_config import kubernetes_target, load_plan
    from flux_bootstrap import credentials, manifests
    from flux_bootstrap.errors import ConfigError

try:
    plan = load_plan(Path(__file__).resolve().parent)
except ConfigError as err:
    # Nothing has been registered yet: a config error creates nothing.
    raise pulumi.RunError(str(err)) from None
settings = plan.settings

flux = FluxBootstrap("flux", plan, kubernetes_target())

if flux.public_key is not None:  # auth deploy-key; off GitHub, add this public key to the repository by hand
    pulumi.export("deployKeyPublicKey", flux.public_key)
    pulumi.export("deployKeyFingerprint", flux.fingerprint)
    pulumi.export("privateKeyUrn", flux.private_key_urn)  # for `pulumi up --replace`: rotates the key
pulumi.export("gitUrl", credentials.flux_url(settings))
pulumi.export("branch", flux.branch)
pulumi.export("path", settings.kustomization_path)
pulumi.export("namespace", manifests.NAMESPACE)
pulumi.export("chartVersion", settings.source.chart_version)
if flux.sops_recipient is not None:
    pulumi.export("sopsAgeRecipient", flux.sops_recipient)  # encrypt to it: sops --age <recipient>
if flux.webhook_url is not None:  # webhookHost: sync on push
    pulumi.export("webhookUrl", flux.webhook_url)
    if flux.webhook_id is not None:  # on GitHub, the program added the repository webhook
        pulumi.export("webhookId", flux.webhook_id)
    else:  # elsewhere: add the webhook by hand, with the token of this Secret
        pulumi.export("webhookSecret", plan.webhook.secret_ref)
