"""Finding labelled images on disk, deduplicating them and splitting them honestly.

Supported layouts (any number of roots at once):
- the Kaggle download: `American Sign Language Digits Dataset/<d>/Input Images - Sign <d>/*.jpeg`
- plain class folders: `<root>/<d>/*.jpg|jpeg|png` (any case), nested at most one level down
  (`<root>/Dataset/<d>/...`), which is also how the app saves captured samples; a
  `not_digit/` folder beside them holds hand shapes that are no digit.
- negatives (`scan_negatives`): any folder tree of images of hands that are no digit.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np

from .checksum import file_sha256
from .classes import DIGITS, NOT_DIGIT, NOT_DIGIT_NAME

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
KAGGLE_DIR = "American Sign Language Digits Dataset"
CLASS_FOLDERS = {**{str(d): d for d in DIGITS}, NOT_DIGIT_NAME: NOT_DIGIT}  # folder name -> label


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int  # a digit, or trainer.classes.NOT_DIGIT
    dataset: str  # name of the root it came from; splits and reports are per dataset
    group: str  # participant id where known, else the file's own content hash
    digest: str  # sha256 of the file: deduplication and the crop-cache key


@dataclass
class ScanReport:
    """What a scan found and what it skipped, for the summary line users read."""

    found: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    duplicates: int = 0

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return f"{self.found} images, {self.duplicates} duplicates removed, skipped: {skipped}"


class DataError(ValueError):
    """A data root that cannot be used; the message says why."""


def _digit_dirs(root: Path) -> dict[int, Path]:
    """Label -> folder for the class folders directly under `root` (at least one digit)."""
    found = {CLASS_FOLDERS[p.name]: p for p in root.iterdir() if p.is_dir() and p.name in CLASS_FOLDERS}
    return found if set(found) & set(DIGITS) else {}


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _layout(root: Path) -> tuple[str, dict[int, list[Path]]]:
    """Detect the layout under `root`; return (kind, label -> candidate files)."""
    kaggle = root / KAGGLE_DIR if (root / KAGGLE_DIR).is_dir() else None
    if kaggle is None and root.name == KAGGLE_DIR:
        kaggle = root
    if kaggle is not None:
        files = {}
        for d, folder in _digit_dirs(kaggle).items():
            inputs = [p for p in folder.iterdir() if p.is_dir() and p.name.startswith("Input Images")]
            files[d] = [f for sub in inputs for f in _images_in(sub)]
        return "kaggle", files
    for base in [root, *sorted(p for p in root.iterdir() if p.is_dir())]:
        dirs = _digit_dirs(base)
        if dirs:
            return "folders", {d: _images_in(folder) for d, folder in dirs.items()}
    raise DataError(
        f"{root}: no digit folders found. Expected the Kaggle download layout "
        f"('{KAGGLE_DIR}/<d>/Input Images - Sign <d>/') or class folders '<d>/*.jpg' for d in 0-9."
    )


_NUM = re.compile(r"(\d+)(?!.*\d)")
# Samples captured by the app: <YYYYmmdd-HHMMSS>_<n>.png, n counting up while the app runs.
_CAPTURE = re.compile(r"^(\d{8}-\d{6})_(\d+)$")
CAPTURE = "capture:"  # group-id prefix of a run of captures (capture_runs)
RUN_GAP_S = 10  # captures of one label further apart than this start a new run
GUARD_FRAMES = 3  # captures left out on each side of a train / validation / test boundary in a run


def _capture_key(path: Path) -> tuple[float, int] | None:
    """When a capture was taken (seconds) and its running number, or None for other files."""
    m = _CAPTURE.match(path.stem)
    if not m:
        return None
    try:
        stamp = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").timestamp()
    except ValueError:
        return None
    return stamp, int(m.group(2))


def capture_runs(files: list[tuple[Path, int]]) -> dict[Path, str]:
    """Group the app's captures into runs: one label captured without a pause of RUN_GAP_S.

    A run is one held sign (or a few holds in a row), its frames near copies of each other;
    `split` holds out the end of each run, never the frames next to the training ones.
    """
    keyed = sorted((key, label, path) for path, label in files if (key := _capture_key(path)) is not None)
    groups: dict[Path, str] = {}
    last: dict[tuple[int, Path], tuple[float, str]] = {}
    for (stamp, _), label, path in keyed:
        prev = last.get((label, path.parent))
        run = (prev[1] if prev is not None and stamp - prev[0] <= RUN_GAP_S
               else f"{CAPTURE}{label}:{path.parent.name}/{path.stem}")
        last[label, path.parent] = (stamp, run)
        groups[path] = run
    return groups


def participant_groups(files: list[tuple[Path, int]]) -> dict[Path, str]:
    """Group the 218-signer set by participant: each signer's photos carry consecutive numbers
    with digits 0..9 in order, so a new participant starts wherever the number or the digit
    does not step up by one. Files without a number get their own group."""
    numbered = []
    groups: dict[Path, str] = {}
    for path, label in files:
        m = _NUM.search(path.stem)
        if m:
            numbered.append((int(m.group(1)), label, path))
        else:
            groups[path] = f"file:{path.name}"
    numbered.sort()
    gid, prev = 0, None
    for num, label, path in numbered:
        if prev is None or not (num == prev[0] + 1 and label == prev[1] + 1):
            gid += 1
        groups[path] = f"{PARTICIPANT}{gid}"
        prev = (num, label)
    return groups


PARTICIPANT = "p"  # group-id prefix of a signer found by participant_groups


def has_participants(samples: list[Sample]) -> bool:
    """Whether the samples' groups are signers (not single images, photos or captures)."""
    return any(s.group.startswith(PARTICIPANT) and s.group[len(PARTICIPANT):].isdigit() for s in samples)


def scan(root: str | os.PathLike[str], name: str | None = None, report: ScanReport | None = None) -> list[Sample]:
    """All usable labelled images under one root, deduplicated by content.

    Empty and non-image files are skipped and counted in `report` (decoding is checked later,
    when the image is cropped). Participant groups come from file numbering for class-folder
    sets; the Kaggle set has no participant ids, so each image is its own group.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory")
    report = report if report is not None else ScanReport()
    kind, by_label = _layout(root)
    name = name or root.name
    candidates: list[tuple[Path, int]] = []
    for label, paths in sorted(by_label.items()):
        for p in paths:
            if p.suffix.lower() not in IMAGE_EXTS:
                report.skipped["not an image"] += 1
            elif p.stat().st_size == 0:
                report.skipped["empty"] += 1
            else:
                candidates.append((p, label))
    groups = participant_groups(candidates) if kind == "folders" else {}
    if groups and len(groups) < 3 * len(set(groups.values())):
        groups = {}  # numbering does not follow the one-signer-per-run pattern: no participant ids
    groups.update(capture_runs(candidates))
    seen: dict[str, int] = {}
    samples = []
    for path, label in candidates:
        h = file_sha256(path)
        if h in seen:
            report.duplicates += 1
            if seen[h] != label:
                report.skipped["conflicting labels"] += 1
            continue
        seen[h] = label
        samples.append(Sample(path, label, name, groups.get(path, h), h))
    report.found += len(samples)
    return samples


def scan_many(roots: list[str | os.PathLike[str]], report: ScanReport | None = None) -> list[Sample]:
    """Scan several roots; dataset names are made unique, duplicates removed across roots too."""
    report = report if report is not None else ScanReport()
    out: list[Sample] = []
    names: Counter = Counter()
    seen: set[str] = set()
    for root in roots:
        base = dataset_name(Path(root))
        names[base] += 1
        name = base if names[base] == 1 else f"{base}-{names[base]}"
        for s in scan(root, name, report):
            if s.digest in seen:
                report.duplicates += 1
                report.found -= 1
                continue
            seen.add(s.digest)
            out.append(s)
    return out


# Roboflow exports name each augmented copy of a photo `<photo>_jpg.rf.<hash>.jpg`.
_ROBOFLOW = re.compile(r"^(.+)_(?:jpe?g|png)\.rf\.[0-9a-f]+$", re.IGNORECASE)


def scan_negatives(root: str | os.PathLike[str], report: ScanReport | None = None) -> list[Sample]:
    """Every image under `root`, at any depth, labelled "not a digit" and deduplicated.

    Copies of one source photo (Roboflow's augmented copies share the `<photo>` part of their
    name) form one group, so a photo never has copies on both sides of a split.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: not a directory")
    report = report if report is not None else ScanReport()
    name = dataset_name(root)
    samples, seen = [], set()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() not in IMAGE_EXTS:
            report.skipped["not an image"] += 1
            continue
        if path.stat().st_size == 0:
            report.skipped["empty"] += 1
            continue
        h = file_sha256(path)
        if h in seen:
            report.duplicates += 1
            continue
        seen.add(h)
        m = _ROBOFLOW.match(path.stem)
        group = f"{path.parent.relative_to(root)}/{m.group(1)}" if m else h
        samples.append(Sample(path, NOT_DIGIT, name, group, h))
    runs = capture_runs([(s.path, s.label) for s in samples])
    samples = [replace(s, group=runs[s.path]) if s.path in runs else s for s in samples]
    if not samples:
        raise DataError(f"{root}: no images of hands found (looked for {', '.join(sorted(IMAGE_EXTS))} files "
                        "at any depth).")
    report.found += len(samples)
    return samples


def dataset_name(root: Path) -> str:
    root = root.resolve()
    if root.name == KAGGLE_DIR:
        root = root.parent
    return root.name or "data"


@dataclass(frozen=True)
class SplitSettings:
    val: float = 0.15
    test: float = 0.15
    seed: int = 1234

    @classmethod
    def from_record(cls, record) -> "SplitSettings":
        """The settings a bundle's SplitRecord (trainer.bundle_meta) was made with."""
        return cls(record.val, record.test, record.seed)


def split(samples: list[Sample], settings: SplitSettings = SplitSettings()) -> dict[str, list[Sample]]:
    """Train/val/test, per dataset, by participant group, stratified by digit (negatives by folder).

    Groups never straddle two splits, so a signer in the test split was never trained on.
    Each dataset is split on its own so every dataset has its own held-out test figures. The
    app's captures are split within each run, by time (`_split_run`)."""
    out: dict[str, list[Sample]] = {"train": [], "val": [], "test": []}
    runs: dict[str, list[Sample]] = {}
    others: list[Sample] = []
    for s in samples:
        if s.group.startswith(CAPTURE):
            runs.setdefault(s.group, []).append(s)
        else:
            others.append(s)
    for run in runs.values():
        for name, part in _split_run(run, settings).items():
            out[name] += part
    for ds in sorted({s.dataset for s in others}):
        part = [s for s in others if s.dataset == ds]
        rest, test = _group_split(part, settings.test, settings.seed)
        frac = settings.val / max(1e-9, 1 - settings.test)
        train, val = _group_split(rest, frac, settings.seed + 1)
        out["train"] += train
        out["val"] += val
        out["test"] += test
    return out


def _split_run(run: list[Sample], settings: SplitSettings) -> dict[str, list[Sample]]:
    """One run of captures split by time: its first frames train, the next ones validate, the last
    ones test, with GUARD_FRAMES left out at each boundary so that no two frames next to each
    other land on both sides. A learner who captures two digits in a minute still gets held-out
    captures of both; a run too short to leave a guard trains whole."""
    run = sorted(run, key=lambda s: _capture_key(s.path) or (0.0, 0))
    n = len(run)
    n_test = max(1, round(n * settings.test)) if settings.test > 0 else 0
    n_val = max(1, round(n * settings.val)) if settings.val > 0 else 0
    n_train = n - n_val - n_test - GUARD_FRAMES * ((n_val > 0) + (n_test > 0))
    if n_train < max(n_val, n_test, 1):
        return {"train": run, "val": [], "test": []}
    val_at = n_train + GUARD_FRAMES * (n_val > 0)
    test_at = val_at + n_val + GUARD_FRAMES * (n_test > 0)
    return {"train": run[:n_train], "val": run[val_at:val_at + n_val], "test": run[test_at:]}


def _strata(samples: list[Sample]) -> np.ndarray:
    # Negatives are stratified by their folder (one hand shape each), digits by the digit.
    return np.array([str(s.label) if s.label != NOT_DIGIT else f"not:{s.path.parent.name}" for s in samples])


def _group_split(samples: list[Sample], frac: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """Hold out about `frac` of the samples, whole groups at a time, stratified where possible."""
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    if frac <= 0 or len(samples) < 2:
        return samples, []
    n_splits = max(2, int(round(1 / frac)))
    y = _strata(samples)
    groups = np.array([s.group for s in samples])
    n_groups = len(set(groups.tolist()))
    if n_groups < n_splits:
        return samples, []
    try:
        with warnings.catch_warnings():  # a class with fewer images than folds: stratified as well as it can
            warnings.simplefilter("ignore", UserWarning)
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            keep_idx, held_idx = next(cv.split(np.zeros(len(y)), y, groups))
    except ValueError:  # a digit with fewer images than folds (small capture sets): drop stratification
        cv = GroupShuffleSplit(n_splits=1, test_size=frac, random_state=seed)
        keep_idx, held_idx = next(cv.split(np.zeros(len(y)), y, groups))
    return [samples[i] for i in keep_idx], [samples[i] for i in held_idx]
