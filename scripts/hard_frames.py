"""Hard material for finding hands: labelled videos where MediaPipe's palm detector misses.

Real Kaggle hands (cut out of their black background) are pasted where a palm detector
struggles: low in the frame with the wrist cut off by the edge, on skin-toned, pink and
patterned walls, squeezed as a hand seen from the thumb side, small (80-120 px in 640x480),
dim. Between them, stretches with no hand at all: the same walls, cluttered rooms, and real
rooms from the letter photos with the hand painted out (forearms left in). Research tool
behind trainer.second_look (docs/second_look.md); not part of the installed app.

    python scripts/hard_frames.py make --out hard/ --data ../shared/datasets/asl-digits-kaggle \
        --negatives ../shared/datasets/asl-letters-dlee --model assets/model \
        --hand-model ../shared/models/hand_landmarker.task
    python scripts/hard_frames.py score hard/test_hands.mp4 hard/test_empty.mp4 --hand-model ...

`score` plays each video through the live path (MediaPipe, then the second look) and through
MediaPipe alone, and prints hands found on frames where the whole hand is in view (and where
the wrist is cut off), the smoothed digit right after the first 0.5 s, and hands invented on
frames without one.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthvideo import (Cutout, _composite, _Placement, _write_frames, cut_out_hand, dimmed,  # noqa: E402
                        hand_images, make_background, whole_photo)

from asl_live.video_labels import load_labels, segments, to_json, write_labels  # noqa: E402
from trainer.classes import NOT_DIGIT  # noqa: E402
from trainer.data import scan_negatives  # noqa: E402
from trainer.images import read_rgb  # noqa: E402

SIZE = (640, 480)
FPS = 30.0
BACKGROUNDS = ("skin", "pink", "pattern", "clutter")


# -- walls -------------------------------------------------------------------------------------
def wall(rng: np.random.Generator, kind: str, size: tuple[int, int] = SIZE) -> np.ndarray:
    """A wall a palm detector finds hard: skin-toned, pink and patterned, or a cluttered room."""
    w, h = size
    if kind == "clutter":
        return make_background(rng, size)
    if kind == "skin":
        base = np.array([rng.uniform(170, 235), rng.uniform(120, 180), rng.uniform(95, 150)])
        accent = base * rng.uniform(0.8, 0.95)
    elif kind == "pink":
        base = np.array([rng.uniform(220, 250), rng.uniform(150, 200), rng.uniform(170, 215)])
        accent = np.array([rng.uniform(190, 240), rng.uniform(80, 140), rng.uniform(120, 170)])
    else:
        base, accent = rng.uniform(60, 230, 3), rng.uniform(30, 250, 3)
    img = np.empty((h, w, 3), np.float32)
    img[:] = base
    yy, xx = np.mgrid[0:h, 0:w]
    period = rng.uniform(18, 60)
    motif = rng.integers(4)
    if motif == 0:  # stripes
        mask = (np.sin(2 * math.pi * (xx * math.cos(rng.uniform(0, 3)) + yy * 0.3) / period) > 0.3)
    elif motif == 1:  # checks
        mask = ((xx // period).astype(int) + (yy // period).astype(int)) % 2 == 0
    elif motif == 2:  # dots (a flowery print)
        mask = (np.sin(2 * math.pi * xx / period) * np.sin(2 * math.pi * yy / period)) > 0.5
    else:  # plain, lit from one side
        mask = np.zeros((h, w), bool)
    img[mask] = accent
    light = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(0.9, 1.1), w)[None, :, None]
    img = img * light + rng.normal(0, 4, (h, w, 1))
    return cv2.GaussianBlur(np.clip(img, 0, 255).astype(np.uint8), (3, 3), 0)


def paint_out_hand(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The photo with the hand painted over from its surroundings: the hull of the landmarks,
    grown by the palm's length, inpainted. A forearm below the wrist stays."""
    pts = landmarks[:, :2]
    palm = float(np.linalg.norm(pts[9] - pts[0]))
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(pts.astype(np.int32)), 255)
    k = max(3, int(palm * 0.9)) | 1
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.inpaint(np.ascontiguousarray(rgb), mask, 9, cv2.INPAINT_TELEA)


# -- scenes ------------------------------------------------------------------------------------
def hand_scene(rng: np.random.Generator, cutout: Cutout, low: bool, small: bool, side: bool) -> _Placement:
    """Where and how a hand is pasted: `low` cuts the wrist off at the bottom edge, `small`
    makes the hand 80-120 px tall, `side` squeezes it as a hand turned to show its thumb side."""
    w, h = SIZE
    if side:
        ch, cw = cutout.alpha.shape
        nw = max(8, int(cw * rng.uniform(0.5, 0.7)))
        cutout = Cutout(cv2.resize(cutout.rgb, (nw, ch)), cv2.resize(cutout.alpha, (nw, ch)))
    ch, cw = cutout.alpha.shape
    height = rng.uniform(80, 120) if small else rng.uniform(0.35, 0.5) * h
    scale = height / ch
    angle = rng.uniform(-10, 10)
    half_w = 0.5 * cw * scale + 12
    if low:  # 15-35% of the hand below the bottom edge: the wrist (and heel of the palm) cut off
        cy = h - height / 2 + rng.uniform(0.15, 0.35) * height
    else:
        cy = rng.uniform(height / 2 + 12, h - height / 2 - 12)
    cx = rng.uniform(half_w, w - half_w)
    return _Placement(cutout, (cx, cy), scale, angle, rng.uniform(0.85, 1.15), rng.uniform(0, 2 * math.pi, 3),
                      rng.uniform(0.3, 1.2, 3))


def make_videos(out: Path, data: Path, negatives: Path, model: Path | None, hand_model: Path, seed: int,
                hand_scenes: int, empty_scenes: int, seconds: float, prefix: str, half: int) -> None:
    """Two videos: `<prefix>_hands.mp4` (digits in hard places, an empty wall between some) and
    `<prefix>_empty.mp4` (no hand in any frame). `half` (0, 1) takes every other image, so the
    validation and test videos share no photo."""
    from trainer.hands import CropSettings, HandCropper

    rng = np.random.default_rng(seed)
    noise = np.random.default_rng(seed + 1)
    per = int(round(seconds * FPS))
    images = hand_images(data, model)
    digits = {d: sorted(images[d])[half::2] for d in range(10)}
    letters = [s.path for s in scan_negatives(negatives)]
    letters = sorted(letters)[half::2]
    out.mkdir(parents=True, exist_ok=True)

    def cutout_of(d: int) -> Cutout:
        while True:
            rgb = read_rgb(digits[d][int(rng.integers(len(digits[d])))])
            c = None if rgb is None else cut_out_hand(rgb)
            if c is not None:
                return Cutout(c.rgb[:, ::-1].copy(), c.alpha[:, ::-1].copy()) if rng.random() < 0.3 else c

    scenes: list[dict] = []
    for i in range(hand_scenes):
        flags = {"low": rng.random() < 0.35, "small": rng.random() < 0.35, "side": rng.random() < 0.35,
                 "dim": int(rng.random() < 0.25) * int(rng.integers(1, 3))}
        scenes.append({"label": int(i % 10), "background": BACKGROUNDS[int(rng.integers(4))], **flags})
        if i % 5 == 4:
            scenes.append({"label": None, "background": BACKGROUNDS[int(rng.integers(4))], "dim": 0})

    def render_hands():
        for sc in scenes:
            bg = wall(rng, sc["background"])
            placement = None if sc["label"] is None else hand_scene(rng, cutout_of(sc["label"]), sc["low"],
                                                                     sc["small"], sc["side"])
            for k in range(per):
                frame = bg if placement is None else _composite(bg, placement, k / FPS)
                yield dimmed(frame, sc["dim"], noise) if sc["dim"] else frame

    _save(out / f"{prefix}_hands.mp4", render_hands, scenes, per, seed)

    # Rooms with no hand: walls, clutter, and the letter photos' rooms with the hand painted out.
    # A room is kept only if MediaPipe alone finds no hand left in it once painted (a knuckle
    # left at the photo's edge is still a hand).
    rooms: list[np.ndarray] = []
    settings = replace(CropSettings(), canonical_hand=False, second_look=False)
    with HandCropper(hand_model, settings, mode="image") as finder:
        for path in rng.permutation(letters):
            rgb = read_rgb(path)
            found = None if rgb is None else finder.landmarks(rgb)
            if found is None:
                continue
            room = paint_out_hand(rgb, found[0])
            if finder.landmarks(room) is None and finder.landmarks(cv2.resize(room, SIZE)) is None:
                rooms.append(room)
            if len(rooms) >= empty_scenes // 2:
                break
    empty: list[dict] = []
    for i in range(empty_scenes):
        kind = "room" if i % 2 == 0 and rooms else BACKGROUNDS[int(rng.integers(4))]
        empty.append({"label": None, "background": kind, "dim": int(rng.random() < 0.2)})

    def render_empty():
        for j, sc in enumerate(empty):
            if sc["background"] == "room":
                room = rooms[(j // 2) % len(rooms)]
                if rng.random() < 0.5:  # the room fills the frame, or sits on a wall
                    bg = cv2.resize(room, SIZE)
                    placement = None
                else:
                    bg = wall(rng, BACKGROUNDS[int(rng.integers(4))])
                    scale = rng.uniform(0.6, 0.95) * SIZE[1] / room.shape[0]
                    placement = _Placement(whole_photo(room), (SIZE[0] / 2 + rng.uniform(-120, 120), SIZE[1] / 2),
                                           scale, rng.uniform(-8, 8), 1.0, rng.uniform(0, 6, 3), rng.uniform(0.3, 1, 3))
            else:
                bg, placement = wall(rng, sc["background"]), None
            for k in range(per):
                frame = bg if placement is None else _composite(bg, placement, k / FPS)
                yield dimmed(frame, 1, noise) if sc["dim"] else frame

    _save(out / f"{prefix}_empty.mp4", render_empty, empty, per, seed)


def _save(path: Path, render, scenes: list[dict], per: int, seed: int) -> None:
    written = _write_frames(path, render, FPS, SIZE)
    labels = [sc["label"] for sc in scenes for _ in range(per)]
    write_labels(written, labels, FPS, scenes=[{**sc, "label": to_json(sc["label"])} for sc in scenes],
                 seconds_per=per / FPS, size=list(SIZE), seed=seed)
    print(f"wrote {written} ({len(labels)} frames)", flush=True)


# -- scoring -----------------------------------------------------------------------------------
def score_video(video: Path, hand_model: Path, model: Path, settle_s: float = 0.5) -> dict:
    """Hands found (the live path and MediaPipe alone), digits right after settling, hands
    invented on frames without one; per scene condition."""
    from asl_live.live import LivePipeline
    from asl_live.source import FrameSource
    from trainer.classifier import Classifier
    from trainer.hands import HandCropper

    meta = load_labels(video)
    labels, scenes = meta["labels"], meta.get("scenes") or []
    per = int(round(meta["seconds_per"] * meta["fps"]))
    classifier = Classifier.load(model)
    rows = []
    with FrameSource(video, loop=False) as src, LivePipeline(hand_model) as live, \
            HandCropper(hand_model, replace(classifier.crop_settings, second_look=False), mode="video") as alone:
        for frame, label in zip(src, labels):
            r = live.process(frame.rgb, frame.timestamp_ms, classifier)
            base = alone.landmarks(frame.rgb, frame.timestamp_ms) is not None
            rows.append((label, r.stage, base, r.decision.digit if r.decision.state == "digit" else None))
    out: dict = {"video": video.name, "frames": len(rows)}
    scene_of = [scenes[i // per] for i in range(len(rows))]
    whole = [i for i, sc in enumerate(scene_of) if sc["label"] is not None and not sc.get("low")]
    cut = [i for i, sc in enumerate(scene_of) if sc["label"] is not None and sc.get("low")]
    for name, idx in (("whole_hand", whole), ("wrist_cut", cut)):
        if idx:
            out[name] = {"frames": len(idx), "found": sum(rows[i][1] != "none" for i in idx) / len(idx),
                         "found_mediapipe_alone": sum(rows[i][2] for i in idx) / len(idx)}
    skip = int(round(settle_s * meta["fps"]))
    right: dict[str, list[int]] = {"all": [0, 0], "whole_hand": [0, 0]}
    for label, start, end in segments(labels[:len(rows)]):
        if label is None or label == NOT_DIGIT:
            continue
        for i in range(start + skip, end):
            for kind in ("all", "whole_hand") if not scene_of[i].get("low") else ("all",):
                right[kind][0] += rows[i][3] == label
                right[kind][1] += 1
    for kind, (ok, total) in right.items():
        if total:
            out[f"digits_right_{kind}"] = {"share": ok / total, "frames": total}
    empty = [r for r in rows if r[0] is None]
    out["empty_frames"] = len(empty)
    out["invented"] = sum(r[1] != "none" for r in empty)
    out["invented_mediapipe_alone"] = sum(r[2] for r in empty)
    out["stages"] = {s: sum(r[1] == s for r in rows) for s in ("mediapipe", "second_look", "tracked", "none")}
    conditions = {}
    for key in ("low", "small", "side", "dim", "background"):
        for value in sorted({str(sc.get(key)) for sc in scenes if sc["label"] is not None}):
            idx = [i for i, sc in enumerate(scene_of) if sc["label"] is not None and str(sc.get(key)) == value]
            conditions[f"{key}={value}"] = (round(sum(rows[i][1] != "none" for i in idx) / len(idx), 3),
                                            round(sum(rows[i][2] for i in idx) / len(idx), 3), len(idx))
    out["found_by_condition"] = conditions
    out["rows"] = rows
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python scripts/hard_frames.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    mk = sub.add_parser("make", help="write validation and test videos")
    mk.add_argument("--out", type=Path, required=True)
    mk.add_argument("--data", type=Path, required=True)
    mk.add_argument("--negatives", type=Path, required=True)
    mk.add_argument("--model", type=Path, help="only Kaggle images this bundle did not train on")
    mk.add_argument("--hand-model", type=Path, required=True)
    mk.add_argument("--scenes", type=int, default=60, help="hand scenes of the test video (validation: half)")
    mk.add_argument("--empty-scenes", type=int, default=70, help="empty scenes of the test video (3,150 frames)")
    # seed 23 made the first test videos, which were looked at while the search was changed:
    # the figures in docs/second_look.md come from seed 41, scored once
    mk.add_argument("--test-seed", type=int, default=41)
    sc = sub.add_parser("score", help="hands found, digits right, hands invented")
    sc.add_argument("videos", nargs="+", type=Path)
    sc.add_argument("--hand-model", type=Path, required=True)
    sc.add_argument("--rows", type=Path, help="also write each frame's (label, found by, MediaPipe alone, digit)")
    sc.add_argument("--model", type=Path, default=Path(__file__).resolve().parents[1] / "assets" / "model")
    args = ap.parse_args(argv)
    if args.cmd == "make":
        make_videos(args.out, args.data, args.negatives, args.model, args.hand_model, 11, args.scenes // 2,
                    args.empty_scenes // 2, 1.5, "val", 0)
        make_videos(args.out, args.data, args.negatives, args.model, args.hand_model, args.test_seed, args.scenes,
                    args.empty_scenes, 1.5, "test", 1)
        return 0
    import json

    for video in args.videos:
        report = score_video(video, args.hand_model, args.model)
        rows = report.pop("rows")
        print(json.dumps(report), flush=True)
        if args.rows:
            Path(args.rows).with_suffix(f".{video.stem}.json").write_text(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
