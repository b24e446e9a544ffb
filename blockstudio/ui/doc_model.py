"""The open document as Qt sees it: undo stack, change signals, validation and shapes.

Views never edit the document: they call :meth:`DocumentModel.push` with a core command; the
document's events come back here as Qt signals, and every view redraws from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from blockstudio.core.catalog import Catalog
from blockstudio.core.commands import Command
from blockstudio.core.document import (
    BlockChanged,
    BlockParamChanged,
    DocEvent,
    Document,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeRemoved,
)
from blockstudio.core.problems import Problem
from blockstudio.core.project import document_to_json
from blockstudio.core.validate import validate


class _QtCommand(QUndoCommand):
    """A core command on the QUndoStack."""

    def __init__(self, model: DocumentModel, command: Command) -> None:
        super().__init__(command.text)
        self.model, self.command = model, command

    def redo(self) -> None:
        self.command.redo(self.model.doc)

    def undo(self) -> None:
        self.command.undo(self.model.doc)


class DocumentModel(QObject):
    """Holds the document and what is known about it (problems, shapes)."""

    sigReset = Signal()
    sigNodeAdded = Signal(str)
    sigNodeRemoved = Signal(str)
    sigNodeChanged = Signal(str, str)  # node id, field ("params", "name", "position", ...)
    sigEdgeAdded = Signal(object)
    sigEdgeRemoved = Signal(object)
    sigBlockChanged = Signal(str)  # "name", "description" or "input_shape"
    sigBlockParamChanged = Signal(str)  # a block parameter was added, edited or removed
    sigChanged = Signal()  # anything changed (debounced consumers listen here)
    sigAnalysis = Signal()  # problems / shapes updated

    def __init__(self, catalog: Catalog, doc: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = None
        self.doc = doc
        self.problems: list[Problem] = []
        self.shape_problems: list[Problem] = []
        self.shapes: dict[str, tuple] = {}
        self.present: dict[str, bool] = {}
        self.absent_reason: dict[str, str] = {}
        self.param_counts: dict[str, int] = {}  # Keras's count_params() per node, from the engine
        self.revision = 0
        self._unsubscribe = doc.subscribe(self._on_event)
        self._infer_timer = QTimer(self, singleShot=True, interval=40)
        self._infer_timer.timeout.connect(self._request_inference)
        self._pending_infer: int | None = None
        self._settle = QTimer(self, singleShot=True, interval=0)
        self._settle.timeout.connect(self.flush)
        self.engine: Any = None  # EngineBridge, set by the window
        self._revalidate()

    # -- editing ----------------------------------------------------------------------------
    def push(self, command: Command) -> None:
        self.undo_stack.push(_QtCommand(self, command))

    def begin_macro(self, text: str) -> None:
        self.undo_stack.beginMacro(text)

    def end_macro(self) -> None:
        self.undo_stack.endMacro()

    def set_document(self, doc: Document, path: Path | None = None, clean: bool = True) -> None:
        """Replace the whole document (open, new, recover); clears undo history."""
        self._unsubscribe()
        self.doc = doc
        self.path = path
        self._unsubscribe = doc.subscribe(self._on_event)
        self.undo_stack.clear()
        if not clean:
            # a recovered document differs from its file: one marker step keeps it dirty
            self.undo_stack.resetClean()
            self.undo_stack.push(QUndoCommand("Recovered edits"))
        self.shapes, self.present, self.absent_reason = {}, {}, {}
        self.param_counts = {}
        self.sigReset.emit()
        self._changed()

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def to_json(self) -> str:
        return document_to_json(self.doc)

    # -- events -----------------------------------------------------------------------------
    def _on_event(self, event: DocEvent) -> None:
        match event:
            case NodeAdded(node_id=nid):
                self.sigNodeAdded.emit(nid)
            case NodeRemoved(node_id=nid):
                self.sigNodeRemoved.emit(nid)
            case NodeChanged(node_id=nid, field=name):
                self.sigNodeChanged.emit(nid, name)
            case EdgeAdded(edge=edge):
                self.sigEdgeAdded.emit(edge)
            case EdgeRemoved(edge=edge):
                self.sigEdgeRemoved.emit(edge)
            case BlockChanged(field=name):
                self.sigBlockChanged.emit(name)
            case BlockParamChanged(name=name):
                self.sigBlockParamChanged.emit(name)
            case _:
                raise TypeError(f"unknown document event {event!r}")
        self._changed()

    def _changed(self) -> None:
        # many events arrive per gesture (a layout moves every node): validate once per batch
        self.revision += 1
        if not self._settle.isActive():
            self._settle.start()

    def flush(self) -> None:
        """Validate now and tell the views (normally done once the current events are handled)."""
        self._settle.stop()
        self._revalidate()
        self._infer_timer.start()
        self.sigChanged.emit()

    def _revalidate(self) -> None:
        self.problems = validate(self.doc, self.catalog)

    # -- shape inference through the engine -------------------------------------------------
    def _request_inference(self, param_counts: bool = False) -> None:
        """Shapes first (fast); once they are shown, the same again with Keras's parameter
        counts, which build each changed layer from shapes (slower, and only for the cards)."""
        if self.engine is None:
            return
        payload = {"document": self.to_json(), "param_counts": param_counts}
        self._pending_infer = self.engine.submit("infer", payload, timeout=30.0)
        self._infer_revision = self.revision
        self._infer_counts = param_counts

    def on_engine_reply(self, reply: Any) -> None:
        if reply.kind != "infer" or reply.id != self._pending_infer:
            return
        self._pending_infer = None
        if not reply.ok:
            return
        if self._infer_revision != self.revision:
            return  # a newer request is on its way
        result = reply.result
        self.shapes = {k: tuple(v) for k, v in result["shapes"].items()}
        self.present = result["present"]
        self.absent_reason = result["absent_reason"]
        self.shape_problems = [Problem(**p) for p in result["problems"]]
        if self._infer_counts:
            self.param_counts = result["param_counts"]
        self.sigAnalysis.emit()
        if not self._infer_counts:
            self._request_inference(param_counts=True)

    def all_problems(self) -> list[Problem]:
        return self.problems + self.shape_problems

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.all_problems() if p.node_id == node_id]

    def request_inference_now(self) -> None:
        self._infer_timer.stop()
        self._request_inference()
