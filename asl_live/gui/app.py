"""Starting the app: QApplication, the native libraries behind a splash, the window, the loop.

The window's process never imports TensorFlow: frames run on LiteRT and MediaPipe, and
retraining runs in a child process (asl_live.retrain).
"""

from __future__ import annotations

import argparse
import sys

from asl_live.options import LaunchOptions, resolve_options


def preload_libraries() -> None:
    """Import MediaPipe and LiteRT on the GUI thread before the window runs.

    Loading their native libraries holds Python's GIL for a good part of a second; done on a
    worker thread after the window is up, that would freeze the window's event loop.
    """
    from ai_edge_litert import interpreter  # noqa: F401

    from trainer.hands import import_mediapipe

    import_mediapipe()


def create_window(options: LaunchOptions):
    """The main window for `options` (a QApplication must exist)."""
    from asl_live.gui.window import MainWindow

    return MainWindow(options)


def run_app(args: argparse.Namespace) -> int:
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
