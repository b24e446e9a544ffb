"""The inspector's page for the block itself (nothing selected): its class name, input shape,
description and block parameters, each edit a command."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from blockstudio.core import commands as c
from blockstudio.core.catalog import ParamSpec
from blockstudio.core.document import PARAM_TYPES, BlockParam
from blockstudio.core.names import name_problem
from blockstudio.core.params import check_block_param, when_none_problems
from blockstudio.core.shapes import ShapeError, format_input_shape, parse_input_shape
from blockstudio.ui.param_editor import parse_text, show_value

WHEN_NONE_TIP = (
    "What the selected parameter is when it is given as None, computed from the others, e.g. "
    "MONAI's filters: [min(2 ** (5 + i), 512) for i in range(len(strides))]. Numbers, names, "
    "arithmetic, comparisons, x if c else y, [... for i in ...], indexing, min, max, len, range."
)

REQUIRED_TIP = (
    "required: the exported class has no default for it; the studio runs the block with "
    "this example value."
)


class BlockPage:
    """A mixin of the Inspector (``self.model``, ``self.editors``, ``self._say``...)."""

    def _block_page(self, layout: QVBoxLayout) -> None:
        doc = self.model.doc
        layout.addWidget(QLabel("<b>Block</b>"))
        form = QFormLayout()
        layout.addLayout(form)
        name = QLineEdit(doc.name)
        name.editingFinished.connect(lambda: self._set_block_name(name))
        self.editors["block_name"] = name
        form.addRow("Class name", name)
        shape = QLineEdit(format_input_shape(doc.input_shape))
        shape.setToolTip(
            "e.g. (None, 64, 64, 32), 64, 64, 32 or 64x64x32; with several Input nodes one "
            "shape each, in index order: (None, 32, 32, 64), (None, 64, 64, 32)"
        )
        shape.textEdited.connect(lambda t: self._check_shape(shape, t))
        shape.editingFinished.connect(lambda: self._set_shape(shape))
        self.editors["input_shape"] = shape
        form.addRow("Input shape", shape)
        context = self.model.context
        if context is not None:  # an opened block node: what reaches it there is shown
            where = self.model.where[-1] if self.model.where else "its node"
            at_node = QLabel(f"{format_input_shape(context[0])} at {where}")
            at_node.setToolTip(
                "The canvas shows the shapes this block has where it is used; the input "
                "shape above is the block's own example."
            )
            at_node.setStyleSheet("color: #9aa0a6;")
            self.editors["input_here"] = at_node
            form.addRow("Here", at_node)
        desc = QPlainTextEdit(doc.description)
        desc.setFixedHeight(70)
        desc.focusOutEvent = lambda e, d=desc: (
            self._set_description(d),
            QPlainTextEdit.focusOutEvent(d, e),
        )
        self.editors["description"] = desc
        form.addRow("Description", desc)
        layout.addWidget(QLabel("<b>Block parameters</b>"))
        here = context[1] if context is not None else None  # what the node passes in
        table = QTableWidget(len(doc.params), 3 if here is None else 4)
        table.setHorizontalHeaderLabels(["name", "type", "default", "here"][: table.columnCount()])
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        if here is not None:  # four columns in the panel's width: the values as wide as they are
            header.setSectionResizeMode(0, QHeaderView.Stretch)
            header.setSectionResizeMode(1, QHeaderView.Fixed)
            header.resizeSection(1, 64)
            for col in (2, 3):
                header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        for row, p in enumerate(doc.params):
            for col, text in ((0, p.name), (2, show_value(p.default))):  # 1: the type menu
                item = QTableWidgetItem(text)
                item.setToolTip(p.doc)
                table.setItem(row, col, item)
            if here is not None:  # read-only: the node that opened this block sets it
                item = QTableWidgetItem(show_value(here.get(p.name, p.default)))
                item.setFlags(item.flags() & ~Qt.ItemIsEditable)
                item.setToolTip(f"What {where} passes for {p.name}")
                table.setItem(row, 3, item)
            if p.when_none:
                table.item(row, 2).setToolTip(f"None computes {p.when_none}")
            if p.required:  # no default in the exported class: the value is the example's
                for col in (0, 2):
                    item = table.item(row, col)
                    font = item.font()
                    font.setItalic(True)
                    item.setFont(font)
                    item.setToolTip(f"{p.doc}\n\n{REQUIRED_TIP}".strip())
            kind = QComboBox()
            kind.addItems(PARAM_TYPES)
            kind.setCurrentText(p.type)
            kind.setToolTip("ints: a list of whole numbers, one per level (strides[2] reads one)")
            kind.activated.connect(
                lambda _i, r=row, k=kind: self._set_param_type(r, k.currentText())
            )
            table.setCellWidget(row, 1, kind)
            self.editors[f"param_type:{p.name}"] = kind
        table.setMinimumHeight(60 + 26 * len(doc.params))
        table.itemChanged.connect(self._param_cell_changed)
        self.editors["params"] = table
        layout.addWidget(table)
        if any(p.required for p in doc.params):
            note = QLabel(f"<i>Italic</i>: {REQUIRED_TIP}")
            note.setWordWrap(True)
            note.setStyleSheet("color: palette(mid);")
            self.editors["required_note"] = note
            layout.addWidget(note)
        when = QLineEdit()
        when.setPlaceholderText("select a parameter above")
        when.setToolTip(WHEN_NONE_TIP)
        when.setEnabled(False)
        table.currentCellChanged.connect(lambda r, *_: self._show_when_none(when, r))
        when.editingFinished.connect(lambda: self._set_when_none(when, table.currentRow()))
        self.editors["when_none"] = when
        when_row = QFormLayout()
        when_row.addRow("When None", when)
        layout.addLayout(when_row)
        row = QHBoxLayout()
        add, remove = QPushButton("Add"), QPushButton("Remove")
        add.clicked.connect(self._add_param)
        remove.clicked.connect(lambda: self._remove_param(table.currentRow()))
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        layout.addLayout(row)

    def _set_block_name(self, line: QLineEdit) -> None:
        text = line.text().strip()
        if text == self.model.doc.name:
            return
        why = name_problem(text, "block")
        if why:
            self._say(why)
            line.setText(self.model.doc.name)
            return
        self.model.push(c.SetBlockField(self.model.doc, "name", text))

    def _check_shape(self, line: QLineEdit, text: str) -> None:
        try:
            parse_input_shape(text)
        except ShapeError as exc:
            line.setStyleSheet("border: 1px solid #d93025;")
            self._say(f"Input shape: {exc.message}")
            return
        line.setStyleSheet("")
        self._say("")

    def _set_shape(self, line: QLineEdit) -> None:
        try:
            shape = parse_input_shape(line.text())
        except ShapeError:
            return  # the message is already shown; the document keeps its shape
        if shape != self.model.doc.input_shape:
            self.model.push(c.set_input_shape(self.model.doc, shape))

    def _set_description(self, box: QPlainTextEdit) -> None:
        text = box.toPlainText()
        if text != self.model.doc.description:
            self.model.push(c.SetBlockField(self.model.doc, "description", text))

    def _param_cell_changed(self, item: QTableWidgetItem) -> None:
        doc = self.model.doc
        if item.row() >= len(doc.params):
            return
        old = doc.params[item.row()]
        new = old
        if item.column() == 0:
            text = item.text().strip()
            why = name_problem(text, "param", self.model.catalog.reserved_names)
            if not why and text != old.name:
                why = c.rename_clash(doc, old.name, text)
            if why or (text != old.name and doc.param(text)):
                self._refuse(why or f"Block parameter name {text!r} is already used.")
                return
            new = dataclasses.replace(old, name=text)
        elif item.column() == 2:
            try:
                value = parse_text(
                    ParamSpec(old.name, old.type, optional=old.optional), item.text()
                )
            except ValueError as exc:
                self._refuse(str(exc))
                return
            message = check_block_param(old, value)
            if message:
                self._refuse(message)
                return
            new = dataclasses.replace(old, default=value)
        if new != old:
            self.model.push(c.EditBlockParam(doc, old.name, new))

    def _show_when_none(self, line: QLineEdit, row: int) -> None:
        params = self.model.doc.params
        line.setEnabled(0 <= row < len(params))
        line.setText((params[row].when_none or "") if line.isEnabled() else "")
        line.setCursorPosition(0)  # the start of a long expression says what it is
        line.setStyleSheet("")

    def _set_when_none(self, line: QLineEdit, row: int) -> None:
        """What the selected parameter is when given as None: an expression of the others
        (checked here; the parameter becomes optional)."""
        doc = self.model.doc
        if not 0 <= row < len(doc.params):
            return
        old = doc.params[row]
        text = line.text().strip() or None
        if text == old.when_none:
            return
        new = dataclasses.replace(old, when_none=text, optional=old.optional or bool(text))
        problems = when_none_problems(doc, new) if text else []
        if problems:
            line.setStyleSheet("border: 1px solid #d93025;")
            self._say(problems[0])
            return
        line.setStyleSheet("")
        self._say("")
        self.model.push(c.EditBlockParam(doc, old.name, new))

    def _set_param_type(self, row: int, type_: str) -> None:
        """Another type for a block parameter; its default is converted where it can be (3 ↔
        (3,)), else the type's plain default. Nodes that follow it are checked again."""
        doc = self.model.doc
        if row >= len(doc.params) or doc.params[row].type == type_:
            return
        old = doc.params[row]
        default = convert_default(old.default, type_)
        new = dataclasses.replace(old, type=type_, default=default, choices=None)
        self.model.push(c.EditBlockParam(doc, old.name, new))

    def _refuse(self, why: str) -> None:
        """A cell edit that cannot be taken: the table shows the document's value again (later:
        not under the table's own handler) and ``why`` stays below it until the next edit."""
        self._say(why)
        self._refused(why)

    def _add_param(self) -> None:
        doc = self.model.doc
        i = 1
        while doc.param(f"param{i}"):
            i += 1
        self.model.push(c.AddBlockParam(BlockParam(f"param{i}", "int", 1)))

    def _remove_param(self, row: int) -> None:
        if 0 <= row < len(self.model.doc.params):
            self.model.push(c.RemoveBlockParam(self.model.doc, self.model.doc.params[row].name))


_PLAIN = {"int": 1, "float": 1.0, "str": "", "bool": False, "ints": (1,)}


def convert_default(value, type_: str):
    """``value`` as a ``type_`` default: 3 → (3,) → 3, 2 → 2.0, else the type's plain value."""
    if value is None:
        return None
    if type_ == "ints":
        if isinstance(value, tuple | list) and all(type(v) is int for v in value):
            return tuple(value)
        return (value,) if type(value) is int else _PLAIN[type_]
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    try:
        converted = {"int": int, "float": float, "str": str, "bool": bool}[type_](value)
    except (TypeError, ValueError):
        return _PLAIN[type_]
    message = check_block_param(BlockParam("p", type_, converted), converted)
    return _PLAIN[type_] if message else converted
