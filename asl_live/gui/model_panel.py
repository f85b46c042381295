"""The "Model accuracy" tab: the loaded model's held-out figures, per dataset, as recorded
at training time (the same figures as its report.md)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from asl_live.gui.widgets import ConfusionView, fill_table, make_table, muted, no_focus, pct
from asl_live.options import model_name


class ModelPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._metrics: dict = {}
        self._path: Path | None = None
        self.path_label = muted("No model loaded.")
        self.dataset_combo = QComboBox()
        no_focus(self.dataset_combo)
        self.dataset_combo.currentTextChanged.connect(self._show_dataset)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.negatives = QLabel()
        self.negatives.setWordWrap(True)
        self.table = make_table()
        self.table.setFixedHeight(11 * 20 + 8)  # header + ten digits, no scrolling
        self.confusion = ConfusionView()
        row = QHBoxLayout()
        row.addWidget(QLabel("Test split:"))
        row.addWidget(self.dataset_combo, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.path_label)
        layout.addWidget(self.negatives)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addWidget(self.confusion, 1)
        layout.addWidget(muted("Rows: true digit. Columns: predicted digit (✗: not a digit). Figures are from the "
                               "held-out test split recorded when the model was trained."))

    def set_model(self, path: Path | None, metrics: dict | None, negatives: dict | None = None) -> None:
        """`metrics`: {dataset: evaluate() report}; `negatives`: the non-digit figures, if any."""
        self._metrics, self._path = metrics or {}, path
        self.path_label.setText(f"Model: {model_name(path)}" if path else "No model loaded.")
        self.path_label.setToolTip(str(path) if path else "")
        if negatives:
            self.negatives.setText(f"Hand shapes that are no digit (held out): <b>{pct(negatives['rate'])}</b> "
                                   f"shown as a digit ({negatives['shown_as_digit']} of {negatives['images']}).")
        else:
            self.negatives.setText("This model has no “not a digit” answer: every hand gets a digit or “?”."
                                   if path else "")
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        names = list(self._metrics)
        self.dataset_combo.addItems(names)
        if "all" in names:
            self.dataset_combo.setCurrentText("all")
        self.dataset_combo.blockSignals(False)
        self._show_dataset(self.dataset_combo.currentText())

    def _show_dataset(self, name: str) -> None:
        rep = self._metrics.get(name)
        if not rep:
            self.summary.setText("This model has no recorded test figures." if self._path else "")
            fill_table(self.table, [], [])
            self.confusion.set_matrix(None)
            return
        nh = rep.get("no_hand", {})
        self.summary.setText(
            f"Test accuracy <b>{pct(rep.get('accuracy'))}</b> on {rep.get('images', '?')} held-out images"
            f" (no hand found in {nh.get('count', 0)}, {pct(nh.get('rate'))}); macro F1 {rep.get('macro_f1', 0):.3f}")
        rows = [[d, c["precision"], c["recall"], c["f1"], c["support"], c["no_hand"]]
                for d, c in sorted(rep.get("per_class", {}).items(), key=lambda kv: int(kv[0]))]
        fill_table(self.table, ["digit", "precision", "recall", "F1", "images", "no hand"], rows)
        self.confusion.set_matrix(rep.get("confusion"))
