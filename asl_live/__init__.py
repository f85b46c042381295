"""asl-live: real-time ASL digit (0-9) recognition from a webcam.

The modules at this level never import Qt, so the recognition chain runs headless in tests
and benchmarks; only `asl_live.gui` and `asl_live.main` know about the window.
"""

import os as _os

__version__ = "0.1.0"

# Importing OpenCV points Qt at OpenCV's own bundled plugins (cv2/qt/plugins), which are not
# PySide6's: the window would load the wrong platform plugin. What the user had set before
# anything was imported is kept here, and the window restores it (asl_live.gui.app).
QT_ENV_AT_START = {k: _os.environ.get(k) for k in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")}
