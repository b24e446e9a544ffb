"""Asking the engine for traces; the replies go into the run model (no pyqtgraph here)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from blockstudio.core.project import document_to_json
from blockstudio.core.runs import RunModel, RunOrigin
from blockstudio.core.shapes import Shape
from blockstudio.core.trace import trace_from_dict


class RunController(QObject):
    """Sends trace requests with the run model's settings and adds the traces to the model."""

    sigBusy = Signal(bool)
    sigMessage = Signal(str)

    def __init__(self, model, engine, runs: RunModel, parent=None) -> None:
        super().__init__(parent)
        self.model, self.engine, self.runs = model, engine, runs
        self.calls = 2
        self.call_shape: Shape | None = None
        # request → label and, for a comparison, (comparison, slot 0 or 1)
        self._pending: dict[int, tuple[str, tuple[int, int] | None]] = {}
        self._origins: dict[int, RunOrigin] = {}  # request → the document it ran on
        self._pairs: dict[int, list] = {}  # comparison → its two slots, filled as replies come
        self._next_pair = 0
        engine.sigReply.connect(self._reply)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        calls: int = 2,
        call_shape: Shape | None = None,
        style: str | None = None,
        doc_json: str | None = None,
        values: dict | None = None,
        label: str = "",
        weights: str | None = None,
        pair: tuple[int, int] | None = None,
    ) -> int:
        """Trace the document (or ``doc_json``), or the user's own class when that is the run
        model's subject; style and weights default to the settings."""
        if pair is None:  # the calls of the run on show, which F6 and F7 add to
            self.calls, self.call_shape = calls, call_shape
        settings = self.runs.settings
        subject = self.runs.subject
        if subject is not None and doc_json is None:
            payload = {
                **subject.payload(),
                "calls": calls,
                "call_shape": list(call_shape) if call_shape else None,
            }
            rid = self.engine.submit("user_trace", payload, timeout=settings.timeout)
            self._pending[rid] = (label or subject.label, pair)
            self._origins[rid] = self.model.origin()
            self.sigBusy.emit(True)
            self.sigMessage.emit(f"Running your class {subject.label}…")
            return rid
        context = self.model.context
        if context is not None and doc_json is None:
            # an open block runs as it is at its node: that input shape and those values
            here = self.model.doc.copy()
            here.set_block_field("input_shape", tuple(context[0]))
            doc_json, values = document_to_json(here), {**context[1], **(values or {})}
        payload = {
            **self.model.payload(),
            **({"document": doc_json} if doc_json else {}),
            "style": style or settings.style,
            "calls": calls,
            "call_shape": list(call_shape) if call_shape else None,
            "values": values or {},
            "weights": weights or settings.weights,
        }
        rid = self.engine.submit("trace", payload, timeout=300)
        self._pending[rid] = (label, pair)
        self._origins[rid] = self.model.origin()
        self.sigBusy.emit(True)
        self.sigMessage.emit(
            "Running…"
            if self.engine.status == "ready"
            else "Waiting for the engine (TensorFlow is loading)…"
        )
        return rid

    def compare(self, first: dict, second: dict) -> int:
        """Run two variants (keyword arguments of :meth:`run`); the pair goes into the run
        model once both are back."""
        pair = self._next_pair
        self._next_pair += 1
        self._pairs[pair] = [None, None]
        self.run(**first, pair=(pair, 0))
        self.run(**second, pair=(pair, 1))
        return pair

    def cancel(self) -> None:
        for rid in list(self._pending):
            self.engine.cancel(rid)

    def _reply(self, reply) -> None:
        if reply.kind not in ("trace", "user_trace") or reply.id not in self._pending:
            return
        label, pair = self._pending.pop(reply.id)
        origin = self._origins.pop(reply.id, None)
        self.sigBusy.emit(bool(self._pending))
        if not reply.ok:
            if pair is not None:
                self._pairs.pop(pair[0], None)  # half a comparison is no comparison
            message = "Run cancelled." if reply.cancelled else f"Run failed: {reply.error}"
            self.sigMessage.emit(message)
            self.runs.fail(message)
            return
        trace = trace_from_dict(reply.result)
        trace.label = label
        self.runs.add_run(trace, show=pair is None, origin=origin)
        if trace.error:
            where = f"{trace.error['where']}: " if trace.error.get("where") else ""
            self.sigMessage.emit(
                f"{where}error in {trace.error['layer']}: {trace.error['message']}"
            )
        else:
            self.sigMessage.emit(
                f"{trace.label}: {len(trace.top_calls())} call(s), "
                f"{trace.total_params:,} parameters in {reply.seconds:.2f} s"
            )
        if pair is None:
            return
        slots = self._pairs.get(pair[0])
        if slots is None:
            return
        slots[pair[1]] = trace
        if None not in slots:
            del self._pairs[pair[0]]
            self.runs.add_pair(*slots)
