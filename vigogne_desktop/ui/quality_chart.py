"""The quantization choices of one model as a painted chart: the memory each needs here
(x) against how often it puts first the token the unquantized model puts first (y), this
machine's available RAM as a line, measured and typical figures drawn apart, the
recommended one ringed. Clicking a point chooses it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QLocale, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..core.quality_choices import QuantChoice
from .i18n import decimal
from .library_models import size_text

RADIUS = 5.0  # a point's; the recommended ring is drawn outside it
CLICK_DISTANCE = 14.0  # px from a point that still picks it
GB = 1e9  # file sizes are shown in decimal gigabytes, as size_text writes them


def _nice_step(span: float, wanted: int) -> float:
    """A 1-2-5 step giving about `wanted` ticks over `span`."""
    raw = span / max(1, wanted)
    scale = 10 ** int(f"{raw:e}".split("e")[1])
    return next(s * scale for s in (1, 2, 5, 10) if s * scale >= raw)


class QualityChart(QWidget):
    quant_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: list[QuantChoice] = []
        self.available_ram: int | None = None
        self.selected = ""
        self._points: dict[str, QPointF] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("What each quantization costs"))
        self.setMouseTracking(False)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(480, 230)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(240, 230)

    # -- what it shows ------------------------------------------------------------------

    def set_choices(
        self, choices: Sequence[QuantChoice], available_ram: int | None, selected: str = ""
    ) -> None:
        self.choices = list(choices)
        self.available_ram = available_ram
        self.selected = selected
        self.setAccessibleDescription(self.description())
        self.update()

    def set_selected(self, quant: str) -> None:
        self.selected = quant
        self.update()

    def describe(self, choice: QuantChoice) -> str:
        """One point in words: what the screen reader says and the tooltip shows."""
        text = self.tr("{quant}: about {needed} of memory needed, a {size} file").format(
            quant=choice.quant,
            needed=size_text(choice.needed_bytes),
            size=size_text(choice.file_bytes),
        )
        if choice.top1_agreement is None or choice.kl_mean is None:
            text += self.tr(", quality unknown until measured")
        else:
            figures = self.tr(
                ", same first token as the unquantized model {share} of the time, "
                "KL divergence {kl}"
            ).format(
                share=decimal(choice.top1_agreement * 100, 1) + " %",
                kl=QLocale().toString(choice.kl_mean, "g", 3),
            )
            text += figures + (
                self.tr(" (measured on this computer)")
                if choice.measured
                else self.tr(" (typical for a 7B Llama 2, published by llama.cpp)")
            )
        if choice.recommended:
            text += self.tr(", recommended for this computer")
        return text + "."

    def description(self) -> str:
        lines = [self.describe(c) for c in self.choices]
        if self.available_ram is not None:
            lines.append(
                self.tr("Memory available here: {free}.").format(free=size_text(self.available_ram))
            )
        return "\n".join(lines)

    # -- picking a point -----------------------------------------------------------------

    def _nearest(self, where: QPointF) -> str:
        best, distance = "", CLICK_DISTANCE
        for quant, point in self._points.items():
            gap = (point - where).manhattanLength()
            if gap <= distance:
                best, distance = quant, gap
        return best

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        quant = self._nearest(event.position())
        if quant:
            self.quant_clicked.emit(quant)
        super().mousePressEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            quant = self._nearest(QPointF(event.pos()))
            choice = next((c for c in self.choices if c.quant == quant), None)
            if choice is not None:
                QToolTip.showText(event.globalPos(), self.describe(choice), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    # -- drawing --------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        accent = palette.color(QPalette.ColorRole.Highlight)
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        painter.setFont(small)
        metrics = QFontMetrics(small)
        line = metrics.height()

        legend_height = self._legend(painter, metrics, text, muted, accent, draw=False)
        y_title = self.tr("Same first token as the unquantized model")
        x_title = self.tr("Memory needed here")
        left = metrics.horizontalAdvance("100,0 %") + 10
        plot = QRectF(
            left,
            line + 8,
            self.width() - left - 12,
            self.height() - (line + 8) - 2 * line - 10 - legend_height,
        )
        if plot.width() < 40 or plot.height() < 40 or not self.choices:
            return
        painter.setPen(text)
        painter.drawText(QRectF(0, 0, self.width(), line + 4), Qt.AlignmentFlag.AlignLeft, y_title)

        known = [c.top1_agreement for c in self.choices if c.top1_agreement is not None]
        y_low = max(0.0, min([*known, 0.9]) - 0.05)
        y_step = _nice_step(1.0 - y_low, 4)
        # Far more memory than the largest choice needs: the axis stays on the choices (a
        # small model would shrink into a corner) and the line leaves the chart.
        x_high = max(c.needed_bytes for c in self.choices) * 1.15
        ram = self.available_ram
        if ram is not None and ram < x_high * 1.5:
            x_high = max(x_high, ram * 1.08)
        elif ram is not None:
            ram = None
        # Choices close together (a small model, where the process itself weighs most): the
        # axis starts near them rather than at zero.
        lowest = min(c.needed_bytes for c in self.choices)
        x_low = lowest * 0.9 if lowest > x_high / 2 and ram is None else 0.0
        x_step = _nice_step((x_high - x_low) / GB, 4) * GB

        def x_of(count: float) -> float:
            return plot.left() + plot.width() * (count - x_low) / (x_high - x_low)

        def y_of(share: float) -> float:
            return plot.bottom() - plot.height() * (share - y_low) / (1.0 - y_low)

        if ram is not None:  # what does not fit, shaded
            shade = QColor(muted)
            shade.setAlpha(40)
            ram_x = x_of(ram)
            painter.fillRect(QRectF(ram_x, plot.top(), plot.right() - ram_x, plot.height()), shade)
        grid = QPen(muted, 0.5, Qt.PenStyle.DotLine)
        tick = y_low + (-y_low) % y_step
        while tick <= 1.0 + 1e-9:
            painter.setPen(grid)
            painter.drawLine(QPointF(plot.left(), y_of(tick)), QPointF(plot.right(), y_of(tick)))
            painter.setPen(text)
            painter.drawText(
                QRectF(0, y_of(tick) - line / 2, left - 6, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                QLocale().toString(tick * 100, "f", 0) + " %",
            )
            tick += y_step
        count = x_low - x_low % x_step + x_step
        while count < x_high:
            painter.setPen(grid)
            painter.drawLine(QPointF(x_of(count), plot.top()), QPointF(x_of(count), plot.bottom()))
            painter.setPen(text)
            painter.drawText(
                QRectF(x_of(count) - 40, plot.bottom() + 2, 80, line),
                Qt.AlignmentFlag.AlignHCenter,
                QLocale().formattedDataSize(
                    round(count), 0, QLocale.DataSizeFormat.DataSizeSIFormat
                ),
            )
            count += x_step
        painter.setPen(QPen(text, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.bottomLeft(), plot.topLeft())
        painter.drawText(
            QRectF(plot.left(), plot.bottom() + line + 2, plot.width(), line + 4),
            Qt.AlignmentFlag.AlignHCenter,
            x_title,
        )
        if self.available_ram is not None:
            free = self.tr("available: {free}").format(free=size_text(self.available_ram))
            width = metrics.horizontalAdvance(free + " →") + 4
            if ram is None:  # beyond the axis: said at its end
                free, at = free + " →", plot.right() - width
            else:
                ram_x = x_of(ram)
                painter.setPen(QPen(text, 1.5, Qt.PenStyle.DashLine))
                painter.drawLine(QPointF(ram_x, plot.top()), QPointF(ram_x, plot.bottom()))
                # At the foot of the line: the better choices sit at the top.
                at = ram_x - width - 4 if ram_x + width + 4 > plot.right() else ram_x + 4
            painter.setPen(text)
            painter.drawText(QRectF(at, plot.bottom() - line - 2, width, line), free)

        self._points = {}
        for choice in self.choices:
            share = choice.top1_agreement
            point = QPointF(
                x_of(choice.needed_bytes), y_of(share) if share is not None else plot.bottom()
            )
            self._points[choice.quant] = point
            selected = choice.quant == self.selected
            self._point(painter, choice, point, (text, muted, accent), selected=selected)
            label = QFont(small)
            label.setBold(selected)
            painter.setFont(label)
            painter.setPen(text if share is not None else muted)
            name = choice.quant + ("" if share is not None else " ?")
            width = QFontMetrics(label).horizontalAdvance(name) + 2
            at = point.x() - width / 2
            at = min(max(at, plot.left() + 2), plot.right() - width)
            painter.drawText(QRectF(at, point.y() - RADIUS - line - 4, width, line), name)
            painter.setFont(small)
        painter.translate(0, self.height() - legend_height)
        self._legend(painter, metrics, text, muted, accent, draw=True)
        painter.end()

    def _point(
        self,
        painter: QPainter,
        choice: QuantChoice,
        point: QPointF,
        colours: tuple[QColor, QColor, QColor],
        *,
        selected: bool,
    ) -> None:
        """Measured: a filled diamond; typical: a ring; unknown: a dashed ring on the axis."""
        text, muted, accent = colours
        radius = RADIUS + (1.5 if selected else 0)
        if choice.recommended:
            painter.setPen(QPen(accent, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(point, radius + 5, radius + 5)
        if choice.measured:
            painter.setPen(QPen(accent, 1))
            painter.setBrush(QBrush(accent))
            painter.drawPolygon(
                [
                    QPointF(point.x(), point.y() - radius - 1),
                    QPointF(point.x() + radius + 1, point.y()),
                    QPointF(point.x(), point.y() + radius + 1),
                    QPointF(point.x() - radius - 1, point.y()),
                ]
            )
        elif choice.top1_agreement is not None:
            painter.setPen(QPen(text, 1.5))
            painter.setBrush(QBrush(text) if selected else Qt.BrushStyle.NoBrush)
            painter.drawEllipse(point, radius, radius)
        else:
            painter.setPen(QPen(muted, 1.5, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(point, radius, radius)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _legend(
        self,
        painter: QPainter,
        metrics: QFontMetrics,
        text: QColor,
        muted: QColor,
        accent: QColor,
        *,
        draw: bool,
    ) -> int:
        """The legend's entries flowed onto as many lines as the width needs; its height."""
        entries = [
            ("typical", self.tr("typical (7B Llama 2, llama.cpp)")),
            ("measured", self.tr("measured here")),
            ("unknown", self.tr("not known yet")),
            ("recommended", self.tr("recommended")),
            ("ram", self.tr("available memory")),
        ]
        present = {
            "typical": any(not c.measured and c.top1_agreement is not None for c in self.choices),
            "measured": any(c.measured for c in self.choices),
            "unknown": any(c.top1_agreement is None for c in self.choices),
            "recommended": any(c.recommended for c in self.choices),
            "ram": self.available_ram is not None,
        }
        line = metrics.height() + 4
        x, y = 4.0, 2.0
        for kind, name in entries:
            if not present[kind]:
                continue
            width = 26 + metrics.horizontalAdvance(name) + 14
            if x + width > self.width() and x > 4:
                x, y = 4.0, y + line
            if draw:
                self._legend_mark(
                    painter, kind, QPointF(x + 11, y + line / 2 - 1), text, muted, accent
                )
                painter.setPen(text)
                painter.drawText(
                    QRectF(x + 26, y, width, line), Qt.AlignmentFlag.AlignVCenter, name
                )
            x += width
        return int(y + line + 2)

    def _legend_mark(
        self, painter: QPainter, kind: str, at: QPointF, text: QColor, muted: QColor, accent: QColor
    ) -> None:
        if kind == "ram":
            painter.setPen(QPen(text, 1.5, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(at.x(), at.y() - 6), QPointF(at.x(), at.y() + 6))
            return
        sample = QuantChoice(
            "",
            0,
            0,
            None if kind == "unknown" else 0.0,
            None if kind == "unknown" else 1.0,
            kind == "measured",
            kind == "recommended",
        )
        self._point(painter, sample, at, (text, muted, accent), selected=False)
