"""Labelled test videos made of real hands, for testing and benchmarking without a webcam.

Real hand photos (the Kaggle set: hands already segmented onto black) are cut out and pasted
onto cluttered generated backgrounds, each digit held for a while with a little hand jitter,
optionally with empty (no hand) stretches and stretches of hand shapes that are no digit
(photos of ASL letters, placed whole on the clutter). The per-frame labels are written beside
the video as `<video>.labels.json` (asl_live.video_labels), which `asl-live bench` and
`asl-live practice` score against. Test and benchmark tooling: not part of the installed app.

    python scripts/synthvideo.py --out demo.mp4 --digits 0,1,2,3,-,4,x --seconds 1.5 --fps 30 \
        --data ../shared/datasets/asl-digits-kaggle --negatives ../shared/datasets/asl-letters-dlee
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from asl_live.video_labels import labels_path, to_json, write_labels
from trainer import atomicio, paths
from trainer.bundle_meta import BundleMeta
from trainer.classes import DIGITS, NOT_DIGIT
from trainer.data import KAGGLE_DIR, Sample, dataset_name, scan, scan_negatives
from trainer.images import gamma, read_rgb

BLACK_LEVEL = 30  # Kaggle backgrounds are JPEG black: channel max below this is background
HAND_HEIGHT = (0.35, 0.5)  # hand height as a fraction of the frame height
PHOTO_HEIGHT = (0.55, 0.75)  # a whole photo (hand and its room) as a fraction of the frame height
FEATHER = 0.04  # a whole photo's edges fade out over this fraction of its side
MAX_TILT_DEG = 12.0
CHECK_TRIES = 8  # with a hand model: attempts to draw a hand the landmarker finds


@dataclass
class SynthVideo:
    path: Path  # may differ from the requested path if the MJPG/.avi fallback was used
    labels: list[int | None]  # per frame, None = no hand
    fps: float


@dataclass
class Cutout:
    """A hand cut from its black background: colours and a soft alpha, cropped to the hand."""

    rgb: np.ndarray  # (h, w, 3) uint8
    alpha: np.ndarray  # (h, w) float32 in 0..1


# -- hand images -------------------------------------------------------------------------------
def default_data_root() -> Path | None:
    """The Kaggle set in the user's data folder, where `asl-train download` puts it."""
    root = paths.datasets_dir() / "asl-digits-kaggle"
    return root if (root / KAGGLE_DIR).is_dir() else None


def hand_images(root: str | os.PathLike[str], model_dir: str | os.PathLike[str] | None = None,
                negatives: str | os.PathLike[str] | None = None) -> dict[int, list[Path]]:
    """Kaggle images per digit, deduplicated, and with `negatives` photos of hands that are no
    digit (under NOT_DIGIT). With `model_dir`, only images that bundle did not train or
    validate on (its split is recomputed from the settings it recorded), so accuracy on the
    video is not accuracy on training images."""
    root = Path(root)
    samples = scan(root, dataset_name(root))
    if negatives is not None:
        samples += scan_negatives(negatives)
    if model_dir is not None:
        samples = _unseen(samples, Path(model_dir))
    out: dict[int, list[Path]] = {d: [] for d in (*DIGITS, NOT_DIGIT)}
    for s in samples:
        out[s.label].append(s.path)
    return out


def _unseen(samples: list[Sample], model_dir: Path) -> list[Sample]:
    """The samples `model_dir` did not train or validate on (all of a dataset it never saw)."""
    from trainer.pipeline import bundle_split

    meta = BundleMeta.read(model_dir)
    out = []
    for name in sorted({s.dataset for s in samples}):
        part = [s for s in samples if s.dataset == name]
        if name in meta.data.datasets and meta.data.split is not None:
            seen = {s.digest for which in ("train", "val") for s in bundle_split(meta, part, which)}
            part = [s for s in part if s.digest not in seen]
        out += part
    return out


def cut_out_hand(rgb: np.ndarray) -> Cutout | None:
    """Mask = pixels clearly brighter than the black background, cleaned up to the largest
    blob; edges feathered so the paste has no dark halo. None if no hand-sized blob."""
    mask = (rgb.max(axis=2) > BLACK_LEVEL).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < 0.02 * mask.size:
        return None
    mask = cv2.erode((lab == best).astype(np.uint8), np.ones((3, 3), np.uint8))
    x, y, w, h = cv2.boundingRect(mask)
    alpha = cv2.GaussianBlur(mask.astype(np.float32), (5, 5), 0)
    return Cutout(rgb[y:y + h, x:x + w].copy(), alpha[y:y + h, x:x + w].copy())


# -- backgrounds -------------------------------------------------------------------------------
def make_background(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A cluttered room stand-in: colour gradient, random shapes and lines, noisy texture."""
    w, h = size
    corners = rng.uniform(20, 235, (2, 2, 3)).astype(np.float32)
    bg = cv2.resize(corners, (w, h), interpolation=cv2.INTER_LINEAR)
    blotches = cv2.resize(rng.normal(0, 25, (max(2, h // 40), max(2, w // 40), 3)).astype(np.float32), (w, h),
                          interpolation=cv2.INTER_CUBIC)
    bg = np.clip(bg + blotches, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(8, 25))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        thick = -1 if rng.random() < 0.6 else int(rng.integers(1, 6))
        kind = rng.random()
        x0, y0 = int(rng.integers(-w // 8, w)), int(rng.integers(-h // 8, h))
        if kind < 0.45:
            x1, y1 = x0 + int(rng.integers(w // 20, w // 2)), y0 + int(rng.integers(h // 20, h // 2))
            cv2.rectangle(bg, (x0, y0), (x1, y1), colour, thick)
        elif kind < 0.75:
            cv2.circle(bg, (x0, y0), int(rng.integers(h // 30, h // 5)), colour, thick, cv2.LINE_AA)
        else:
            x1, y1 = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.line(bg, (x0, y0), (x1, y1), colour, int(rng.integers(1, 8)), cv2.LINE_AA)
    grain = rng.normal(0, rng.uniform(3, 10), (h, w, 1)).astype(np.float32)
    out = np.clip(bg.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(out, (3, 3), 0)


# -- compositing -------------------------------------------------------------------------------
@dataclass
class _Placement:
    cutout: Cutout
    centre: tuple[float, float]
    scale: float
    angle: float
    gain: float
    phase: np.ndarray  # jitter phases (x, y, angle)
    rate: np.ndarray  # jitter frequencies, Hz


def whole_photo(rgb: np.ndarray) -> Cutout:
    """A photo placed whole (its own background and all), edges feathered into the clutter."""
    h, w = rgb.shape[:2]
    ramp = lambda n: np.clip(np.minimum(np.arange(n), np.arange(n)[::-1]) / max(1.0, FEATHER * n), 0, 1)  # noqa: E731
    return Cutout(rgb.copy(), np.outer(ramp(h), ramp(w)).astype(np.float32))


def _place(rng: np.random.Generator, cutout: Cutout, size: tuple[int, int],
           height: tuple[float, float] = HAND_HEIGHT) -> _Placement:
    w, h = size
    ch, cw = cutout.alpha.shape
    scale = rng.uniform(*height) * h / ch
    half = 0.5 * math.hypot(cw, ch) * scale  # room for any tilt
    half_x, half_y = min(half, w / 2 - 1), min(half, h / 2 - 1)
    centre = (rng.uniform(half_x, w - half_x), rng.uniform(half_y, h - half_y))
    return _Placement(cutout, centre, scale, rng.uniform(-MAX_TILT_DEG, MAX_TILT_DEG), rng.uniform(0.85, 1.15),
                      rng.uniform(0, 2 * math.pi, 3), rng.uniform(0.3, 1.2, 3))


def _composite(bg: np.ndarray, p: _Placement, t: float) -> np.ndarray:
    """Paste the hand at time `t` (s): a few pixels and degrees of slow wobble, like a held pose."""
    h, w = bg.shape[:2]
    wobble = np.sin(2 * math.pi * p.rate * t + p.phase)
    cx, cy = p.centre[0] + 6 * wobble[0], p.centre[1] + 4 * wobble[1]
    ch, cw = p.cutout.alpha.shape
    m = cv2.getRotationMatrix2D((cw / 2, ch / 2), p.angle + 3 * wobble[2], p.scale)
    m[:, 2] += (cx - cw / 2, cy - ch / 2)
    hand = cv2.warpAffine(p.cutout.rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = cv2.warpAffine(p.cutout.alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    a = alpha[..., None]
    out = bg.astype(np.float32) * (1 - a) + np.minimum(hand.astype(np.float32) * p.gain, 255) * a
    return out.astype(np.uint8)


# A dim room through a webcam: darker (gamma), less light, more sensor noise. Level 1 averages
# a brightness of about 52 of 255 on the bench video, level 2 about 33 (a well-lit frame: 100+).
DIM_LEVELS = {1: (2.2, 0.8, 4.0), 2: (2.6, 0.6, 6.0)}


def dimmed(rgb: np.ndarray, level: int, rng: np.random.Generator) -> np.ndarray:
    g, light, noise = DIM_LEVELS[level]
    out = gamma(rgb, g).astype(np.float32) * light + rng.normal(0, noise, rgb.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


# -- video -------------------------------------------------------------------------------------
def make_video_file(
    out: str | os.PathLike[str],
    digits: list[int | None],  # a digit, NOT_DIGIT (a hand shape that is no digit) or None (no hand)
    seconds_per: float = 1.5,
    fps: float = 30.0,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
    *,
    data_root: str | os.PathLike[str] | None = None,
    model_dir: str | os.PathLike[str] | None = None,
    negatives: str | os.PathLike[str] | None = None,
    images: dict[int, list[Path]] | None = None,
    hand_model: str | os.PathLike[str] | None = None,
    dim: int = 0,
    whole_photos: bool = False,
    in_order: bool = False,
) -> SynthVideo:
    """Write the video (mp4v, or MJPG .avi where mp4v cannot be written) and its labels JSON,
    both atomically. `images` (label -> files) overrides the Kaggle images from `data_root`
    and the non-digit photos from `negatives`; `model_dir` keeps only images that model did not
    train on. With `hand_model`, a hand the landmarker cannot find (say, pasted on a
    skin-coloured patch) is re-drawn, so that the video measures the classifier rather than the
    odd undetectable paste. `dim` (1, 2) renders the frames as a webcam in a dim room gives them
    (DIM_LEVELS), after the hands were checked on the well-lit frames. `whole_photos` places
    every photo whole (photos of hands in their own surroundings, such as the 218-signer set).
    `in_order`: the n-th stretch of a label shows its n-th image (every image once, in turn)
    rather than one drawn at random."""
    out = Path(out)
    if images is None:
        root = Path(data_root) if data_root is not None else default_data_root()
        if root is None:
            raise FileNotFoundError("No Kaggle ASL digits dataset found: pass data_root (or --data), "
                                    "or run 'asl-train download'.")
        images = hand_images(root, model_dir, negatives)
    labels: list[int | None] = []
    sources: list[str | None] = []
    per = max(1, int(round(seconds_per * fps)))
    checker = None
    if hand_model is not None:
        from trainer.hands import CropSettings, HandCropper

        # MediaPipe's own detector, without the second look: a hand it misses makes a video
        # about finding hands (scripts/hard_frames.py), not about the classifier
        checker = HandCropper(hand_model, CropSettings(second_look=False), mode="image")

    def visible(bg: np.ndarray, placement: _Placement) -> bool:
        times = (0.0, per / 2 / fps, (per - 1) / fps)  # the wobble moves it: check along the way
        return checker is None or all(checker.landmarks(_composite(bg, placement, t)) is not None for t in times)

    def render() -> Iterator[np.ndarray]:
        """Frames in order; re-running it gives the same video (fresh RNG from `seed`)."""
        labels.clear()
        sources.clear()
        rng = np.random.default_rng(seed)
        noise = np.random.default_rng(seed + 1)  # its own draws: a dim video is the lit one, dimmed
        shown: dict[int, int] = {}
        for digit in digits:
            placement = src = None
            turn = -1
            if in_order and digit is not None:
                turn = shown[digit] = shown.get(digit, -1) + 1
            for _ in range(CHECK_TRIES):
                bg = make_background(rng, size)
                if digit is None:
                    break
                placement, src = _pick_hand(rng, images, int(digit), size, whole_photos, turn)
                if visible(bg, placement):
                    break
            sources.append(None if src is None else src.name)
            for k in range(per):
                labels.append(digit)
                frame = bg if placement is None else _composite(bg, placement, k / fps)
                yield dimmed(frame, dim, noise) if dim else frame

    try:
        path = _write_frames(out, render, fps, size)
    finally:
        if checker is not None:
            checker.close()
    write_labels(path, labels, fps, digits=[to_json(d) for d in digits], seconds_per=seconds_per,
                 size=list(size), seed=seed, sources=sources)
    return SynthVideo(path, labels, fps)


def _pick_hand(rng: np.random.Generator, images: dict[int, list[Path]], digit: int,
               size: tuple[int, int], whole: bool = False, turn: int = -1) -> tuple[_Placement, Path]:
    """A placed image of `digit`: the `turn`-th of its pool (>= 0), else one at random."""
    pool = list(images.get(digit, []))
    what = "hands that are no digit" if digit == NOT_DIGIT else f"digit {digit}"
    if not pool:
        raise FileNotFoundError(f"no images of {what}" + (" (pass --negatives DIR)" if digit == NOT_DIGIT else ""))
    for attempt in range(20):  # a few files may be unreadable or nearly empty
        path = pool[(turn + attempt) % len(pool)] if turn >= 0 else pool[int(rng.integers(len(pool)))]
        rgb = read_rgb(path)
        if rgb is None:
            continue
        if digit == NOT_DIGIT or whole:  # photos of people's hands in their rooms: placed whole
            return _place(rng, whole_photo(rgb), size, PHOTO_HEIGHT), path
        cutout = cut_out_hand(rgb)
        if cutout is not None:
            if rng.random() < 0.5:  # left and right hands both occur in front of a webcam
                cutout = Cutout(cutout.rgb[:, ::-1].copy(), cutout.alpha[:, ::-1].copy())
            return _place(rng, cutout, size), path
    raise FileNotFoundError(f"no usable image of {what} among {len(pool)} files")


def _write_frames(out: Path, render: Callable[[], Iterator[np.ndarray]], fps: float,
                  size: tuple[int, int]) -> Path:
    """mp4v into `out`; if this OpenCV cannot write that or read it back, MJPG into `out`.avi.
    Frames are streamed (a 15 s 640x480 video is 400 MB as raw frames)."""
    for target, fourcc in ((out, "mp4v"), (out.with_suffix(".avi"), "MJPG")):
        try:
            with atomicio.atomic_path(target, suffix=target.suffix or ".mp4") as tmp:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*fourcc), fps, size)
                n = 0
                try:
                    if not writer.isOpened():
                        raise _Retry
                    for rgb in render():
                        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
                        n += 1
                finally:
                    writer.release()
                if n == 0 or _count_frames(tmp) != n:
                    raise _Retry
        except _Retry:
            continue
        return target
    raise RuntimeError(f"OpenCV could not write a readable video (mp4v or MJPG) at {out}")


def _count_frames(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    try:
        while cap.isOpened() and cap.grab():
            n += 1
    finally:
        cap.release()
    return n


class _Retry(Exception):
    pass


# -- CLI ---------------------------------------------------------------------------------------
def parse_digits(text: str) -> list[int | None]:
    """"0,1,-,x,2" -> [0, 1, None, NOT_DIGIT, 2]; "-" is a stretch without a hand, "x" one of a
    hand shape that is no digit."""
    out: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "-":
            out.append(None)
        elif part == "x":
            out.append(NOT_DIGIT)
        elif part.isdigit() and 0 <= int(part) <= 9:
            out.append(int(part))
        else:
            raise argparse.ArgumentTypeError(f"not a digit 0-9, '-' (no hand) or 'x' (not a digit): {part!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python scripts/synthvideo.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path, help="video file to write (.mp4)")
    ap.add_argument("--digits", type=parse_digits, default=parse_digits("0,1,2,3,4,5,6,7,8,9"),
                    help="comma-separated digits, '-' for no hand, 'x' for a hand shape that is no digit "
                         "(default 0..9)")
    ap.add_argument("--seconds", type=float, default=1.5, help="seconds each digit is held")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--size", default="640x480", help="WIDTHxHEIGHT")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dim", type=int, choices=sorted(DIM_LEVELS), help="render as a webcam in a dim room (1, 2: dimmer)")
    ap.add_argument("--data", type=Path, help="Kaggle dataset folder (default: the one 'asl-train download' fetched)")
    ap.add_argument("--negatives", type=Path, metavar="DIR", help="photos of hands that are no digit (for 'x')")
    ap.add_argument("--model", type=Path, help="use only hand images this model bundle did not train on")
    ap.add_argument("--hand-model", type=Path, metavar="PATH",
                    help="re-draw hands this landmarker cannot find (hand_landmarker.task)")
    args = ap.parse_args(argv)
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        ap.error(f"--size must look like 640x480, not {args.size!r}")
    try:
        video = make_video_file(args.out, args.digits, args.seconds, args.fps, (w, h), args.seed,
                                data_root=args.data, model_dir=args.model, negatives=args.negatives,
                                hand_model=args.hand_model, dim=args.dim or 0)
    except (FileNotFoundError, OSError, RuntimeError, ValueError) as e:
        print(f"synthvideo: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {video.path} ({len(video.labels)} frames at {video.fps:g} fps) and {labels_path(video.path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
