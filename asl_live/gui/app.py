"""Starting the app: QApplication, heavy imports behind a splash, the window, the event loop."""

from __future__ import annotations

import argparse
import sys

from asl_live.gui.options import LaunchOptions, resolve_options


def preload_libraries() -> None:
    """Import TensorFlow/Keras and MediaPipe on the GUI thread before the window runs.

    Loading their native libraries holds Python's GIL for up to a second at a time; done on a
    worker thread after the window is up, that would freeze the window's event loop. Loading
    the model itself (mostly Python) still happens on a worker thread.
    """
    import keras  # noqa: F401
    import tensorflow  # noqa: F401
    from mediapipe.tasks.python import vision  # noqa: F401


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
    splash.showMessage("ASL Live\nLoading TensorFlow and MediaPipe…",
                       Qt.AlignmentFlag.AlignCenter, QColor("white"))
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
