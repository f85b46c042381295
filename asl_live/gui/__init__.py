"""The PySide6 desktop app: a thin layer over the Qt-free core in `asl_live` and `trainer`.

Modules: window (MainWindow), panels and widgets (what is shown), workers (threads for
capture, inference and long jobs), retrain (what Retrain trains on), options (command line +
settings), live_accuracy (this session's running score). Only window/panels/widgets/workers
import Qt; options, retrain and live_accuracy do not.
"""
