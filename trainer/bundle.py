"""Writing a model bundle: what `asl-train train` (and the app's Retrain) produce.

    <bundle>/model.keras      the Keras model (inputs "crop" and "landmarks", output logits),
                              for fine-tuning and retraining
    <bundle>/model.tflite     the same model for LiteRT: what the app and `evaluate` run
    <bundle>/bundle.json      classes, input, crop settings, temperature, data, training,
                              held-out figures, library versions (trainer.bundle_meta)
    <bundle>/report.md        the figures as text
    <bundle>/confusion.png    confusion matrix on the held-out test split(s)
    <bundle>/training.png     loss and accuracy per epoch

Reading a bundle needs no Keras: trainer.bundle_meta and trainer.classifier do that.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Callable

from . import atomicio
from .bundle_meta import GATE_FILE, LITE_FILE, META_FILE, MODEL_FILE, REPORT_FILE, BundleError, BundleMeta
from .classifier import Classifier, LiteRunner
from .evaluate import format_negatives, format_report
from .gate import LandmarkGate


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("tensorflow", "keras", "mediapipe", "numpy", "opencv-contrib-python", "scikit-learn", "ai-edge-litert"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def write_bundle(out_dir: str | os.PathLike[str], model, meta: BundleMeta,
                 finish: Callable[[Path, Classifier], None] | None = None, gate: LandmarkGate | None = None) -> Path:
    """Write a complete bundle atomically: the old bundle (if any) stays until the new one is
    whole. The model files are written first and loaded the way the app loads them, so that
    `finish(staging_dir, classifier)` scores exactly what the app will run (and may add
    figures to `meta` and files such as plots) before bundle.json and report.md are written.
    With a landmark `gate` (trainer.gate) it is saved beside the model and recorded in `meta`."""
    meta.versions = library_versions()
    meta.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    with atomicio.atomic_dir(out_dir) as tmp:
        model.save(tmp / MODEL_FILE)
        model.export(str(tmp / LITE_FILE), format="litert", verbose=False)
        if gate is not None:
            gate.save(tmp / GATE_FILE)
            gate = LandmarkGate.load(tmp / GATE_FILE)  # as the app will read it
            meta.gate = {"file": GATE_FILE, "quantile": gate.quantile, "margin": gate.margin, "threshold": gate.threshold}
        else:
            meta.gate = None
        if finish is not None:
            finish(tmp, Classifier(meta, LiteRunner(tmp / LITE_FILE), Path(out_dir), gate))
        atomicio.write_json(tmp / META_FILE, meta.to_dict())
        atomicio.write_text(tmp / REPORT_FILE, bundle_report(meta))
    return Path(out_dir)


def load_keras_model(bundle_dir: str | os.PathLike[str]):
    """The bundle's Keras model, to fine-tune or to start a retrain from."""
    from .quiet import import_keras

    keras = import_keras()
    from . import model  # noqa: F401  register the model's own layers (ShapeGate, HandGeometry)

    path = Path(bundle_dir) / MODEL_FILE
    if not path.is_file():
        raise BundleError(f"{path} is missing: this bundle can be used but not fine-tuned. "
                          "Train a new model instead.")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as e:  # Keras raises many types for a bad file
        raise BundleError(f"{path} could not be loaded ({type(e).__name__}: {e}). The file may be corrupt: "
                          "retrain with 'asl-train train' or use another model.") from None


def bundle_report(meta: BundleMeta) -> str:
    """Human-readable summary of a bundle's figures."""
    data, training = meta.data, meta.training
    out = [f"# Model report ({meta.created})", ""]
    out.append(f"Training data: {', '.join(f'{k} ({v} images)' for k, v in data.datasets.items())}")
    if data.negatives:
        out.append(f"Non-digit hands: {', '.join(data.negatives)}")
    out.append(f"Best epoch {training.best_epoch}, stopped: {training.stopped}, temperature {meta.temperature:.3f}")
    for name, rep in meta.test_metrics.items():
        out += ["", "```", format_report(rep, f"Held-out test split: {name}"), "```"]
    if meta.metrics.get("negatives"):
        out += ["", "```", "Held-out hands that are no digit", format_negatives(meta.metrics["negatives"]), "```"]
    return "\n".join(out) + "\n"
