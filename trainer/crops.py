"""Samples on disk -> hand observations, through the crop cache, with progress and cancel."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .cache import NO_HAND, CropCache
from .data import Sample
from .hands import CropSettings, HandCropper, HandObservation
from .images import read_rgb
from .paths import cache_dir
from .variants import VARIANTS
from .progress import Cancelled, Progress, ShouldStop, never_stop, no_progress


@dataclass
class CropResult:
    samples: list[Sample]
    observations: list[HandObservation | None]  # None: no hand found
    unreadable: list[Path] = field(default_factory=list)  # skipped entirely (corrupt files)
    from_cache: int = 0

    @property
    def no_hand(self) -> int:
        return sum(o is None for o in self.observations)

    def found(self) -> tuple[list[Sample], list[HandObservation]]:
        pairs = [(s, o) for s, o in zip(self.samples, self.observations) if o is not None]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def summary(self) -> str:
        per = Counter(s.label for s, o in zip(self.samples, self.observations) if o is None)
        detail = ", ".join(f"{d}:{n}" for d, n in sorted(per.items()))
        return (f"{len(self.samples)} images cropped ({self.from_cache} from cache), "
                f"no hand found in {self.no_hand}" + (f" ({detail})" if detail else "")
                + f", {len(self.unreadable)} unreadable files skipped")


def crop_samples(
    samples: list[Sample],
    hand_model: str | os.PathLike[str],
    settings: CropSettings = CropSettings(),
    *,
    cache_root: str | os.PathLike[str] | None = None,
    variant: str = "plain",
    progress: Progress = no_progress,
    should_stop: ShouldStop = never_stop,
) -> CropResult:
    """Crop every sample (after applying the named image `variant`, see trainer.variants).
    Unreadable files are dropped and listed; no-hand images are kept as None so evaluation can
    count them as errors."""
    cache = CropCache(Path(cache_root) if cache_root else cache_dir() / "crops", settings, hand_model)
    result = CropResult(samples=[], observations=[])
    cropper: HandCropper | None = None
    stage = "Cropping hands" if variant == "plain" else f"Cropping hands ({variant})"
    try:
        for i, s in enumerate(samples):
            if should_stop():
                raise Cancelled("cropping cancelled")
            key = s.digest if variant == "plain" else f"{s.digest}:{variant}"
            cached = cache.get(key)
            if cached is not None:
                obs = None if cached == NO_HAND else cached
                result.from_cache += 1
            else:
                rgb = read_rgb(s.path)
                if rgb is None:
                    result.unreadable.append(s.path)
                    progress(stage, i + 1, len(samples))
                    continue
                if cropper is None:  # only start MediaPipe when something is not cached
                    cropper = HandCropper(hand_model, settings, mode="image")
                obs = cropper.observe(VARIANTS[variant](rgb))
                cache.put(key, obs)
            result.samples.append(s)
            result.observations.append(obs)  # type: ignore[arg-type]
            progress(stage, i + 1, len(samples))
    finally:
        if cropper is not None:
            cropper.close()
    return result
