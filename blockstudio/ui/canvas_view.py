"""The canvas view: zoom, fit, pan, rubber-band selection and drops from the palette."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsView

from blockstudio.ui.canvas_scene import BlockScene

KIND_MIME = "application/x-blockstudio-kind"
ZOOM_STEP = 1.15


class CanvasView(QGraphicsView):
    """Wheel zooms around the cursor, middle button pans, left drag on empty space selects."""

    sigDropKind = Signal(str, QPointF)  # kind, scene position

    def __init__(self, scene: BlockScene, parent=None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.NoDrag)  # the scene's rubber-band gesture selects
        self._kind_drag = False  # a drag from the palette is over the canvas
        # as in node editors: pan with the middle button, zoom with the wheel, Ctrl+0 fits;
        # scroll bars would only take room from the graph (and shrink what fit_all can show)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setOptimizationFlags(
            QGraphicsView.DontSavePainterState | QGraphicsView.DontAdjustForAntialiasing
        )
        self.setAcceptDrops(True)
        self.setMinimumSize(400, 300)
        self._panning: QPointF | None = None

    def zoom(self, steps: float) -> None:
        factor = ZOOM_STEP**steps
        current = self.transform().m11()
        if not 0.05 <= current * factor <= 5:
            return
        self.scale(factor, factor)
        self._detail_changed()

    def _detail_changed(self) -> None:
        self.scene().set_detail(self.transform().m11())

    def resetTransform(self) -> None:
        super().resetTransform()
        self._detail_changed()

    def fit_all(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-40, -40, 40, 40)
        if rect.isValid():
            # the scroll range around this document: the scene's own rectangle only grows (it
            # still holds the last document's extent) and is updated late, so centring a new,
            # smaller document could stop short and cut its first card off
            self.setSceneRect(rect.adjusted(-4000, -4000, 4000, 4000))
            self.fitInView(rect, Qt.KeepAspectRatio)
            if self.transform().m11() > 1.2:  # a small graph should not be blown up
                self.resetTransform()
                self.scale(1.2, 1.2)
                self.centerOn(rect.center())
            self._detail_changed()

    def wheelEvent(self, event) -> None:
        self.zoom(event.angleDelta().y() / 120)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MiddleButton:
            self._panning = event.position()
            self.setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._panning is not None and event.button() == Qt.MiddleButton:
            self._panning = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # -- drops from the palette -------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        self._kind_drag = event.mimeData().hasFormat(KIND_MIME)
        if self._kind_drag:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragLeaveEvent(self, event) -> None:
        # a palette drag never reached QGraphicsView's own dragEnterEvent: its leave must not
        # either ("drag leave received before drag enter")
        if self._kind_drag:
            self._kind_drag = False
            event.accept()
        else:
            super().dragLeaveEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        if event.mimeData().hasFormat(KIND_MIME):
            kind = bytes(event.mimeData().data(KIND_MIME)).decode("utf-8")
            self.sigDropKind.emit(kind, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            super().dropEvent(event)
