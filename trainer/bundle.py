"""The model bundle: what `asl-train train` writes and the app loads in one call.

    <bundle>/model.keras      the Keras model (inputs "crop" and "landmarks", output logits)
    <bundle>/model.tflite     the same model for LiteRT: the app's per-frame fast path
    <bundle>/bundle.json      classes, input size, crop settings, temperature, data
                              fingerprint, library versions, test metrics
    <bundle>/report.md        the metrics as text
    <bundle>/confusion.png    confusion matrix on the held-out test split(s)
    <bundle>/training.png     loss and accuracy per epoch
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from . import atomicio
from .evaluate import format_report
from .features import batch_inputs
from .hands import CropSettings, HandObservation

MODEL_FILE = "model.keras"
LITE_FILE = "model.tflite"
META_FILE = "bundle.json"
FORMAT_VERSION = 1


class BundleError(RuntimeError):
    """A model bundle that cannot be used; the message says why and what to do."""


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("tensorflow", "keras", "mediapipe", "numpy", "opencv-contrib-python", "scikit-learn"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def save_bundle(out_dir: str | os.PathLike[str], model, meta: dict, write_extras=None) -> Path:
    """Write a complete bundle atomically: the old bundle (if any) stays until the new one is
    whole. `write_extras(tmp_dir)` may add files (plots) before the swap."""
    meta = {"format_version": FORMAT_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions": library_versions(), **meta}
    with atomicio.atomic_dir(out_dir) as tmp:
        model.save(tmp / MODEL_FILE)
        model.export(str(tmp / LITE_FILE), format="litert", verbose=False)
        atomicio.write_json(tmp / META_FILE, meta)
        atomicio.write_text(tmp / "report.md", bundle_report(meta))
        if write_extras is not None:
            write_extras(tmp)
    return Path(out_dir)


def bundle_report(meta: dict) -> str:
    """Human-readable summary of a bundle's figures."""
    out = [f"# Model report ({meta.get('created', '')})", ""]
    out.append(f"Training data: {', '.join(f'{k} ({v} images)' for k, v in meta.get('data', {}).get('datasets', {}).items())}")
    out.append(f"Best epoch {meta.get('training', {}).get('best_epoch')}, stopped: {meta.get('training', {}).get('stopped')}, "
               f"temperature {meta.get('temperature', 1.0):.3f}")
    for name, rep in meta.get("metrics", {}).get("test", {}).items():
        out += ["", "```", format_report(rep, f"Held-out test split: {name}"), "```"]
    return "\n".join(out) + "\n"


def read_meta(bundle_dir: str | os.PathLike[str]) -> dict:
    path = Path(bundle_dir) / META_FILE
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{bundle_dir} is not a model bundle: {META_FILE} is missing. "
                          "Point --model at a folder written by 'asl-train train'.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BundleError(f"{path} is corrupt ({e}). Retrain with 'asl-train train' or use another --model.") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{path}: bundle format {meta.get('format_version')} is not supported "
                          f"(this program reads format {FORMAT_VERSION}).")
    return meta


class _LiteRunner:
    """One hand at a time through the LiteRT interpreter: a fraction of a millisecond."""

    def __init__(self, path: Path) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # older installs: TensorFlow's bundled copy of the same runtime
            import warnings

            import tensorflow as tf

            warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
            Interpreter = tf.lite.Interpreter
        self._it = Interpreter(model_path=str(path), num_threads=1)
        self._it.allocate_tensors()
        self._inputs = {("crop" if len(d["shape"]) == 4 else "landmarks"): d["index"]
                        for d in self._it.get_input_details()}
        self._output = self._it.get_output_details()[0]["index"]

    def logits(self, x: dict[str, np.ndarray]) -> np.ndarray:
        for name, index in self._inputs.items():
            self._it.set_tensor(index, np.ascontiguousarray(x[name], dtype=np.float32))
        self._it.invoke()
        return self._it.get_tensor(self._output)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


class Classifier:
    """Hand observation in, ten calibrated probabilities out.

    One hand (the live app) goes through the bundle's LiteRT file when it has one; batches
    (evaluation) through one traced tf.function. Neither pays Keras's per-call eager cost.
    """

    def __init__(self, model, meta: dict, path: Path | None = None, lite: Path | None = None) -> None:
        import tensorflow as tf

        self.model = model
        self.meta = meta
        self.path = path
        self.classes: list[int] = list(meta.get("classes", range(10)))
        self.crop_settings = CropSettings.from_dict(meta.get("crop_settings", {}))
        self.temperature = float(meta.get("temperature", 1.0))
        self.upright = bool(meta.get("input", {}).get("upright", False))  # absent in older bundles
        size = self.crop_settings.size
        spec = {"crop": tf.TensorSpec([None, size, size, 3], tf.float32),
                "landmarks": tf.TensorSpec([None, model.inputs[1].shape[-1] if len(model.inputs) > 1 else 42], tf.float32)}

        @tf.function(input_signature=[spec], reduce_retracing=True)
        def _logits(x):
            return model(x, training=False)

        self._logits = _logits
        self._lite = _LiteRunner(lite) if lite is not None else None

    @classmethod
    def load(cls, bundle_dir: str | os.PathLike[str]) -> "Classifier":
        import keras

        bundle_dir = Path(bundle_dir)
        meta = read_meta(bundle_dir)
        try:
            model = keras.saving.load_model(bundle_dir / MODEL_FILE, compile=False)
        except Exception as e:  # Keras raises many types for a bad file
            raise BundleError(f"{bundle_dir / MODEL_FILE} could not be loaded ({type(e).__name__}: {e}). "
                              "The file may be corrupt: retrain with 'asl-train train' or use another --model.") from None
        lite = bundle_dir / LITE_FILE
        return cls(model, meta, bundle_dir, lite if lite.exists() else None)

    def predict_batch(self, observations: list[HandObservation]) -> np.ndarray:
        x = batch_inputs(observations, self.upright)
        x["crop"] = x["crop"].astype(np.float32)
        if len(observations) == 1 and self._lite is not None:
            logits = self._lite.logits(x)
        else:
            logits = self._logits(x).numpy()
        return softmax(logits, self.temperature)

    def predict(self, obs: HandObservation) -> np.ndarray:
        return self.predict_batch([obs])[0]

    def warm_up(self) -> None:
        """Run one dummy hand so the first real one (or the first timed frame) pays no set-up."""
        size = self.crop_settings.size
        pts = np.random.default_rng(0).uniform(0, size, (21, 3)).astype(np.float32)
        self.predict(HandObservation(np.zeros((size, size, 3), np.uint8), pts, (0.0, 0.0, float(size)), "Right", 1.0))

    @property
    def test_metrics(self) -> dict:
        """Per-dataset held-out figures recorded at training time (for the accuracy panel)."""
        return self.meta.get("metrics", {}).get("test", {})
