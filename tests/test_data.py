"""Readers, deduplication and the participant split, on the real shared datasets and on
small folders made here."""

import shutil

import cv2
import numpy as np
import pytest

from trainer.data import (GUARD_FRAMES, DataError, ScanReport, SplitSettings, participant_groups, scan, scan_many,
                          split)

from _paths import KAGGLE, SLD, kaggle_image


@pytest.fixture(scope="module")
def kaggle_samples():
    report = ScanReport()
    return scan(KAGGLE, report=report), report


def test_kaggle_layout_is_read_and_deduplicated(kaggle_samples):
    samples, report = kaggle_samples
    counts = np.bincount([s.label for s in samples], minlength=10)
    # shared/README.md: unique per digit 0:420 1:499 2:499 3:420 4:484 5:500 6:449 7:418 8:410 9:499
    assert counts.tolist() == [420, 499, 499, 420, 484, 500, 449, 418, 410, 499]
    assert report.duplicates == 5000 - counts.sum()
    assert len({s.digest for s in samples}) == len(samples)


def test_participant_groups_follow_numbering():
    from pathlib import Path

    files = [(Path(f"IMG_{100 + i}.JPG"), i) for i in range(10)]  # one signer, digits 0..9
    files += [(Path(f"IMG_{110 + i}.JPG"), i) for i in range(4)]  # next signer, 0..3
    files += [(Path("IMG_115.JPG"), 5)]  # number steps by 1 but digit jumps: a new participant
    groups = participant_groups(files)
    assert len({groups[p] for p, _ in files[:10]}) == 1
    assert len({groups[p] for p, _ in files[10:14]}) == 1
    assert groups[files[0][0]] != groups[files[10][0]] != groups[files[14][0]]


def test_split_never_puts_a_participant_on_both_sides():
    samples = scan(SLD)
    parts = split(samples, SplitSettings(seed=7))
    groups = {k: {s.group for s in v} for k, v in parts.items()}
    assert not groups["train"] & groups["test"]
    assert not groups["train"] & groups["val"]
    assert not groups["val"] & groups["test"]
    assert sum(len(v) for v in parts.values()) == len(samples) == 2062
    test_labels = np.bincount([s.label for s in parts["test"]], minlength=10)
    assert test_labels.min() > 0.6 * test_labels.max()  # stratified by digit
    assert 0.1 < len(parts["test"]) / len(samples) < 0.2
    # fixed seed: the same split every time
    assert [s.path for s in split(samples, SplitSettings(seed=7))["test"]] == [s.path for s in parts["test"]]


def test_class_folders_any_case_and_bad_files(tmp_path):
    root = tmp_path / "mine"
    for d in (0, 1):
        (root / str(d)).mkdir(parents=True)
    shutil.copy(kaggle_image(0, 1), root / "0" / "a.JPEG")
    cv2.imwrite(str(root / "1" / "b.png"), np.full((40, 40, 3), 128, np.uint8))
    shutil.copy(kaggle_image(0, 1), root / "1" / "dup.jpg")  # same bytes as a 0: duplicate
    (root / "0" / "notes.txt").write_text("not an image")
    (root / "1" / "empty.jpg").write_bytes(b"")
    report = ScanReport()
    samples = scan(root, report=report)
    assert sorted((s.path.name, s.label) for s in samples) == [("a.JPEG", 0), ("b.png", 1)]
    assert report.duplicates == 1
    assert report.skipped == {"not an image": 1, "empty": 1, "conflicting labels": 1}
    assert "2 images" in report.summary()


def test_several_roots_dedup_across_roots(tmp_path):
    a, b = tmp_path / "a" / "3", tmp_path / "b" / "3"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    shutil.copy(kaggle_image(3, 1), a / "x.jpeg")
    shutil.copy(kaggle_image(3, 1), b / "y.jpeg")
    shutil.copy(kaggle_image(3, 2), b / "z.jpeg")
    report = ScanReport()
    samples = scan_many([a.parent, b.parent], report)
    assert sorted(s.path.name for s in samples) == ["x.jpeg", "z.jpeg"]
    assert {s.dataset for s in samples} == {"a", "b"}
    assert report.duplicates == 1 and report.found == 2


def test_roots_that_cannot_be_used(tmp_path):
    with pytest.raises(DataError, match="not a directory"):
        scan(tmp_path / "missing")
    (tmp_path / "cats").mkdir()
    with pytest.raises(DataError, match="no digit folders"):
        scan(tmp_path)


def _captures(folder, label, stamps, start=0):
    """One file per stamp under folder/<label>, numbered from `start`, each image distinct."""
    (folder / str(label)).mkdir(parents=True, exist_ok=True)
    for n, stamp in enumerate(stamps, start):
        img = np.full((8, 8, 3), n % 256, np.uint8)
        img[0, 0] = (label, n // 256, 7)
        cv2.imwrite(str(folder / str(label) / f"{stamp}_{n}.png"), img)


def test_captures_group_into_runs_of_one_label_without_a_pause(tmp_path):
    _captures(tmp_path, 1, ["20261125-101559", "20261125-101600", "20261125-101605"], 0)  # across a minute
    _captures(tmp_path, 2, ["20261125-101601", "20261125-101602"], 3)  # another digit, same seconds
    _captures(tmp_path, 1, ["20261125-101700"], 5)  # a pause of 55 s: a new run
    groups = {s.path.name: s.group for s in scan(tmp_path)}
    assert groups["20261125-101559_0.png"] == groups["20261125-101600_1.png"] == groups["20261125-101605_2.png"]
    assert groups["20261125-101559_0.png"] != groups["20261125-101601_3.png"]  # other digit
    assert groups["20261125-101559_0.png"] != groups["20261125-101700_5.png"]


def test_a_short_capture_session_still_holds_out_captures_of_each_digit(tmp_path):
    """Two digits captured within one minute (issue 32's case: 97 crops): each digit's run is
    split by time, its end held out, and no two frames next to each other on both sides."""
    for label, start in ((1, 0), (7, 48)):
        _captures(tmp_path, label, [f"20261125-1015{(start + i) // 2 % 60:02d}" for i in range(48)], start)
    samples = scan(tmp_path)
    parts = split(samples, SplitSettings())
    for label in (1, 7):
        at = {name: sorted(int(s.path.stem.split("_")[1]) for s in part if s.label == label)
              for name, part in parts.items()}
        assert at["val"] and at["test"] and len(at["train"]) >= 25, at
        assert min(at["val"]) - max(at["train"]) > GUARD_FRAMES
        assert min(at["test"]) - max(at["val"]) > GUARD_FRAMES
    too_short = sorted((s for s in samples if s.label == 1), key=lambda s: s.path.name)[:8]
    assert split(too_short, SplitSettings()) == {"train": too_short, "val": [], "test": []}
