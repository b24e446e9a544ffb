"""Undo/redo history over a document, with macros and a clean (saved) mark."""

from __future__ import annotations

from collections.abc import Callable

from blockstudio.core.commands import Command, Macro
from blockstudio.core.document import Document


class History:
    """A linear command history; pushing after an undo discards the redo branch."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._commands: list[Command] = []
        self._index = 0
        self._clean_index: int | None = 0
        self._macros: list[Macro] = []
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def push(self, command: Command) -> None:
        """Apply ``command`` and record it (inside the open macro, if any)."""
        command.redo(self.doc)
        if self._macros:
            self._macros[-1].children.append(command)
            return
        del self._commands[self._index :]
        if self._clean_index is not None and self._clean_index > self._index:
            self._clean_index = None  # the saved state can no longer be reached
        self._commands.append(command)
        self._index += 1
        self._changed()

    def begin_macro(self, text: str) -> None:
        self._macros.append(Macro(text))

    def end_macro(self) -> None:
        macro = self._macros.pop()
        if not macro.children:
            return
        if self._macros:
            self._macros[-1].children.append(macro)
            return
        del self._commands[self._index :]
        self._commands.append(macro)
        self._index += 1
        self._changed()

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    def undo(self) -> None:
        if not self.can_undo:
            return
        self._index -= 1
        self._commands[self._index].undo(self.doc)
        self._changed()

    def redo(self) -> None:
        if not self.can_redo:
            return
        self._commands[self._index].redo(self.doc)
        self._index += 1
        self._changed()

    @property
    def is_clean(self) -> bool:
        return self._clean_index == self._index

    def set_clean(self) -> None:
        self._clean_index = self._index
        self._changed()
