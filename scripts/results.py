"""Reproduce every figure in docs/results.md's tables: train with scripts/train_study.py (the
product's `asl-train train` with the recipe changed where a study says), score with
`asl-train evaluate`.

    python scripts/results.py --shared ../shared --out results [--shipped DIR] [--only NAME ...]
                              [--retrain] [--rescore]

Each experiment trains a bundle (skipped when it exists, unless --retrain; its scores are kept
unless --rescore) with the default recipe, the 16 letters whose hand shape is no digit
included as negatives ("not a digit"), and evaluates it with `asl-train evaluate --json`; the
JSON files land in --out and the table in --out/RESULTS.md. Every command is printed before it
runs, so any figure can be re-made alone. Rows:

- digits: accuracy on a digit test set (held-out split, through every image variant; or every
  image of the dataset the model never saw, "(cross)");
- "letters test: shown as a digit": the share of the held-out letter photos the app would show
  as a digit (top class a digit at probability >= 0.6), through every image variant;
- leave-letters-out: a model trained with 4 whole letters (C, M, Q, Y, chosen before
  looking) left out of the negatives, scored on every photo of those 4 unseen letters;
- digits in rooms: the held-out Kaggle hands pasted into held-out letter photos whose hand
  was painted out (`scripts/digits_in_rooms.py`), so a model that learned "a room means not a
  digit" shows here;
- the model shipped before the negatives (10 classes, `assets/model` at the time), on the
  letters and the rooms, as the baseline;
- cross-dataset rows of the previous recipe (`--not-digit-from all --background-swap 0
  --no-tilt --thumb-jitter 0`: the crop had a say in "not a digit"), to show what the default
  recipe fixed;
- crop-only and landmarks-only models (--fusion) beside the fused one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's trainer, not an installed one

from trainer import atomicio  # noqa: E402
from trainer.variants import VARIANTS  # noqa: E402

HELD_OUT_LETTERS = ("C", "M", "Q", "Y")  # left out of the negatives for leave-letters-out, chosen before looking
NEAR_DIGIT_LETTERS = ("C", "G", "X")  # one detail from a 0 or a 1 (issue 29): left out to see hard negatives work


def _test(label: str, root: str, split: str, kind: str = "digits", variants: bool | None = None) -> dict:
    """A test set: `kind` "digits" (--data) or "negatives" (--negatives, the share shown as a
    digit); variants: score it through every image variant (default: held-out splits only)."""
    return {"label": label, "root": root, "split": split, "kind": kind,
            "variants": split == "test" if variants is None else variants}


def study(*settings: str) -> list[str]:
    """scripts/train_study.py's arguments for recipe settings "NAME=VALUE"."""
    return [a for s in settings for a in ("--set", s)]


def letter_folders(letters: Path, out: Path, held_out: tuple[str, ...] = HELD_OUT_LETTERS) -> tuple[Path, Path]:
    """Folders of links to the letter photos: all but `held_out` (to train on) and those
    alone (to score), made under `out` for a leave-letters-out row."""
    name = "".join(held_out)
    keep, held = out / f"letters-without-{name}", out / f"letters-{name}"
    for folder in sorted(p for p in letters.iterdir() if p.is_dir()):
        target = (held if folder.name in held_out else keep) / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for f in sorted(folder.iterdir()):
            link = target / f.name
            if f.is_file() and not link.exists():
                link.symlink_to(f.resolve())
    return keep, held


def experiments(shared: Path, out: Path, shipped: Path, baseline: Path) -> dict[str, dict]:
    """Each model: where it is trained, and the test sets it is scored on.

    Every model is trained with the default recipe (`asl-train train`), negatives included;
    the model inputs (--fusion) and, where given, the epochs differ.
    """
    kaggle = str(shared / "datasets" / "asl-digits-kaggle")
    sld = str(shared / "datasets" / "sign-language-digits")
    letters = shared / "datasets" / "asl-letters-dlee"
    rooms = str(out / "digits-in-rooms")
    k_test, s_test = _test("kaggle test", kaggle, "test"), _test("218-signer test", sld, "test")
    l_test = _test("letters test: shown as a digit", str(letters), "test", "negatives")
    in_rooms = _test("kaggle test in rooms", rooms, "all", variants=False)
    keep, held = letter_folders(letters, out)
    lo_tests = [_test("kaggle test", kaggle, "test", variants=False),
                _test("218-signer test", sld, "test", variants=False),
                _test("unseen letters C, M, Q, Y: shown as a digit", str(held), "all", "negatives"),
                in_rooms]
    near_keep, near_held = letter_folders(letters, out, NEAR_DIGIT_LETTERS)
    near_tests = [_test("kaggle test", kaggle, "test", variants=False),
                  _test("218-signer test", sld, "test", variants=False),
                  _test("unseen letters C, G, X: shown as a digit", str(near_held), "all", "negatives"),
                  _test("other letters test: shown as a digit", str(near_keep), "test", "negatives", variants=False)]
    # the recipe before issue 11's cross-dataset fix: "not a digit" decided by crop and landmarks
    # alike, no new backgrounds behind every hand, no tilt input
    previous = study("not_digit_from=all", "background_swap=0", "tilt=false", "thumb_jitter_deg=0")
    exps = {
        "shipped: fused, both datasets": {
            "data": [kaggle, sld], "negatives": [str(letters)], "fusion": "fused", "bundle": str(shipped),
            "tests": [k_test, s_test, l_test, in_rooms]},
        "previous shipped, no negatives (baseline)": {
            "data": [kaggle, sld], "negatives": [], "fusion": "fused", "bundle": str(baseline),
            "tests": [_test("letters test: shown as a digit", str(letters), "test", "negatives", variants=False),
                      in_rooms]},
        "leave-letters-out (C, M, Q, Y unseen): fused, both datasets": {
            "data": [kaggle, sld], "negatives": [str(keep)], "fusion": "fused", "tests": lo_tests},
    }
    # Originals only (no altered copies): the study compares the two arms with each other, and the
    # copies' crops take this 2-core machine about two hours to make afresh.
    arms = {"hard negatives 0": study("hard_negatives=0"),
            "hard negatives 0.5": study("hard_negatives=0.5", "hard_negative_kinds=CX"),
            "hard negatives 0.5, geometry": study("hard_negatives=0.5", "hard_negative_kinds=CX", "geometry=true"),
            "hard negatives 0.5 with turned, geometry": study("hard_negatives=0.5", "hard_negative_kinds=CXG",
                                                              "geometry=true")}
    for arm, args in arms.items():
        exps[f"leave-letters-out (C, G, X unseen), {arm}: fused, both datasets, originals only"] = {
            "data": [kaggle, sld], "negatives": [str(near_keep)], "fusion": "fused",
            "args": [*args, "--train-variants", "none"], "tests": near_tests}
    for fusion in ("fused", "crop", "landmarks"):
        # the crop and landmark models were trained when the default was 20 epochs
        args = [] if fusion == "fused" else ["--epochs", "20"]
        exps[f"{fusion}: kaggle only"] = {
            "data": [kaggle], "negatives": [str(letters)], "fusion": fusion, "args": args,
            "tests": [k_test, _test("218-signer all (cross)", sld, "all"), l_test]}
        exps[f"{fusion}: 218-signer only"] = {
            "data": [sld], "negatives": [str(letters)], "fusion": fusion, "args": args,
            "tests": [s_test, _test("kaggle all (cross)", kaggle, "all"), l_test]}
    for name, data, cross in (("kaggle only", kaggle, _test("218-signer all (cross)", sld, "all")),
                              ("218-signer only", sld, _test("kaggle all (cross)", kaggle, "all"))):
        exps[f"previous recipe (not a digit from crop and landmarks): {name}"] = {
            "data": [data], "negatives": [str(letters)], "fusion": "fused", "args": previous,
            "tests": [cross, l_test]}
    return exps


def run(cmd: list[str]) -> bytes:
    """Run one command (printed first, so any figure can be re-made alone); its stdout."""
    print("$ " + shlex.join(cmd), file=sys.stderr, flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, cwd=REPO, env=env).stdout


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=Path("../shared"))
    p.add_argument("--out", type=Path, default=Path("results"))
    p.add_argument("--shipped", type=Path, default=REPO / "assets" / "model",
                   help="the shipped bundle (trained with the default recipe here when missing)")
    p.add_argument("--baseline", type=Path, default=None,
                   help="the model shipped before the negatives (default: --out/models/baseline-no-negatives, "
                        "trained with the default recipe without --negatives when missing)")
    p.add_argument("--only", nargs="*", help="experiment names (substring match)")
    p.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--retrain", action="store_true")
    p.add_argument("--rescore", action="store_true", help="score existing bundles again (after a change in scoring)")
    args = p.parse_args()
    shared, out = args.shared.resolve(), args.out.resolve()
    hand = ["--hand-model", str(shared / "models" / "hand_landmarker.task")]
    out.mkdir(parents=True, exist_ok=True)
    exe = [sys.executable, "-m", "trainer.cli"]
    trainer = [sys.executable, str(REPO / "scripts" / "train_study.py")]
    baseline = (args.baseline or out / "models" / "baseline-no-negatives").resolve()
    exps = experiments(shared, out, args.shipped.resolve(), baseline)
    chosen = {n: e for n, e in exps.items() if not args.only or any(o in n for o in args.only)}
    # the rooms need the shipped bundle's held-out split: train it first if anything uses them
    order = sorted(chosen, key=lambda n: not n.startswith("shipped"))
    if any(t["root"].endswith("digits-in-rooms") for n in order for t in chosen[n]["tests"]) \
            and "shipped: fused, both datasets" not in order:
        order.insert(0, "shipped: fused, both datasets")
        chosen["shipped: fused, both datasets"] = {**exps["shipped: fused, both datasets"], "tests": []}
    for name in order:
        exp = chosen[name]
        bundle = Path(exp.get("bundle") or out / "models" / slug(name))
        if args.retrain or not (bundle / "bundle.json").exists():
            data = [a for d in exp["data"] for a in ("--data", d)]
            negs = [a for d in exp["negatives"] for a in ("--negatives", d)]
            run(trainer + [*data, *negs, *study(f"fusion={exp['fusion']}"), *exp.get("args", []), "--out", str(bundle),
                           *hand])
        if name.startswith("shipped") and not (out / "digits-in-rooms" / "manifest.json").exists():
            run([sys.executable, str(REPO / "scripts" / "digits_in_rooms.py"), "--data", exp["data"][0],
                 "--negatives", exp["negatives"][0], "--model", str(bundle), "--split", "test",
                 "--out", str(out / "digits-in-rooms"), *hand])
        for test in exp["tests"]:
            for variant in (args.variants if test["variants"] else ["plain"]):
                target = out / f"{slug(name)}__{slug(test['label'])}__{variant}.json"
                if target.exists() and not (args.retrain or args.rescore):
                    continue
                where = ["--data", test["root"], "--split", test["split"]] if test["kind"] == "digits" else [
                    "--negatives", test["root"], "--negatives-split", test["split"]]
                atomicio.write_bytes(target, run(exe + ["evaluate", "--model", str(bundle), *where,
                                                        "--variant", variant, "--json", *hand]))
    table = render(out)
    atomicio.write_text(out / "RESULTS.md", table)
    print(table)
    return 0


def cell(r: dict) -> str:
    """Digits: accuracy % (no hand = error; two decimals, so 98.98 is not read as 99) and, in
    brackets, % of images with a hand found. Negatives: % shown as a digit and, in brackets, %
    with a hand found."""
    if "negatives" in r and not r.get("datasets"):
        n = r["negatives"]
        found = 1 - n["no_hand"] / n["images"] if n["images"] else 0.0
        return f"{100 * n['rate']:.1f}% shown ({100 * found:.0f})"
    return f"{100 * r['accuracy']:.2f} ({100 * (1 - r['no_hand']['rate']):.0f})"


def render(out: Path) -> str:
    """Markdown table, a row per model and test set, a column per image variant."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for f in sorted(out.glob("*.json")):
        parts = f.stem.split("__")
        if len(parts) != 3:
            continue
        exp, test, variant = parts
        rows.setdefault((exp, test), {})[variant] = cell(json.loads(f.read_text()))
    variants = [v for v in VARIANTS if any(v in r for r in rows.values())]
    lines = ["| model | test set | " + " | ".join(variants) + " |", "|---|---|" + "---|" * len(variants)]
    for (exp, test), r in rows.items():
        lines.append(f"| {exp} | {test} | " + " | ".join(r.get(v, "") for v in variants) + " |")
    return "\n".join(lines) + (
        "\n\nDigit rows: accuracy % over all images (no hand found = error), in brackets the % of images where a "
        "hand was found. 'shown as a digit' rows: % of photos of hands that are no digit which the app would show "
        "as a digit (top class a digit with probability >= 0.6), in brackets the % where a hand was found.\n")


if __name__ == "__main__":
    sys.exit(main())
