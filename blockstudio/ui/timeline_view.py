"""The timeline (pyqtgraph): a flame chart of calls, builds and constructs, with weight markers,
errors in red, and the cumulative parameter count below it."""

from __future__ import annotations

import bisect
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from blockstudio.core.timeline import (
    Lane,
    TimelineLayout,
    layout_trace,
    nested_blocks,
    step_points,
)
from blockstudio.core.trace import Trace
from blockstudio.core.trace_text import call_note, event_line

SPAN_STYLE = {"call": ("#3d7dd8", 0.8), "build": ("#f2a93b", 0.55), "construct": ("#5f6368", 0.3)}
MARK_STYLE = {
    "weight": ("o", "#34b36b", 9),
    "construct_init": ("t", "#8ab4f8", 11),
    "construct_build": ("t", "#f2a93b", 11),
    "construct_other": ("t", "#9aa0a6", 9),
    "error": ("x", "#f28b82", 14),
}
NOTE_COLOR = {"failed": "#ffd7d3", "no build": "#e8f0fe", "built": "#e8f0fe"}


class TimelineView(QWidget):
    """Draws one trace; emits ``sigEventClicked(event index)``."""

    sigEventClicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, background="#1b1c1f", foreground="#c7c9cc")
        self.order_box = QCheckBox("Event order (equal spacing)")
        self.fold_box = QCheckBox("Fold blocks")
        self.fold_box.setToolTip(
            "Draw the layers inside each block node on the block's own lane; double-click a "
            "block's lane to fold or unfold just that one"
        )
        self.fold_box.setVisible(False)
        self.folded: set[str] = set()
        self._last_click: tuple[int, float] | None = None  # lane and time of the last click
        self._blocks: set[str] = set()
        self.info = QLabel()
        self.info.setStyleSheet("color: #9aa0a6;")
        top = QHBoxLayout()
        top.addWidget(self.order_box)
        top.addWidget(self.fold_box)
        top.addStretch(1)
        top.addWidget(self.info)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.invertY(True)
        self.plot.getViewBox().setMouseMode(pg.ViewBox.PanMode)
        self.plot.getViewBox().setLimits(yMin=-1)
        self.params_plot = pg.PlotWidget()
        self.params_plot.setMaximumHeight(90)
        self.plot.setMinimumHeight(160)
        self.params_plot.setMenuEnabled(False)
        self.params_plot.setXLink(self.plot)
        self.params_plot.setLabel("left", "params")
        self.params_plot.getViewBox().setMouseEnabled(y=False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.params_plot)
        self.playhead = pg.InfiniteLine(angle=90, pen=pg.mkPen("#ffd24a", width=1.5))
        self.playhead.setVisible(False)
        self.plot.addItem(self.playhead, ignoreBounds=True)
        self.highlighted: str | None = None  # the layer whose lane is banded
        self.highlight = pg.LinearRegionItem(
            orientation="horizontal", movable=False, brush=pg.mkBrush(255, 210, 74, 40)
        )
        self.highlight.setVisible(False)
        self.plot.addItem(self.highlight, ignoreBounds=True)
        self.trace: Trace | None = None
        self.layout_: TimelineLayout | None = None
        self.items: dict[str, pg.GraphicsObject] = {}
        # lanes shared with another run beside it (core.timeline.shared_lanes): each layer on
        # the same row in both, an empty row where this run lacks one
        self.lane_order: list[Lane] | None = None
        # what each call of the block did, written on its span: (event index, text, item)
        self.notes: list[tuple[int, str, pg.TextItem]] = []
        self._note_room: list[float | None] = []  # where the next call starts (None: last)
        self._lane_x: dict[int, tuple[list[float], list[int]]] = {}
        self.order_box.toggled.connect(lambda _: self.set_trace(self.trace))
        self.fold_box.clicked.connect(self._fold_all)
        self.plot.scene().sigMouseMoved.connect(self._hover)
        self.plot.scene().sigMouseClicked.connect(self._click)
        self.plot.getViewBox().sigXRangeChanged.connect(lambda *_: self._fit_notes())
        self.plot.setLabel("bottom", "time", units="ms")

    # -- drawing ----------------------------------------------------------------------------
    def set_trace(self, trace: Trace | None) -> None:
        for item in self.items.values():
            self.plot.removeItem(item)
        for _i, _text, item in self.notes:
            self.plot.removeItem(item)
        self.items, self.notes = {}, []
        self.params_plot.clear()
        self.trace = trace
        if trace is None or not trace.events:
            self.layout_ = None
            self.info.setText("Press Run (F5) to build the block and watch Keras work.")
            return
        order = self.order_box.isChecked()
        blocks = nested_blocks(trace)
        if blocks != self._blocks:  # another block: its nested blocks start folded
            self._blocks, self.folded = blocks, set(blocks)
        self.fold_box.setVisible(bool(blocks))
        self.fold_box.setChecked(bool(blocks) and self.folded == blocks)
        lay = self.layout_ = layout_trace(trace, order, self.folded, self.lane_order)
        self.plot.setLabel("bottom", "event" if order else "time", units=None if order else "ms")
        x, w, lane = np.array(lay.x), np.array(lay.width), np.array(lay.lane, dtype=float)
        types = np.array([e.type for e in trace.events])
        for kind, (color, height) in SPAN_STYLE.items():
            mask = (types == kind) & (w > 0) if not order else (types == kind)
            if kind == "construct":
                mask &= np.array([e.dur is not None for e in trace.events])
            if not mask.any():
                continue
            widths = np.maximum(w[mask], 1e-4 if not order else 0.9)
            bars = pg.BarGraphItem(
                x0=x[mask],
                width=widths,
                y=lane[mask],
                height=height,
                brush=pg.mkBrush(color),
                pen=pg.mkPen(None),
            )
            self.plot.addItem(bars)
            self.items[f"span_{kind}"] = bars
        failed = np.array([bool(e.data.get("failed")) for e in trace.events])
        if failed.any():
            bars = pg.BarGraphItem(
                x0=x[failed],
                width=np.maximum(w[failed], 1e-4),
                y=lane[failed],
                height=0.8,
                brush=pg.mkBrush("#a33a32"),
                pen=pg.mkPen(None),
            )
            self.plot.addItem(bars)
            self.items["span_failed"] = bars
        for key, (symbol, color, size) in MARK_STYLE.items():
            idx = [i for i, e in enumerate(trace.events) if _mark_key(e) == key]
            if not idx:
                continue
            scatter = pg.ScatterPlotItem(
                x=x[idx],
                y=lane[idx],
                symbol=symbol,
                size=size,
                brush=pg.mkBrush(color),
                pen=pg.mkPen("#111111"),
            )
            self.plot.addItem(scatter)
            self.items[f"mark_{key}"] = scatter
        # label every lane when they fit; on huge traces every k-th (text is costly to redraw)
        every = max(1, len(lay.lanes) // 40)
        ticks = [
            (i, ("  " * ln.depth) + _fold_mark(ln) + ln.layer.rpartition("/")[2])
            for i, ln in enumerate(lay.lanes)
            if i % every == 0
        ]
        self.plot.getAxis("left").setTicks([ticks, []])
        # the count jumps at each weight and stays flat between them
        cx, cy = step_points(lay.cumulative)
        self.params_plot.plot(cx, cy, pen=pg.mkPen("#34b36b", width=2))
        self._add_notes()
        self._fit_lanes()
        # room on the right for the last call's note ("failed" on a call Keras refused)
        self.plot.setXRange(0, max(cx[-1], 1e-3) * 1.1, padding=0.02)
        self._lane_x = {}
        for i, ln in enumerate(lay.lane):
            xs, ids = self._lane_x.setdefault(ln, ([], []))
            xs.append(lay.x[i])
            ids.append(i)
        calls = len(trace.top_calls())
        self.info.setText(
            f"{len(trace.events)} events · {calls} call(s) · "
            f"{len(trace.weights)} weights · {trace.total_params:,} params"
        )

    def _add_notes(self) -> None:
        """Say on each call of the block what it built ("no build: already built", "failed"):
        the answer to "is build() called on every call?" should not need a hover."""
        lay = self.layout_
        for i, e in enumerate(self.trace.events):
            if e.type != "call" or not e.data.get("top"):
                continue
            text = call_note(e)
            color = next(c for key, c in NOTE_COLOR.items() if text.startswith(key))
            item = pg.TextItem("", color=color, anchor=(0, 0.5), fill=pg.mkBrush(0, 0, 0, 90))
            item.setPos(lay.x[i], lay.lane[i])
            self.plot.addItem(item, ignoreBounds=True)
            self.notes.append((i, text, item))
        # a note may run past a short span up to the next call (the lane is empty there)
        starts = [lay.x[i] for i, _text, _item in self.notes]
        self._note_room = [*starts[1:], None]
        self._fit_notes()

    def _fit_notes(self) -> None:
        """Each note as long as there is room on screen before the next call: the whole note,
        its first words, or nothing (never text running over the next call)."""
        if not self.notes or self.layout_ is None:
            return
        view = self.plot.getViewBox()
        (x0, x1), width_px = view.viewRange()[0], view.width()
        per_unit = width_px / (x1 - x0) if x1 > x0 and width_px > 0 else 0.0
        metrics = QFontMetrics(self.notes[0][2].textItem.font())
        for (i, text, item), until in zip(self.notes, self._note_room, strict=True):
            x = self.layout_.x[i]
            end = max(x + self.layout_.width[i], until if until is not None else x1)
            room = (min(end, x1) - x) * per_unit - 8  # the text item's own margins
            fits = next((t for t in _shorter(text) if metrics.horizontalAdvance(t) <= room), "")
            if item.toPlainText() != fits:
                item.setText(fits)
            item.setVisible(bool(fits))

    def _fit_lanes(self) -> None:
        """Show as many lanes as are readable (about 16 px each) from the top; drag the plot
        to scroll through the rest."""
        if self.layout_ is None:
            return
        fits = max(4, int(self.plot.getViewBox().height() or self.plot.height()) // 16)
        shown = min(len(self.layout_.lanes), fits)
        self.plot.setYRange(-0.6, shown - 0.4, padding=0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_lanes()
        self._fit_notes()

    def event_at(self, x: float, y: float) -> int | None:
        """The event under (x, lane y): a marker near x, else the innermost span covering x."""
        if self.layout_ is None or self.trace is None:
            return None
        lane = int(round(y))
        xs, ids = self._lane_x.get(lane, ([], []))
        if not xs:
            return None
        lay = self.layout_
        view_w = self.plot.getViewBox().viewRange()[0]
        tolerance = (view_w[1] - view_w[0]) / 150
        # a span's first pixel is on it, wherever the pixel grid cuts its start
        pixel = 2 * (view_w[1] - view_w[0]) / max(1.0, self.plot.getViewBox().width())
        best, best_dist = None, None
        hi = bisect.bisect_right(xs, x + tolerance)
        for j in range(hi - 1, -1, -1):
            i = ids[j]
            start, width = lay.x[i], lay.width[i]
            if width <= 0:
                dist = abs(start - x)
                if dist <= tolerance and (best_dist is None or dist < best_dist):
                    best, best_dist = i, dist
            elif start - pixel <= x <= start + width and best is None:
                best, best_dist = i, tolerance
            if start + max(width, 0) < x - 10 * tolerance and j < hi - 50:
                break
        return best

    def _hover(self, pos) -> None:
        if self.layout_ is None:
            return
        point = self.plot.getViewBox().mapSceneToView(pos)
        i = self.event_at(point.x(), point.y())
        self.plot.setToolTip(event_line(self.trace.events[i]) if i is not None else "")

    def _click(self, event) -> None:
        if self.layout_ is None or event.button() != Qt.LeftButton:
            return
        point = self.plot.getViewBox().mapSceneToView(event.scenePos())
        i = self.event_at(point.x(), point.y())
        if i is None:
            return
        # a second click on the same lane soon after is a double click, however the events
        # of the first one arrived
        now = time.monotonic()
        lane_index = self.layout_.lane[i]
        last, self._last_click = self._last_click, (lane_index, now)
        interval = QApplication.doubleClickInterval() / 1000
        if event.double() or (last and last[0] == lane_index and now - last[1] < interval):
            self._last_click = None
            lane = self.layout_.lanes[lane_index]
            if lane.block:
                self.toggle_fold(lane.layer)
            return
        self.sigEventClicked.emit(i)

    def toggle_fold(self, block: str) -> None:
        """Fold or unfold the lanes of the layers inside ``block``."""
        self.folded ^= {block}
        self.set_trace(self.trace)

    def _fold_all(self, fold: bool) -> None:
        self.folded = set(self._blocks) if fold else set()
        self.set_trace(self.trace)

    def highlight_layer(self, layer: str | None) -> None:
        """Band the lane of ``layer`` (None or an unknown layer: no band)."""
        self.highlighted = None
        if self.layout_ is None or layer is None:
            self.highlight.setVisible(False)
            return
        lanes = [i for i, ln in enumerate(self.layout_.lanes) if ln.layer == layer]
        if not lanes:
            self.highlight.setVisible(False)
            return
        self.highlighted = layer
        self.highlight.setRegion((lanes[0] - 0.5, lanes[0] + 0.5))
        self.highlight.setVisible(True)
        top, bottom = self.plot.getViewBox().viewRange()[1]
        if not top <= lanes[0] <= bottom:  # scrolled out of view: bring the lane in
            span = bottom - top
            start = max(-0.6, lanes[0] - span / 2)
            self.plot.setYRange(start, start + span, padding=0)

    def set_playhead(self, event_index: int | None) -> None:
        if self.layout_ is None or event_index is None:
            self.playhead.setVisible(False)
            return
        self.playhead.setPos(self.layout_.x[min(event_index, len(self.layout_.x) - 1)])
        self.playhead.setVisible(True)


def _shorter(note: str) -> list[str]:
    """A call's note, then shorter forms of it: "no build: already built", "no build"."""
    out = [note]
    for cut in (":", " after"):
        if cut in note:
            out.append(note.split(cut)[0])
    return out


def _fold_mark(lane) -> str:
    if not lane.block:
        return ""
    return "▸ " if lane.folded else "▾ "


def _mark_key(e) -> str | None:
    if e.type == "weight":
        return "weight"
    if e.type == "error":
        return "error"
    if e.type == "construct" and e.dur is None:
        where = e.data.get("created_in")
        return {"__init__": "construct_init", "build": "construct_build"}.get(
            where, "construct_other"
        )
    return None
