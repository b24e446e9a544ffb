"""The Checkup tab: the matrix of lifecycle scenarios × class styles, run in the engine worker.

Each cell is one request to the worker (a fresh Keras session), so the matrix fills in as results
arrive, the window never waits, and Cancel drops whatever has not run yet.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from blockstudio.core.checkup import SCENARIOS, CheckResult, title
from blockstudio.core.runs import STYLES, RunModel
from blockstudio.core.trace import Trace

COLORS = {"pass": "#1e4620", "warning": "#5c4813", "fail": "#5f2120"}
STYLE_COLUMNS = STYLES
USER_STYLE = "own class"  # the style a user's class reports: its one column


class CheckupPanel(QWidget):
    """Runs the checkup through the engine and shows it; a cell click shows its trace."""

    sigMessage = Signal(str)

    def __init__(self, model, engine, runs: RunModel, parent=None):
        super().__init__(parent)
        self.model, self.engine, self.runs = model, engine, runs
        self.results: dict[tuple[str, str], CheckResult] = {}
        self._pending: dict[int, tuple[str, str]] = {}
        self._total = 0
        self.check_style = QPushButton("Check Style")
        self.check_style.setToolTip("Run the eleven scenarios for the style chosen in Code")
        self.check_all = QPushButton("Check All Styles")
        self.check_all.setToolTip("build, init and functional, side by side")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setMaximumWidth(260)
        self.progress.hide()
        self.summary = QLabel()
        bar = QHBoxLayout()
        for w in (self.check_style, self.check_all, self.cancel, self.progress):
            bar.addWidget(w)
        bar.addWidget(self.summary, 1)
        self.table = QTableWidget(len(SCENARIOS), len(STYLE_COLUMNS))
        self.table.setVerticalHeaderLabels(
            [f"{i}. {t}" for i, (_, t, _) in enumerate(SCENARIOS, 1)]
        )
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        # one line per cell so all eleven rows show at once; the full text is in the details
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.ElideRight)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(21)
        self.table.setStyleSheet(
            "QTableWidget::item:selected { border: 2px solid #8ab4f8; color: white; }"
        )
        for row, (_key, _t, what) in enumerate(SCENARIOS):
            self.table.verticalHeaderItem(row).setToolTip(what)
        self.details = QPlainTextEdit(readOnly=True)
        self.details.setLineWrapMode(QPlainTextEdit.WidgetWidth)
        self.details.setPlaceholderText(
            "Press Check Style or Check All Styles: each scenario runs the exported code with "
            "the real Keras in a fresh session. Click a cell for Keras's full message and its "
            "trace on the Timeline."
        )
        # details beside the matrix, so all eleven rows fit the panel's height
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([900, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        self.check_style.clicked.connect(lambda: self.start((runs.settings.style,)))
        self.check_all.clicked.connect(lambda: self.start(STYLE_COLUMNS))
        self.cancel.clicked.connect(self.stop)
        self.table.cellClicked.connect(self._cell_clicked)
        engine.sigReply.connect(self._reply)
        self._set_headers()

    # -- running ----------------------------------------------------------------------------
    def start(self, styles: tuple[str, ...]) -> None:
        """Queue every scenario of ``styles`` in the worker; cells fill in as replies come.
        With the user's own class as the run model's subject, its one column instead."""
        subject = self.runs.subject
        if subject is None and any(p.severity == "error" for p in self.model.problems):
            self.sigMessage.emit("Cannot check: fix the problems first.")
            return
        self.stop()
        self.results.clear()
        self.table.clearContents()
        self._set_headers()
        for key, _t, _w in SCENARIOS:
            if subject is not None:
                payload = {**subject.payload(), "scenario": key}
                timeout = max(self.runs.settings.timeout, 60.0)
                rid = self.engine.submit("user_check", payload, timeout=timeout)
                self._pending[rid] = (key, USER_STYLE)
                self._place(key, USER_STYLE, QTableWidgetItem("queued…"))
                continue
            for style in styles:
                payload = {
                    **self.model.payload(),
                    "style": style,
                    "weights": self.runs.settings.weights,
                    "scenario": key,
                }
                rid = self.engine.submit("check", payload, timeout=300)
                self._pending[rid] = (key, style)
                self._place(key, style, QTableWidgetItem("queued…"))
        self._total = len(self._pending)
        self.progress.setRange(0, self._total)
        self.progress.setValue(0)
        self.progress.setFormat(f"%v of {self._total}")
        self.progress.show()
        self.cancel.setEnabled(True)
        self.summary.setText("")

    def stop(self) -> None:
        for rid in list(self._pending):
            self.engine.cancel(rid)

    def _reply(self, reply) -> None:
        if reply.kind not in ("check", "user_check") or reply.id not in self._pending:
            return
        key, style = self._pending.pop(reply.id)
        self.progress.setValue(self._total - len(self._pending))
        if reply.ok:
            result = CheckResult.from_dict(reply.result)
            self.results[(key, style)] = result
            self._show_result(result)
        else:
            why = "cancelled" if reply.cancelled else reply.error
            item = QTableWidgetItem(why)
            item.setToolTip(why)
            self._place(key, style, item)
        if not self._pending:
            self.cancel.setEnabled(False)
            self.progress.hide()
            self._summarise()

    def _show_result(self, r: CheckResult) -> None:
        item = QTableWidgetItem(f"{r.status.upper()}  {r.reason}")
        item.setBackground(QBrush(QColor(COLORS[r.status])))
        item.setToolTip(f"{r.reason}\n\n{r.message}".strip())
        item.setData(Qt.UserRole, r.status)
        self._place(r.scenario, r.style, item)

    def _summarise(self) -> None:
        done = list(self.results.values())
        if not done:
            self.summary.setText("Checkup cancelled.")
            return
        counts = {s: sum(r.status == s for r in done) for s in ("pass", "warning", "fail")}
        secs = sum(r.seconds for r in done)
        self.summary.setText(
            f"{counts['pass']} passed, {counts['warning']} warned, {counts['fail']} failed "
            f"· {secs:.1f} s in Keras"
        )
        self.sigMessage.emit(f"Checkup: {self.summary.text()}")

    # -- showing ----------------------------------------------------------------------------
    def _set_headers(self) -> None:
        subject = self.runs.subject
        if subject is not None:
            self.table.setHorizontalHeaderLabels([f"{subject.label} (as written)", "", ""])
        else:
            weights = self.runs.settings.weights
            heads = [s if s == "functional" else f"{s} ({weights} weights)" for s in STYLE_COLUMNS]
            self.table.setHorizontalHeaderLabels(heads)
        for column in (1, 2):
            self.table.setColumnHidden(column, subject is not None)

    def _place(self, key: str, style: str, item: QTableWidgetItem) -> None:
        row = next(i for i, (k, _t, _w) in enumerate(SCENARIOS) if k == key)
        self.table.setItem(row, self._column(style), item)

    @staticmethod
    def _column(style: str) -> int:
        return STYLE_COLUMNS.index(style) if style in STYLE_COLUMNS else 0  # a user's class: 0

    def cell_result(self, key: str, style: str) -> CheckResult | None:
        return self.results.get((key, style))

    def _cell_clicked(self, row: int, column: int) -> None:
        key = SCENARIOS[row][0]
        style = STYLE_COLUMNS[column] if self.runs.subject is None else USER_STYLE
        r = self.results.get((key, style))
        if r is None:
            return
        counts = (
            f"weights at that point: {r.weight_count}, after a call: {r.expected_weights}"
            if r.weight_count is not None
            else ""
        )
        lines = [
            f"{title(key)} · {style} ({r.weights} weights): "
            f"{r.status.upper()} in {r.seconds:.2f} s",
            r.reason,
            counts,
            "",
            r.message,
        ]
        self.details.setPlainText("\n".join(line for line in lines if line is not None).strip())
        doc, subject = self.model.doc, self.runs.subject
        trace = Trace(
            subject.class_name if subject else doc.name,
            style,
            tuple(subject.input_shape if subject else doc.input_shape),
            events=r.events,
            label=f"checkup: {title(key)} · {style}",
        )
        self.runs.show(trace)  # on the Timeline; the matrix stays in front
