"""The Retrain gate on the shipped model's own held-out examples: a model is taken only if no
class got worse."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from asl_live.retrain import MARGIN, ClassFigure, compare, comparison_rows, promote, right
from trainer.classes import NOT_DIGIT
from trainer.classifier import Classifier
from trainer.examples import HELDOUT_FILE, REHEARSAL_FILE, load_examples


@pytest.fixture(scope="module")
def shipped(good_bundle):
    return Classifier.load(good_bundle), load_examples(good_bundle / HELDOUT_FILE)


def test_the_shipped_bundle_carries_examples_of_every_class(good_bundle, shipped):
    _, heldout = shipped
    rehearsal = load_examples(good_bundle / REHEARSAL_FILE)
    for examples, per_class in ((heldout, 60), (rehearsal, 100)):
        counts = np.bincount([e.label for e in examples], minlength=11)
        assert counts.min() >= per_class * 0.5 and counts.max() <= per_class, counts
    assert {e.dataset for e in heldout} >= {"asl-digits-kaggle", "sign-language-digits", "asl-letters-dlee"}


def test_the_same_model_is_taken(shipped):
    model, heldout = shipped
    verdict = compare(model, copy.copy(model), heldout)
    assert verdict.accepted and len(verdict.figures) == 11
    assert all(f.new == f.old for f in verdict.figures)
    assert np.mean(right(model, heldout)) > 0.95


def test_a_model_that_forgot_classes_is_kept_aside(shipped):
    """A model that answers every hand with its most likely digit among 0-4 (as a fine-tune on
    five digits without rehearsal would) is worse for 5-9 and for "not a digit"."""
    model, heldout = shipped
    forgetful = copy.copy(model)

    def predict_batch(observations):
        probs = model.predict_batch(observations)
        probs[:, 5:] = 0
        return probs / probs.sum(axis=1, keepdims=True)

    forgetful.predict_batch = predict_batch
    verdict = compare(model, forgetful, heldout)
    assert not verdict.accepted
    worse = {f.label for f in verdict.figures if f.worse}
    assert {5, 6, 7, 8, 9, NOT_DIGIT} <= worse and not worse & {0, 1, 2, 3, 4}
    assert "worse for" in verdict.summary and "not a digit" in verdict.summary
    headers, rows = comparison_rows(verdict)
    assert len(rows) == 11 and headers[:4] == ["class", "held-out images", "before", "after"]


def test_the_margin():
    assert not ClassFigure(3, 60, old=0.95, new=0.95 - MARGIN + 0.001).worse
    assert ClassFigure(3, 60, old=0.95, new=0.95 - MARGIN - 0.001).worse
    assert not ClassFigure(3, 10, old=1.0, new=0.9).worse  # one image of ten may differ
    assert not ClassFigure(3, 60, old=None, new=0.1).worse  # nothing to compare with


def test_promote_replaces_the_model_in_use_whole(tmp_path):
    out, candidate = tmp_path / "retrained", tmp_path / "retrained.candidate"
    for folder, text in ((out, "old"), (candidate, "new")):
        folder.mkdir()
        (folder / "bundle.json").write_text(text)
    assert promote(candidate, out) == out
    assert (out / "bundle.json").read_text() == "new" and not candidate.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retrained"]


def test_the_comparison_and_the_live_view_can_share_the_model_in_use(shipped):
    """Retrain compares on the model in use (batches of 64) on its task thread while the live
    thread predicts one hand a frame with it; neither may fail or get the other's answers."""
    import threading

    model, heldout = shipped
    observations = [e.observation for e in heldout]
    one = model.predict_batch(observations[:1])[0]
    expected = model.predict_batch(observations[:64])
    errors: list[BaseException] = []
    stop = threading.Event()

    def live() -> None:
        try:
            while not stop.is_set():
                np.testing.assert_allclose(model.predict_batch(observations[:1])[0], one, atol=1e-5)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    thread = threading.Thread(target=live)
    thread.start()
    try:
        for _ in range(40):
            np.testing.assert_allclose(model.predict_batch(observations[:64]), expected, atol=1e-5)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors[0]
