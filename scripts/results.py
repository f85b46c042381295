"""Reproduce every figure in the README's results table with `asl-train` commands.

    python scripts/results.py --shared ../shared --out results [--only NAME ...] [--retrain]

Each experiment trains a bundle (skipped when it exists, unless --retrain) and evaluates it
with `asl-train evaluate --json`; the JSON files land in --out and the table in
--out/RESULTS.md. Every command is printed before it runs, so any figure can be re-made alone.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

from trainer import atomicio
from trainer.variants import VARIANTS


def experiments(shared: Path) -> dict[str, dict]:
    """Each model: where it is trained, and the test sets it is scored on.

    In-domain tests are the held-out test splits (by participant for the 218-signer set) and
    are also scored through every image variant; cross-dataset tests use every image of the
    dataset the model never saw. Every model is trained with the default recipe
    (`asl-train train`); the model inputs (--fusion) and, where given, the epochs differ.
    """
    kaggle = str(shared / "datasets" / "asl-digits-kaggle")
    sld = str(shared / "datasets" / "sign-language-digits")
    k_test, s_test = ("kaggle test", kaggle, "test"), ("218-signer test", sld, "test")
    exps = {"shipped: fused, both datasets": {
        "data": [kaggle, sld], "fusion": "fused", "bundle": "assets/model", "tests": [k_test, s_test]}}
    for fusion in ("fused", "crop", "landmarks"):
        # the crop and landmark models were trained when the default was 20 epochs
        args = [] if fusion == "fused" else ["--epochs", "20"]
        exps[f"{fusion}: kaggle only"] = {"data": [kaggle], "fusion": fusion, "args": args,
                                          "tests": [k_test, ("218-signer all (cross)", sld, "all")]}
        exps[f"{fusion}: 218-signer only"] = {"data": [sld], "fusion": fusion, "args": args,
                                              "tests": [s_test, ("kaggle all (cross)", kaggle, "all")]}
    # Tried and not kept: teaching the crop to overrule the landmarks (see the README).
    exps["fused, landmark swap 0.15: 218-signer only"] = {
        "data": [sld], "fusion": "fused", "args": ["--landmark-swap", "0.15", "--epochs", "20"],
        "tests": [s_test, ("kaggle all (cross)", kaggle, "all")]}
    exps["fused, grey landmark swap 0.3: 218-signer only"] = {
        "data": [sld], "fusion": "fused", "args": ["--grey-landmark-swap", "0.3"],
        "tests": [s_test, ("kaggle all (cross)", kaggle, "all")]}
    return exps


def run(cmd: list[str]) -> bytes:
    """Run one command (printed first, so any figure can be re-made alone); its stdout."""
    print("$ " + shlex.join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=Path("../shared"))
    p.add_argument("--out", type=Path, default=Path("results"))
    p.add_argument("--only", nargs="*", help="experiment names (substring match)")
    p.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--retrain", action="store_true")
    args = p.parse_args()
    hand = ["--hand-model", str(args.shared / "models" / "hand_landmarker.task")]
    args.out.mkdir(parents=True, exist_ok=True)
    exe = [sys.executable, "-m", "trainer.cli"]
    for name, exp in experiments(args.shared).items():
        if args.only and not any(o in name for o in args.only):
            continue
        bundle = Path(exp.get("bundle") or args.out / "models" / slug(name))
        if args.retrain or not (bundle / "bundle.json").exists():
            data = [a for d in exp["data"] for a in ("--data", d)]
            run(exe + ["train", *data, "--fusion", exp["fusion"], *exp.get("args", []), "--out", str(bundle), *hand])
        for test, root, split in exp["tests"]:
            for variant in (args.variants if split == "test" else ["plain"]):
                target = args.out / f"{slug(name)}__{slug(test)}__{variant}.json"
                if target.exists() and not args.retrain:
                    continue
                atomicio.write_bytes(target, run(exe + ["evaluate", "--model", str(bundle), "--data", root,
                                                        "--split", split, "--variant", variant, "--json", *hand]))
    table = render(args.out)
    atomicio.write_text(args.out / "RESULTS.md", table)
    print(table)
    return 0


def render(out: Path) -> str:
    """Markdown table: accuracy (no hand found counts as an error) and hand detection rate."""
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for f in sorted(out.glob("*.json")):
        exp, test, variant = f.stem.split("__")
        r = json.loads(f.read_text())
        rows.setdefault((exp, test), {})[variant] = f"{100 * r['accuracy']:.1f} ({100 * (1 - r['no_hand']['rate']):.0f})"
    variants = [v for v in VARIANTS if any(v in r for r in rows.values())]
    lines = ["| model | test set | " + " | ".join(variants) + " |", "|---|---|" + "---|" * len(variants)]
    for (exp, test), r in rows.items():
        lines.append(f"| {exp} | {test} | " + " | ".join(r.get(v, "") for v in variants) + " |")
    return "\n".join(lines) + "\n\nEach cell: accuracy % over all images (no hand found = error), and in brackets the % of images where a hand was found.\n"


if __name__ == "__main__":
    sys.exit(main())
