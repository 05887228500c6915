"""flux-bootstrap: Flux on this stack's cluster, syncing a GitHub repository through a deploy key."""

from pathlib import Path

import pulumi

from components.flux import FluxBootstrap
from components.stack_config import kubernetes_target, load_settings
from flux_bootstrap import manifests
from flux_bootstrap.errors import ConfigError

try:
    settings = load_settings(Path(__file__).resolve().parent)
except ConfigError as err:
    # Nothing has been registered yet: a config error creates nothing.
    raise pulumi.RunError(str(err)) from None

flux = FluxBootstrap("flux", settings, kubernetes_target())

pulumi.export("deployKeyPublicKey", flux.public_key)
pulumi.export("deployKeyFingerprint", flux.fingerprint)
pulumi.export("privateKeyUrn", flux.private_key_urn)  # for `pulumi up --replace`: rotates the key
pulumi.export("gitUrl", settings.repo.ssh_url)
pulumi.export("branch", flux.branch)
pulumi.export("path", settings.kustomization_path)
pulumi.export("namespace", manifests.NAMESPACE)
pulumi.export("chartVersion", settings.chart_version)
if flux.sops_recipient is not None:
    pulumi.export("sopsAgeRecipient", flux.sops_recipient)  # encrypt to it: sops --age <recipient>
