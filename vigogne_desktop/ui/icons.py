"""The message actions' small icons, drawn in the palette's colour so they read in the light
and the dark theme alike (QStyle has no copy, edit or regenerate icon; glyph fonts vary)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 16  # device-independent pixels
_SCALE = 3  # drawn at three times the size, so the icon stays sharp on scaled screens
_cache: dict[tuple[str, str], QIcon] = {}


def _copy(painter: QPainter) -> None:
    painter.drawRoundedRect(QRectF(5.5, 5.5, 8, 9), 1.5, 1.5)
    painter.drawPolyline(
        [QPointF(3, 11), QPointF(2.5, 11), QPointF(2.5, 2.5), QPointF(10.5, 2.5), QPointF(10.5, 3)]
    )


def _edit(painter: QPainter) -> None:
    painter.drawPolygon(
        [QPointF(3, 13), QPointF(3.5, 10.5), QPointF(11, 3), QPointF(13, 5), QPointF(5.5, 12.5)]
    )
    painter.drawLine(QPointF(9.5, 4.5), QPointF(11.5, 6.5))


def _regenerate(painter: QPainter) -> None:
    path = QPainterPath()
    path.arcMoveTo(QRectF(3, 3, 10, 10), 60)
    path.arcTo(QRectF(3, 3, 10, 10), 60, 270)
    painter.drawPath(path)
    painter.drawPolyline([QPointF(10.5, 1.8), QPointF(10.6, 4.7), QPointF(13.3, 4.2)])


def _done(painter: QPainter) -> None:
    painter.drawPolyline([QPointF(3, 8.5), QPointF(6.5, 12), QPointF(13, 4.5)])


_DRAWINGS = {"copy": _copy, "edit": _edit, "regenerate": _regenerate, "done": _done}


def action_icon(kind: str, colour: QColor) -> QIcon:
    """The icon `kind` ("copy", "edit", "regenerate", "done") drawn in `colour`."""
    key = (kind, colour.name())
    icon = _cache.get(key)
    if icon is None:
        pixmap = QPixmap(SIZE * _SCALE, SIZE * _SCALE)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(_SCALE, _SCALE)
        pen = QPen(colour, 1.4)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        _DRAWINGS[kind](painter)
        painter.end()
        pixmap.setDevicePixelRatio(_SCALE)
        icon = _cache[key] = QIcon(pixmap)
    return icon
