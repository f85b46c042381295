"""Work around a reference-counting bug in PySide6 6.12 on Python 3.11.

With that combination every `Signal.emit()` from Python drops one reference to `True`, and
every Python callback Qt invokes through its event loop (a slot run by a timer or a queued
connection, an overridden `paintEvent`, ...) drops one reference to `None`. Python 3.12+
made these singletons immortal, which hides the bug there; on 3.11 their counts reach zero
after some thousands of frames and the interpreter aborts ("deallocating None").

The fix does what Python 3.12 does: give None, True and False a reference count so large
that no number of lost references can bring it to zero. It is applied only where a probe
shows the bug, and is harmless there: these objects are never freed anyway.
"""

from __future__ import annotations

import ctypes
import gc
import sys

_HUGE = 1 << 40  # ~10^12 lost references: centuries of frames


def emit_leaks_references() -> bool:
    """True when emitting a signal drops a reference to True (this PySide6 build is affected)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    gc_was_on = gc.isenabled()
    gc.disable()
    try:
        before = sys.getrefcount(True)
        for _ in range(8):
            probe.ping.emit()
        return sys.getrefcount(True) < before - 4
    finally:
        if gc_was_on:
            gc.enable()


def apply() -> bool:
    """Make None/True/False effectively immortal if needed; returns whether it did."""
    if sys.version_info >= (3, 12) or not emit_leaks_references():
        return False
    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is a PyObject's first field
        if count.value < _HUGE:
            count.value += _HUGE
    return True
