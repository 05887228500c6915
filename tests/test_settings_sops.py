"""The SOPS settings: mode, and where a provided age key comes from (pure, no Pulumi)."""

import pytest
from pyrage import x25519

from flux_bootstrap.errors import ConfigError
from flux_bootstrap.settings import SecretValue, resolve_settings
from helpers import resolve


@pytest.fixture
def identity():
    return x25519.Identity.generate()


def test_off_by_default(config_dir):
    sops = resolve(config_dir.parent).sops
    assert (sops.mode, sops.enabled, sops.identity, sops.recipient) == ("off", False, None, None)


def test_generate_needs_no_key(config_dir):
    sops = resolve(config_dir.parent, sops="generate").sops
    assert sops.enabled and sops.identity is None and sops.recipient is None


def test_provided_from_the_secret_setting(config_dir, identity):
    sops = resolve(config_dir.parent, sops="provided", sopsAgeKey=SecretValue(str(identity))).sops
    assert sops.identity.get_secret_value() == str(identity)
    assert sops.recipient == str(identity.to_public())
    assert sops.identity_source == "stack setting flux-bootstrap:sopsAgeKey"
    assert str(identity) not in repr(sops)


def test_provided_from_the_key_file_as_age_keygen_writes_it(config_dir, identity):
    (config_dir / "age.agekey").write_text(
        f"# created: 2026-11-23T08:00:00Z\n# public key: {identity.to_public()}\n{identity}\n"
    )
    sops = resolve(config_dir.parent, sops="provided").sops
    assert sops.identity.get_secret_value() == str(identity)
    assert sops.identity_source == "config/age.agekey"


def test_the_setting_wins_over_the_file(config_dir, identity):
    (config_dir / "age.agekey").write_text(f"{x25519.Identity.generate()}\n")
    sops = resolve(config_dir.parent, sops="provided", sopsAgeKey=SecretValue(str(identity))).sops
    assert sops.identity.get_secret_value() == str(identity)


def test_an_encrypted_setting_counts_as_present_offline(config_dir):
    sops = resolve(config_dir.parent, sops="provided", sopsAgeKey=SecretValue(None)).sops
    assert sops.identity is None and sops.identity_source.endswith("sopsAgeKey")


def damaged(identity) -> str:
    text = str(identity)
    return text[:-3] + ("Q" if text[-3] != "Q" else "P") + text[-2:]


@pytest.mark.parametrize(
    "values,files,field,fragment",
    [
        ({"sops": "on"}, {}, "flux-bootstrap:sops", "'off', 'generate' or 'provided'"),
        ({"sops": "provided"}, {}, "flux-bootstrap:sops", "no age key"),
        ({"sops": "generate", "sopsAgeKey": "KEY"}, {}, "flux-bootstrap:sopsAgeKey", "only used with `sops: provided`"),
        ({"sops": "provided", "sopsAgeKey": "DAMAGED"}, {}, "flux-bootstrap:sopsAgeKey", "checksum"),
        ({"sops": "provided", "sopsAgeKey": "RECIPIENT"}, {}, "flux-bootstrap:sopsAgeKey", "public key (recipient"),
        ({"sops": "provided", "sopsAgeKey": "LOWER"}, {}, "flux-bootstrap:sopsAgeKey", "lower-case"),
        ({"sops": "provided", "sopsAgeKey": "PLAIN"}, {}, "flux-bootstrap:sopsAgeKey", "stored in plain text"),
        ({"sops": "provided"}, {"age.agekey": "DAMAGED"}, None, "checksum"),
        ({"sops": "provided"}, {"age.agekey": "TWO"}, None, "keep exactly one"),
    ],
)
def test_refused_keys_never_show_the_key(config_dir, identity, values, files, field, fragment):
    other = x25519.Identity.generate()
    shapes = {
        "KEY": SecretValue(str(identity)),
        "DAMAGED": SecretValue(damaged(identity)),
        "RECIPIENT": SecretValue(str(identity.to_public())),
        "LOWER": SecretValue(str(identity).lower()),
        "PLAIN": str(identity),
    }
    texts = {"DAMAGED": damaged(identity) + "\n", "TWO": f"{identity}\n{other}\n"}
    for name, text in files.items():
        (config_dir / name).write_text(texts[text])
    with pytest.raises(ConfigError) as err:
        resolve(config_dir.parent, **{k: shapes.get(v, v) for k, v in values.items()})
    (problem,) = err.value.problems
    assert problem.field == field
    if field is None:
        assert problem.source == "config/age.agekey"
    assert fragment in problem.message
    message = str(err.value)
    for secret in (str(identity), str(identity)[16:40], str(identity).lower()[16:40], str(other)[16:40]):
        assert secret not in message
