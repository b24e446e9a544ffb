"""Opening a block node on the canvas and finding the way back: a breadcrumb above the canvas.

Double-clicking a block node shows its document in place of the outer one; the breadcrumb names
each level (``TwoLevels › down1``) and goes back to any of them; Alt+Up goes up one. There is one
undo history for the whole project, and edits inside a block from a file are saved to that file
with the project. A template is shipped with the studio, so it opens read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QToolButton

from blockstudio.core import commands as c
from blockstudio.core.document import Document
from blockstudio.core.library import (
    TEMPLATE_PREFIX,
    BlockError,
    file_kind,
    is_block_kind,
    kind_label,
)
from blockstudio.core.params import block_env, resolved
from blockstudio.core.project import save_document
from blockstudio.core.repeat import RepeatError, expand, instance_id
from blockstudio.core.shapes import format_input_shape


@dataclass
class _Level:
    doc: Document
    kind: str | None
    read_only: str
    node: str  # the name of the node opened from this level
    context: tuple[tuple, dict[str, Any]] | None


class BlockNavigator(QObject):
    """The stack of open blocks and its breadcrumb bar."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.levels: list[_Level] = []
        self.menu: QMenu | None = None
        self.bar = QFrame()
        self.bar.setObjectName("breadcrumb")
        self.bar.setStyleSheet(
            "QFrame#breadcrumb { background: #202124; border-bottom: 1px solid #3c4043; }"
            "QToolButton { color: #8ab4f8; border: none; padding: 2px 4px; }"
            "QToolButton:hover { text-decoration: underline; }"
            "QLabel { color: #e8eaed; }"
        )
        self._row = QHBoxLayout(self.bar)
        self._row.setContentsMargins(8, 3, 8, 3)
        self.bar.hide()
        window.scene.sigNodeActivated.connect(self.activate)
        window.model.sigReset.connect(self._on_reset)

    @property
    def depth(self) -> int:
        return len(self.levels)

    def activate(self, node_id: str) -> None:
        """A double-click on a card: its block opens; of a repeated node with several
        instances, a menu at the pointer says which (each with what reaches it)."""
        node = self.w.model.doc.nodes.get(node_id)
        made = self._instances(node) if node is not None and node.repeat is not None else 1
        if made <= 1 or not is_block_kind(node.kind):
            self.open_node(node_id)
            return
        menu = QMenu(self.w)
        menu.setObjectName("instances")
        menu.setAttribute(Qt.WA_DeleteOnClose)
        for i in range(made):
            reaches = self._context(node, i)
            shape = f" ← {format_input_shape(reaches[0])}" if reaches else ""
            action = menu.addAction(f"Open {node.name}_{i}{shape}")
            action.triggered.connect(lambda _=False, i=i: self.open_node(node_id, i))
        self.menu = menu  # for the tests: the menu on show
        menu.popup(QCursor.pos())

    def _instances(self, node) -> int:
        model = self.w.model
        env = block_env(model.doc, model.context[1] if model.context is not None else None)
        try:
            return expand(model.doc, env).counts.get(node.id, 0)
        except RepeatError:
            return 0

    def open_node(self, node_id: str, instance: int = 0) -> bool:
        """Show the block of node ``node_id`` (of a repeated node, its instance ``instance``);
        False (and a status message) if it is no block or cannot be read."""
        model = self.w.model
        node = model.doc.nodes.get(node_id)
        if node is None or not is_block_kind(node.kind):
            return False
        try:
            inner = model.catalog.library.document(node.kind, model.catalog)
        except BlockError as exc:
            self.w.statusBar().showMessage(f"Cannot open {node.name}: {exc}", 8000)
            return False
        self.levels.append(_Level(model.doc, model.kind, model.read_only, node.name, model.context))
        read_only = ""
        if node.kind.startswith(TEMPLATE_PREFIX):
            read_only = (
                f"{kind_label(node.kind)} is a template shipped with Block Studio and opens "
                "read-only; Make an Editable Copy (above the canvas) to change it for this node."
            )
        where = node.name if node.repeat is None else f"{node.name}_{instance}"
        context = self._context(node, instance)
        model.enter(inner, node.kind, read_only, context, (*model.where, where))
        self._after_move()
        if node.repeat is not None:
            self.w.statusBar().showMessage(
                f"{node.name} is repeated: showing instance {where}, with its values and what "
                "reaches it (Alt+Up goes back).",
                8000,
            )
        return True

    def _context(self, node, instance: int = 0) -> tuple[tuple, dict[str, Any]] | None:
        """The input shape reaching ``node`` and its parameter values, block parameters
        resolved: what the block inside sees there."""
        model = self.w.model
        env = block_env(model.doc, model.context[1] if model.context is not None else None)
        srcs = model.doc.inputs_of(node.id)
        if node.repeat is not None:  # a repeated node opens as one of its instances, fed
            try:  # what feeds that instance: the one before it, a skip of its own level
                srcs = expand(model.doc, env).doc.inputs_of(instance_id(node, instance))
            except RepeatError:
                return None
            env[node.repeat.index] = instance
        shapes = [model.shapes.get(e.src) for e in srcs]
        if not shapes or any(s is None for s in shapes):
            return None
        shape = tuple(tuple(s) for s in shapes) if len(shapes) > 1 else shapes[0]
        return tuple(shape), resolved(node.params, env)

    def up(self, levels: int = 1) -> None:
        """Back up ``levels`` levels (towards the project)."""
        if not self.levels:
            return
        levels = min(levels, len(self.levels))
        target = self.levels[-levels]
        del self.levels[-levels:]
        where = self.w.model.where[: len(self.levels)]
        self.w.model.enter(target.doc, target.kind, target.read_only, target.context, where)
        self._after_move()
        self.w.scene.select_node(self._node_id(target.doc, target.node))

    def make_copy(self) -> Path | None:
        """The open template saved as a ``.bsblock`` beside the project, the node it was opened
        from pointed at that file (one undoable step), and the copy opened, editable."""
        model = self.w.model
        if not model.read_only or not self.levels or model.kind is None:
            return None
        if model.path is None:
            self.w.statusBar().showMessage(
                "Save the project first (Ctrl+S): the copy goes in the project's folder.", 8000
            )
            return None
        folder = model.path.parent
        stem = kind_label(model.kind)
        path, n = folder / f"{stem}.bsblock", 2
        while path.exists():
            path, n = folder / f"{stem}-{n}.bsblock", n + 1
        save_document(model.doc.copy(), path)
        parent = self.levels[-1]
        self.up(1)
        node_id = self._node_id(parent.doc, parent.node)
        if node_id is None:
            return None
        kind = file_kind(path, folder)
        model.push(c.SetNodeField(model.doc, node_id, "kind", kind))
        self.w.palette.add_block(kind)
        self.open_node(node_id)
        self.w.statusBar().showMessage(f"{parent.node} now uses {path.name}; edit it here.", 8000)
        return path

    def _node_id(self, doc: Document, name: str) -> str | None:
        node = doc.node_by_name(name)
        return node.id if node is not None else None

    def _after_move(self) -> None:
        self._refresh()
        self.w.view.fit_all()
        self.w._update_title()
        if self.w.model.read_only:
            self.w.statusBar().showMessage(self.w.model.read_only, 8000)

    def _on_reset(self) -> None:
        model = self.w.model
        if model.doc is model.root_doc and model.kind is None and self.levels:
            self.levels.clear()  # a new project was opened
        self._refresh()

    def _refresh(self) -> None:
        while self._row.count():
            item = self._row.takeAt(0)
            widget = item.widget()
            if widget is not None:  # gone from the bar now (no query finds it), deleted later
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        if not self.levels:
            if self.w.model.read_only:  # a read-only view of a whole document
                note = QLabel(f"Read-only view. {self.w.model.read_only}")
                note.setStyleSheet("color: #fdd663;")
                note.setWordWrap(True)
                note.setObjectName("read_only_note")
                self._row.addWidget(note, 1)
                self.bar.show()
            else:
                self.bar.hide()
            return
        up = QToolButton(text="↑ Up")
        up.setToolTip("Back to the block around this one (Alt+Up)")
        up.clicked.connect(lambda: self.up(1))
        self._row.addWidget(up)
        opened = self.w.model.where  # an instance of a repeated node by its own name
        if len(opened) != len(self.levels):
            opened = tuple(level.node for level in self.levels)
        names = [self.w.model.root_doc.name, *opened]
        for i, name in enumerate(names[:-1]):
            button = QToolButton(text=name)
            button.setObjectName(f"crumb{i}")
            levels_up = len(names) - 1 - i
            button.clicked.connect(lambda _=False, n=levels_up: self.up(n))
            self._row.addWidget(button)
            self._row.addWidget(QLabel("›"))
        model = self.w.model
        where = (
            f", shapes as at its node: input {format_input_shape(model.context[0])}"
            if model.context is not None
            else ""
        )
        here = QLabel(
            f"<b>{names[-1]}</b>  <span style='color:#9aa0a6'>{model.doc.name}, "
            f"{kind_label(model.kind or '')}{where}</span>"
        )
        self._row.addWidget(here)
        if model.read_only:
            note = QLabel("read-only template")
            note.setStyleSheet("color: #fdd663;")
            note.setToolTip(model.read_only)
            self._row.addWidget(note)
            copy = QToolButton(text="Make an Editable Copy")
            copy.setObjectName("make_copy")
            copy.setToolTip(
                "Save this template as a block file beside the project and use it for this "
                "node: then it can be edited here (undo puts the template back)"
            )
            copy.clicked.connect(self.make_copy)
            self._row.addWidget(copy)
        self._row.addStretch(1)
        self.bar.show()
        self.bar.setAttribute(Qt.WA_StyledBackground, True)
