"""Starting the app: QApplication, the native libraries behind a splash, the window, the loop.

The window's process never imports TensorFlow: frames run on LiteRT and MediaPipe, and
retraining runs in a child process (asl_live.retrain).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from asl_live.options import LaunchOptions, resolve_options


def preload_libraries() -> None:
    """Import MediaPipe and LiteRT on the GUI thread before the window runs.

    Loading their native libraries holds Python's GIL for a good part of a second; done on a
    worker thread after the window is up, that would freeze the window's event loop.
    """
    from ai_edge_litert import interpreter  # noqa: F401

    from trainer.hands import import_mediapipe

    import_mediapipe()


def restore_qt_environment() -> None:
    """Undo OpenCV's Qt plugin variables (see asl_live.QT_ENV_AT_START)."""
    import asl_live

    for key, value in asl_live.QT_ENV_AT_START.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


XCB_PACKAGES = ("libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 "
                "libxkbcommon-x11-0 libxcb-cursor0 libxcb-shape0")


def platform_problem() -> str | None:
    """Why Qt could not open a window here, or None. Qt itself aborts the process with a
    message about plugin paths when its platform plugin cannot load; this says what to do."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, ...: the user chose
    if not os.environ.get("DISPLAY"):
        if os.environ.get("WAYLAND_DISPLAY") and not platform:
            return None
        return ("No display to open the window on (DISPLAY is not set). Start asl-live from a desktop session, "
                "or under a virtual screen: xvfb-run -a asl-live ...")
    import ctypes

    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    try:
        ctypes.CDLL(str(plugin))
    except OSError as e:
        return (f"Qt cannot open windows here: its X11 plugin needs system libraries that are missing ({e}). "
                f"On Debian or Ubuntu: sudo apt-get install {XCB_PACKAGES}")
    return None


def create_window(options: LaunchOptions):
    """The main window for `options` (a QApplication must exist)."""
    from asl_live.gui.window import MainWindow

    return MainWindow(options)


def run_app(args: argparse.Namespace) -> int:
    restore_qt_environment()
    problem = platform_problem()
    if problem:
        print(f"asl-live: {problem}", file=sys.stderr)
        return 1
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPixmap
    from PySide6.QtWidgets import QApplication, QSplashScreen

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("asl-live")
    app.setApplicationDisplayName("ASL Live")
    pixmap = QPixmap(420, 120)
    pixmap.fill(QColor(30, 34, 40))
    splash = QSplashScreen(pixmap)
    splash.showMessage("ASL Live\nStarting…", Qt.AlignmentFlag.AlignCenter, QColor("white"))
    splash.show()
    app.processEvents()
    preload_libraries()
    window = create_window(resolve_options(args))
    window.show()
    splash.finish(window)
    _close_on_signals(window)
    return app.exec()


def _close_on_signals(window) -> None:
    """Ctrl-C or SIGTERM close the window properly (settings saved, threads joined). Python
    only runs signal handlers between bytecodes, so a timer wakes it up now and then."""
    import signal

    from PySide6.QtCore import QTimer

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)
