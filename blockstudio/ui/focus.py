"""Ctrl+Z / Ctrl+Shift+Z in a text field: the field's own undo while it has one, else the
document's.

A ``QLineEdit`` claims the undo keys (a shortcut override) even with nothing to undo, so with the
cursor in a field Ctrl+Z did nothing at all. This filter lets the keys through to the window's
Undo / Redo actions when the field has nothing of its own to undo or redo.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeySequence, QUndoStack
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget


def _own_history(widget: QObject, redo: bool) -> bool | None:
    """Whether a text widget can undo (or redo) its own typing; None for other widgets."""
    if isinstance(widget, QAbstractSpinBox):
        widget = widget.findChild(QLineEdit)
    if isinstance(widget, QLineEdit):
        if widget.isReadOnly():
            return False
        return widget.isRedoAvailable() if redo else widget.isUndoAvailable()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        if widget.isReadOnly():
            return False
        doc = widget.document()
        return doc.isRedoAvailable() if redo else doc.isUndoAvailable()
    return None


class UndoKeys(QObject):
    """Application event filter for one window: undo keys fall through to its undo stack."""

    def __init__(self, stack: QUndoStack, window: QWidget) -> None:
        super().__init__(window)
        self.stack, self.window = stack, window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.ShortcutOverride:
            return False
        if event.matches(QKeySequence.StandardKey.Undo):
            redo = False
        elif event.matches(QKeySequence.StandardKey.Redo) or (
            event.key() == Qt.Key_Y and event.modifiers() == Qt.ControlModifier
        ):
            redo = True
        else:
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self.window:
            return False
        own = _own_history(watched, redo)
        if own is None or own:
            return False  # not a text field, or the field has typing to undo: its own keys
        event.ignore()  # not claimed: the shortcut (Edit → Undo / Redo) runs
        return True
