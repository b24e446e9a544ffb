"""The record of one run of a block: constructs, build() spans, weights, calls and errors.

Plain data (no Keras, no Qt), so the UI, the CLI and files share it. Times are microseconds since
the start of the run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from blockstudio.core.doc_json import value_to_json
from blockstudio.core.shapes import InputShape, as_input_shape

TRACE_FORMAT = "blockstudio.trace"
TRACE_VERSION = 1


@dataclass
class TraceEvent:
    """One thing Keras did.

    ``type``: construct | build | weight | call | error. ``layer`` is the Keras layer name (the
    node name for sub-layers) and ``node`` that node's id, which survives a rename. ``path`` is
    Keras's layer/variable path, ``parent`` the id of the enclosing span, ``dur`` None for
    instant events. ``data`` holds what the type adds (shapes, weight details, call index,
    message).
    """

    id: int
    type: str
    layer: str
    ts: float
    dur: float | None = None
    parent: int | None = None
    depth: int = 0
    path: str = ""
    cls: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    node: str | None = None  # id of the document node whose layer this is (None: the block)

    @property
    def end(self) -> float:
        return self.ts + (self.dur or 0.0)


@dataclass
class WeightInfo:
    """A weight as the block holds it after the run (from ``block.weights``)."""

    path: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool

    @property
    def params(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass
class Trace:
    """One run: what ran (block, style, shapes), every event, and the block's final weights."""

    block: str
    style: str
    input_shape: InputShape
    values: dict[str, Any] = field(default_factory=dict)
    events: list[TraceEvent] = field(default_factory=list)
    weights: list[WeightInfo] = field(default_factory=list)
    total_params: int = 0
    error: dict[str, Any] | None = None
    keras_version: str = ""
    label: str = ""
    # the calls Keras saw inside the block's call(): {"nodes": [...], "edges": [[src, dst, port]]}
    structure: dict[str, Any] | None = None

    def of_type(self, kind: str) -> list[TraceEvent]:
        return [e for e in self.events if e.type == kind]

    def top_calls(self) -> list[TraceEvent]:
        """The calls of the block itself, in order."""
        return [e for e in self.events if e.type == "call" and e.data.get("top")]

    def within(self, span: TraceEvent) -> list[TraceEvent]:
        """Events nested (at any depth) under ``span``."""
        inside: set[int] = {span.id}
        out = []
        for e in self.events:
            if e.parent in inside:
                inside.add(e.id)
                out.append(e)
        return out

    @property
    def duration(self) -> float:
        return max((e.end for e in self.events), default=0.0)


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    data = asdict(trace)
    data["input_shape"] = value_to_json(trace.input_shape)
    for w in data["weights"]:
        w["shape"] = list(w["shape"])
    return {"format": TRACE_FORMAT, "version": TRACE_VERSION, **data}


def trace_from_dict(data: dict[str, Any]) -> Trace:
    if data.get("format") != TRACE_FORMAT:
        raise ValueError("not a Block Studio trace")
    if data.get("version", 0) > TRACE_VERSION:
        raise ValueError(f"trace version {data.get('version')} is newer than this Block Studio")
    events = [TraceEvent(**e) for e in data["events"]]
    weights = [
        WeightInfo(w["path"], tuple(w["shape"]), w["dtype"], w["trainable"])
        for w in data["weights"]
    ]
    return Trace(
        data["block"],
        data["style"],
        as_input_shape(data["input_shape"]),
        data["values"],
        events,
        weights,
        data["total_params"],
        data.get("error"),
        data.get("keras_version", ""),
        data.get("label", ""),
        data.get("structure"),
    )


def trace_to_json(trace: Trace) -> str:
    return json.dumps(trace_to_dict(trace), indent=1) + "\n"


def trace_to_chrome(trace: Trace) -> dict[str, Any]:
    """Chrome Trace Event format: complete events for spans, instant events for the rest."""
    out: list[dict[str, Any]] = [
        {
            "name": "process_name",
            "ph": "M",
            "pid": 1,
            "tid": 1,
            "args": {"name": f"{trace.block} ({trace.style} style)"},
        },
    ]
    for e in trace.events:
        name = f"{e.type} {e.layer}" if e.type != "weight" else f"weight {e.path}"
        item: dict[str, Any] = {
            "name": name,
            "cat": e.type,
            "pid": 1,
            "tid": 1,
            "ts": round(e.ts, 3),
            "args": {"class": e.cls, "path": e.path, **_jsonable(e.data)},
        }
        if e.dur is not None:
            item.update(ph="X", dur=round(e.dur, 3))
        else:
            item.update(ph="i", s="t")
        out.append(item)
    return {
        "traceEvents": out,
        "displayTimeUnit": "ms",
        "otherData": {
            "block": trace.block,
            "style": trace.style,
            "total_params": trace.total_params,
        },
    }


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str))
