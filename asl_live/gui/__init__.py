"""The PySide6 desktop app: a thin layer over the Qt-free core in `asl_live` and `trainer`.

Modules: app (start-up), window (MainWindow: composition and wiring), live_worker (frames and
recognition off the GUI thread), tasks (one-off background jobs), models and retrainer
(controllers that change the live session from task results), live_view, live_panel,
model_panel, train_panel and widgets (what is shown; panels only display and emit signals),
qtfix (a PySide6 work-around).
"""
