"""File → Open Python Layer… and Paste Layer Code…: run and check your own Layer class.

The UI never imports the user's code: the engine worker lists the module's Layer classes and
their constructor arguments, this asks which class and which arguments (Python literals, read
with ``ast.literal_eval``), and the run model's subject becomes that class. Run, Call Again,
the timeline, the weights table and the checkup then work on it as on a drawn block.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from blockstudio.core.params import parse_literal
from blockstudio.core.runs import UserLayer
from blockstudio.core.shapes import ShapeError, format_shape, parse_shape
from blockstudio.core.trace import trace_to_dict
from blockstudio.ui.inspector import ERROR_STYLE

CHECKING = (
    "checking the import: the engine rebuilds it in every style and compares the weights with "
    "your class's…"
)


class LayerDialog(QDialog):
    """Pick one of the module's Layer classes, fill in its constructor, give an input shape."""

    def __init__(self, source_label: str, classes: list[dict], shape: tuple, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Run your layer — {source_label}")
        self.classes = classes
        self.result_value: tuple[str, tuple, tuple] | None = None
        self.pick = QComboBox()
        for c in classes:
            self.pick.addItem(c["name"], c)
        self.doc = QLabel(wordWrap=True)  # the class's own docstring, or where it is
        self.doc.setStyleSheet("color: #9aa0a6;")
        self.shape = QLineEdit(format_shape(shape))
        self.shape.setToolTip("The input shape, batch first: (None, 32, 32, 3) or 32x32x3")
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Run")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        # one form, so every label lines up: class, its doc, its arguments, the input shape
        self.form = QFormLayout()
        self.form.addRow("Class", self.pick)
        self.form.addRow(self.doc)
        self.form.addRow("Input shape", self.shape)
        self.fields: dict[str, QLineEdit] = {}
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addStretch(1)  # a taller dialog grows below the fields, not between them
        layout.addWidget(buttons)
        self.pick.currentIndexChanged.connect(self._show_class)
        self._show_class()
        self.resize(520, self.sizeHint().height())

    def _show_class(self) -> None:
        while self.form.rowCount() > 3:  # the rows between the doc and the input shape
            self.form.removeRow(2)
        self.fields = {}
        c = self.pick.currentData()
        doc = c["doc"].split("\n\n")[0] if c["doc"] else "no docstring"
        self.doc.setText(f"{doc}  (line {c['line']})" if c["line"] else doc)
        row = 2
        if not c["params"]:
            self.form.insertRow(row, "", QLabel("(no constructor arguments)"))
        for p in c["params"]:
            line = QLineEdit(p["default"] if p["default"] is not None else "")
            line.setPlaceholderText("required" if p["default"] is None else "")
            self.fields[p["name"]] = line
            self.form.insertRow(row, p["name"] + ("" if p["default"] is not None else " *"), line)
            row += 1
        self._say("")
        # no empty band after a shorter class: fit once the new rows are shown (Qt shows a
        # widget added to a visible dialog from the event loop)
        QTimer.singleShot(0, self, self._fit_height)

    def _fit_height(self) -> None:
        self.layout().activate()
        self.resize(self.width(), self.sizeHint().height())

    def values(self) -> tuple[str, tuple, tuple]:
        """(class name, constructor arguments, input shape), or ValueError saying what is wrong."""
        c = self.pick.currentData()
        init = []
        for p in c["params"]:
            text = self.fields[p["name"]].text()
            if not text.strip():
                if p["default"] is None:
                    raise ValueError(f"{p['name']} is required")
                continue
            value = parse_literal(p["name"], text)
            if p["default"] is None or text.strip() != p["default"]:
                init.append((p["name"], value))
        try:
            shape = parse_shape(self.shape.text())
        except ShapeError as exc:
            raise ValueError(f"input shape: {exc}") from None
        return c["name"], tuple(init), shape

    def _accept(self) -> None:
        try:
            self.result_value = self.values()
        except ValueError as exc:
            self._say(str(exc))
            return
        self.accept()

    def _say(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


class PasteDialog(QDialog):
    """A text box for a Layer class copied from a notebook or a forum post."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("Paste layer code")
        self.text = QPlainTextEdit(text)
        font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        font.setStyleHint(QFont.Monospace)
        self.text.setFont(font)
        self.text.setPlaceholderText(
            "import keras\n\nclass MyBlock(keras.layers.Layer):\n    def __init__(self, ...):\n"
        )
        hint = QLabel(
            "Paste a module that defines a keras.layers.Layer subclass. It runs in the engine "
            "worker, never in this window."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #9aa0a6;")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(720, 520)


class UserLayerUI(QObject):
    """The File menu's entries for your own class, and the requests behind them."""

    def __init__(self, window, menu) -> None:
        super().__init__(window)
        self.w = window
        self._pending: dict[int, UserLayer] = {}  # a class listing request → where from
        # an import the engine is checking → (generation shown, document, label, how read)
        self._verifying: dict[int, tuple[int, Any, str, str]] = {}
        self.pasted = ""
        act = window._action
        self.open_action = act(
            menu,
            "Open &Python Layer…",
            self.open_file,
            QKeySequence("Ctrl+Shift+O"),
            "Run and check a keras.layers.Layer class from a .py file",
        )
        self.paste_action = act(menu, "Paste &Layer Code…", self.paste_code)
        self.import_action = act(
            menu,
            "&Import Run as Editable Block",
            self.import_run,
            tip="Turn the structure Keras saw in your class's run into a block on the canvas",
        )
        self.import_action.setEnabled(False)
        self.back_action = act(menu, "Back to the &Drawn Block", self.back)
        self.back_action.setEnabled(False)
        window.engine.sigReply.connect(self._reply)
        self._unsubscribe = window.runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())

    def _on_run_event(self, _event) -> None:
        run = self.w.runs.shown_run
        self.import_action.setEnabled(bool(run is not None and run.structure))

    def import_run(self) -> bool:
        """The run on show (of your class) as a new, unsaved document on the canvas."""
        from blockstudio.core.import_structure import ImportError_, import_trace

        run = self.w.runs.shown_run
        if run is None or not run.structure:
            return False
        why = ""
        try:
            doc, not_followed = import_trace(run, self.w.catalog)
        except ImportError_ as exc:
            self.w.runs.fail(f"Cannot import {run.label}: {exc}")
            if exc.partial is None:
                return False
            # what can be imported, to look at: the calls that map, and those that do not
            doc, why = exc.partial, f"{exc}."
        if not self.w.maybe_save():
            return False
        self.back()
        if why:
            self.w.model.set_document(doc, read_only=why)
            self.w.view.fit_all()
            self.w.statusBar().showMessage(f"Read-only view of {run.label}: {why}", 12000)
            return False
        # honest: editable only once the engine has rebuilt it to the original's weights
        self.w.model.set_document(doc, read_only=CHECKING)
        self.w.view.fit_all()
        how = (
            "from the run only (the block's description says why)"
            if not_followed
            else "from its source and the run"
        )
        payload = self.w.model.payload(trace=trace_to_dict(run))
        rid = self.w.engine.submit("verify_import", payload, timeout=600)
        self._verifying[rid] = (self.w.model.generation, doc, run.label, how)
        self.w.statusBar().showMessage(f"Importing {run.label}: {CHECKING}", 12000)
        return True

    def _verified(self, reply) -> None:
        """The engine's verdict on an import: editable when it is the user's class, else a
        read-only view that says every reason."""
        generation, doc, label, how = self._verifying.pop(reply.id)
        if self.w.model.generation != generation:
            return  # another document was opened meanwhile
        reasons = reply.result["reasons"] if reply.ok else [f"the check failed: {reply.error}"]
        if reasons:
            said = "; ".join(reasons)
            self.w.model.set_document(
                doc, read_only=f"Not the same block as {label}, so not editable: {said}"
            )
            self.w.runs.fail(f"Cannot import {label}: {len(reasons)} reason(s): {said}")
            self.w.statusBar().showMessage(f"Read-only view of {label}: {said}", 12000)
            return
        self.w.model.set_document(doc)
        styles = " and ".join(reply.result["styles"])
        self.w.statusBar().showMessage(
            f"Imported {label} {how}: {len(doc.layer_nodes())} layer node(s), rebuilt to the "
            f"same weights in {styles} style. Save it to keep it.",
            10000,
        )

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Open Python layer", "", "Python (*.py)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> int:
        """Ask the engine which Layer classes ``path`` defines (the dialog follows)."""
        return self._list(UserLayer("", path=str(Path(path).resolve())))

    def paste_code(self) -> None:
        dialog = PasteDialog(self.pasted, self.w)
        if dialog.exec() == QDialog.Accepted and dialog.text.toPlainText().strip():
            self.pasted = dialog.text.toPlainText()
            self.open_source(self.pasted)

    def open_source(self, source: str) -> int:
        return self._list(UserLayer("", source=source))

    def _list(self, where: UserLayer) -> int:
        rid = self.w.engine.submit("user_classes", where.payload(), timeout=60)
        self._pending[rid] = where
        self.w.statusBar().showMessage("Reading the layer classes (in the engine)…", 5000)
        return rid

    def _reply(self, reply) -> None:
        if reply.kind == "verify_import" and reply.id in self._verifying:
            self._verified(reply)
            return
        if reply.kind != "user_classes" or reply.id not in self._pending:
            return
        where = self._pending.pop(reply.id)
        if not reply.ok:
            self.w.runs.fail(f"Cannot use {where.label.split(':')[0]}: {reply.error}")
            self.w.run_ui.show_panel()
            return
        if not reply.result:
            self.w.runs.fail(f"{where.label.split(':')[0]} defines no keras.layers.Layer class.")
            self.w.run_ui.show_panel()
            return
        self.choose(where, reply.result)

    def choose(self, where: UserLayer, classes: list[dict], dialog: LayerDialog | None = None):
        """Show the dialog (or use ``dialog``, already filled in) and run the chosen class."""
        current = self.w.runs.subject
        shape = current.input_shape if current else self.w.model.doc.input_shape
        dialog = dialog or LayerDialog(where.label.split(":")[0], classes, shape, self.w)
        if dialog.result_value is None and dialog.exec() != QDialog.Accepted:
            return None
        name, init, shape = dialog.result_value
        subject = UserLayer(name, where.path, where.source, init, tuple(shape))
        self.w.runs.set_subject(subject)
        self.back_action.setEnabled(True)
        self.w.run_ui.run()
        return subject

    def back(self) -> None:
        self.w.runs.set_subject(None)
        self.back_action.setEnabled(False)
        self.w.statusBar().showMessage("Runs go to the drawn block again.", 5000)
