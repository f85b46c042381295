"""The installed program carries its model: a wheel built from the repository holds the
shipped bundle, and the commands work from it outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from _paths import REPO, SLD

BUNDLE_FILES = {"bundle.json", "model.tflite", "model.keras"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                          "-w", str(out), str(REPO)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    return next(out.glob("asl_live-*.whl"))


def test_the_wheel_carries_the_shipped_model(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (REPO / "assets" / "model").iterdir() if p.is_file()}
    assert BUNDLE_FILES <= shipped
    assert {f"asl_live/assets/model/{n}" for n in shipped} <= names
    assert {"asl_live/handshape_agreement.json", "asl_live/py.typed", "trainer/py.typed"} <= names
    assert not [n for n in names if n.startswith(("tests/", "scripts/"))]  # tooling stays out


def test_installed_commands_work_outside_the_checkout(wheel: Path, tmp_path: Path, synth_video,
                                                      hand_model_path) -> None:
    """Unpacked as pip installs it, first on the import path, run from another folder: the
    shipped model is found inside the package, `bench` runs on it and `asl-train evaluate`
    scores it."""
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                          str(wheel)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    cwd = tmp_path  # not the checkout

    def call(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)

    where = call("-c", "import asl_live.options as o; print(o.__file__); print(o.shipped_model_dir())")
    module_file, model_dir = where.stdout.split()
    assert module_file.startswith(str(site)) and Path(model_dir) == site / "asl_live" / "assets" / "model"
    assert call("-m", "asl_live", "--help").returncode == 0
    bench = call("-m", "asl_live", "bench", "--source", str(synth_video.path), "--hand-model", str(hand_model_path),
                 "--max-frames", "12", "--json", str(tmp_path / "b.json"))
    assert bench.returncode == 0, bench.stderr[-2000:]
    assert json.loads((tmp_path / "b.json").read_text())["model"] == model_dir
    evaluate = call("-m", "trainer.cli", "evaluate", "--model", model_dir, "--data", str(SLD), "--split", "test",
                    "--hand-model", str(hand_model_path), "--json")
    assert evaluate.returncode == 0, evaluate.stderr[-2000:]
    assert json.loads(evaluate.stdout)["images"] > 0


def test_the_lean_install_runs_the_app_and_the_trainer_says_what_it_needs(wheel: Path, tmp_path: Path, synth_video,
                                                                          hand_model_path) -> None:
    """`pip install asl-live` (the wheel, its dependencies from the package index) gives the
    window's chain without TensorFlow: `asl-live bench` runs on a video; `asl-train` says in one
    line what to install and exits 2, writing nothing."""
    venv = tmp_path / "lean"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py, bin_dir = venv / "bin" / "python", venv / "bin"
    run = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    missing = subprocess.run([str(py), "-c", "import importlib.util as u; "
                              "print([m for m in ('tensorflow', 'keras', 'sklearn') if u.find_spec(m)])"],
                             capture_output=True, text=True, timeout=120)
    assert missing.stdout.strip() == "[]"  # none of the trainer's packages came with it
    bench = subprocess.run([str(bin_dir / "asl-live"), "bench", "--source", str(synth_video.path), "--hand-model",
                            str(hand_model_path), "--max-frames", "12", "--json", str(tmp_path / "b.json")],
                           capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert bench.returncode == 0, bench.stderr[-2000:]
    assert json.loads((tmp_path / "b.json").read_text())["frames_timed"] > 0
    train = subprocess.run([str(bin_dir / "asl-train"), "train", "--data", str(SLD), "--out", str(tmp_path / "o")],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert train.returncode == 2 and "pip install 'asl-live[train]'" in train.stderr
    assert len(train.stderr.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
