"""The canvas's edges: a tensor drawn as a curve from an output port to an input port,
labelled with its shape. Like the cards, an edge only draws; the scene edits."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from blockstudio.ui.canvas_items import COMPACT, FAR, NodeItem


class EdgeItem(QGraphicsPathItem):
    """A tensor: a curve from an output port to an input port, labelled with its shape."""

    def __init__(self, src: NodeItem, dst: NodeItem, port: int, edge) -> None:
        super().__init__()
        self.src, self.dst, self.port, self.edge = src, dst, port, edge
        self.label = ""
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setPen(QPen(QColor("#8e9297"), 2))
        self.adjust()

    def endpoints(self) -> tuple[QPointF, QPointF]:
        a = self.src.output.scenePos() if self.src.output else self.src.scenePos()
        b = self.dst.input_port(self.port).scenePos()
        return a, b

    def adjust(self) -> None:
        self.prepareGeometryChange()
        a, b = self.endpoints()
        self._ends = (a, b)
        path = QPainterPath(a)
        dx = max(abs(b.x() - a.x()) * 0.5, 40)
        path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
        self.setPath(path)

    def set_label(self, text: str) -> None:
        self.label = text
        self.refresh_tooltip()
        self.update()

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-70, -20, 70, 20)

    def refresh_tooltip(self) -> None:
        self.setToolTip(f"tensor {self.label}" if self.label else "")

    def shape(self) -> QPainterPath:
        from PySide6.QtGui import QPainterPathStroker

        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        far = option.levelOfDetailFromTransform(painter.worldTransform()) < FAR
        color = QColor("#8ab4f8") if self.isSelected() else QColor("#8e9297")
        if far:  # a straight line reads the same at this size and costs far less
            painter.setPen(QPen(color, 0))
            painter.drawLine(*self._ends)
            return
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(color, 2.4 if self.isSelected() else 1.8))
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        a, b = self._ends
        long_enough = abs(b.x() - a.x()) + abs(b.y() - a.y()) > 12 + 6 * len(self.label)
        compact = option.levelOfDetailFromTransform(painter.worldTransform()) < COMPACT
        if self.label and long_enough and not compact:  # cards show the shapes when compact
            mid = self.path().pointAtPercent(0.5)
            font = QFont()
            font.setPointSizeF(7.5)
            painter.setFont(font)
            w = 8 + 5.6 * len(self.label)
            box = QRectF(mid.x() - w / 2, mid.y() - 9, w, 16)
            painter.setPen(Qt.NoPen)
            painter.setBrush(QBrush(QColor("#1e1f22")))
            painter.drawRoundedRect(box, 5, 5)
            painter.setPen(QColor("#c7c9cc"))
            painter.drawText(box, Qt.AlignCenter, self.label)
