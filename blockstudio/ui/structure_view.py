"""The structure Keras saw in a run of your own class: sub-layer calls and ops, read-only.

Laid out like the canvas (columns by depth), one card per call: a layer called twice has two
cards with the same name. Clicking a card bands that layer's lane on the timeline.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
)

from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.layout import layered_layout

CARD_W, CARD_H = 172.0, 44.0
MIN_SCALE = 0.75
# by the structure's node kind; a weight of the block's own (self.gamma) in the build colour
COLORS = {
    "layer": "#3d7dd8",
    "op": "#b07cd8",
    "weight": "#e8a33d",
    "input": "#5f6368",
    "output": "#5f6368",
}


class _Card(QGraphicsItem):
    def __init__(self, node: dict[str, Any]) -> None:
        super().__init__()
        self.node = node
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setCursor(Qt.PointingHandCursor)
        batchless = node["kind"] == "weight" or node["class"] == "Range"  # no batch axis
        dims = node["shape"] if batchless else node["shape"][1:]
        shape = "×".join("?" if d is None else str(d) for d in dims)
        calls = f" · call {node['call'] + 1}" if node.get("call") else ""
        where = f"\nmade at {node['where']}" if node.get("where") else ""
        self.setToolTip(
            f"{node['layer']} ({node['class']}){calls}\noutput {tuple(node['shape'])}{where}"
        )
        self.title = QGraphicsSimpleTextItem(node["layer"], self)
        bold = QFont()
        bold.setBold(True)
        self.title.setFont(bold)
        self.title.setBrush(QColor("#e8eaed"))
        self.title.setPos(8, 4)
        sub = (
            f"{node['class']}{calls} · {shape}"
            if node["kind"] in ("layer", "op", "weight")
            else shape
        )
        self.sub = QGraphicsSimpleTextItem(sub, self)
        self.sub.setBrush(QColor("#9aa0a6"))
        self.sub.setPos(8, 23)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, CARD_W, CARD_H)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        accent = QColor(COLORS.get(self.node["kind"], COLORS["op"]))
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor("#ffd24a") if self.isSelected() else accent, 1.5))
        painter.setBrush(QBrush(QColor("#2b2d31")))
        painter.drawRoundedRect(self.boundingRect().adjusted(1, 1, -1, -1), 5, 5)
        painter.fillRect(QRectF(1, 1, 4, CARD_H - 2), accent)


class StructureView(QGraphicsView):
    """Read-only graph of ``trace.structure``; emits the layer name of a clicked card."""

    sigLayerClicked = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.scene().setBackgroundBrush(QColor("#1b1c1f"))
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.cards: dict[str, _Card] = {}
        self.problem = ""
        self.scene().selectionChanged.connect(self._selected)

    def set_structure(self, structure: dict[str, Any] | None) -> None:
        scene = self.scene()
        scene.clear()
        self.cards = {}
        self.problem = (structure or {}).get("problem", "")
        if not structure or not structure["nodes"]:
            text = scene.addSimpleText(
                f"Keras could not trace call() symbolically: {self.problem}"
                if self.problem
                else "No structure for this run."
            )
            text.setBrush(QColor("#9aa0a6"))
            return
        doc = Document(
            nodes=[Node(n["id"], n["class"], n["id"]) for n in structure["nodes"]],
            edges=[Edge(a, b, p) for a, b, p in structure["edges"]],
        )
        where = layered_layout(doc)
        for n in structure["nodes"]:
            card = _Card(n)
            x, y = where[n["id"]]
            card.setPos(x, y * 0.5)
            scene.addItem(card)
            self.cards[n["id"]] = card
        pen = QPen(QColor("#8e9297"), 1.4)
        for src, dst, _port in structure["edges"]:
            a = self.cards[src].pos() + QPointF(CARD_W, CARD_H / 2)
            b = self.cards[dst].pos() + QPointF(0, CARD_H / 2)
            path = QPainterPath(a)
            dx = max((b.x() - a.x()) * 0.5, 20)
            path.cubicTo(a + QPointF(dx, 0), b - QPointF(dx, 0), b)
            edge = QGraphicsPathItem(path)
            edge.setPen(pen)
            edge.setZValue(-1)
            scene.addItem(edge)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self.fit()

    def fit(self) -> None:
        """The whole graph in view if it fits at a readable size (75 % to 100 %); else readable,
        scrolled to the input (drag to pan)."""
        self.fitInView(self.sceneRect(), Qt.KeepAspectRatio)
        scale = self.transform().m11()
        if scale > 1.0 or scale < MIN_SCALE:
            self.resetTransform()
            if scale < MIN_SCALE:
                self.scale(MIN_SCALE, MIN_SCALE)
                self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.cards:
            self.fit()

    def _selected(self) -> None:
        chosen = [i for i in self.scene().selectedItems() if isinstance(i, _Card)]
        if len(chosen) == 1 and chosen[0].node["kind"] in ("layer", "op"):
            self.sigLayerClicked.emit(chosen[0].node["layer"])

    def card_center(self, node_id: str):
        """Where the card of ``node_id`` is in the viewport (for tests and tools)."""
        card = self.cards[node_id]
        return self.mapFromScene(card.sceneBoundingRect().center())
