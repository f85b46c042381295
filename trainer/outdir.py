"""Where `asl-train train --out` may write, checked before any work starts.

A new folder, or an existing model bundle (replaced atomically; the previous one stays as
`<out>.previous` until the new one is whole). Anything else (a file, a folder of other
files, the current folder) is refused, so a typo never destroys a user's files, and an
unwritable place is found before an hour of training rather than after it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .bundle_meta import BUNDLE_FILE_NAMES, is_bundle


class OutputError(ValueError):
    """An output folder that must not or cannot be written; the message says why."""


def check_output(out: str | os.PathLike[str]) -> Path:
    """`out` as a usable bundle folder path, or OutputError."""
    out = Path(out)
    resolved = out.resolve()
    if not out.name or out.name in (".", "..") or resolved == Path.cwd().resolve() or resolved.parent == resolved:
        raise OutputError(f"--out {out}: name a folder for the model bundle (e.g. --out models/mine), "
                          "not the current folder or a root.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file; a model bundle is a folder. Choose another --out.")
    if out.is_dir() and not is_bundle(out) and any(out.iterdir()):
        raise OutputError(f"--out {out} is a folder with other files in it (not a model bundle); they would be "
                          "replaced. Choose a new folder or an existing bundle.")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in BUNDLE_FILE_NAMES) if is_bundle(out) else []
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise OutputError(f"--out {out} holds a model bundle and files a bundle never has ({shown}); replacing the "
                          "bundle would delete them. Move them out, or choose another --out.")
    try:
        resolved.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{out.name}.probe.", dir=resolved.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise OutputError(f"--out {out}: cannot write in {resolved.parent} ({e.strerror or e}).") from None
    return out


def interrupted_path(out: str | os.PathLike[str]) -> Path:
    """Where an interrupted training leaves its best epoch: beside `out`, never over it."""
    out = Path(out)
    return out.with_name(f"{out.name}.interrupted")
