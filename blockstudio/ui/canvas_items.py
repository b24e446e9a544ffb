"""Graphics items of the canvas: nodes with ports and badges (edges: ``canvas_edges``).

Items only draw; they never change the document. The scene turns gestures into commands.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject

from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Node
from blockstudio.core.library import BLOCKS_CATEGORY, kind_title
from blockstudio.core.shapes import format_shape
from blockstudio.core.sources import SOURCE_KINDS

NODE_W, NODE_H = 178.0, 70.0
PORT_R = 6.0
CATEGORY_COLORS = {
    "generic": "#3d7dd8",
    "convolution": "#3d7dd8",
    "normalization": "#2e9e6a",
    "activation": "#d98c2b",
    "merge": "#8a5cc7",
    "regularization": "#7a8794",
    "pooling": "#1f9bb0",
    "reshaping": "#b0641f",
    "io": "#4a4f57",
    "core": "#c7476b",
    BLOCKS_CATEGORY: "#12a39a",
}
OVERVIEW = 0.15  # below this zoom the scene draws the graph as two paths instead of items
FAR = 0.3  # below this zoom, cards are drawn without text and ports are hidden
COMPACT = 0.95  # below this zoom, cards show name and shape in text of a fixed screen size
NAME_PX, SHAPE_PX = 12.0, 11.0  # on-screen text sizes in compact cards (>= 10 px, readable)
BUILD_STATE_COLORS = {"building": "#f2b632", "built": "#34b36b"}


class PortItem(QGraphicsItem):
    """An input (``index`` ≥ 0) or output (``index`` = -1) port of a node."""

    def __init__(self, node_item: NodeItem, index: int) -> None:
        super().__init__(node_item)
        self.node_item, self.index = node_item, index
        self.highlight: str | None = None  # None | "valid" | "hover"
        self.setAcceptHoverEvents(True)
        self.setZValue(2)

    @property
    def is_output(self) -> bool:
        return self.index < 0

    def boundingRect(self) -> QRectF:
        r = PORT_R + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        color = QColor("#e8eaed")
        if self.highlight == "valid":
            color = QColor("#5bd38a")
        elif self.highlight == "hover":
            color = QColor("#ffd24a")
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor("#202124"), 1.5))
        painter.setBrush(color)
        r = PORT_R + (2 if self.highlight else 0)
        painter.drawEllipse(QPointF(0, 0), r, r)

    def hoverEnterEvent(self, event) -> None:
        self.setCursor(Qt.CrossCursor)
        super().hoverEnterEvent(event)


class NodeItem(QGraphicsObject):
    """A node card: kind, name, output shape, parameter count, badges and ports."""

    def __init__(self, node: Node, category: str, max_inputs: int | None) -> None:
        super().__init__()
        self.node_id = node.id
        self.category = category
        self.max_inputs = max_inputs
        self.name, self.kind = node.name, node.kind
        self.lifecycle, self.condition, self.shares = node.lifecycle, node.condition, node.shares
        self.shape_text = ""
        self.repeat_text = ""  # "×4": how many instances a repeated node makes now
        self.params_text = ""
        self.problem_text = ""
        self.absent_reason = ""
        self.build_state = ""  # "", "building", "built" (replay in the timeline)
        self.weight_count = 0
        self.lane_highlight = False
        self.inputs: list[PortItem] = []
        self.output: PortItem | None = None
        self.setFlags(
            QGraphicsItem.ItemIsMovable
            | QGraphicsItem.ItemIsSelectable
            | QGraphicsItem.ItemSendsGeometryChanges
        )
        # no item cache: zoom steps would re-render every cached pixmap (slower at 1,000 nodes)
        self.setPos(*node.position)
        if node.kind != OUTPUT_KIND:
            self.output = PortItem(self, -1)
            self.output.setPos(NODE_W, NODE_H / 2)
        self.set_input_count(0 if node.kind in (INPUT_KIND, *SOURCE_KINDS) else 1)

    def set_input_count(self, connected: int) -> None:
        """Show one port per connected input, plus a free one where the kind takes more."""
        if self.kind == INPUT_KIND or self.kind in SOURCE_KINDS:
            wanted = 0  # fed by nothing: the Input, a weight of the block's own, a range
        elif self.max_inputs is None:
            wanted = max(connected + 1, 2)
        else:
            wanted = max(self.max_inputs, 1)
        while len(self.inputs) < wanted:
            self.inputs.append(PortItem(self, len(self.inputs)))
        while len(self.inputs) > wanted:
            port = self.inputs.pop()
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        for i, port in enumerate(self.inputs):
            port.setPos(0, NODE_H * (i + 1) / (len(self.inputs) + 1))

    def input_port(self, index: int) -> PortItem:
        if index >= len(self.inputs):
            self.set_input_count(index + 1)
        return self.inputs[min(index, len(self.inputs) - 1)]

    def update_from(self, node: Node) -> None:
        self.name, self.kind = node.name, node.kind
        self.lifecycle, self.condition, self.shares = node.lifecycle, node.condition, node.shares
        if self.pos() != QPointF(*node.position):
            self.setPos(*node.position)
        self.refresh_tooltip()
        self.update()

    def set_analysis(self, shape, params: str, problem: str, absent_reason: str) -> None:
        self.shape_text = format_shape(shape) if shape is not None else "shape unknown"
        self.params_text, self.problem_text, self.absent_reason = params, problem, absent_reason
        self.setOpacity(0.45 if absent_reason else 1.0)
        self.refresh_tooltip()
        self.update()

    def refresh_tooltip(self) -> None:
        lines = [f"<b>{self.name}</b>{self.repeat_text} — {kind_title(self.kind)}"]
        if self.shape_text:
            lines.append(f"output {self.shape_text}")
        if self.condition:
            lines.append(f"only if <code>{self.condition}</code>")
        if self.absent_reason:
            lines.append(f"<i>{self.absent_reason}; acts as identity</i>")
        if self.shares:
            lines.append("calls another node's layer again")
        if self.problem_text:
            lines.append(f"<span style='color:#d93025'>{self.problem_text}</span>")
        self.setToolTip("<br>".join(lines))

    _compact_cache: tuple | None = None  # (zoom, name, shape) → compact_text's result

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -12, NODE_W + 8, NODE_H + 18)  # room for a block's stacked card

    def paint(self, painter: QPainter, option, widget=None) -> None:
        rect = QRectF(0, 0, NODE_W, NODE_H)
        accent = QColor(CATEGORY_COLORS.get(self.category, "#5f6368"))
        if option.levelOfDetailFromTransform(painter.worldTransform()) < FAR:
            # zoomed far out: a plain card in the category colour; text would be unreadable
            painter.setPen(QPen(QColor("#f28b82") if self.problem_text else accent, 0))
            painter.setBrush(QColor("#2b2d31"))
            painter.drawRect(rect)
            return
        painter.setRenderHint(QPainter.Antialiasing)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < COMPACT:
            self._paint_compact(painter, rect, accent, lod)
            return
        self._frame(painter, rect, accent, 2.2 if (self.isSelected() or self.problem_text) else 1.2)
        title = QFont()
        title.setPointSizeF(9.5)
        title.setBold(True)
        painter.setFont(title)
        painter.setPen(QColor("#e8eaed"))
        name = self.name + ("  ↺" if self.shares else "")
        room = self._badges_left() - 18  # the name stops before the badges, elided if long
        name = painter.fontMetrics().elidedText(name, Qt.ElideRight, int(room))
        painter.drawText(QRectF(14, 5, room, 18), Qt.AlignLeft | Qt.AlignVCenter, name)
        small = QFont()
        small.setPointSizeF(8)
        painter.setFont(small)
        painter.setPen(QColor("#9aa0a6"))
        kind_w = NODE_W - 20 - (22 + 6 * len(self.repeat_text.strip()) if self.repeat_text else 0)
        kind = painter.fontMetrics().elidedText(kind_title(self.kind), Qt.ElideRight, int(kind_w))
        painter.drawText(QRectF(14, 23, kind_w, 16), Qt.AlignLeft | Qt.AlignVCenter, kind)
        painter.setPen(QColor("#c7c9cc"))
        painter.drawText(
            QRectF(14, 40, NODE_W - 20, 14), Qt.AlignLeft | Qt.AlignVCenter, self.shape_text
        )
        footer = self.params_text
        if self.build_state and self.weight_count:
            footer = f"{self.weight_count} weight(s) created"
        painter.setPen(QColor("#9aa0a6"))
        painter.drawText(QRectF(14, 54, NODE_W - 20, 14), Qt.AlignLeft | Qt.AlignVCenter, footer)
        self._paint_badges(painter, small)

    def _frame(
        self, painter: QPainter, rect: QRectF, accent: QColor, width: float, strip_w: float = 6
    ) -> None:
        """The card: body by build state, border by selection / lane / problem, category strip."""
        body = QColor("#2b2d31")
        if self.build_state:
            body = QColor(BUILD_STATE_COLORS[self.build_state]).darker(260)
        border = QColor("#8ab4f8") if self.isSelected() else QColor("#44474c")
        if self.lane_highlight:
            border = QColor("#ffd24a")
        if self.problem_text:
            border = QColor("#f28b82")
        pen = QPen(border, width)
        if self.absent_reason:
            pen.setStyle(Qt.DashLine)
        if self.category == BLOCKS_CATEGORY:  # a block: a stack of cards, it holds more inside
            painter.setPen(QPen(QColor("#44474c"), 1.2))
            painter.setBrush(body.darker(130))
            painter.drawRoundedRect(rect.translated(4, 4), 8, 8)
        painter.setPen(pen)
        painter.setBrush(body)
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(Qt.NoPen)
        painter.setBrush(accent)
        strip = QPainterPath()
        strip.addRoundedRect(QRectF(0, 0, strip_w, NODE_H), 3, 3)
        painter.drawPath(strip)

    def _paint_compact(self, painter: QPainter, rect: QRectF, accent: QColor, lod: float) -> None:
        """Zoomed out to see a whole block: name and shape only, in text that stays readable.

        Text is sized in screen pixels (NAME_PX, SHAPE_PX) and shrinks only if the card is too
        narrow; the shape drops the batch axis (``64×64×32``), the full one is in the tooltip.
        """
        pen = 1.5 / lod if self.isSelected() else 1.0 / lod
        self._frame(painter, rect, accent, pen, strip_w=6 / max(lod, 0.5))
        (title, name), (small, shape), pad, width = self.compact_text(lod)
        dim = bool(self.absent_reason)
        painter.setFont(title)
        painter.setPen(QColor("#9aa0a6" if dim else "#e8eaed"))
        half = NODE_H / 2
        painter.drawText(QRectF(pad, 2, width, half - 1), Qt.AlignLeft | Qt.AlignBottom, name)
        painter.setFont(small)
        painter.setPen(QColor("#80868b" if dim else "#c7c9cc"))
        painter.drawText(QRectF(pad, half + 1, width, half - 3), Qt.AlignLeft | Qt.AlignTop, shape)

    def compact_text(self, lod: float) -> tuple[tuple[QFont, str], tuple[QFont, str], float, float]:
        """Fonts and texts of a compact card at zoom ``lod``: (name), (shape), padding, width.

        Kept per card for the last zoom and texts: measuring text is the cost of a repaint.
        """
        key = (lod, self.name, self.shape_text, self.repeat_text)
        if self._compact_cache is not None and self._compact_cache[0] == key:
            return self._compact_cache[1]
        pad = 8 / lod if lod > 0.6 else 10
        width = NODE_W - pad - 4
        # the ↺ of a shared layer shows when zoomed in (and in the tooltip); ×N always
        name = self.name + self.repeat_text
        shape = compact_shape(self.shape_text)
        title = QFont()
        title.setBold(True)
        _fit_font(title, NAME_PX / lod, name, width)
        small = QFont()
        _fit_font(small, SHAPE_PX / lod, shape, width)
        result = (title, name), (small, shape), pad, width
        self._compact_cache = (key, result)
        return result

    def _badges(self) -> list[tuple[str, str]]:
        """(text, colour) of the card's badges beside its name, left to right: lifecycle, if."""
        badges: list[tuple[str, str]] = []
        if self.kind not in (INPUT_KIND, OUTPUT_KIND):
            badges.append((self.lifecycle, "#5f6368" if self.lifecycle == "init" else "#b06d1f"))
        if self.condition:
            badges.append(("if", "#7e57c2"))
        return badges

    def _badges_left(self) -> float:
        """Where the leftmost badge starts (the name's room ends there)."""
        x = NODE_W - 6
        for text, _color in self._badges():
            x -= 10 + 6 * len(text) + 4
        return x

    def _paint_badges(self, painter: QPainter, font: QFont) -> None:
        badges = self._badges()
        painter.setFont(font)
        x = NODE_W - 6
        for text, color in reversed(badges):
            w = 10 + 6 * len(text)
            x -= w
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(color))
            painter.drawRoundedRect(QRectF(x, 6, w, 15), 7, 7)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(QRectF(x, 6, w, 15), Qt.AlignCenter, text)
            x -= 4
        if self.repeat_text:  # ×N on the kind's line: how many instances the values make now
            text = self.repeat_text.strip()
            w = 10 + 6 * len(text)
            box = QRectF(NODE_W - 14 - w, 24, w, 15)  # clear of the output port
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor("#00897b"))
            painter.drawRoundedRect(box, 7, 7)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, Qt.AlignCenter, text)
        if self.problem_text:
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor("#d93025"))
            painter.drawEllipse(QPointF(NODE_W - 2, -2), 8, 8)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(QRectF(NODE_W - 10, -10, 16, 16), Qt.AlignCenter, "!")

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionHasChanged and self.scene() is not None:
            self.scene().node_moved(self)
        return super().itemChange(change, value)


def compact_shape(text: str) -> str:
    """``(None, 64, 64, 32)`` → ``64×64×32``: the per-sample shape, short enough for a card."""
    inner = text.strip().strip("()")
    parts = [p.strip() for p in inner.split(",") if p.strip()]
    if parts and parts[0] == "None":
        parts = parts[1:]
    return "×".join(parts) if parts and all(p.isdigit() or p == "None" for p in parts) else text


def _fit_font(font: QFont, px: float, text: str, width: float) -> None:
    """Set ``font`` to ``px`` pixels, or smaller so that ``text`` fits ``width``."""
    from PySide6.QtGui import QFontMetricsF

    font.setPixelSize(max(1, round(px)))
    wide = QFontMetricsF(font).horizontalAdvance(text)
    if wide > width > 0:
        font.setPixelSize(max(1, int(px * width / wide)))
