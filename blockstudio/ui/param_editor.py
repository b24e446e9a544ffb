"""One typed editor per parameter, validated live, with an optional link to a block parameter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from blockstudio.core.catalog import ParamSpec
from blockstudio.core.document import Expr, ParamRef
from blockstudio.core.params import check_value
from blockstudio.core.params import parse_text as parse_value

LINK_NONE = "—"


def parse_text(spec: ParamSpec, text: str) -> Any:
    """Turn typed text into a value for ``spec`` (literals only, never eval)."""
    return parse_value(text, spec.type, spec.name)


def show_value(value: Any) -> str:
    return "None" if value is None else repr(value)


class ParamEditor(QWidget):
    """Emits ``sigCommit(name, value)`` with a checked value or ``sigError(name, message)``."""

    sigCommit = Signal(str, object)
    sigError = Signal(str, str)

    def __init__(
        self,
        spec: ParamSpec,
        value: Any,
        links: list[ParamRef],
        resolved: Any = None,
        parent=None,
        per_instance: tuple[Any, ...] | None = None,
    ) -> None:
        """``resolved`` is what a linked ``value`` (a :class:`ParamRef`) stands for now: shown
        read-only while linked, and kept as the value when the link is removed. In a repeated
        node a value read per instance (``strides[i + 1]``) is ``per_instance``: one each."""
        super().__init__(parent)
        self.spec = spec
        self.per_instance = per_instance
        self.resolved = resolved if isinstance(value, ParamRef | Expr) else value
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.editor = self._make_editor(value)
        self.editor.setMinimumWidth(56)  # a spin box over a 32-bit range must not widen the panel
        layout.addWidget(self.editor, 1)
        self.link = QComboBox()
        self.link.addItem(LINK_NONE)
        for ref in links:
            self.link.addItem(str(ref), ref)
        self.link.setToolTip("Follow a block parameter")
        # as wide as a short name: a long list of entries must not widen the inspector
        self.link.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.link.setMinimumContentsLength(8)
        layout.addWidget(self.link)  # first: a combo shown without a parent is a window
        self.link.setVisible(bool(links) and spec.linkable)
        if isinstance(value, ParamRef | Expr):  # an Expr: computed per repeat index
            if self.link.findText(str(value)) < 0:
                self.link.addItem(str(value), value)  # an entry past the list's end: refused
            self.link.setCurrentText(str(value))
            self.editor.setEnabled(False)
        self.link.currentTextChanged.connect(self._link_changed)

    def _make_editor(self, value: Any) -> QWidget:
        spec = self.spec
        shown = self.resolved
        if self.per_instance is not None:  # read only: the link says where they come from
            line = QLineEdit(", ".join(show_value(v) for v in self.per_instance))
            line.setReadOnly(True)
            line.setCursorPosition(0)
            line.setToolTip(
                "One value per instance, in order:\n"
                + "\n".join(f"{i}: {show_value(v)}" for i, v in enumerate(self.per_instance))
            )
            return line
        if shown is None and spec.required and spec.type not in ("bool", "choice"):
            # no value yet: an empty field that says so, never a made-up number
            line = QLineEdit()
            line.setPlaceholderText("needs a value")
            line.setToolTip(f"{spec.name} has no default: give it a value")
            line.editingFinished.connect(lambda: self._commit_text(line))
            line.textEdited.connect(lambda text: self._check_text(line, text))
            return line
        if spec.type == "bool":
            box = QCheckBox()
            box.setChecked(bool(shown))
            box.toggled.connect(lambda v: self._commit(bool(v)))
            return box
        if spec.type == "choice" and spec.choices:
            combo = QComboBox()
            for choice in spec.choices:
                combo.addItem(show_value(choice) if choice is None else str(choice), choice)
            index = next((i for i, ch in enumerate(spec.choices) if ch == shown), 0)
            combo.setCurrentIndex(index)
            combo.activated.connect(lambda i: self._commit(combo.itemData(i)))
            return combo
        if spec.type == "int" and not spec.optional:
            spin = QSpinBox()
            spin.setRange(
                int(spec.min) if spec.min is not None else -(2**31),
                int(spec.max) if spec.max is not None else 2**31 - 1,
            )
            spin.setValue(int(shown) if isinstance(shown, int) else 0)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v: self._commit(int(v)))
            return spin
        line = QLineEdit(show_value(shown) if spec.type != "str" else str(shown or ""))
        line.setPlaceholderText("None" if spec.optional else spec.type)
        line.editingFinished.connect(lambda: self._commit_text(line))
        line.textEdited.connect(lambda text: self._check_text(line, text))
        return line

    def _check_text(self, line: QLineEdit, text: str) -> None:
        message = self._problem(text)
        line.setStyleSheet("" if message is None else "border: 1px solid #d93025;")
        line.setToolTip(message or "")
        if message:
            self.sigError.emit(self.spec.name, message)
        else:
            self.sigError.emit(self.spec.name, "")

    def _problem(self, text: str) -> str | None:
        try:
            value = parse_text(self.spec, text)
        except ValueError as exc:
            return str(exc)
        return check_value(self.spec, value)

    def _commit_text(self, line: QLineEdit) -> None:
        if not line.isModified():
            return
        line.setModified(False)
        message = self._problem(line.text())
        if message:
            self.sigError.emit(self.spec.name, message)
            return
        self._commit(parse_text(self.spec, line.text()))

    def _commit(self, value: Any) -> None:
        message = check_value(self.spec, value)
        if message:
            self.sigError.emit(self.spec.name, message)
            return
        self.sigError.emit(self.spec.name, "")
        self.sigCommit.emit(self.spec.name, value)

    def _link_changed(self, text: str) -> None:
        if text == LINK_NONE:
            self.editor.setEnabled(True)
            # the value the link gave, not a stale one: unlinking changes nothing but the link
            value = self.resolved if self.resolved is not None else self.spec.default
            self.sigCommit.emit(self.spec.name, value)
        else:
            self.editor.setEnabled(False)
            self.sigCommit.emit(self.spec.name, self.link.currentData())


def link_choices(doc, pspec, env: dict) -> list[ParamRef]:
    """What a node parameter can follow: every block parameter, and for a number (or an int
    per axis) each entry of a list parameter (``strides[2]``: one level of a U-Net), as long
    as the list is in the block's values ``env`` (its default, or what it computes when None)."""
    out = [ParamRef(p.name) for p in doc.params]
    if pspec.type in ("int", "any", "float", "ints"):
        for p in doc.params:
            if p.type == "ints" and isinstance(env[p.name], tuple | list):
                out += [ParamRef(p.name, i) for i in range(len(env[p.name]))]
    return out
