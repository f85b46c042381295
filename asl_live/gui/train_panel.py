"""The "Samples & retrain" tab: captured samples, training data, the Kaggle download and the
Retrain button, with its progress, log and the old-versus-new figures."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from asl_live.gui.widgets import fill_table, make_table, muted, no_focus
from trainer.classes import DIGITS, NOT_DIGIT


class TrainPanel(QWidget):
    capture_toggled = Signal(bool)
    add_folder_clicked = Signal()
    remove_folder_clicked = Signal(object)  # the Path selected in the list
    download_clicked = Signal()
    retrain_clicked = Signal()
    cancel_clicked = Signal()
    use_rejected_clicked = Signal()  # use a retrained model that was kept aside

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        samples = QGroupBox("Your samples")
        g = QGridLayout(samples)
        g.setSpacing(4)
        self.count_labels: dict[int, QLabel] = {}
        for i, label in enumerate((*DIGITS, NOT_DIGIT)):
            text = QLabel()
            text.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text.setStyleSheet("QLabel { border: 1px solid palette(mid); border-radius: 3px; padding: 2px; }")
            self.count_labels[label] = text
            g.addWidget(text, i // 5, i % 5, 1, 5 if label == NOT_DIGIT else 1)
        self.show_counts({})
        self.capture_box = QCheckBox("Keep saving samples of the selected digit")
        no_focus(self.capture_box)
        self.capture_box.setToolTip("While on, every frame with a hand is saved as a sample of what is selected "
                                    "on the Live tab (as when holding its key).")
        self.capture_box.toggled.connect(self.capture_toggled)
        self.samples_path = muted()
        g.addWidget(self.capture_box, 3, 0, 1, 5)
        g.addWidget(self.samples_path, 4, 0, 1, 5)

        data = QGroupBox("Other training data")
        v = QVBoxLayout(data)
        self.roots_list = QListWidget()
        self.roots_list.setMaximumHeight(80)
        self.roots_list.setWordWrap(True)
        self.roots_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.download_button = QPushButton("Download Kaggle dataset")
        no_focus(self.roots_list, self.add_button, self.remove_button, self.download_button)
        self.add_button.clicked.connect(self.add_folder_clicked)
        self.remove_button.clicked.connect(self._remove_selected)
        self.download_button.clicked.connect(self.download_clicked)
        self.download_bar = QProgressBar()
        self.download_bar.hide()
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.download_button):
            buttons.addWidget(b)
        v.addWidget(self.roots_list)
        v.addLayout(buttons)
        v.addWidget(self.download_bar)

        train = QGroupBox("Retrain")
        t = QVBoxLayout(train)
        self.plan_label = muted()
        self.retrain_button = QPushButton("Retrain")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.use_rejected_button = QPushButton("Use it anyway")
        self.use_rejected_button.hide()
        no_focus(self.retrain_button, self.cancel_button, self.use_rejected_button)
        self.retrain_button.clicked.connect(self.retrain_clicked)
        self.cancel_button.clicked.connect(self.cancel_clicked)
        self.use_rejected_button.clicked.connect(self.use_rejected_clicked)
        self.progress = QProgressBar()
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status = QLabel("Idle.")
        self.status.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        no_focus(self.log)
        self.log.setMinimumHeight(60)
        self.compare = make_table()
        self.compare.setMinimumHeight(90)
        self.compare.hide()
        row = QHBoxLayout()
        row.addWidget(self.retrain_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.use_rejected_button)
        t.addWidget(self.plan_label)
        t.addLayout(row)
        t.addWidget(self.progress)
        t.addWidget(self.status)
        t.addWidget(self.compare)
        t.addWidget(self.log, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(samples)
        layout.addWidget(data)
        layout.addWidget(train, 1)

    # -- samples and data ----------------------------------------------------------------------
    def show_counts(self, counts: dict[int, int]) -> None:
        for label, text in self.count_labels.items():
            name = "not a digit" if label == NOT_DIGIT else str(label)
            text.setText(f"{name}: {counts.get(label, 0)}")

    def show_samples_folder(self, folder: Path) -> None:
        self.samples_path.setText(f"Saved in {folder}")

    def show_roots(self, roots: list[Path]) -> None:
        self.roots_list.clear()
        self.roots_list.addItems([str(p) for p in roots])
        if not roots:
            item = QListWidgetItem("None yet: download the Kaggle dataset or add a folder of digit images.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.roots_list.addItem(item)

    def _remove_selected(self) -> None:
        item = self.roots_list.currentItem()
        if item is not None and item.flags() & Qt.ItemFlag.ItemIsSelectable:
            self.remove_folder_clicked.emit(Path(item.text()))

    def show_download(self, done: int, total: int) -> None:
        """Bytes so far; Kaggle does not say the size up front, so the bar is busy until done."""
        self.download_button.setEnabled(False)
        self.download_bar.show()
        mb = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total > 0 else "")
        if total > 0:
            self.download_bar.setRange(0, total)
            self.download_bar.setValue(min(done, total))
        else:
            self.download_bar.setRange(0, 0)
        self.download_bar.setFormat(mb)
        self.status.setText(f"Downloading the Kaggle dataset: {mb}")

    def download_finished(self, message: str) -> None:
        self.download_button.setEnabled(True)
        self.download_bar.hide()
        self.status.setText(message)

    # -- retraining ----------------------------------------------------------------------------
    def show_plan(self, text: str) -> None:
        self.plan_label.setText(text)

    def set_training(self, running: bool) -> None:
        self.retrain_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        if running:
            self.progress.setRange(0, 0)
            self.compare.hide()
            self.use_rejected_button.hide()

    def show_progress(self, stage: str, done: int, total: int, message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"{stage} {done}/{total}")
        else:
            self.progress.setRange(0, 0)
        self.status.setText(f"{stage}: {message}" if message else f"{stage}…")
        if message:
            self.log.appendPlainText(message)

    def append_log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def training_finished(self, message: str, ok: bool, can_use_anyway: bool = False,
                          where: Path | None = None) -> None:
        """`where`: the folder the model was saved in, in the tooltip (and the log), not on screen."""
        self.set_training(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if ok else 0)
        self.progress.setFormat("done" if ok else "stopped")
        self.status.setText(message)
        self.status.setToolTip(f"Saved in {where}" if where else "")
        self.log.appendPlainText(message + (f" (saved in {where})" if where else ""))
        self.use_rejected_button.setVisible(can_use_anyway)

    def show_comparison(self, headers: list[str], rows: list[list[object]]) -> None:
        """Old and new figures side by side (one row per digit or test split)."""
        fill_table(self.compare, headers, rows)
        header = self.compare.horizontalHeader()  # every column whole ("your own captures"); the last one stretches
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.compare.setVisible(bool(rows))
