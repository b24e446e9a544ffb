"""The inspector: the selected node's editors, or the block's when nothing is selected."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from blockstudio.core import commands as c
from blockstudio.core.conditions import ConditionError, check_names
from blockstudio.core.document import ParamRef
from blockstudio.core.library import kind_title
from blockstudio.core.names import name_problem
from blockstudio.core.params import resolve
from blockstudio.core.runs import RunEvent, RunModel, ScopeChanged, ShownChanged
from blockstudio.core.shapes import (
    format_shape,
)
from blockstudio.core.validate import block_env
from blockstudio.ui.doc_model import DocumentModel, run_note
from blockstudio.ui.inspector_block import BlockPage
from blockstudio.ui.inspector_repeat import RepeatRows, instances, per_instance
from blockstudio.ui.param_editor import ParamEditor, link_choices

ERROR_STYLE = "color: #f28b82;"


class Inspector(BlockPage, RepeatRows, QScrollArea):
    """Rebuilt when the selection or the shown object changes; edits become commands."""

    sigOpenBlock = Signal(str)  # a block node's "Open" button: show the block inside it
    sigOpenInstance = Signal(str, int)  # a repeated block node's: one of its instances

    def __init__(self, model: DocumentModel, runs: RunModel, parent=None) -> None:
        super().__init__(parent)
        self.model, self.runs = model, runs
        self.node_id: str | None = None
        self.setWidgetResizable(True)
        self._holder = QWidget()
        holder_layout = QVBoxLayout(self._holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        self.setWidget(self._holder)
        self.setMinimumWidth(300)
        self.editors: dict[str, Any] = {}
        # what was refused and why: below the page, outside its scrolling, so it is seen
        # whichever field said it (a long page puts the last fields far from its end)
        self.error = QLabel(self, wordWrap=True)
        self.error.setStyleSheet(f"{ERROR_STYLE} padding: 4px 6px; border-top: 1px solid #5f6368;")
        self.error.hide()
        self._notice = ""  # said on the next page (why an edit was refused)
        self._force = False  # the next refresh rebuilds even under a text cursor
        self._waiting = False  # a refresh waits for the text cursor to leave the page
        QApplication.instance().focusChanged.connect(self._focus_moved)  # ends with self
        # The document's own events say what changed; the page is rebuilt once per batch of
        # them, never inside the signal: it may fire in the event handler of one of the page's
        # own widgets (a refused rename fires while the user clicks a spin box below it), and
        # deleting that widget there crashes Qt.
        self._stale = QTimer(self, singleShot=True, interval=0)
        self._stale.timeout.connect(self._refresh)
        model.sigReset.connect(self._reset)
        model.sigRefused.connect(self._refused)
        model.undo_stack.indexChanged.connect(self._edited)
        model.sigNodeRemoved.connect(lambda nid: nid == self.node_id and self._reset())
        model.sigNodeChanged.connect(self._node_changed)
        model.sigBlockChanged.connect(lambda _field: self._stale.start())
        model.sigBlockParamChanged.connect(lambda _name: self._stale.start())
        model.sigAnalysis.connect(self._analysis)  # shapes arrive from the engine later
        self._unsubscribe = runs.subscribe(self._on_run_event)
        self.destroyed.connect(lambda *_: self._unsubscribe())
        self.show_node(None)

    def _reset(self) -> None:
        self.node_id = None
        self._force = True
        self._stale.start()

    def _edited(self, _index: int) -> None:
        self._notice = ""  # an edit went through: a refusal before it is old news

    def _refused(self, why: str) -> None:
        """An edit was refused (a read-only block): say why and put the fields back."""
        self._notice, self._force = why, True
        self._stale.start()

    def _analysis(self) -> None:
        """New shapes from the engine: the one label that shows them changes in place. Nothing
        is rebuilt under the user's hands (a selected parameter row, an open menu)."""
        label = self.editors.get("output_shape")
        if self.node_id is not None and label is not None:
            label.setText(self._shape_text(self.node_id))

    def _shape_text(self, nid: str) -> str:
        shape = self.model.shapes.get(nid)
        return format_shape(shape) if shape else "unknown"

    def _on_run_event(self, event: RunEvent) -> None:
        if isinstance(event, ShownChanged | ScopeChanged) and self.node_id is not None:
            self._stale.start()

    def _node_changed(self, nid: str, field: str) -> None:
        node = self.model.doc.nodes.get(self.node_id) if self.node_id else None
        if field != "position" and node is not None and nid in (node.id, node.shares):
            self._stale.start()

    def _refresh(self, *_: Any) -> None:
        force, self._force = self._force, False
        focus = self.focusWidget()
        if not force and isinstance(focus, QLineEdit | QPlainTextEdit) and focus.hasFocus():
            # do not pull the text out from under the user's cursor: once the field is left
            self._waiting = True
            return
        self._waiting = False
        self.show_node(self.node_id)

    def _focus_moved(self, _old: Any, new: Any) -> None:
        if self._waiting and not (
            isinstance(new, QLineEdit | QPlainTextEdit) and self.isAncestorOf(new)
        ):
            self._stale.start()

    def show_node(self, node_id: str | None) -> None:
        """The page of ``node_id`` (the block's page for None or a node no longer there). The
        old page goes later (never under a widget's own handler); the editor that had the
        keyboard focus has it again on the new page, and the scroll position stays."""
        if node_id is not None and node_id not in self.model.doc.nodes:
            node_id = None
        focus = QApplication.focusWidget()
        inside = focus is not None and (focus is self or self.isAncestorOf(focus))
        keep = self._focused_editor() if node_id == self.node_id else None
        keep_notice = node_id == self.node_id and bool(self._notice)
        table = self.editors.get("params") if node_id is None and self.node_id is None else None
        keep_row = table.currentRow() if table is not None else -1
        if not keep_notice:
            self._notice = ""
        scroll = self.verticalScrollBar().value()
        self.node_id = node_id
        self.editors = {}
        page = QWidget()
        layout = QVBoxLayout(page)
        self._say("")
        if node_id is None:
            self._block_page(layout)
        else:
            self._node_page(layout, node_id)
        layout.addStretch(1)
        # one holder for the pages, swapped inside it: the new page is shown (and takes the
        # focus) first, then the old one is hidden and goes later (QScrollArea.setWidget would
        # delete it now, under a handler of its own, and takeWidget would make it a window)
        layout = self._holder.layout()
        olds = [layout.takeAt(0).widget() for _ in range(layout.count())]
        layout.addWidget(page)
        page.show()
        if self.window() is not self:  # in the studio's window (not while it is being made)
            _tab_in_order(page)
        if keep_notice:
            self._say(self._notice)  # until the next edit or another node
        table = self.editors.get("params")
        if table is not None and 0 <= keep_row < table.rowCount():
            table.setCurrentCell(keep_row, 0)  # the selected parameter stays selected
        target = self.editors.get(keep) if keep else None
        if target is not None:
            target = getattr(target, "editor", target)  # a ParamEditor: its value field
            target.setFocus(Qt.OtherFocusReason)
        elif inside:
            self.setFocus(Qt.OtherFocusReason)  # the keyboard stays in the inspector
        for old in olds:
            old.hide()
            old.deleteLater()
        self.verticalScrollBar().setValue(scroll)

    def _focused_editor(self) -> str | None:
        """The key in ``editors`` of the editor holding the keyboard focus, if any."""
        focus = QApplication.focusWidget()
        if focus is None:
            return None
        for key, editor in self.editors.items():
            if isinstance(editor, QWidget) and (editor is focus or editor.isAncestorOf(focus)):
                return key
        return None

    def _say(self, message: str) -> None:
        self.error.setText(message)
        self._place_error()

    def _place_error(self) -> None:
        """The message takes a strip at the bottom, the page scrolls above it."""
        text = self.error.text()
        width = self.width() - 2 * self.frameWidth()
        height = self.error.heightForWidth(width) if text else 0
        self.setViewportMargins(0, 0, 0, height)
        bar = self.horizontalScrollBar()
        below = bar.height() if bar.isVisible() else 0  # the strip sits above a scroll bar
        self.error.setGeometry(
            self.frameWidth(), self.height() - self.frameWidth() - below - height, width, height
        )
        self.error.setVisible(bool(text))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._place_error()

    # -- node -------------------------------------------------------------------------------
    def _node_page(self, layout: QVBoxLayout, nid: str) -> None:
        model, node = self.model, self.model.doc.nodes[nid]
        spec = model.catalog.get(node.kind)
        title = QLabel(f"<b>{kind_title(node.kind)}</b>")
        layout.addWidget(title)
        if spec is not None and spec.doc:
            doc = QLabel(spec.doc, wordWrap=True)
            doc.setStyleSheet("color: #9aa0a6;")
            layout.addWidget(doc)
        if spec is not None and spec.block is not None:
            button = QPushButton(f"Open {spec.block}")
            button.setToolTip("Show the block inside this node (or double-click the card)")
            self.editors["open_block"] = button
            layout.addWidget(button)
            if node.repeat is None:
                button.clicked.connect(lambda: self.sigOpenBlock.emit(nid))
            else:  # a repeated node: the instance the button opens
                which = QSpinBox()
                which.setPrefix(f"{node.name}_")
                which.setRange(0, max(instances(node, model) - 1, 0))
                self.editors["instance"] = which
                layout.addWidget(which)
                button.clicked.connect(lambda: self.sigOpenInstance.emit(nid, which.value()))
        form = QFormLayout()
        layout.addLayout(form)
        name = QLineEdit(node.name)
        name.editingFinished.connect(lambda: self._rename(name))
        self.editors["name"] = name
        form.addRow("Name", name)
        if node.kind not in ("Input", "Output"):
            life = QComboBox()
            life.addItems(["init", "build"])
            life.setCurrentText(node.lifecycle)
            life.setToolTip("Where the class styles create this sub-layer")
            life.activated.connect(lambda _: self._set_field("lifecycle", life.currentText()))
            self.editors["lifecycle"] = life
            form.addRow("Created in", life)
            cond = QLineEdit(node.condition or "")
            cond.setPlaceholderText("always (e.g. in_channels != out_channels)")
            cond.textEdited.connect(lambda t: self._check_condition(cond, t))
            cond.editingFinished.connect(lambda: self._set_condition(cond))
            self.editors["condition"] = cond
            if node.repeat is not None and not node.condition:
                cond.setEnabled(False)  # its instances are counted: the condition is the count
                cond.setPlaceholderText("repeated: put the condition in the count")
            form.addRow("Only if", cond)
        if node.repeat is not None:
            self._repeat_rows(form, node)
        out = QLabel(self._shape_text(nid))
        self.editors["output_shape"] = out
        form.addRow("Output", out)
        run = self._run_text(nid)
        if run:
            note = run_note(model, self.runs, nid)
            self.run_label = QLabel(f"{note}: {run}" if note else run, wordWrap=True)
            if note:  # what the node did before the edit, not what it does now
                self.run_label.setStyleSheet("color: #80868b; font-style: italic;")
            self.run_label.setToolTip(f"From {self.runs.shown_run.label}")
            form.addRow("Last run", self.run_label)
        owner = node
        if node.shares:
            target = model.doc.nodes.get(node.shares)
            form.addRow("Shares", QLabel(target.name if target else node.shares))
            if target is None:
                return
            owner = target  # a sharer has no params of its own: show the layer's, read-only
        if spec is None or not spec.params:
            return
        params_form = QFormLayout()
        shared = owner is not node
        header = QLabel(
            f"<b>Parameters</b> of {owner.name} (shared layer, edit them there)"
            if shared
            else "<b>Parameters</b>"
        )
        header.setWordWrap(True)
        layout.addWidget(header)
        layout.addLayout(params_form)
        env = block_env(model.doc)  # the lists' lengths, once for every editor
        for pspec in spec.params:
            value = owner.params.get(pspec.name, pspec.default)
            shown = (
                resolve(value, env)
                if not isinstance(value, ParamRef) or value.param in env
                else None
            )
            editor = ParamEditor(
                pspec,
                value,
                link_choices(model.doc, pspec, env),
                shown,
                per_instance=per_instance(owner, pspec.name, value, model),
            )
            editor.setEnabled(not shared)
            editor.sigCommit.connect(self._set_param)
            editor.sigError.connect(lambda _n, msg: self._say(msg))
            self.editors[pspec.name] = editor
            label = pspec.name + (" *" if pspec.required else "")
            params_form.addRow(label, editor)

    def _run_text(self, nid: str) -> str:
        """What the run on show did with this node's layer: Keras's error, or its weights."""
        if self.runs.shown_run is None:
            return ""
        error = self.runs.errors().get(nid)
        if error:
            return error
        weights = self.runs.weight_events(nid)
        if not weights:
            return "no weights"
        params = sum(int(e.data.get("params", 0)) for e in weights)
        shapes = ", ".join(
            "×".join(str(d) for d in e.data.get("shape", ())) or "scalar" for e in weights
        )
        return f"{len(weights)} weight(s), {params:,} params ({shapes})"

    def _rename(self, line: QLineEdit) -> None:
        node = self.model.doc.nodes.get(self.node_id or "")
        text = line.text().strip()
        if node is None or text == node.name:
            return
        taken = {n.name for n in self.model.doc.nodes.values() if n.id != node.id}
        why = name_problem(text, "node", self.model.catalog.reserved_names)
        if why or text in taken:
            self._say(why or f"Name {text!r} is already used.")
            line.setText(node.name)
            return
        self.model.push(c.SetNodeField(self.model.doc, node.id, "name", text))

    def _set_field(self, field: str, value: Any) -> None:
        if self.node_id and getattr(self.model.doc.nodes[self.node_id], field) != value:
            self.model.push(c.SetNodeField(self.model.doc, self.node_id, field, value))

    def _check_condition(self, line: QLineEdit, text: str) -> str | None:
        if not text.strip():
            line.setStyleSheet("")
            self._say("")
            return None
        try:
            check_names(text, set(block_env(self.model.doc)))
        except ConditionError as exc:
            line.setStyleSheet("border: 1px solid #d93025;")
            self._say(f"Condition: {exc.message}")
            return exc.message
        line.setStyleSheet("")
        self._say("")
        return None

    def _set_condition(self, line: QLineEdit) -> None:
        text = line.text().strip()
        if self._check_condition(line, text) is None:
            self._set_field("condition", text or None)

    def _set_param(self, name: str, value: Any) -> None:
        if self.node_id is None:
            return
        node = self.model.doc.nodes[self.node_id]
        if name in node.params and node.params[name] == value:
            return
        self.model.push(c.SetParam(self.model.doc, self.node_id, name, value))

    # -- block ------------------------------------------------------------------------------


def _tab_in_order(page: QWidget) -> None:
    """Tab goes through the page's fields top to bottom (a page put together from parts and
    then placed in the window otherwise leaves its fields out of the window's tab chain)."""
    fields = [
        w
        for w in page.findChildren(QWidget)
        if w.focusPolicy() & Qt.TabFocus
        and w.focusProxy() is None
        and not isinstance(w.parent(), QAbstractSpinBox | QComboBox)
        and w.window() is page.window()  # not a combo's popup
    ]
    for first, second in zip(fields, fields[1:], strict=False):
        QWidget.setTabOrder(first, second)
