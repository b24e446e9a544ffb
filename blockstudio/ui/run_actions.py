"""The Run menu and toolbar: run, call again, call with another shape, compare, export."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMenu, QToolBar

from blockstudio.core.project import document_to_json
from blockstudio.core.runs import PairAdded, RunFailed, ShownChanged, SubjectChanged
from blockstudio.core.shapes import (
    ShapeError,
    first_shape,
    format_input_shape,
    parse_input_shape,
    with_channels,
)
from blockstudio.core.validate import block_env
from blockstudio.ui.run_controller import RunController


class RunUI(QObject):
    """Adds the run panel, its actions and the links to the canvas to a main window."""

    sigWarm = Signal()  # pyqtgraph imported (from the warm-up thread)

    def __init__(self, window) -> None:
        super().__init__(window)  # a child of the window: its connections end with it
        self.w = window
        self._panel = None  # the pyqtgraph timeline, made on first use (see ensure_panel)
        self.placeholder = QLabel(
            "Press Run (F5) to construct the block, call it, and watch "
            "every build() and weight Keras creates."
        )
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setStyleSheet("color: #9aa0a6;")
        self.controller = RunController(window.model, window.engine, window.runs, window)
        window.bottom.insertTab(0, self.placeholder, "Timeline")
        window.bottom.setCurrentWidget(self.placeholder)
        from blockstudio.ui.checkup_panel import CheckupPanel

        self.checkup = CheckupPanel(window.model, window.engine, window.runs, window)
        window.bottom.insertTab(1, self.checkup, "Checkup")
        self.checkup.sigMessage.connect(lambda m: window.statusBar().showMessage(m, 10000))
        self.compare_windows: list = []
        run_menu = QMenu("&Run", window)
        window.menuBar().insertMenu(window.menuBar().actions()[-1], run_menu)  # before Help
        act = window._action
        self.run_action = act(
            run_menu, "&Run", self.run, "F5", "Construct the block and call it with the input shape"
        )
        self.again_action = act(
            run_menu,
            "Call &Again",
            self.call_again,
            "F6",
            "One more call with the same shape: nothing is built",
        )
        self.shape_action = act(
            run_menu,
            "Call with &Shape…",
            self.call_with_shape,
            "F7",
            "One more call with another shape: a built layer keeps its weights, so Keras may "
            "refuse it",
        )
        self.cancel_action = act(run_menu, "&Cancel Run", self.controller.cancel, "Ctrl+.")
        self.reset_action = act(run_menu, "Rese&t", self.reset)
        act(
            run_menu,
            "Time &Limit for Your Code…",
            self.set_time_limit,
            tip="How long a run of your own Layer class may take before it is stopped",
        )
        run_menu.addSeparator()
        act(run_menu, "Compare &Two Runs…", self.compare_picked)
        act(run_menu, "Compare &build() vs __init__ style", self.compare_styles)
        act(run_menu, "Compare &eager vs lazy weights", self.compare_weights)
        act(run_menu, "Compare in_channels &equal vs different", self.compare_channels)
        run_menu.addSeparator()
        act(
            run_menu, "E&xport Timeline or Trace…", self.export_dialog, QKeySequence("Ctrl+Shift+E")
        )
        bar = QToolBar("Run")
        bar.setObjectName("run_toolbar")
        for a in (
            self.run_action,
            self.again_action,
            self.shape_action,
            self.cancel_action,
            self.reset_action,
        ):
            bar.addAction(a)
        window.addToolBar(bar)
        self.controller.sigMessage.connect(lambda m: window.statusBar().showMessage(m, 10000))
        self.controller.sigBusy.connect(lambda busy: self.cancel_action.setEnabled(busy))
        self._unsubscribe = window.runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.cancel_action.setEnabled(False)
        # pyqtgraph (and NumPy) take ~0.4 s to import: do it off the GUI thread while the user
        # looks at the window, so the first run does not freeze it
        # and then build the panel while TensorFlow still loads in the engine
        self.sigWarm.connect(lambda: self.panel, Qt.QueuedConnection)
        QTimer.singleShot(0, lambda: threading.Thread(target=self._warm_up, daemon=True).start())

    # -- running ----------------------------------------------------------------------------
    def _warm_up(self) -> None:
        import pyqtgraph  # noqa: F401

        import blockstudio.ui.run_panel  # noqa: F401

        try:
            self.sigWarm.emit()
        except RuntimeError:
            pass  # the window closed while pyqtgraph loaded: nothing left to warm up

    @property
    def panel(self):
        """The run panel (timeline, weights, replay), created the first time it is needed."""
        if self._panel is None:
            from blockstudio.ui.run_panel import RunPanel

            self._panel = RunPanel(self.w.runs)
            self._panel.sigSelectNode.connect(self._select_node)
            index = self.w.bottom.indexOf(self.placeholder)
            current = self.w.bottom.currentIndex()
            self.w.bottom.removeTab(index)
            self.w.bottom.insertTab(index, self._panel, "Timeline")
            self.w.bottom.setCurrentIndex(current)
            self.placeholder.deleteLater()
        return self._panel

    def run(self) -> None:
        self.controller.run(calls=2)

    def call_again(self) -> None:
        self.controller.run(calls=self.controller.calls + 1, call_shape=self.controller.call_shape)

    def call_with_shape(self) -> None:
        doc = self.w.model.doc
        channels = first_shape(doc.input_shape)[-1] or 2
        default = with_channels(doc.input_shape, max(1, channels // 2), batch=1)
        text, ok = QInputDialog.getText(
            self.w,
            "Call with shape",
            "Shape of the extra call (a built layer keeps its weights, so Keras may refuse):",
            text=format_input_shape(default),
        )
        if ok:
            self.call_shape_text(text)

    def call_shape_text(self, text: str) -> bool:
        try:
            shape = parse_input_shape(text)
        except ShapeError as exc:
            self.w.statusBar().showMessage(f"Call with shape: {exc}", 8000)
            return False
        # one more call on the run on show (F5 then F7: three calls, the last with this shape);
        # the engine makes the calls with the input shape first, then the shaped one
        self.controller.run(calls=self.controller.calls, call_shape=shape)
        return True

    def reset(self) -> None:
        self.w.runs.reset()

    def set_time_limit(self) -> None:
        current = self.w.runs.settings.timeout
        seconds, ok = QInputDialog.getDouble(
            self.w, "Time limit", "Stop a run of your own code after (seconds):", current, 1, 3600
        )
        if ok:
            self.w.runs.set_setting("timeout", float(seconds))

    def _on_run_event(self, event) -> None:
        runs = self.w.runs
        if isinstance(event, ShownChanged) and runs.shown is not None:
            panel = self.panel  # made on first use; it draws what the run model shows
            if any(r is runs.shown for r in runs.runs):
                self.w.bottom.setCurrentWidget(panel)  # a checkup cell keeps its tab in front
        elif isinstance(event, PairAdded):
            self.compare_runs(*runs.pairs[event.index])
        elif isinstance(event, RunFailed):
            self.show_panel()
        elif isinstance(event, SubjectChanged):
            subject = runs.subject
            what = f"your class {subject.label}" if subject else "the drawn block"
            self.w.statusBar().showMessage(f"Run and Checkup now use {what}.", 8000)

    def show_panel(self) -> None:
        """The Timeline tab in front (made if need be): where a run and its failure show."""
        self.w.bottom.setCurrentWidget(self.panel)

    # -- compare ----------------------------------------------------------------------------
    def compare_runs(self, a, b):
        from blockstudio.ui.run_panel import CompareView

        view = CompareView(a, b)
        self.compare_windows.append(view)
        view.show()
        return view

    def compare_picked(self) -> None:
        runs = self.w.runs.runs
        if len(runs) < 2:
            self.w.statusBar().showMessage("Run the block at least twice to compare runs.", 6000)
            return
        labels = [r.label for r in runs]
        first, ok = QInputDialog.getItem(
            self.w, "Compare runs", "First run:", labels, len(labels) - 2, False
        )
        if not ok:
            return
        second, ok = QInputDialog.getItem(
            self.w, "Compare runs", "Second run:", labels, len(labels) - 1, False
        )
        if ok:
            self.compare_runs(runs[labels.index(first)], runs[labels.index(second)])

    def compare_styles(self) -> None:
        doc = document_to_json(self.w.model.doc)
        self.controller.compare(
            {"style": "build", "doc_json": doc, "label": "build style"},
            {"style": "init", "doc_json": doc, "label": "init style"},
        )

    def compare_weights(self) -> None:
        """The same style with eager and lazy weights: where the weights appear."""
        doc = document_to_json(self.w.model.doc)
        style = self.w.runs.settings.style
        self.controller.compare(
            {
                "style": style,
                "doc_json": doc,
                "weights": "eager",
                "label": "eager weights",
            },
            {"style": style, "doc_json": doc, "weights": "lazy", "label": "lazy weights"},
        )

    def compare_channels(self) -> None:
        doc = self.w.model.doc
        channels = first_shape(doc.input_shape)[-1]
        out = block_env(doc).get("out_channels") or channels
        equal, different = doc.copy(), doc.copy()
        equal.set_block_field("input_shape", with_channels(doc.input_shape, out))
        other = channels if channels != out else max(1, out // 2)
        different.set_block_field("input_shape", with_channels(doc.input_shape, other))
        self.controller.compare(
            {
                "style": "build",
                "doc_json": document_to_json(equal),
                "label": f"in_channels {out} = out_channels",
            },
            {
                "style": "build",
                "doc_json": document_to_json(different),
                "label": f"in_channels {other} ≠ out_channels {out}",
            },
        )

    # -- links to the canvas ----------------------------------------------------------------
    def _select_node(self, nid: str) -> None:
        if nid in self.w.model.doc.nodes:
            self.w.focus_node(nid)

    def selection_changed(self, ids: list[str]) -> None:
        if self._panel is None:
            return
        trace = self.w.runs.shown
        # the lane of the node's layer as it was named in that run (nodes may be renamed since)
        layer = None
        if trace is not None and len(ids) == 1:
            layer = next((e.layer for e in trace.events if e.node == ids[0]), None)
        self.panel.timeline.highlight_layer(layer)

    def export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.w,
            "Export timeline or trace",
            "trace.json",
            "Trace JSON (*.json);;Chrome trace for Perfetto (*.trace.json);;PNG (*.png);;"
            "SVG (*.svg)",
        )
        if path:
            try:
                if self._panel is None:
                    raise ValueError("nothing to export: run the block first")
                self.panel.export(Path(path))
            except (ValueError, OSError) as exc:
                self.w.statusBar().showMessage(f"Cannot export: {exc}", 8000)
