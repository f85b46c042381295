"""Network streams are not video files: said in words, never mangled into a path.

Light on purpose (no OpenCV): `asl-live --help` and argument parsing import it.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

_STREAM = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
STREAMS_UNSUPPORTED = ("network streams are not supported: save the video to a file and pass its path, "
                       "or use --camera N for a webcam")


def is_stream(text: str) -> bool:
    """http://, rtsp://, file:// ...: anything with a URL scheme."""
    return bool(_STREAM.match(str(text).strip()))


def video_path(text: str) -> Path:
    """--source's type: a video file's path; a URL is refused (exit 2) instead of being taken
    for a file name."""
    if is_stream(text):
        raise argparse.ArgumentTypeError(f"{text}: {STREAMS_UNSUPPORTED}")
    return Path(text).expanduser()
