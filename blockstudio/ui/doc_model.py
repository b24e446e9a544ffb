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
from blockstudio.core.doc_events import (
    BlockChanged,
    BlockParamChanged,
    DocEvent,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeRemoved,
)
from blockstudio.core.document import Document
from blockstudio.core.library import FILE_PREFIX, blocks_payload, file_kind
from blockstudio.core.problems import Problem
from blockstudio.core.project import document_to_json
from blockstudio.core.runs import RunModel, RunOrigin, Scope
from blockstudio.core.validate import validate


class _QtCommand(QUndoCommand):
    """A core command on the QUndoStack."""

    def __init__(self, model: DocumentModel, command: Command) -> None:
        super().__init__(command.text)
        self.model, self.command = model, command
        self.doc = model.doc  # an edit inside a block stays with that block's document

    def redo(self) -> None:
        self.command.redo(self.doc)
        self.model.edited(self.doc)

    def undo(self) -> None:
        self.command.undo(self.doc)
        self.model.edited(self.doc)


class DocumentModel(QObject):
    """Holds the document and what is known about it (problems, shapes)."""

    sigAboutToReset = Signal()  # another document is about to be shown: drop what refers to it
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
    sigRefused = Signal(str)  # an edit that was not made, and why (views put their values back)

    def __init__(self, catalog: Catalog, doc: Document, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.undo_stack = QUndoStack(self)
        self._path: Path | None = None
        self.doc = doc
        self.problems: list[Problem] = []
        self.shape_problems: list[Problem] = []
        self.shapes: dict[str, tuple] = {}
        self.present: dict[str, bool] = {}
        self.absent_reason: dict[str, str] = {}
        self.param_counts: dict[str, int] = {}  # Keras's count_params() per node, from the engine
        self.root_doc = doc  # the project; ``doc`` is a block inside it while one is open
        self.kind: str | None = None  # the block kind of ``doc`` when it is not the project
        self.read_only = ""  # why ``doc`` cannot be edited (a template), or empty
        self.edited_kinds: set[str] = set()  # block files with edits to save
        # an open block is inferred where its node sits: that node's input shape and values
        self.context: tuple[tuple, dict[str, Any]] | None = None
        self.where: tuple[str, ...] = ()  # the block nodes opened down to ``doc``
        self._macros: list[bool] = []  # open macros: True where one was begun on the stack
        self.revision = 0
        self.generation = 0  # +1 each time another project is shown (New, Open, recover)
        # (document, node id) → the revision of that node's last change: runs older are stale
        self._node_revisions: dict[tuple[int, str], int] = {}
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
        if self.refused():
            # no reset: this may run inside the handler of the very widget being edited; the
            # views put their values back on their own time (cards, fields)
            return
        self.undo_stack.push(_QtCommand(self, command))

    def edited(self, doc: Document) -> None:
        """A command changed ``doc``: when it is a block used as a node, every document using
        it must look again (its parameters, shapes and code may have changed)."""
        library = self.catalog.library
        if doc is self.root_doc or library is None:
            return
        for kind in library.kinds_of(doc):
            library.touch(kind)
            if kind.startswith(FILE_PREFIX):
                self.edited_kinds.add(kind)
        if doc is not self.doc:
            self._changed()  # undone from another level: this one may depend on it

    def enter(
        self,
        doc: Document,
        kind: str | None,
        read_only: str = "",
        context: tuple[tuple, dict[str, Any]] | None = None,
        where: tuple[str, ...] = (),
    ) -> None:
        """Show ``doc`` (a block inside the project, or the project again when ``kind`` is
        None); one undo history for the whole project. ``context`` is the input shape and
        parameter values of the node it was opened from, which its shapes are inferred for;
        ``where`` the names of the block nodes opened from the project down to it."""
        self.sigAboutToReset.emit()
        self._unsubscribe()
        self.doc, self.kind, self.read_only, self.context = doc, kind, read_only, context
        self.where = where
        self._unsubscribe = doc.subscribe(self._on_event)
        self.shapes, self.present, self.absent_reason = {}, {}, {}
        self.param_counts, self.shape_problems = {}, []
        self.sigReset.emit()
        self._changed()

    def push_all(self, commands: list[Command]) -> None:
        """Several commands as one undo step, named after the first."""
        if len(commands) == 1:
            self.push(commands[0])
            return
        self.begin_macro(commands[0].text)
        for command in commands:
            self.push(command)
        self.end_macro()

    def begin_macro(self, text: str) -> None:
        # a read-only document gets no macro: its commands are refused, and an empty step
        # would mark the project as edited
        self._macros.append(not self.read_only)
        if self._macros[-1]:
            self.undo_stack.beginMacro(text)

    def end_macro(self) -> None:
        if self._macros.pop():
            self.undo_stack.endMacro()

    def refused(self) -> bool:
        """True, and the views are told why, when the document on show cannot be edited."""
        if self.read_only:
            self.sigRefused.emit(self.read_only)
        return bool(self.read_only)

    def set_document(
        self, doc: Document, path: Path | None = None, clean: bool = True, read_only: str = ""
    ) -> None:
        """Replace the whole document (open, new, recover); clears undo history. A document
        shown ``read_only`` (what could be imported of a run) says why."""
        self.sigAboutToReset.emit()
        self._unsubscribe()
        self.doc = self.root_doc = doc
        self.where = ()
        self.generation += 1
        self._node_revisions = {}
        self.kind, self.read_only, self.context = None, read_only, None
        self.edited_kinds = set()
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
    def path(self) -> Path | None:
        return self._path

    @path.setter
    def path(self, path: Path | None) -> None:
        """The project's file; block files used as nodes are found relative to its folder."""
        self._path = path
        library = self.catalog.library
        if library is not None:
            base = path.parent if path is not None else None
            library.root = file_kind(path, base) if path is not None else None
            if base != library.base:
                library.base = base
                library.forget()  # file blocks are relative to the project's folder

    def origin(self) -> RunOrigin:
        """What a run asked for now runs on: this project, this level, this revision."""
        return RunOrigin(self.generation, self.where, self.revision)

    def scope(self) -> Scope:
        """Where the user looks, for the run model."""
        doc = self.doc

        def node_id(name: str) -> str | None:
            node = doc.node_by_name(name)
            return node.id if node is not None else None

        return Scope(self.generation, self.where, node_id)

    def payload(self, **extra: Any) -> dict[str, Any]:
        """A request to the engine about this document, with the blocks it uses."""
        return {
            "document": self.to_json(),
            "blocks": blocks_payload(self.doc, self.catalog),
            **extra,
        }

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def to_json(self) -> str:
        return document_to_json(self.doc)

    # -- events -----------------------------------------------------------------------------
    def changed_since(self, node_id: str, revision: int) -> bool:
        """Whether the node (of the document on show) was edited after ``revision``: its
        params, name, inputs, or the block's input shape and parameters."""
        doc = id(self.doc)
        last = max(
            self._node_revisions.get((doc, node_id), 0), self._node_revisions.get((doc, ""), 0)
        )
        return last > revision

    def _note_revision(self, event: DocEvent) -> None:
        match event:
            case NodeChanged(field="position"):
                return
            case NodeAdded(node_id=nid) | NodeRemoved(node_id=nid) | NodeChanged(node_id=nid):
                touched = nid
            case EdgeAdded(edge=edge) | EdgeRemoved(edge=edge):
                touched = edge.dst  # what feeds a layer is part of what it does
            case _:
                touched = ""  # the block's input shape or parameters: every node
        self._node_revisions[(id(self.doc), touched)] = self.revision + 1

    def _on_event(self, event: DocEvent) -> None:
        self._note_revision(event)
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
        payload = self.payload(param_counts=param_counts)
        if self.context is not None:
            payload["input_shape"], payload["values"] = list(self.context[0]), self.context[1]
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


def run_note(model: DocumentModel, runs: RunModel, node_id: str) -> str:
    """``"run 3 · build, before your last edit"`` when the run on show is older than the node's
    last edit (its result is no longer what the node does), else ``""``."""
    trace = runs.shown_run
    origin = runs.origin(trace)
    if trace is None or origin is None or not model.changed_since(node_id, origin.revision):
        return ""
    return f"{trace.label}, before your last edit"
