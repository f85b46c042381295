"""A drawing of a hand shape from 21 landmarks: the average upright hand of a digit in the
model's training data (asl_live.practice.digit_templates), so a learner sees the shape to make
without any third-party photo."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from asl_live.drawing import HAND_CONNECTIONS

FINGER_COLOURS = {  # bones from the wrist out, coloured per finger so "ring finger" means something
    "thumb": QColor(214, 108, 64), "index": QColor(52, 120, 200), "middle": QColor(46, 150, 90),
    "ring": QColor(160, 90, 180), "pinky": QColor(200, 150, 40), "palm": QColor(120, 120, 120),
}


def _finger(a: int, b: int) -> str:
    tip = max(a, b)
    if min(a, b) == 0 and tip in (5, 17) or (a, b) in ((5, 9), (9, 13), (13, 17)):
        return "palm"
    return ("thumb", "index", "middle", "ring", "pinky")[(tip - 1) // 4]


class HandPicture(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: np.ndarray | None = None
        self._note = ""
        self.setMinimumSize(140, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(200, 230)

    def set_points(self, points: np.ndarray | None, note: str = "") -> None:
        """(21, 2) upright landmarks (wrist at the origin, y down), or None with a note instead."""
        self._points = None if points is None else np.asarray(points, dtype=float).reshape(21, 2)
        self._note = note
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        if self._points is None:
            p.setPen(self.palette().placeholderText().color())
            p.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._note)
            return
        pts = self._points
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = float(max(hi - lo)) or 1.0
        scale = 0.84 * min(self.width(), self.height()) / span
        centre = (lo + hi) / 2
        to_px = lambda q: QPointF(self.width() / 2 + (q[0] - centre[0]) * scale,  # noqa: E731
                                  self.height() / 2 + (q[1] - centre[1]) * scale)
        width = max(3.0, scale * 0.09)
        for a, b in HAND_CONNECTIONS:
            pen = QPen(FINGER_COLOURS[_finger(a, b)], width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawLine(to_px(pts[a]), to_px(pts[b]))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.palette().text())
        for q in pts:
            c = to_px(q)
            p.drawEllipse(QRectF(c.x() - width * 0.45, c.y() - width * 0.45, width * 0.9, width * 0.9))
