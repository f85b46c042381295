"""The progress view: each digit over days, as small charts (share signed right, and how long
it took), so a learner or a teacher sees which digits improve and which lag."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from asl_live.history import DayStats

RIGHT = QColor(46, 160, 90)
SLOW = QColor(90, 120, 170)


class DigitChart(QWidget):
    """One digit: per day, the share of prompts signed (green line, 0-100%) and the median
    time to sign (blue bars, scaled to the slowest day of any digit)."""

    def __init__(self, digit: int, days: list[DayStats], slowest_ms: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digit, self.days, self.slowest_ms = digit, days, slowest_ms or 1.0
        self.setMinimumSize(150, 110)

    def sizeHint(self) -> QSize:
        return QSize(190, 130)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        text = self.palette().text().color()
        title_h = p.fontMetrics().height() + 4
        p.setPen(text)
        tries = sum(d.tries for d in self.days)
        p.drawText(QRectF(4, 0, self.width() - 8, title_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   f"{self.digit}   ({tries} tries)" if tries else f"{self.digit}   (not practised yet)")
        area = QRectF(6, title_h + 2, self.width() - 12, self.height() - title_h - 8)
        p.setPen(QPen(QColor(0, 0, 0, 40), 1))
        p.drawRect(area)
        if not self.days:
            return
        n = len(self.days)
        step = area.width() / n
        for i, day in enumerate(self.days):  # median time: bars
            if day.median_time_ms:
                h = area.height() * min(1.0, day.median_time_ms / self.slowest_ms)
                p.fillRect(QRectF(area.left() + i * step + step * 0.3, area.bottom() - h, step * 0.4, h),
                           QColor(SLOW.red(), SLOW.green(), SLOW.blue(), 110))
        path = QPainterPath()
        points = [QPointF(area.left() + (i + 0.5) * step, area.bottom() - area.height() * d.success_rate)
                  for i, d in enumerate(self.days)]
        path.moveTo(points[0])
        for q in points[1:]:
            path.lineTo(q)
        p.setPen(QPen(RIGHT, 2))
        p.drawPath(path)
        p.setBrush(RIGHT)
        for q in points:
            p.drawEllipse(q, 3, 3)


class ProgressDialog(QDialog):
    def __init__(self, learner: str, daily: dict[int, list[DayStats]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Progress — {learner}")
        days = sorted({d.day for v in daily.values() for d in v})
        slowest = max((d.median_time_ms or 0 for v in daily.values() for d in v), default=0)
        layout = QVBoxLayout(self)
        span = f"{_fmt(days[0])} to {_fmt(days[-1])}" if days else "no practice yet"
        layout.addWidget(QLabel(f"<b>{learner}</b>: each digit per day of practice ({span}). Green: share of "
                                f"prompts signed; blue bars: median time to sign (tallest = {slowest / 1000:.1f} s)."))
        grid = QGridLayout()
        self.charts = [DigitChart(d, daily.get(d, []), slowest) for d in range(10)]
        for d, chart in enumerate(self.charts):
            grid.addWidget(chart, d // 5, d % 5)
        layout.addLayout(grid, 1)
        self.resize(1000, 360)


def _fmt(day: date) -> str:
    return day.strftime("%d %b %Y")
