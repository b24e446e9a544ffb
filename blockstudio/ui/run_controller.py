"""Asking the engine for traces; keeps the runs of this session (no pyqtgraph here)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox

from blockstudio.core.project import document_to_json
from blockstudio.core.shapes import Shape
from blockstudio.core.trace import Trace, trace_from_dict


class RunController(QObject):
    """Asks the engine for traces and keeps the runs of this session."""

    sigRun = Signal(object)  # Trace
    sigCompare = Signal(object, object)  # the two traces of a comparison, in the order asked
    sigBusy = Signal(bool)
    sigMessage = Signal(str)

    def __init__(
        self, model, engine, code_style: QComboBox, weights: QComboBox, parent=None
    ) -> None:
        super().__init__(parent)
        self.model, self.engine, self.style_box = model, engine, code_style
        self.weights_box = weights
        self.runs: list[Trace] = []
        self.calls = 2
        self.call_shape: Shape | None = None
        # request → label and, for a comparison, (comparison, slot 0 or 1)
        self._pending: dict[int, tuple[str, tuple[int, int] | None]] = {}
        self._pairs: dict[int, list] = {}  # comparison → its two slots, filled as replies come
        self._next_pair = 0
        engine.sigReply.connect(self._reply)

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
        self.calls, self.call_shape = calls, call_shape
        payload = {
            "document": doc_json or document_to_json(self.model.doc),
            "style": style or self.style_box.currentText(),
            "calls": calls,
            "call_shape": list(call_shape) if call_shape else None,
            "values": values or {},
            "weights": weights or self.weights_box.currentText(),
        }
        rid = self.engine.submit("trace", payload, timeout=300)
        self._pending[rid] = (label, pair)
        self.sigBusy.emit(True)
        self.sigMessage.emit(
            "Running…"
            if self.engine.status == "ready"
            else "Waiting for the engine (TensorFlow is loading)…"
        )
        return rid

    def compare(self, first: dict, second: dict) -> int:
        """Run two variants (keyword arguments of :meth:`run`) and emit ``sigCompare`` once both
        are back; a comparison is data here, not a label convention."""
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
        if reply.kind != "trace" or reply.id not in self._pending:
            return
        label, pair = self._pending.pop(reply.id)
        self.sigBusy.emit(bool(self._pending))
        if not reply.ok:
            if pair is not None:
                self._pairs.pop(pair[0], None)  # half a comparison is no comparison
            self.sigMessage.emit(
                "Run cancelled." if reply.cancelled else f"Run failed: {reply.error}"
            )
            return
        trace = trace_from_dict(reply.result)
        trace.label = label or f"run {len(self.runs) + 1} · {trace.style}"
        self.runs.append(trace)
        if trace.error:
            self.sigMessage.emit(f"Keras error in {trace.error['layer']}: {trace.error['message']}")
        else:
            self.sigMessage.emit(
                f"{trace.label}: {len(trace.top_calls())} call(s), "
                f"{trace.total_params:,} parameters in {reply.seconds:.2f} s"
            )
        if pair is None:
            self.sigRun.emit(trace)
            return
        slots = self._pairs.get(pair[0])
        if slots is None:
            return
        slots[pair[1]] = trace
        if None not in slots:
            del self._pairs[pair[0]]
            self.sigCompare.emit(*slots)
