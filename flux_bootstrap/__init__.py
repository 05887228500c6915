"""Pure, Pulumi-free core of flux-bootstrap: settings, manifest builders, schema checks, CLI.

Nothing in this package imports Pulumi, so the offline `check` and `render` commands stay fast
and the builders can be unit-tested without mocks.
"""

__version__ = "0.5.0"
