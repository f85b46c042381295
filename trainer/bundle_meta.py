"""`bundle.json`: what a model bundle says about itself, as one typed class.

Written once by the trainer, read by the app, `asl-train evaluate`, `asl-live bench`, the
Retrain step and the results scripts. Reading validates every key it uses (type and range)
and names the file and the key when one is wrong, so a hand-edited or foreign file is an
explanation, never a traceback. Keys that older bundles lack get the value those bundles
were made with.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .classes import DIGITS, NOT_DIGIT, NOT_DIGIT_NAME
from .features import landmark_feature_count
from .hands import CropSettings

# The files of a bundle folder, named once (written by trainer.bundle and trainer.pipeline).
META_FILE = "bundle.json"
LITE_FILE = "model.tflite"  # what the app runs (trainer.classifier)
MODEL_FILE = "model.keras"  # the Keras model fine-tunes start from
HELDOUT_FILE = "heldout.npz"  # held-out examples (trainer.examples), for the Retrain gate
REHEARSAL_FILE = "rehearsal.npz"  # training examples a fine-tune rehearses
GATE_FILE = "landmark_gate.npz"  # trainer.gate, when trained with one
REPORT_FILE = "report.md"
CONFUSION_FILE = "confusion.png"
TRAINING_PLOT_FILE = "training.png"
# Anything else in a bundle folder is a user's, and replacing the bundle would delete it.
BUNDLE_FILE_NAMES = frozenset({META_FILE, LITE_FILE, MODEL_FILE, HELDOUT_FILE, REHEARSAL_FILE, GATE_FILE, REPORT_FILE,
                               CONFUSION_FILE, TRAINING_PLOT_FILE})
FORMAT_VERSION = 1


class BundleError(RuntimeError):
    """A model bundle that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class SplitRecord:
    """The train/validation/test split a bundle was made with, so `evaluate --split test`
    can score exactly the images it never trained on."""

    val: float
    test: float
    seed: int
    images: dict[str, int] = field(default_factory=dict)


@dataclass
class DataRecord:
    roots: list[str] = field(default_factory=list)
    fingerprint: str = ""
    datasets: dict[str, int] = field(default_factory=dict)  # name -> images
    split: SplitRecord | None = None
    limit_per_class: int | None = None
    train_variants: list[str] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)  # folders of non-digit hands trained on
    scan: str = ""
    crops: str = ""


@dataclass
class TrainingRecord:
    settings: dict[str, Any] = field(default_factory=dict)  # trainer.train.TrainSettings as trained
    best_epoch: int = 0
    stopped: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    base_model: str | None = None
    wall_time_s: float | None = None

    _KEYS = ("best_epoch", "stopped", "history", "base_model", "wall_time_s")


@dataclass
class BundleMeta:
    classes: list[int | str]
    crop_settings: CropSettings = field(default_factory=CropSettings)
    temperature: float = 1.0
    upright: bool = False  # landmarks turned upright (trainer.features); absent in early bundles
    tilt: bool = False  # (sin, cos) of the hand's tilt after the landmarks (trainer.features); absent before
    # The landmark gate beside the classifier (trainer.gate): {"file", "quantile", "threshold"}; None: no gate
    gate: dict[str, Any] | None = None
    landmark_features: int = 42
    data: DataRecord = field(default_factory=DataRecord)
    training: TrainingRecord = field(default_factory=TrainingRecord)
    # {"test": {dataset: evaluate() report}, "negatives": {...}} from training time
    metrics: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    created: str = ""
    format_version: int = FORMAT_VERSION

    # -- what the classes mean -----------------------------------------------------------------
    @property
    def has_not_digit(self) -> bool:
        return NOT_DIGIT_NAME in self.classes

    @property
    def test_metrics(self) -> dict[str, dict]:
        return self.metrics.get("test", {}) or {}

    # -- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The bundle.json layout (unchanged since format 1, so older readers still read it)."""
        return {
            "format_version": self.format_version,
            "created": self.created or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions": self.versions,
            "classes": list(self.classes),
            "input": {"crop": [self.crop_settings.size, self.crop_settings.size, 3],
                      "landmarks": self.landmark_features, "upright": self.upright,
                      **({"tilt": True} if self.tilt else {})},
            "crop_settings": self.crop_settings.to_dict(),
            "temperature": self.temperature,
            **({"gate": self.gate} if self.gate else {}),
            "data": {
                "roots": self.data.roots, "fingerprint": self.data.fingerprint, "datasets": self.data.datasets,
                "scan": self.data.scan, "crops": self.data.crops,
                "split": None if self.data.split is None else {
                    "val": self.data.split.val, "test": self.data.split.test, "seed": self.data.split.seed,
                    "images": self.data.split.images},
                "limit_per_class": self.data.limit_per_class,
                "train_variants": self.data.train_variants,
                "negatives": self.data.negatives,
            },
            "training": {**self.training.settings, "best_epoch": self.training.best_epoch,
                         "stopped": self.training.stopped, "history": self.training.history,
                         "base_model": self.training.base_model, "wall_time_s": self.training.wall_time_s},
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, raw: Any, source: str | os.PathLike[str] = META_FILE) -> "BundleMeta":
        """Validated metadata; BundleError naming `source` and the key for anything unusable."""
        r = _Reader(raw, str(source))
        version = r.get("format_version", int, required=True)
        if version != FORMAT_VERSION:
            raise BundleError(f"{source}: bundle format {version} is not supported "
                              f"(this program reads format {FORMAT_VERSION}); retrain with 'asl-train train'.")
        classes = r.get("classes", list, default=list(DIGITS))
        if classes not in (list(DIGITS), [*DIGITS, NOT_DIGIT_NAME]):
            raise r.bad("classes", f"must be the digits 0-9, optionally followed by {NOT_DIGIT_NAME!r}")
        inp = r.sub("input")
        crop = r.sub("crop_settings")
        try:
            crop_settings = CropSettings.from_dict(crop.raw)
        except (TypeError, ValueError) as e:
            raise r.bad("crop_settings", str(e)) from None
        if not (8 <= crop_settings.size <= 512 and 0 <= crop_settings.margin <= 2):
            raise r.bad("crop_settings", "size must be 8-512 px and margin 0-2")
        shape = inp.get("crop", list, default=[crop_settings.size, crop_settings.size, 3])
        if shape != [crop_settings.size, crop_settings.size, 3]:
            raise inp.bad("crop", f"must be [{crop_settings.size}, {crop_settings.size}, 3] (crop_settings.size)")
        tilt = inp.get("tilt", bool, default=False)
        landmark_features = inp.get("landmarks", int, default=42)
        if landmark_features != landmark_feature_count(tilt):
            raise inp.bad("landmarks", f"must be {landmark_feature_count(tilt)} (21 points' x and y"
                          + (", then the tilt's sin and cos)" if tilt else ")"))
        gate = None
        if raw.get("gate") is not None:
            g = r.sub("gate")
            gate = {"file": g.get("file", str, required=True), "quantile": g.get("quantile", float, required=True),
                    "margin": g.get("margin", float, default=1.0), "threshold": g.get("threshold", float, required=True)}
            if "/" in gate["file"] or "\\" in gate["file"] or gate["file"].startswith("."):
                raise g.bad("file", "must be a file name inside the bundle")
            if NOT_DIGIT_NAME not in classes:
                raise r.bad("gate", f"needs the {NOT_DIGIT_NAME!r} class to answer with")
        temperature = r.get("temperature", float, default=1.0)
        if not 0 < temperature < 100:
            raise r.bad("temperature", "must be a positive number below 100")
        data = r.sub("data")
        split = data.sub("split") if data.raw.get("split") is not None else None
        training = r.sub("training")
        settings = {k: v for k, v in training.raw.items() if k not in TrainingRecord._KEYS}
        return cls(
            classes=classes,
            crop_settings=crop_settings,
            temperature=temperature,
            gate=gate,
            upright=inp.get("upright", bool, default=False),
            tilt=tilt,
            landmark_features=landmark_features,
            data=DataRecord(
                roots=data.get("roots", list, default=[]),
                fingerprint=data.get("fingerprint", str, default=""),
                datasets=data.get("datasets", dict, default={}),
                split=None if split is None else SplitRecord(
                    val=split.fraction("val"), test=split.fraction("test"), seed=split.get("seed", int, required=True),
                    images=split.get("images", dict, default={})),
                limit_per_class=data.get("limit_per_class", int, default=None),
                train_variants=data.get("train_variants", list, default=[]),
                negatives=data.get("negatives", list, default=[]),
                scan=data.get("scan", str, default=""),
                crops=data.get("crops", str, default=""),
            ),
            training=TrainingRecord(
                settings=settings,
                best_epoch=training.get("best_epoch", int, default=0),
                stopped=training.get("stopped", str, default=""),
                history=training.get("history", dict, default={}),
                base_model=training.get("base_model", str, default=None),
                wall_time_s=training.get("wall_time_s", float, default=None),
            ),
            metrics=r.get("metrics", dict, default={}),
            versions=r.get("versions", dict, default={}),
            created=r.get("created", str, default=""),
            format_version=version,
        )

    @classmethod
    def read(cls, bundle_dir: str | os.PathLike[str]) -> "BundleMeta":
        path = Path(bundle_dir) / META_FILE
        if not Path(bundle_dir).exists():
            raise BundleError(f"No model at {bundle_dir}: that folder does not exist. "
                              "Point --model at a folder written by 'asl-train train'.")
        if Path(bundle_dir).is_file():
            raise BundleError(f"{bundle_dir} is a file, not a model bundle folder. "
                              "Point --model at a folder written by 'asl-train train'.")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BundleError(f"{bundle_dir} is not a model bundle: {META_FILE} is missing. "
                              "Point --model at a folder written by 'asl-train train'.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BundleError(f"{path} is corrupt ({e}). Retrain with 'asl-train train' or use another "
                              "model.") from None
        except OSError as e:
            raise BundleError(f"{path} cannot be read ({e.strerror or e}).") from None
        return cls.from_dict(raw, path)


def is_bundle(path: str | os.PathLike[str]) -> bool:
    """A folder with a bundle.json (not necessarily a valid one)."""
    return (Path(path) / META_FILE).is_file()


class _Reader:
    """Typed access to one JSON object, with errors that name the file and the key path."""

    def __init__(self, raw: Any, source: str, prefix: str = "") -> None:
        if not isinstance(raw, dict):
            where = f"'{prefix.rstrip('.')}'" if prefix else "the top level"
            raise BundleError(f"{source}: {where} must be a JSON object, not {type(raw).__name__}. "
                              "The file is not a model bundle's bundle.json; retrain with 'asl-train train'.")
        self.raw, self.source, self.prefix = raw, source, prefix

    def bad(self, key: str, why: str) -> BundleError:
        return BundleError(f"{self.source}: key '{self.prefix}{key}' {why} "
                           f"(found {json.dumps(self.raw.get(key))[:80]}). The bundle is damaged or was "
                           "edited by hand; retrain with 'asl-train train' or use another model.")

    def get(self, key: str, kind: type, *, default: Any = None, required: bool = False) -> Any:
        if key not in self.raw or self.raw[key] is None:
            if required:
                raise self.bad(key, "is missing")
            return default
        value = self.raw[key]
        if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        if kind is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind not in (int, float) and isinstance(value, kind):
            return value
        raise self.bad(key, f"must be {_NAMES[kind]}")

    def fraction(self, key: str) -> float:
        value = self.get(key, float, required=True)
        if not 0 <= value < 1:
            raise self.bad(key, "must be a fraction between 0 and 1")
        return value

    def sub(self, key: str) -> "_Reader":
        return _Reader(self.raw.get(key) or {}, self.source, f"{self.prefix}{key}.")


_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false", list: "a list",
          dict: "an object"}

__all__ = ["BundleError", "BundleMeta", "DataRecord", "META_FILE", "NOT_DIGIT", "SplitRecord", "TrainingRecord",
           "is_bundle"]
