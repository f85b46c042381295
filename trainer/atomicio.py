"""Atomic file writes: write to a temporary sibling, then rename over the target.

A crash or Ctrl-C half way never leaves a truncated file where a good one (or none) was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `target`; on clean exit it is renamed onto `target`.

    `suffix` lets writers that choose a format by extension (Keras, cv2.imwrite) see it.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix or ".tmp", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; written files get the usual mode
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def keep_aside(path: str | os.PathLike[str], companions: tuple[str, ...] = ()) -> Path:
    """Rename a file the program cannot read to `<name>.corrupt-<timestamp>` beside it (and each
    `<name><companion>` file with it), so that writing a fresh one loses nothing the user had.
    Returns the new name; OSError if it cannot be moved."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside, n = path.with_name(f"{path.name}.corrupt-{stamp}"), 1
    while aside.exists():
        aside, n = path.with_name(f"{path.name}.corrupt-{stamp}-{n}"), n + 1
    os.replace(path, aside)
    for side in companions:
        if Path(f"{path}{side}").exists():
            os.replace(f"{path}{side}", f"{aside}{side}")
    return aside


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(target)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(target, text.encode("utf-8"))


def write_json(target: str | os.PathLike[str], obj: Any) -> Path:
    return write_text(target, json.dumps(obj, indent=2, sort_keys=False) + "\n")


@contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary directory; on clean exit it replaces `target` as a whole.

    Used for model bundles and datasets: readers see the old folder or the new one, never a
    mix. The old one is moved to `<target>.previous` and removed only once the new one is in
    place, so a crash between the two renames leaves it there to recover. The staging folder
    is `.<target>.<pid>.<random>`; those of dead processes (a hard kill mid-write) are removed
    first (`clean_stale_staging`).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_staging(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = previous_path(target)
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def previous_path(target: str | os.PathLike[str]) -> Path:
    target = Path(target)
    return target.with_name(f"{target.name}.previous")


def clean_stale_staging(target: str | os.PathLike[str]) -> list[Path]:
    """Remove staging folders of `target` left by processes that died (a hard kill mid-write);
    returns what was removed. Folders of live processes are left alone."""
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for path in target.parent.glob(f".{target.name}.*"):
        pid, *rest = path.name[len(target.name) + 2:].split(".")
        # exactly <pid>.<random>: ".avg.2.<pid>.<random>" is the staging folder of "avg.2"
        if path.is_dir() and pid.isdigit() and len(rest) == 1 and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
