"""Silencing the native libraries' start-up chatter.

MediaPipe and LiteRT print INFO and WARNING lines from C++ straight to the process's stderr
when a model is created, first run and closed ("Created TensorFlow Lite XNNPACK delegate",
"Read-only tensor ... unaligned buffer", ...): noise to a user, and no environment variable
turns all of it off. `native_stderr_silenced()` points file descriptor 2 at /dev/null for
the duration of such a call. Python exceptions still propagate (and print later); set
ASL_LIVE_DEBUG=1 to see everything.
"""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
_saved: int | None = None


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Nesting and concurrent use are safe: the first caller in redirects, the last one out
    restores."""
    global _depth, _saved
    if os.environ.get("ASL_LIVE_DEBUG"):
        yield
        return
    with _lock:
        if _depth == 0:
            sys.stderr.flush()
            _saved = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                os.dup2(_saved, 2)
                os.close(_saved)
                _saved = None


def import_keras():
    """Keras (on TensorFlow), imported and its devices set up with the native start-up chatter
    silenced: TensorFlow logs CUDA, oneDNN and CPU-feature lines through absl, which no
    environment variable of TensorFlow 2.2x turns off."""
    with native_stderr_silenced():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # device discovery (the CUDA probe) happens here, quietly
    return keras
