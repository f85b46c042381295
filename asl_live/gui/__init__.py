"""The PySide6 desktop app: a thin layer over the Qt-free core in `asl_live` and `trainer`.

Modules: app (start-up), window (MainWindow: composition and wiring), live_worker (frames and
recognition off the GUI thread), tasks (one-off background jobs), models, retrainer and
practice (controllers that change the live session or follow it), live_view, live_panel,
model_panel, train_panel, practice_panel, hand_view, progress_view and widgets (what is shown;
panels only display and emit signals), window_bench (the window under measurement), qtfix (a
PySide6 work-around).
"""
