"""Canvas gestures as small objects: connect two ports, move nodes, select with a rubber band.

The scene starts one on a mouse press, feeds it moves, and asks it to finish on release; Esc
cancels it and leaves the document and the selection as they were before the press. A finished
gesture becomes at most one command (one undo step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem

from blockstudio.core import commands as c
from blockstudio.core.connect import connection_problem
from blockstudio.ui.canvas_items import PortItem

if TYPE_CHECKING:
    from blockstudio.ui.canvas_scene import BlockScene


class Gesture:
    """One press-drag-release on the canvas."""

    def move(self, pos: QPointF) -> None:
        pass

    def finish(self, pos: QPointF) -> None:
        pass

    def cancel(self) -> None:
        pass


class ConnectGesture(Gesture):
    """Drag from an output port; valid input ports light up; release on one to connect."""

    def __init__(self, scene: BlockScene, port: PortItem) -> None:
        self.scene, self.port = scene, port
        self.path = QGraphicsPathItem()
        self.path.setPen(QPen(QColor("#ffd24a"), 2, Qt.DashLine))
        self.path.setZValue(5)
        scene.addItem(self.path)
        src = port.node_item.node_id
        model = scene.model
        for item in scene.nodes.values():
            for target in item.inputs:
                problem = connection_problem(
                    model.doc, model.catalog, src, item.node_id, target.index, replace=True
                )
                target.highlight = "valid" if problem is None else None
                target.update()

    def move(self, pos: QPointF) -> None:
        a = self.port.scenePos()
        path = QPainterPath(a)
        dx = max(abs(pos.x() - a.x()) * 0.5, 40)
        path.cubicTo(a + QPointF(dx, 0), pos - QPointF(dx, 0), pos)
        self.path.setPath(path)

    def finish(self, pos: QPointF) -> None:
        self.cancel()
        target = self.scene.port_at(pos)
        if target is None or target.is_output:
            return
        src = self.port.node_item.node_id
        self.scene.connect_ports(src, target.node_item.node_id, target.index)

    def cancel(self) -> None:
        if self.path.scene() is not None:
            self.scene.removeItem(self.path)
        for item in self.scene.nodes.values():
            for target in item.inputs:
                target.highlight = None
                target.update()


class MoveGesture(Gesture):
    """Qt drags the selected cards; on release the whole move is one MoveNodes command."""

    def __init__(self, scene: BlockScene) -> None:
        self.scene = scene
        # every card, not only the selected ones: with Ctrl held, Qt settles the selection on
        # release, so the card under the hand may move without being selected at the press
        self.start = {nid: item.pos() for nid, item in scene.nodes.items()}

    def finish(self, pos: QPointF) -> None:
        moved = {
            nid: (item.pos().x(), item.pos().y())
            for nid, item in self.scene.nodes.items()
            if nid in self.start and item.pos() != self.start[nid]
        }
        if moved:
            self.scene.model.push(c.MoveNodes(self.scene.model.doc, moved))

    def cancel(self) -> None:
        grabber = self.scene.mouseGrabberItem()
        if grabber is not None:
            grabber.ungrabMouse()  # Qt stops dragging the cards
        for nid, pos in self.start.items():
            item = self.scene.nodes.get(nid)
            if item is not None:
                item.setPos(pos)


class RubberBandGesture(Gesture):
    """Drag on empty canvas: select the cards the rectangle touches (Ctrl adds to the selection)."""

    def __init__(self, scene: BlockScene, pos: QPointF, before: list, add: bool) -> None:
        self.scene, self.origin = scene, pos
        self.before = before  # the selection before the press, for Esc
        self.add = add
        if not add:
            scene.clearSelection()
        self.rect = QGraphicsRectItem()
        self.rect.setPen(QPen(QColor("#8ab4f8"), 0, Qt.DashLine))
        self.rect.setBrush(QColor(138, 180, 248, 40))
        self.rect.setZValue(10)
        scene.addItem(self.rect)

    def move(self, pos: QPointF) -> None:
        area = QRectF(self.origin, pos).normalized()
        self.rect.setRect(area)
        path = QPainterPath()
        path.addRect(area)
        self.scene.setSelectionArea(path, Qt.ReplaceSelection, Qt.IntersectsItemShape)
        if self.add:
            for item in self.before:
                item.setSelected(True)

    def finish(self, pos: QPointF) -> None:
        self.scene.removeItem(self.rect)

    def cancel(self) -> None:
        self.scene.removeItem(self.rect)
        self.scene.clearSelection()
        for item in self.before:
            item.setSelected(True)
