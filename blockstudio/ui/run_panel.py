"""Run the block and watch it: controls, the timeline, weights, replay, compare and exports."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from blockstudio.core.runs import (
    ReplayMoved,
    RunEvent,
    RunFailed,
    RunModel,
    ShownChanged,
    SubjectChanged,
)
from blockstudio.core.timeline import compare_runs, shared_lanes
from blockstudio.core.trace import Trace, trace_to_chrome, trace_to_json
from blockstudio.ui.structure_view import StructureView
from blockstudio.ui.timeline_view import TimelineView
from blockstudio.ui.weights_table import WeightsTable

SPEEDS = {"0.5×": 0.5, "1×": 1.0, "2×": 2.0, "4×": 4.0}


class RunPanel(QWidget):
    """Timeline and weights of the trace the run model shows, with replay controls and exports.

    It draws what the run model says; the slider moves the model's replay position.
    """

    sigSelectNode = Signal(str)  # node id of a clicked event's layer

    def __init__(self, runs: RunModel, parent=None) -> None:
        super().__init__(parent)
        self.runs = runs
        self.timeline = TimelineView()
        self.weights = WeightsTable()
        self.trace: Trace | None = None
        self.play = QPushButton("▶ Play")
        self.step = QPushButton("Step")
        self.slider = QSlider(Qt.Horizontal)
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.setCurrentText("1×")
        self.position = QLabel()
        self.subject = QLabel()  # "your class blocks.py:Block" when that is what runs
        self.subject.setStyleSheet("color: #8ab4f8;")
        self.failure = QLabel(wordWrap=True)  # why the last run could not happen
        self.failure.setStyleSheet(
            "color: #f28b82; background: #3c1f1f; padding: 6px; border-radius: 3px;"
        )
        self.failure.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.failure.hide()
        bar = QHBoxLayout()
        for w in (self.play, self.step):
            bar.addWidget(w)
        bar.addWidget(self.slider, 1)
        bar.addWidget(self.speed)
        bar.addWidget(self.position)
        bar.addWidget(self.subject)
        # a run of the user's own class also shows the structure Keras saw in its call()
        self.structure = StructureView()
        self.structure.hide()
        self.structure.sigLayerClicked.connect(self._layer_clicked)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.timeline)
        split.addWidget(self.structure)
        split.addWidget(self.weights)
        split.setSizes([600, 380, 420])
        # before a run: say what to do instead of showing empty axes and an empty table
        self.empty = QLabel(
            "No run yet.\n\nPress Run (F5) to construct the block and call it twice: the "
            "timeline shows every build() and add_weight, the table every weight Keras creates.\n"
            "Or open the Checkup tab to put the block through save/load, set_weights, training "
            "and compiled calls."
        )
        self.empty.setAlignment(Qt.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #9aa0a6; font-size: 13px; padding: 24px;")
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.failure)
        layout.addWidget(self.pages, 1)
        self._timer = QTimer(self, interval=120)
        self._timer.timeout.connect(self._advance)
        self.play.clicked.connect(self.toggle_play)
        self.step.clicked.connect(lambda: self.slider.setValue(self.slider.value() + 1))
        self.slider.valueChanged.connect(runs.seek)
        self.speed.currentTextChanged.connect(
            lambda t: self._timer.setInterval(int(120 / SPEEDS[t]))
        )
        self.timeline.sigEventClicked.connect(self._event_clicked)
        self._unsubscribe = runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self._show(runs.shown)
        self._show_subject()

    def _on_run_event(self, event: RunEvent) -> None:
        if isinstance(event, ShownChanged):
            self._show(self.runs.shown)
        elif isinstance(event, ReplayMoved):
            self._moved(event.position)
        elif isinstance(event, SubjectChanged | RunFailed):
            self._show_subject()

    def _show_subject(self) -> None:
        subject = self.runs.subject
        self.subject.setText(f"running your class {subject.label}" if subject else "")
        self.failure.setText(self.runs.failure)
        self.failure.setVisible(bool(self.runs.failure))

    def _show(self, trace: Trace | None) -> None:
        self.trace = trace
        self.failure.setVisible(bool(self.runs.failure))
        structure = trace.structure if trace is not None else None
        self.structure.setVisible(structure is not None)
        self.structure.set_structure(structure)
        self.pages.setCurrentIndex(1 if trace is not None else 0)
        self._timer.stop()
        self.play.setText("▶ Play")
        self.timeline.set_trace(trace)
        self.weights.set_trace(trace)
        n = len(trace.events) if trace else 0
        self.slider.blockSignals(True)
        self.slider.setRange(0, n)
        self.slider.setValue(n)
        self.slider.blockSignals(False)
        for w in (self.play, self.step, self.slider):
            w.setEnabled(bool(n))
        self.position.setText(f"{n}/{n}" if n else "")
        self.timeline.set_playhead(None)

    def toggle_play(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.play.setText("▶ Play")
            return
        if self.slider.value() >= self.slider.maximum():
            self.slider.setValue(0)
        self._timer.start()
        self.play.setText("⏸ Pause")

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.toggle_play()
            return
        self.slider.setValue(self.slider.value() + 1)

    def _moved(self, upto: int) -> None:
        if self.trace is None:
            return
        if self.slider.value() != upto:
            self.slider.blockSignals(True)
            self.slider.setValue(upto)
            self.slider.blockSignals(False)
        self.position.setText(f"{upto}/{len(self.trace.events)}")
        self.timeline.set_playhead(upto - 1 if upto else 0)

    def _layer_clicked(self, layer: str) -> None:
        self.timeline.highlight_layer(layer)
        self.weights.select_layer(layer)

    def _event_clicked(self, index: int) -> None:
        if self.trace is None:
            return
        event = self.trace.events[index]
        if event.type == "weight":
            self.weights.select_event(event.id)
        else:
            self.weights.select_layer(event.layer)
        if event.node:
            self.sigSelectNode.emit(event.node)

    # -- exports ----------------------------------------------------------------------------
    def export(self, path: Path) -> None:
        """By suffix: .png / .svg (the timeline), .json (trace), .trace.json / chrome (Perfetto)."""
        if self.trace is None:
            raise ValueError("nothing to export: run the block first")
        name = path.name.lower()
        if name.endswith(".png"):
            from pyqtgraph.exporters import ImageExporter

            ImageExporter(self.timeline.plot.plotItem).export(str(path))
        elif name.endswith(".svg"):
            # pyqtgraph's SVGExporter fails to parse the paths Qt 6.11 writes; Qt's own
            # generator renders the same widget faithfully
            from PySide6.QtCore import QPoint
            from PySide6.QtGui import QPainter
            from PySide6.QtSvg import QSvgGenerator

            widget = self.timeline
            gen = QSvgGenerator()
            gen.setFileName(str(path))
            gen.setSize(widget.size())
            gen.setViewBox(widget.rect())
            gen.setTitle(f"{self.trace.label} timeline")
            painter = QPainter(gen)
            widget.render(painter, QPoint(0, 0))
            painter.end()
        elif name.endswith(".chrome.json") or name.endswith(".trace.json"):
            path.write_text(json.dumps(trace_to_chrome(self.trace), indent=1), encoding="utf-8")
        else:
            path.write_text(trace_to_json(self.trace), encoding="utf-8")


class CompareView(QWidget):
    """Two runs side by side on linked axes, each layer on the same row in both, with their
    differences spelled out. Esc or Ctrl+W closes it."""

    def __init__(self, a: Trace, b: Trace, parent=None) -> None:
        super().__init__(parent, Qt.Window)
        self.setWindowTitle(f"Compare: {a.label} vs {b.label}")
        self.left, self.right = TimelineView(), TimelineView()
        lanes = shared_lanes(a, b)
        for view, trace in ((self.left, a), (self.right, b)):
            view.lane_order = lanes
            view.set_trace(trace)
        self.right.plot.setXLink(self.left.plot)
        # scrolling one scrolls the other's lanes (pyqtgraph's setYLink squeezes inverted
        # views: it maps ranges through their screen geometry)
        for one, other in ((self.left, self.right), (self.right, self.left)):
            one.plot.getViewBox().sigYRangeChanged.connect(
                lambda _box, rng, other=other: self._follow(other, rng)
            )
        self.summary = QPlainTextEdit("\n".join(compare_runs(a, b)), readOnly=True)
        self.summary.setMaximumHeight(140)
        titles = QHBoxLayout()
        titles.addWidget(QLabel(f"<b>{a.label}</b>"), 1)
        titles.addWidget(QLabel(f"<b>{b.label}</b>"), 1)
        pair = QHBoxLayout()
        pair.addWidget(self.left)
        pair.addWidget(self.right)
        layout = QVBoxLayout(self)
        layout.addLayout(titles)
        layout.addLayout(pair, 1)
        layout.addWidget(self.summary)
        for keys in ("Esc", "Ctrl+W"):
            QShortcut(QKeySequence(keys), self, self.close)
        self.resize(1300, 700)

    @staticmethod
    def _follow(view: TimelineView, rng) -> None:
        box = view.plot.getViewBox()
        if [round(v, 6) for v in box.viewRange()[1]] != [round(v, 6) for v in rng]:
            box.setYRange(*rng, padding=0)
