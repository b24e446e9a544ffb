"""The canvas scene: mirrors the document and turns gestures into commands."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QGraphicsScene

from blockstudio.core import commands as c
from blockstudio.core.connect import connection_problem, occupant
from blockstudio.core.document import Edge, Node
from blockstudio.core.params import block_env
from blockstudio.core.repeat import RepeatError, repeat_count
from blockstudio.core.runs import ReplayMoved, RunEvent, RunModel, ScopeChanged, ShownChanged
from blockstudio.ui.canvas_edges import EdgeItem
from blockstudio.ui.canvas_items import (
    FAR,
    NODE_H,
    NODE_W,
    OVERVIEW,
    NodeItem,
    PortItem,
)
from blockstudio.ui.doc_model import DocumentModel, run_note
from blockstudio.ui.gestures import ConnectGesture, Gesture, MoveGesture, RubberBandGesture


class BlockScene(QGraphicsScene):
    """One item per node and edge; redraws from model signals only."""

    sigStatus = Signal(str)  # messages for the status bar (refused connections, ...)
    sigNodeActivated = Signal(str)

    def __init__(self, model: DocumentModel, runs: RunModel, parent=None) -> None:
        super().__init__(parent)
        self.model, self.runs = model, runs
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self.edges_of: dict[str, set[EdgeItem]] = {}  # node id → its edges, for cheap redraws
        self.gesture: Gesture | None = None  # the press-drag-release going on (Esc cancels)
        self.detailed = True
        self.overview = False
        self._overview_paths = None
        model.sigChanged.connect(self._forget_overview)
        self.setBackgroundBrush(QColor("#1b1c1f"))
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        model.sigAboutToReset.connect(self.clearSelection)  # no selection of the old ids
        model.sigReset.connect(self.rebuild)
        model.sigRefused.connect(lambda _why: self._later.start())  # cards back where they were
        model.sigNodeAdded.connect(self._add_node)
        model.sigNodeRemoved.connect(self._remove_node)
        model.sigNodeChanged.connect(self._node_changed)
        model.sigEdgeAdded.connect(self._add_edge)
        model.sigEdgeRemoved.connect(self._remove_edge)
        model.sigAnalysis.connect(self.refresh_analysis)
        model.sigChanged.connect(self.refresh_problems)
        model.sigChanged.connect(self.refresh_repeats)
        self._unsubscribe = runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        # a refused edit (a move in a read-only block) puts the cards back once the gesture's
        # handler is done, never inside it
        self._later = QTimer(self, singleShot=True, interval=0)
        self._later.timeout.connect(self._put_back)
        self.rebuild()

    def _put_back(self) -> None:
        """Every card where the document says (after a refused edit)."""
        for nid, item in self.nodes.items():
            node = self.model.doc.nodes.get(nid)
            if node is not None:
                item.update_from(node)
                self.node_moved(item)

    # -- mirroring --------------------------------------------------------------------------
    def rebuild(self) -> None:
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self.edges_of.clear()
        for nid in self.model.doc.nodes:
            self._add_node(nid)
        for edge in self.model.doc.edges:
            self._add_edge(edge)
        self.refresh_problems()
        self.refresh_repeats()
        self.refresh_analysis()
        self._show_run_states()

    def _on_run_event(self, event: RunEvent) -> None:
        if isinstance(event, ShownChanged | ReplayMoved | ScopeChanged):
            self._show_run_states()
            if not isinstance(event, ReplayMoved):
                self.refresh_problems()  # Keras's error of the run, on its node

    def _show_run_states(self) -> None:
        """Replay: each card's build state and weights so far, as the run model says."""
        states, weights = self.runs.node_states()
        for nid, item in self.nodes.items():
            state, count = states.get(nid, ""), weights.get(nid, 0)
            if (state, count) != (item.build_state, item.weight_count):
                item.build_state, item.weight_count = state, count
                item.update()

    def _add_node(self, nid: str) -> None:
        node = self.model.doc.nodes[nid]
        spec = self.model.catalog.get(node.kind)
        category = spec.category if spec else "other"
        item = NodeItem(node, category, spec.max_inputs if spec else 1)
        self.addItem(item)
        self.nodes[nid] = item
        item.refresh_tooltip()
        if spec is not None and spec.block is not None and spec.multi_input:
            inner = self.model.catalog.library.document(node.kind, self.model.catalog)
            for port, inp in zip(item.inputs, inner.input_nodes, strict=False):
                port.setToolTip(f"input {port.index}: {inp.name}")  # which is the skip
        if not self.detailed:
            for port in (*item.inputs, item.output):
                if port is not None:
                    port.setVisible(False)
        item.setVisible(not self.overview)

    def _remove_node(self, nid: str) -> None:
        self.edges_of.pop(nid, None)
        item = self.nodes.pop(nid, None)
        if item is not None:
            self.removeItem(item)

    def _node_changed(self, nid: str, _field: str = "") -> None:
        item = self.nodes.get(nid)
        if item is None:
            return
        item.update_from(self.model.doc.nodes[nid])
        self._sync_ports(nid)

    def _add_edge(self, edge: Edge) -> None:
        src, dst = self.nodes.get(edge.src), self.nodes.get(edge.dst)
        if src is None or dst is None:
            return
        item = EdgeItem(src, dst, edge.port, edge)
        self.addItem(item)
        self.edges[edge] = item
        self.edges_of.setdefault(edge.src, set()).add(item)
        self.edges_of.setdefault(edge.dst, set()).add(item)
        item.setVisible(not self.overview)
        self._sync_ports(edge.dst)
        self._label_edge(item)

    def _remove_edge(self, edge: Edge) -> None:
        item = self.edges.pop(edge, None)
        if item is not None:
            self.removeItem(item)
            for nid in (edge.src, edge.dst):
                self.edges_of.get(nid, set()).discard(item)
        if edge.dst in self.nodes:
            self._sync_ports(edge.dst)

    def _sync_ports(self, nid: str) -> None:
        mine = self.edges_of.get(nid, set())
        connected = {e.edge.port for e in mine if e.edge.dst == nid}
        item = self.nodes[nid]
        item.set_input_count(max(connected) + 1 if connected else 0)
        for e_item in mine:
            e_item.adjust()

    def _forget_overview(self) -> None:
        self._overview_paths = None
        if self.overview:
            self.update()

    def node_moved(self, item: NodeItem) -> None:
        for e_item in self.edges_of.get(item.node_id, ()):
            e_item.adjust()

    def _label_edge(self, item: EdgeItem) -> None:
        from blockstudio.core.shapes import format_shape

        shape = self.model.shapes.get(item.edge.src)
        item.set_label(format_shape(shape) if shape else "")

    def refresh_repeats(self) -> None:
        """Each repeated node's card says how many instances the block's values make now."""
        env = None
        for nid, item in self.nodes.items():
            node = self.model.doc.nodes.get(nid)
            text = ""
            if node is not None and node.repeat is not None:
                env = env if env is not None else self._values()
                text = f"  ×{_count(node, env)}"
            if text != item.repeat_text:
                item.repeat_text = text
                item.refresh_tooltip()
                item.update()

    def refresh_analysis(self) -> None:
        run_errors = self.runs.errors()
        for nid, item in self.nodes.items():
            node = self.model.doc.nodes.get(nid)
            if node is None:
                continue
            item.set_analysis(
                self.model.shapes.get(nid),
                self._params_text(node),
                self._problem_text(nid, run_errors),
                self.model.absent_reason.get(nid, ""),
            )
        for item in self.edges.values():
            self._label_edge(item)

    def refresh_problems(self) -> None:
        run_errors = self.runs.errors()
        for nid, item in self.nodes.items():
            text = self._problem_text(nid, run_errors)
            if text != item.problem_text:
                item.problem_text = text
                item.refresh_tooltip()
                item.update()

    def _problem_text(self, nid: str, run_errors: dict[str, str]) -> str:
        problems = [p.message for p in self.model.problems_of(nid) if p.severity == "error"]
        if nid in run_errors:
            note = run_note(self.model, self.runs, nid)
            problems.append(f"{run_errors[nid]} ({note})" if note else run_errors[nid])
        return "; ".join(problems)

    def _values(self) -> dict:
        context = self.model.context
        return block_env(self.model.doc, context[1] if context is not None else None)

    def _params_text(self, node: Node) -> str:
        """Keras's own parameter count for the node's layer (the engine builds it from shapes)."""
        count = self.model.param_counts.get(node.id)
        if count is None or node.kind in ("Input", "Output"):
            return ""
        return f"{count:,} params" if count else "no weights"

    # -- gestures ---------------------------------------------------------------------------
    def port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos, Qt.IntersectsItemShape, Qt.DescendingOrder, QTransform()):
            if isinstance(item, PortItem):
                return item
        return None

    def mousePressEvent(self, event) -> None:
        if self.gesture is not None:  # a second button during a gesture: ignore it
            event.accept()
            return
        pos = event.scenePos()
        port = self.port_at(pos)
        if port is not None and event.button() == Qt.LeftButton and port.is_output:
            self.gesture = ConnectGesture(self, port)
            event.accept()
            return
        before = self.selectedItems()
        super().mousePressEvent(event)
        if event.button() != Qt.LeftButton:
            return
        if self.mouseGrabberItem() is not None:
            self.gesture = MoveGesture(self)  # Qt moves the selected cards
        elif self.itemAt(pos, QTransform()) is None:
            add = bool(event.modifiers() & Qt.ControlModifier)
            self.gesture = RubberBandGesture(self, pos, before, add)
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        if isinstance(self.gesture, ConnectGesture | RubberBandGesture):
            self.gesture.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        gesture, self.gesture = self.gesture, None
        if isinstance(gesture, ConnectGesture | RubberBandGesture):
            gesture.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if gesture is not None:
            gesture.finish(event.scenePos())

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self.gesture is not None:
            gesture, self.gesture = self.gesture, None
            gesture.cancel()
            self.sigStatus.emit("Cancelled.")
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                # after this handler: opening a block replaces every item, this one included
                nid = item.node_id
                QTimer.singleShot(0, self, lambda n=nid: self.sigNodeActivated.emit(n))
                return
        super().mouseDoubleClickEvent(event)

    def connect_ports(self, src: str, dst: str, port: int) -> bool:
        """Connect if allowed, in place of an edge already on that input (one undo step);
        otherwise say why in the status bar."""
        doc = self.model.doc
        reason = connection_problem(doc, self.model.catalog, src, dst, port, replace=True)
        if reason is not None:
            self.sigStatus.emit(f"Cannot connect: {reason}")
            return False
        connect = c.Connect(doc, Edge(src, dst, port))
        old = occupant(doc, dst, port)
        if old is None:
            self.model.push(connect)
            return True
        names = doc.nodes[src].name, doc.nodes[dst].name, doc.nodes[old.src].name
        self.model.begin_macro(f"Connect {names[0]} → {names[1]} (instead of {names[2]})")
        self.model.push(c.Disconnect(doc, old))
        self.model.push(connect)
        self.model.end_macro()
        return True

    def set_detail(self, scale: float) -> None:
        """Fewer things to draw as the view zooms out.

        Ports show only when they can be aimed at; below ``OVERVIEW`` the items hide and the
        whole graph is drawn as two cached paths in one call (a thousand separate Python paint
        calls would take longer than a frame).
        """
        detailed, overview = scale >= FAR, scale < OVERVIEW
        if detailed != self.detailed:
            self.detailed = detailed
            for item in self.nodes.values():
                for port in (*item.inputs, item.output):
                    if port is not None:
                        port.setVisible(detailed)
        if overview != self.overview:
            self.overview = overview
            for item in [*self.nodes.values(), *self.edges.values()]:
                item.setVisible(not overview)
            self._overview_paths = None
            self.update()

    def drawForeground(self, painter, rect) -> None:
        if not self.overview:
            return
        if self._overview_paths is None:
            edges, cards = QPainterPath(), QPainterPath()
            for e_item in self.edges.values():
                a, b = e_item._ends
                edges.moveTo(a)
                edges.lineTo(b)
            for item in self.nodes.values():
                cards.addRect(item.sceneBoundingRect().adjusted(2, 12, -2, -4))
            self._overview_paths = (edges, cards)
        edges, cards = self._overview_paths
        painter.setPen(QPen(QColor("#8e9297"), 0))
        painter.drawPath(edges)
        painter.setPen(QPen(QColor("#3d7dd8"), 0))
        painter.setBrush(QColor("#2b2d31"))
        painter.drawPath(cards)

    def free_spot(self, centre: QPointF) -> QPointF:
        """The point nearest ``centre`` (on a grid around it) where a new card's rectangle
        overlaps no card: the centre of that rectangle."""
        cards = [item.sceneBoundingRect() for item in self.nodes.values()]
        step_x, step_y = NODE_W + 30, NODE_H + 30
        spots = [(0, 0)] + [
            (dx, dy)
            for ring in range(1, 8)
            for dx in range(-ring, ring + 1)
            for dy in range(-ring, ring + 1)
            if max(abs(dx), abs(dy)) == ring
        ]
        for dx, dy in sorted(spots, key=lambda d: (abs(d[0]) + abs(d[1]), d[1], d[0])):
            spot = QPointF(centre.x() + dx * step_x, centre.y() + dy * step_y)
            rect = QRectF(spot.x() - NODE_W / 2, spot.y() - NODE_H / 2, NODE_W, NODE_H)
            if not any(rect.adjusted(-10, -10, 10, 10).intersects(card) for card in cards):
                return spot
        return centre

    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_node(self, nid: str) -> None:
        self.clearSelection()
        item = self.nodes.get(nid)
        if item is not None:
            item.setSelected(True)


def _count(node: Node, env: dict) -> str:
    """How many instances ``node`` makes with the values ``env``, or ? (validation says why)."""
    try:
        return str(repeat_count(node, env))
    except RepeatError:
        return "?"
