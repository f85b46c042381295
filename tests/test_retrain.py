"""The Retrain gate on the shipped model's own held-out examples: a model is taken only if no
class got worse."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from asl_live.retrain import MARGIN, OWN_LABEL, ClassFigure, compare, comparison_rows, promote, right
from trainer.classes import NOT_DIGIT
from trainer.classifier import Classifier
from trainer.bundle_meta import HELDOUT_FILE, REHEARSAL_FILE
from trainer.examples import load_examples


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
    assert len(rows) == 11 and headers[:4] == ["class", "images", "before", "after"]


def test_the_learners_own_held_out_captures_are_scored_apart_and_must_not_get_worse(shipped):
    """A fine-tune's held-out set holds the learner's own captures (dataset "samples") beside
    other people's: the window shows their score before and after, and a model worse on them is
    kept aside even when every class as a whole stays within the margin."""
    model, heldout = shipped
    picked = [e for e in heldout if e.label in (1, 7)][::3]
    mine = [replace(e, dataset="samples") for e in picked]
    others = [e for e in heldout if not any(e is p for p in picked)]
    verdict = compare(model, copy.copy(model), [*mine, *others], own="samples")
    own = verdict.figures[0]
    assert verdict.accepted and own.name == "your own captures" and own.images == len(mine)
    assert own.old == own.new and f"Your own held-out captures ({len(mine)})" in verdict.summary
    assert comparison_rows(verdict)[1][0][:2] == ["your own captures", len(mine)]

    worse_on_mine = copy.copy(model)
    # one capture of 1 and one of 7 called a 0: 2 of 40 of the learner's own, 1 of 60 of each class
    marked = {id(next(e for e in mine if e.label == d).observation) for d in (1, 7)}

    def predict_batch(observations):
        probs = model.predict_batch(observations)
        for i, o in enumerate(observations):
            if id(o) in marked:
                probs[i] = np.eye(probs.shape[1])[0]  # called a 0
        return probs

    worse_on_mine.predict_batch = predict_batch
    verdict = compare(model, worse_on_mine, [*mine, *others], own="samples")
    assert not verdict.accepted and {f.label for f in verdict.figures if f.worse} == {OWN_LABEL}
    assert "your own captures" in verdict.summary


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
