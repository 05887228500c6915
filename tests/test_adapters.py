"""Private APIs of dependencies, each used behind one function: these fail with a clear message
when a new release of the dependency changes them (the lock pins what was tested)."""

import pulumi

from components.stack_config import config_keys


def test_the_pulumi_config_store_lists_every_key_of_the_stack():
    # config_keys() reads pulumi.runtime.config.CONFIG (private): the only way to see settings a
    # program does not know by name (a typo such as flux-boostrap:path must be refused, not ignored).
    assert hasattr(pulumi.runtime.config, "CONFIG"), (
        "pulumi.runtime.config.CONFIG is gone: update components/stack_config.config_keys")
    pulumi.runtime.set_all_config({"flux-boostrap:path": "x", "kubernetes:context": "kind-dev"}, [])
    try:
        assert {"flux-boostrap:path", "kubernetes:context"} <= config_keys()
    finally:
        pulumi.runtime.set_all_config({}, [])


def test_detect_secrets_line_scanner_finds_a_token_line():
    # audit's scanner calls detect-secrets' private line scanner (flux_bootstrap.audit.scanner.scan_lines).
    from detect_secrets.core import scan
    from detect_secrets.settings import default_settings

    from flux_bootstrap.audit.scanner import scan_lines
    from cases import GHP

    assert hasattr(scan, "_process_line_based_plugins"), (
        "detect_secrets.core.scan._process_line_based_plugins is gone: update flux_bootstrap/audit/scanner.scan_lines")
    with default_settings():
        found = list(scan_lines([(1, f"token: {GHP}")], "values.yaml"))
    assert "GitHub Token" in {secret.type for secret in found} and {s.line_number for s in found} == {1}
