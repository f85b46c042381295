"""AppSettings: JSON round trip, and never a crash on a bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from asl_live import settings as settings_mod
from asl_live.settings import AppSettings, settings_path
from asl_live.smoothing import SmoothingSettings


def test_default_location_is_data_dir(user_dirs):
    assert settings_path() == user_dirs["data"] / "settings.json"
    assert AppSettings.load() == AppSettings()  # no file yet
    s = AppSettings(camera=2, source="/videos/a.mp4", model="/m", geometry="AdnQyw==")
    assert s.save() == settings_path()
    assert AppSettings.load() == s
    assert settings_mod.load() == s  # module-level helpers do the same


def test_round_trip_given_path(tmp_path: Path):
    s = AppSettings(camera=1, loop=False, smoothing_window=5, smoothing_threshold=0.7, show_landmarks=False,
                    capture_dir=str(tmp_path / "caps"), window_state="xyz")
    path = settings_mod.save(s, tmp_path / "nested" / "s.json")
    assert AppSettings.load(path) == s
    assert json.loads(path.read_text())["smoothing_window"] == 5
    assert [p.name for p in path.parent.iterdir()] == ["s.json"]  # no temporary files left


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b"null", b'"text"'])
def test_corrupt_file_gives_defaults_and_is_kept_aside(tmp_path: Path, content: bytes):
    """Defaults for now, and the file the user had (one stray comma, say) kept beside, so
    saving the defaults at exit loses nothing."""
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    s, notes = AppSettings.load_with_notes(path)
    assert s == AppSettings()
    [aside] = tmp_path.glob("settings.json.corrupt-*")
    assert aside.read_bytes() == content and not path.exists()
    assert len(notes) == 1 and aside.name in notes[0] and str(path) in notes[0]
    s.save(path)
    assert aside.read_bytes() == content


def test_a_trailing_comma_keeps_the_users_settings_aside(tmp_path: Path):
    path = tmp_path / "settings.json"
    mine = json.dumps({"model": "/home/me/models/mine", "smoothing_window": 9})[:-1] + ",}"
    path.write_text(mine)
    AppSettings.load(path).save(path)
    AppSettings.load(path).save(path)  # a second start does not touch the kept copy
    [aside] = tmp_path.glob("settings.json.corrupt-*")
    assert aside.read_text() == mine


def test_wrong_types_and_unknown_keys_fall_back_per_field(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({
        "camera": "zero", "loop": 1, "smoothing_window": 12, "smoothing_threshold": 1,
        "smoothing_hysteresis": "NaN", "absent_frames": True, "model": None, "source": 5,
        "future_option": {"x": 1},
    }))
    s, notes = AppSettings.load_with_notes(path)
    d = AppSettings()
    assert (s.camera, s.loop, s.absent_frames, s.source, s.smoothing_hysteresis) == (
        d.camera, d.loop, d.absent_frames, d.source, d.smoothing_hysteresis)
    named = {n.split()[1] for n in notes}  # one note a setting that could not be used
    assert named == {"camera", "loop", "absent_frames", "source", "smoothing_hysteresis", "smoothing_threshold"}
    assert any('camera = "zero"' in n and "using 0" in n for n in notes)
    assert s.smoothing_window == 12
    assert s.smoothing_threshold == 0.95 and isinstance(s.smoothing_threshold, float)  # 1 clamped into range


def test_values_out_of_range_are_clamped_with_a_note(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"smoothing_threshold": 7.5, "smoothing_window": 1, "camera": -2,
                                "absent_frames": 3}))
    s, notes = AppSettings.load_with_notes(path)
    assert (s.smoothing_threshold, s.smoothing_window, s.camera, s.absent_frames) == (0.95, 2, 0, 3)
    assert len(notes) == 3 and any("smoothing_threshold = 7.5" in n and "0.3-0.95" in n for n in notes)
    s.save(path)  # what is saved back is the usable value
    assert json.loads(path.read_text())["smoothing_threshold"] == 0.95
    assert AppSettings.load_with_notes(path)[1] == []


def test_non_finite_float_rejected(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text('{"smoothing_threshold": NaN}')
    assert AppSettings.load(path).smoothing_threshold == AppSettings().smoothing_threshold


def test_unreadable_path_gives_defaults(tmp_path: Path):
    assert AppSettings.load(tmp_path) == AppSettings()  # a directory, not a file


def test_smoothing_conversion():
    s = AppSettings()
    assert s.smoothing() == SmoothingSettings().validated()
    s.set_smoothing(SmoothingSettings(window=0, threshold=0.8, hysteresis=0.1, absent_frames=5))
    assert (s.smoothing_window, s.smoothing_threshold, s.smoothing_hysteresis, s.absent_frames) == (1, 0.8, 0.1, 5)
    s.smoothing_window = -3  # a hand-edited file: still usable
    assert s.smoothing().window == 1


def test_failed_save_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = AppSettings(camera=3).save(tmp_path / "s.json")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        AppSettings(camera=4).save(path)
    assert AppSettings.load(path).camera == 3
