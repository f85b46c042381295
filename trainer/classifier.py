"""The runtime classifier: hand observation in, calibrated class probabilities out.

It runs the bundle's `model.tflite` with LiteRT and never imports TensorFlow or Keras, so
the app's window process starts in a fraction of the time and `asl-train evaluate` scores
exactly what the app runs. One hand (a live frame) costs well under a millisecond; batches
(evaluation) resize the interpreter's inputs once per batch size.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from .bundle_meta import LITE_FILE, BundleError, BundleMeta
from .classes import NOT_DIGIT, NUM_DIGITS
from .features import batch_inputs
from .finger_states import plainly_not, read_hand
from .gate import LandmarkGate, gate_features
from .hands import NUM_LANDMARKS, CropSettings, HandObservation
from .quiet import native_stderr_silenced


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return (z / z.sum(axis=-1, keepdims=True)).astype(np.float32)


def turned_away(probs: np.ndarray, observations: list[HandObservation]) -> list[int | None]:
    """Per row, the top digit the hand plainly is not (trainer.finger_states.plainly_not), else None."""
    out: list[int | None] = []
    for row, obs in zip(probs, observations):
        top = int(np.argmax(row))
        out.append(top if top < NUM_DIGITS and plainly_not(read_hand(obs.landmarks, obs.handedness), top) else None)
    return out


def shape_checked(probs: np.ndarray, turned: list[int | None]) -> np.ndarray:
    """`probs` (n, 10 or 11 classes) with every row `turned` away (`turned_away`: not None) made
    "not a digit" with probability 1, or, for ten classes, every digit alike (the app shows
    "?"). A new array."""
    out = np.array(probs, dtype=np.float32, copy=True)
    for i, digit in enumerate(turned):
        if digit is not None:
            out[i] = 0.0
            if out.shape[1] > NOT_DIGIT:
                out[i, NOT_DIGIT] = 1.0
            else:
                out[i, :NUM_DIGITS] = 1.0 / NUM_DIGITS
    return out


class LiteRunner:
    """A LiteRT interpreter for the two-input model ("crop", "landmarks") -> logits.

    One model serves several threads at once (the live view predicts one hand a frame while
    Retrain compares on the same model in batches), and an interpreter is not thread-safe:
    resizing it while another thread runs it raises, and interleaved set/invoke/get would
    hand one thread the other's answers. So each call holds the runner's lock.
    """

    def __init__(self, path: str | os.PathLike[str], threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        path = Path(path)
        try:
            with native_stderr_silenced():
                self._it = Interpreter(model_path=str(path), num_threads=threads)
                self._it.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise BundleError(f"{path} could not be loaded ({e}). The file may be truncated or corrupt: "
                              "retrain with 'asl-train train' or use another model.") from None
        details = self._it.get_input_details()
        self._inputs = {("crop" if "crop" in d["name"] else "landmarks"): d["index"] for d in details}
        if set(self._inputs) != {"crop", "landmarks"} or len(details) != 2:
            raise BundleError(f"{path} is not an asl-live model (inputs {[d['name'] for d in details]}).")
        self._output = self._it.get_output_details()[0]["index"]
        shapes = {d["index"]: [int(v) for v in d["shape"]] for d in details}
        self.input_shapes = {name: shapes[index][1:] for name, index in self._inputs.items()}  # without the batch
        self.outputs = int(self._it.get_output_details()[0]["shape"][-1])
        self._batch = 1
        self._lock = threading.Lock()
        self.path = path

    def logits(self, x: dict[str, np.ndarray]) -> np.ndarray:
        n = len(x["crop"])
        inputs = {name: np.ascontiguousarray(x[name], dtype=np.float32) for name in self._inputs}
        with self._lock:
            if n != self._batch:
                for name, index in self._inputs.items():
                    self._it.resize_tensor_input(index, [n, *inputs[name].shape[1:]])
                self._it.allocate_tensors()
                self._batch = n
            for name, index in self._inputs.items():
                self._it.set_tensor(index, inputs[name])
            self._it.invoke()
            return self._it.get_tensor(self._output).copy()


def check_fits(meta: BundleMeta, runner: LiteRunner, bundle_dir: Path) -> None:
    """bundle.json against the model it describes: its classes against the model's outputs, its
    input sizes against the model's inputs. A mismatch would otherwise surface as an IndexError
    or a runtime error deep inside prediction; this names the key and both values."""
    crop = meta.crop_settings.size
    checks = [("classes", len(meta.classes), runner.outputs, "classes listed", "outputs"),
              ("input.landmarks", meta.landmark_features, runner.input_shapes["landmarks"][-1], "landmark numbers",
               "takes"),
              ("input.crop", [crop, crop, 3], runner.input_shapes["crop"], "crop", "takes")]
    for key, said, model, what, verb in checks:
        if said != model:
            raise BundleError(f"{bundle_dir / 'bundle.json'}: '{key}' says {said} {what}, but model.tflite {verb} "
                              f"{model}. The bundle's files do not belong together: retrain with 'asl-train train' "
                              "or use another model.")


class Classifier:
    """A loaded bundle: `predict` gives one probability per class (`classes`), temperature
    applied, so the app's confidence threshold means what it says."""

    def __init__(self, meta: BundleMeta, runner: LiteRunner, path: Path | None = None,
                 gate: LandmarkGate | None = None) -> None:
        self.meta = meta
        self.path = path
        self._runner = runner
        self.gate = gate  # trainer.gate: hands far from every training digit are "not a digit"
        # hands plainly not the digit the model puts on top are "not a digit" (predict_batch);
        # off only to measure what the check does (scripts)
        self.shape_check = True

    @classmethod
    def load(cls, bundle_dir: str | os.PathLike[str]) -> "Classifier":
        bundle_dir = Path(bundle_dir)
        meta = BundleMeta.read(bundle_dir)
        lite = bundle_dir / LITE_FILE
        if not lite.is_file():
            raise BundleError(f"{lite} is missing: the bundle is incomplete. Retrain with 'asl-train train' "
                              "or use another model.")
        gate = None
        if meta.gate:
            try:
                gate = LandmarkGate.load(bundle_dir / meta.gate["file"])
            except ValueError as e:
                raise BundleError(f"{e}: the bundle is incomplete. Retrain with 'asl-train train' or use another "
                                  "model.") from None
        runner = LiteRunner(lite)
        check_fits(meta, runner, bundle_dir)
        return cls(meta, runner, bundle_dir, gate)

    # -- what the bundle says --------------------------------------------------------------------
    @property
    def classes(self) -> list[int | str]:
        return self.meta.classes

    @property
    def num_classes(self) -> int:
        return len(self.meta.classes)

    @property
    def has_not_digit(self) -> bool:
        return self.meta.has_not_digit

    @property
    def crop_settings(self) -> CropSettings:
        return self.meta.crop_settings

    @property
    def upright(self) -> bool:
        return self.meta.upright

    @property
    def temperature(self) -> float:
        return self.meta.temperature

    @property
    def test_metrics(self) -> dict:
        """Per-dataset held-out figures recorded at training time (for the accuracy panel)."""
        return self.meta.test_metrics

    # -- prediction ------------------------------------------------------------------------------
    def logits_batch(self, observations: list[HandObservation]) -> np.ndarray:
        x = batch_inputs(observations, self.upright, self.meta.tilt)
        x["crop"] = x["crop"].astype(np.float32)
        return self._runner.logits(x)

    def predict_batch(self, observations: list[HandObservation]) -> np.ndarray:
        """(n, num_classes) probabilities; a hand the gate finds far from every digit, or
        plainly not the digit on top (trainer.finger_states.plainly_not: pointing sideways, a 0
        left open, a raised finger hooked), gets "not a digit" with probability 1 ("?" for a
        model without that class: every digit alike)."""
        return self.predict_batch_explained(observations)[0]

    def predict(self, obs: HandObservation) -> np.ndarray:
        return self.predict_batch([obs])[0]

    def predict_batch_explained(self, observations: list[HandObservation]) -> tuple[np.ndarray, list[int | None]]:
        """`predict_batch`, and per hand the digit the model put on top that the shape check
        turned away (None: not turned away): what the app says to change, what evaluation counts."""
        probs = self._gated(observations)
        turned = turned_away(probs, observations) if self.shape_check else [None] * len(observations)
        return shape_checked(probs, turned), turned

    def predict_explained(self, obs: HandObservation) -> tuple[np.ndarray, int | None]:
        probs, turned = self.predict_batch_explained([obs])
        return probs[0], turned[0]

    def _gated(self, observations: list[HandObservation]) -> np.ndarray:
        probs = softmax(self.logits_batch(observations), self.temperature)
        if self.gate is not None:
            far = self.gate.novel(gate_features(observations))
            probs[far] = 0.0
            probs[far, NOT_DIGIT] = 1.0
        return probs

    def warm_up(self) -> None:
        """Run one dummy hand so the first real one (or the first timed frame) pays no set-up."""
        size = self.crop_settings.size
        pts = np.random.default_rng(0).uniform(0, size, (NUM_LANDMARKS, 3)).astype(np.float32)
        self.predict(HandObservation(np.zeros((size, size, 3), np.uint8), pts, (0.0, 0.0, float(size)), "Right", 1.0))

