"""SampleWriter: crops saved where trainer.data.scan finds them, atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from asl_live.capture import SampleWriter
from trainer.classes import NOT_DIGIT
from trainer.data import scan
from trainer.images import read_rgb

NO_SAMPLES = {label: 0 for label in (*range(10), NOT_DIGIT)}


def crop(seed: int, size: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_saved_crops_read_back_by_trainer_scan(tmp_path: Path):
    w = SampleWriter(tmp_path / "samples")
    assert w.counts() == NO_SAMPLES
    saved = {}
    for i, label in enumerate([3, 3, 7, 0, 3, NOT_DIGIT]):
        c = crop(i)
        p = w.save(label, c)
        folder = "not_digit" if label == NOT_DIGIT else str(label)
        assert p.parent == tmp_path / "samples" / folder and p.suffix == ".png"
        saved[p] = (label, c)
    assert len(saved) == 6  # unique names even within one second
    assert w.counts() == {**NO_SAMPLES, 3: 3, 7: 1, 0: 1, NOT_DIGIT: 1}
    assert w.total() == 6
    samples = scan(tmp_path / "samples")
    assert sorted((s.path, s.label) for s in samples) == sorted((p, d) for p, (d, _) in saved.items())
    for p, (_, c) in saved.items():
        np.testing.assert_array_equal(read_rgb(p), c)  # lossless, and RGB order preserved


def test_no_temporary_files_left(tmp_path: Path):
    w = SampleWriter(tmp_path)
    w.save(5, crop(0))
    assert [p.name.startswith(".") for p in (tmp_path / "5").iterdir()] == [False]


@pytest.mark.parametrize("digit", [-1, 11, 2.0, "3", True])
def test_bad_digit_rejected(tmp_path: Path, digit):
    with pytest.raises(ValueError):
        SampleWriter(tmp_path).save(digit, crop(0))


def test_bad_crop_rejected(tmp_path: Path):
    w = SampleWriter(tmp_path)
    with pytest.raises(ValueError):
        w.save(1, np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError):
        w.save(1, np.zeros((8, 8, 3), np.float32))
    assert w.total() == 0


def test_a_capture_folder_that_cannot_be_written_is_said_once_not_on_every_frame(tmp_path: Path):
    """The settings' capture folder is a file (or read-only, or the disk is full): the first
    frame says so in words, the same failure again is counted, not repeated; turning capture
    off and on says it again."""
    from asl_live.capture import CaptureError, SampleCapture
    from asl_live.live import FrameResult
    from asl_live.session import LiveState
    from asl_live.smoothing import Decision
    from trainer.hands import HandObservation

    blocker = tmp_path / "samples"
    blocker.write_text("a file where the folder should be")
    capture = SampleCapture(SampleWriter(blocker))
    obs = HandObservation(np.zeros((64, 64, 3), np.uint8), np.zeros((21, 3), np.float32), (0, 0, 64), "Right", 1.0)
    frame = FrameResult(0, 0, obs, None, Decision("none", None, 0.0, None))
    on, off = LiveState(capture=True, label=3), LiveState(capture=False, label=3)
    with pytest.raises(CaptureError) as said:
        capture(frame, on)
    assert str(blocker) in str(said.value) and "choose another capture folder" in str(said.value)
    for _ in range(50):
        capture(frame, on)  # the same problem: counted, not raised again
    assert capture.failed_frames == 51 and blocker.read_text().startswith("a file")
    capture(frame, off)
    with pytest.raises(CaptureError):
        capture(frame, on)
