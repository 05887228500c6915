"""How the program and the offline commands import what they need, once per process."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def frozen_imports() -> Iterator[None]:
    """Import inside it. The libraries (the provider SDKs, pydantic models, jsonschema) build many
    objects that live as long as the run; the collector scanning them while they are built and
    again at exit took a third of a short run. So: collector off while importing, then what was
    built is frozen out of its reach (gc.freeze), also when an import fails."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
