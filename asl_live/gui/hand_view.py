"""A hand drawn solid from its 21 landmarks in 3D (asl_live.hand3d): the target digit's average
training hand, or the learner's own, seen from a view the learner can turn (drag it). No
third-party photos: the shape comes from the model's own training examples."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from asl_live.hand3d import DrawItem, View, draw_items

FINGER_COLOURS = {  # per finger, so "ring finger" in a hint points at something on the drawing
    "thumb": QColor(214, 108, 64), "index": QColor(52, 120, 200), "middle": QColor(46, 150, 90),
    "ring": QColor(160, 90, 180), "pinky": QColor(200, 150, 40),
}
SKIN = QColor(236, 196, 166)
SKIN_EDGE = QColor(150, 105, 80)
NAIL = QColor(252, 234, 228)
WRONG = QColor(220, 50, 50)  # a finger of the learner's hand that differs from the target
WRONG_SKIN = QColor(244, 160, 150)
DRAG_DEGREES_PER_PX = 0.6


def _shade(colour: QColor, depth: float, near: float, far: float) -> QColor:
    """Nearer parts lighter, farther ones darker, so what is in front reads as in front."""
    t = 0.5 if far - near < 1e-6 else (depth - near) / (far - near)
    return colour.lighter(int(108 - 16 * t)) if t < 0.5 else colour.darker(int(100 + 20 * (t - 0.5)))


class HandDrawing(QWidget):
    """One hand (a (21, 3) hand3d.upright_3d array) drawn solid; dragging asks to turn it."""

    turned = Signal(float, float)  # yaw, pitch in degrees

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: np.ndarray | None = None
        self._wrong: frozenset[str] = frozenset()
        self._note = ""
        self._view = View()
        self._drag: QPointF | None = None
        self.setMinimumSize(120, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip("Drag to turn the hand and see it from the side.")

    def sizeHint(self) -> QSize:
        return QSize(180, 240)

    def set_hand(self, points: np.ndarray | None, note: str = "", wrong: frozenset[str] = frozenset()) -> None:
        """The hand to draw (None: `note` instead); `wrong`: its fingers to mark."""
        self._points = None if points is None else np.asarray(points, dtype=float).reshape(21, 3)
        self._note, self._wrong = note, frozenset(wrong)
        self.update()

    def set_view(self, view: View) -> None:
        self._view = view
        self.update()

    def items(self) -> list[DrawItem]:
        return [] if self._points is None else draw_items(self._points, self._view)

    # -- turning by dragging -------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._drag = event.position()
        self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            d = event.position() - self._drag
            self._drag = event.position()
            self.turned.emit(d.x() * DRAG_DEGREES_PER_PX, -d.y() * DRAG_DEGREES_PER_PX)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    # -- painting ------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()  # now, not whenever Python collects the painter

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        items = self.items()
        if not items:
            p.setPen(self.palette().placeholderText().color())
            p.drawText(self.rect().adjusted(8, 8, -8, -8), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._note)
            return
        # A fixed box round the palm's centre (the hand does not grow as its fingers curl): 2.2
        # knuckle lengths wide, from 1.6 above (fingertips) to 0.8 below (the wrist).
        scale = min(self.width() / 2.2, self.height() / 2.4)
        ox, oy = self.width() / 2, self.height() / 2 + 0.4 * scale

        def px(q) -> QPointF:
            return QPointF(ox + q[0] * scale, oy + q[1] * scale)

        depths = [i.depth for i in items]
        near, far = min(depths), max(depths)
        for item in items:
            wrong = item.finger in self._wrong
            skin = _shade(WRONG_SKIN if wrong else SKIN, item.depth, near, far)
            if item.kind == "palm":
                width = 0.18 * scale  # the palm's rim has the flesh of the fingers' bases
                poly = QPolygonF([px(q) for q in item.points])
                p.setPen(QPen(SKIN_EDGE, width + 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                              Qt.PenJoinStyle.RoundJoin))
                p.setBrush(skin)
                p.drawPolygon(poly)
                p.setPen(QPen(skin, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
                p.drawPolygon(poly)
                continue
            a, b = px(item.points[0]), px(item.points[1])
            width = item.width * scale
            if item.kind == "bone":
                edge = WRONG if wrong else FINGER_COLOURS[item.finger]
                p.setPen(QPen(edge, width + (5 if wrong else 3), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(a, b)
                p.setPen(QPen(skin, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(a, b)
            else:  # a nail: where the back of the hand is seen
                p.setPen(QPen(SKIN_EDGE, width + 1.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(a, b)
                p.setPen(QPen(NAIL, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                p.drawLine(a, b)
