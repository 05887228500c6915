"""Size presets for the Flux controllers: resources and how many objects each reconciles at once.

Unset, nothing is sent and the chart's defaults apply (requests 100m CPU / 64Mi memory, no limits,
each controller's own concurrency), exactly as before these settings existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Size = Literal["small", "medium", "large"]


@dataclass(frozen=True)
class SizePreset:
    requests: dict[str, str]
    limits: dict[str, str]
    concurrent: int  # --concurrent: reconciliations a controller runs in parallel
    requeue_dependency: str | None  # --requeue-dependency: how soon a failed dependency is retried
    meaning: str

    def resources(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


SIZES: dict[str, SizePreset] = {
    # One small node (2 GB Raspberry Pi, a small VM): little reserved, bounded memory.
    "small": SizePreset({"cpu": "50m", "memory": "64Mi"}, {"cpu": "500m", "memory": "512Mi"}, 2, None,
                        "a single small node, a few dozen Flux objects"),
    # What `flux install` itself sets as limits; the controllers' usual concurrency.
    "medium": SizePreset({"cpu": "100m", "memory": "128Mi"}, {"cpu": "1000m", "memory": "1Gi"}, 4, None,
                         "a shared cluster, up to a few hundred Flux objects"),
    # Flux's vertical-scaling guide: more workers, higher limits, failed dependencies retried sooner.
    "large": SizePreset({"cpu": "250m", "memory": "256Mi"}, {"cpu": "2000m", "memory": "2Gi"}, 10, "5s",
                        "hundreds of applications deployed many times a day"),
}

# Controllers that accept --requeue-dependency (checked in each controller's main.go at the
# versions chart 2.18.3 installs): an unknown flag would stop the controller from starting.
REQUEUE_DEPENDENCY_FLAG = frozenset(
    {"source-controller", "kustomize-controller", "helm-controller", "image-reflector-controller", "source-watcher"}
)


def additional_args(size: Size | None, controller: str) -> list[str]:
    """The concurrency flags of a preset for one controller (every Flux controller has --concurrent)."""
    if size is None:
        return []
    preset = SIZES[size]
    args = [f"--concurrent={preset.concurrent}"]
    if preset.requeue_dependency and controller in REQUEUE_DEPENDENCY_FLAG:
        args.append(f"--requeue-dependency={preset.requeue_dependency}")
    return args
