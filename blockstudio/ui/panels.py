"""Bottom panels: problems (click selects the node) and live code with syntax highlighting."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from blockstudio.core.runs import (
    STYLES,
    WEIGHTS,
    RunEvent,
    RunModel,
    ScopeChanged,
    SettingsChanged,
    ShownChanged,
)
from blockstudio.engine.codegen import CodegenError, generate_code
from blockstudio.ui.doc_model import DocumentModel, run_note


class ProblemsPanel(QListWidget):
    """Every validation and shape problem, and Keras's error of the run on show; clicking one
    selects its node."""

    sigSelectNode = Signal(str)

    def __init__(self, model: DocumentModel, runs: RunModel, parent=None) -> None:
        super().__init__(parent)
        self.model, self.runs = model, runs
        model.sigChanged.connect(self.refresh)
        model.sigAnalysis.connect(self.refresh)
        self._unsubscribe = runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.itemClicked.connect(self._clicked)
        self.refresh()

    def _on_run_event(self, event: RunEvent) -> None:
        if isinstance(event, ShownChanged | ScopeChanged):
            self.refresh()

    def refresh(self) -> None:
        self.clear()
        problems = self.model.all_problems()
        run_errors = self.runs.errors()
        if not problems and not run_errors:
            item = QListWidgetItem(
                "No problems: every node is valid and Keras accepts every shape."
            )
            item.setForeground(QColor("#81c995"))
            self.addItem(item)
            return
        for p in problems:
            node = self.model.doc.nodes.get(p.node_id or "")
            where = node.name if node else (p.param or "block")
            mark = "⚠" if p.severity == "warning" else "✖"
            self._add(f"{mark}  {where}: {p.message}", p.node_id, p.severity == "warning")
        run = self.runs.shown_run
        for nid, message in run_errors.items():
            node = self.model.doc.nodes.get(nid)
            note = run_note(self.model, self.runs, nid) or (run.label if run else "the run")
            self._add(f"✖  {node.name if node else nid}: {message} ({note})", nid, False)

    def _add(self, text: str, node_id: str | None, warning: bool) -> None:
        item = QListWidgetItem(text)
        item.setForeground(QColor("#fdd663" if warning else "#f28b82"))
        item.setData(Qt.UserRole, node_id)
        item.setToolTip(text)
        self.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        nid = item.data(Qt.UserRole)
        if nid:
            self.sigSelectNode.emit(nid)


class PythonHighlighter(QSyntaxHighlighter):
    RULES = [
        (
            r"\b(def|class|return|if|else|elif|import|from|is|not|and|or|None|True|False|raise|"
            r"in|for|while|with|as|pass|lambda)\b",
            "#c792ea",
        ),
        (r"\bself\b", "#f78c6c"),
        (r"\b\d+(\.\d+)?(e-?\d+)?\b", "#f78c6c"),
        (r"@[\w.]+", "#ffcb6b"),
        (r"\b(keras)\b", "#82aaff"),
        (r'"[^"\\]*(\\.[^"\\]*)*"', "#c3e88d"),
        (r"#[^\n]*", "#697098"),
    ]

    def __init__(self, document) -> None:
        super().__init__(document)
        self.rules = []
        for pattern, color in self.RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            self.rules.append((re.compile(pattern), fmt))
        self.doc_fmt = QTextCharFormat()
        self.doc_fmt.setForeground(QColor("#8fbc8f"))

    def highlightBlock(self, text: str) -> None:
        for regex, fmt in self.rules:
            for m in regex.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)
        # docstrings: block state 1 means the line starts inside triple quotes
        inside, pos = self.previousBlockState() == 1, 0
        while True:
            if inside:
                end = text.find('"""', pos)
                if end == -1:
                    self.setFormat(pos, len(text) - pos, self.doc_fmt)
                    self.setCurrentBlockState(1)
                    return
                self.setFormat(pos, end + 3 - pos, self.doc_fmt)
                pos, inside = end + 3, False
            else:
                start = text.find('"""', pos)
                if start == -1:
                    self.setCurrentBlockState(0)
                    return
                self.setFormat(start, 3, self.doc_fmt)
                pos, inside = start + 3, True


class CodePanel(QWidget):
    """The generated code for the current document, regenerated as the document changes."""

    sigExport = Signal()

    def __init__(self, model: DocumentModel, runs: RunModel, parent=None) -> None:
        super().__init__(parent)
        self.model, self.runs = model, runs
        self.style = QComboBox()
        self.style.addItems(STYLES)
        self.style.setToolTip(
            "build: sub-layers that need the input shape are made in build()\n"
            "init: every sub-layer is made in __init__\n"
            "functional: a function plus build_model()"
        )
        self.weights = QComboBox()
        self.weights.addItems(WEIGHTS)
        self.weights.setToolTip(
            "eager: build() builds every sub-layer, so all weights exist after build()\n"
            "(Keras's contract; load_weights into a built block works)\n"
            "lazy: sub-layers get their weights on the first call, as in the seed"
        )
        self.status = QLabel()
        copy, export = QPushButton("Copy"), QPushButton("Export…")
        export.setToolTip("Write the code to a .py file (Ctrl+E)")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Style"))
        bar.addWidget(self.style)
        bar.addWidget(QLabel("Weights"))
        bar.addWidget(self.weights)
        bar.addWidget(self.status, 1)
        bar.addWidget(copy)
        bar.addWidget(export)
        self.text = QPlainTextEdit(readOnly=True)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        font.setStyleHint(QFont.Monospace)
        self.text.setFont(font)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.highlighter = PythonHighlighter(self.text.document())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.text)
        self.source = ""
        self._timer = QTimer(self, singleShot=True, interval=60)
        self._timer.timeout.connect(self.regenerate)
        model.sigChanged.connect(self._timer.start)
        # the boxes edit the run settings (which runs and the checkup use too) and show them
        self.style.setCurrentText(runs.settings.style)
        self.weights.setCurrentText(runs.settings.weights)
        self.style.currentTextChanged.connect(lambda t: runs.set_setting("style", t))
        self.weights.currentTextChanged.connect(lambda t: runs.set_setting("weights", t))
        self._unsubscribe = runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        copy.clicked.connect(self.copy)
        export.clicked.connect(self.sigExport.emit)
        self.regenerate()

    def _on_run_event(self, event: RunEvent) -> None:
        if isinstance(event, SettingsChanged):
            settings = self.runs.settings
            for box, value in ((self.style, settings.style), (self.weights, settings.weights)):
                box.blockSignals(True)
                box.setCurrentText(value)
                box.blockSignals(False)
            self.regenerate()

    def regenerate(self) -> None:
        settings = self.runs.settings
        try:
            source = generate_code(
                self.model.doc, self.model.catalog, settings.style, weights=settings.weights
            )
        except CodegenError as exc:
            self.status.setText(
                f"<span style='color:#f28b82'>{len(exc.problems)} problem(s): "
                "code shows the last valid version</span>"
            )
            return
        self.status.setText("")
        if source != self.source:
            self.source = source
            bar = self.text.verticalScrollBar()
            keep = bar.value()
            self.text.setPlainText(source)
            bar.setValue(keep)

    def copy(self) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.clipboard().setText(self.source)
