"""Small custom-painted widgets. Each paint is a handful of rectangles and texts, so the GUI
thread stays cheap however often frames arrive."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHeaderView, QLabel, QSizePolicy, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from trainer.classes import NUM_DIGITS

def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def muted(text: str = "") -> QLabel:
    """A wrapped label in the palette's quiet colour, for explanations."""
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label


COACH_STYLE = ("QLabel { background: #e7f1ff; color: #084298; border: 1px solid #b6d4fe; border-radius: 4px; "
               "padding: 4px; }")


def coach_label() -> QLabel:
    """The framing coach's line (asl_live.framing): hidden while it has nothing to say."""
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(COACH_STYLE)
    label.hide()
    return label


def show_coach(label: QLabel, text: str | None) -> None:
    if text:
        if label.text() != text:
            label.setText(text)
        label.setVisible(True)
    else:
        label.setVisible(False)


def no_focus(*widgets: QWidget) -> None:
    """Buttons and lists must not swallow digit keys meant for the window."""
    for w in widgets:
        w.setFocusPolicy(Qt.FocusPolicy.NoFocus)


ACCENT = QColor(46, 160, 90)
UNSURE = QColor(220, 160, 40)
NOT_DIGIT = QColor(220, 60, 70)
BAR = QColor(90, 120, 170)
GRID = QColor(0, 0, 0, 40)


class VideoView(QWidget):
    """The latest annotated frame, scaled to fit; a message in its place when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._placeholder = "Starting…"
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # digit keys reach the window

    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def clear(self, placeholder: str) -> None:
        self._image = None
        self._placeholder = placeholder
        self.update()

    @property
    def image(self) -> QImage | None:
        return self._image

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 24, 28))
        if self._image is None or self._image.isNull():
            p.setPen(QColor(220, 220, 220))
            f = p.font()
            f.setPointSizeF(f.pointSizeF() * 1.2)
            p.setFont(f)
            p.drawText(self.rect().adjusted(30, 30, -30, -30),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            return
        size = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x, y = (self.width() - size.width()) / 2, (self.height() - size.height()) / 2
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(QRectF(x, y, size.width(), size.height()), self._image)


class ProbabilityBars(QWidget):
    """One bar per class, the ten digits and "not a digit" when the model has it: the
    smoothed probabilities, the threshold line, the class on display."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._probs: np.ndarray | None = None
        self._chosen: int | None = None
        self._threshold = 0.6
        self._classes = 10
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(600, 120)

    def set_values(self, probs: np.ndarray | None, chosen: int | None, threshold: float,
                   classes: int | None = None) -> None:
        """`chosen`: the class on display (a digit, or 10 for "not a digit"), None for none."""
        self._probs = None if probs is None else np.asarray(probs, dtype=float)
        self._classes = classes or (len(self._probs) if self._probs is not None else self._classes)
        self._chosen = chosen
        self._threshold = threshold
        self.update()

    def values(self) -> np.ndarray | None:
        """The probabilities on display."""
        return None if self._probs is None else self._probs.copy()

    def chosen(self) -> int | None:
        """The class marked as on display."""
        return self._chosen

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        label_h = p.fontMetrics().height() + 4
        top, bottom = 14.0, self.height() - label_h
        span = max(1.0, bottom - top)
        n = self._classes
        slot = self.width() / (n + (0.6 if n > NUM_DIGITS else 0))  # the last bar's label is longer
        p.fillRect(self.rect(), self.palette().base())
        for d in range(n):
            extra = d == NUM_DIGITS
            x, width = d * slot, slot * (1.6 if extra else 1)
            value = 0.0 if self._probs is None else float(self._probs[d])
            h = span * min(1.0, max(0.0, value))
            colour = (NOT_DIGIT if extra else ACCENT) if d == self._chosen else (
                UNSURE if value >= self._threshold else BAR)
            p.fillRect(QRectF(x + width / 2 - slot * 0.32, bottom - h, slot * 0.64, h), colour)
            p.setPen(self.palette().text().color())
            p.drawText(QRectF(x, bottom, width, label_h), Qt.AlignmentFlag.AlignCenter,
                       "not a digit" if extra else str(d))
            if value >= 0.01:
                p.drawText(QRectF(x, bottom - h - 14, width, 14), Qt.AlignmentFlag.AlignCenter, f"{value:.2f}")
        y = bottom - span * self._threshold
        p.setPen(QPen(QColor(200, 60, 60), 1, Qt.PenStyle.DashLine))
        p.drawLine(0, int(y), self.width(), int(y))


class ConfusionView(QWidget):
    """A confusion matrix: rows are the true class, columns the decided one (the ten digits,
    and "not a digit" as a last row/column where it applies); colour is the share of the
    row, so rare classes read as clearly as common ones."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._matrix = np.zeros((10, 10), dtype=int)
        self.setMinimumSize(230, 230)

    def sizeHint(self) -> QSize:
        return QSize(300, 300)

    def set_matrix(self, matrix: Sequence | np.ndarray | None) -> None:
        self._matrix = np.zeros((10, 10), dtype=int) if matrix is None else np.asarray(matrix, dtype=int)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        text = self.palette().text().color()
        rows_n, cols_n = self._matrix.shape
        margin = p.fontMetrics().height() + 6
        cell = min((self.width() - margin) / cols_n, (self.height() - margin) / rows_n)
        rows = self._matrix.sum(axis=1, keepdims=True)
        share = np.divide(self._matrix, rows, out=np.zeros(self._matrix.shape), where=rows > 0)
        small = QFont(p.font())
        small.setPointSizeF(max(6.0, min(p.font().pointSizeF(), cell * 0.32)))
        p.setPen(text)
        name = lambda i: "✗" if i == NUM_DIGITS else str(i)  # noqa: E731
        for j in range(cols_n):
            p.drawText(QRectF(margin + j * cell, 0, cell, margin), Qt.AlignmentFlag.AlignCenter, name(j))
        for i in range(rows_n):
            p.drawText(QRectF(0, margin + i * cell, margin, cell), Qt.AlignmentFlag.AlignCenter, name(i))
        p.setFont(small)
        for (i, j), v in np.ndenumerate(self._matrix):
            rect = QRectF(margin + j * cell, margin + i * cell, cell, cell)
            s = float(share[i, j])
            base = QColor(46, 160, 90) if i == j else QColor(200, 70, 60)
            colour = QColor(base.red(), base.green(), base.blue(), int(25 + 230 * s) if v else 0)
            p.fillRect(rect, colour)
            p.setPen(GRID)
            p.drawRect(rect)
            if v:
                p.setPen(QColor("white") if s > 0.55 else text)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(v)))


class Banner(QLabel):
    """A coloured line of text for problems the user should act on; hidden when empty."""

    STYLES = {
        "error": "background:#f8d7da; color:#721c24; border:1px solid #f1aeb5;",
        "warning": "background:#fff3cd; color:#664d03; border:1px solid #ffe69c;",
        "info": "background:#cfe2ff; color:#084298; border:1px solid #9ec5fe;",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        if not text:
            self.clear_message()
            return
        self.setStyleSheet(f"QLabel {{{self.STYLES[kind]} padding:6px; border-radius:4px;}}")
        self.setText(text)
        self.show()

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


def fill_table(table: QTableWidget, headers: list[str], rows: list[list[object]]) -> None:
    """Replace a read-only table's contents; floats show with three decimals."""
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            text = "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
            item = QTableWidgetItem(text)
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


def make_table(parent: QWidget | None = None) -> QTableWidget:
    table = QTableWidget(parent)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setDefaultSectionSize(20)
    return table


class MessageArea(QWidget):
    """Problems and notes above the video, one banner per topic ("source", "model", ...), so
    fixing one problem clears its line without hiding the others."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._banners: dict[str, Banner] = {}

    def set(self, key: str, text: str, kind: str = "error") -> None:
        banner = self._banners.get(key)
        if banner is None:
            banner = self._banners[key] = Banner(self)
            self._layout.addWidget(banner)
        banner.show_message(text, kind)

    def clear(self, key: str) -> None:
        if key in self._banners:
            self._banners[key].clear_message()

    def text(self, key: str | None = None) -> str:
        """The visible message for `key`, or all of them (one per line)."""
        keys = [key] if key else list(self._banners)
        return "\n".join(self._banners[k].text() for k in keys if k in self._banners and self._banners[k].text())
