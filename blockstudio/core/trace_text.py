"""A readable, indented text tree of a trace (the ``blockstudio trace`` default output)."""

from __future__ import annotations

from typing import Any

from blockstudio.core.shapes import format_input_shape, format_shape
from blockstudio.core.trace import Trace, TraceEvent


def shape_text(shape: Any) -> str:
    if isinstance(shape, list) and shape and isinstance(shape[0], list):
        return "[" + ", ".join(shape_text(s) for s in shape) + "]"
    if isinstance(shape, list | tuple):
        return format_shape(tuple(shape))
    return "?"


def duration_text(us: float | None) -> str:
    if us is None:
        return ""
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"


def call_note(e: TraceEvent) -> str:
    """What a call did about builds; a call Keras refused is "failed", whatever it built."""
    built = e.data.get("built", 0)
    if e.data.get("failed"):
        return f"failed after building {built} layer(s)" if built else "failed"
    return f"built {built} layer(s)" if built else "no build: already built"


def event_line(e: TraceEvent) -> str:
    """One line describing ``e`` (also used for tooltips in the studio)."""
    d = e.data
    if e.type == "construct":
        where = {"__init__": "in __init__", "build": "in build()", "call": "in call()"}.get(
            d.get("created_in"), "at top level"
        )
        parent = f" of {d['parent_layer']}" if d.get("parent_layer") else ""
        dur = f"  {duration_text(e.dur)}" if e.dur else ""
        return f"construct {e.cls} '{e.layer}' {where}{parent}{dur}"
    if e.type == "build":
        shapes = ", ".join(f"{k}={shape_text(v)}" for k, v in d.get("shapes", {}).items())
        return f"build {e.layer} ({shapes})  {duration_text(e.dur)}"
    if e.type == "weight":
        train = "trainable" if d.get("trainable") else "non-trainable"
        return (
            f"weight {e.path}  {shape_text(d.get('shape'))} {d.get('dtype')} "
            f"{d.get('initializer')} {train}  {d.get('params', 0):,} params"
        )
    if e.type == "call":
        out = shape_text(d.get("output_shape")) if "output_shape" in d else "no output"
        sym = " symbolic" if d.get("symbolic") else ""
        return (
            f"call #{d.get('index')} {e.layer}{sym} {shape_text(d.get('input_shape'))} → "
            f"{out}  {duration_text(e.dur)}  {call_note(e)}"
        )
    if e.type == "error":
        return f"ERROR in {e.layer} ({d.get('phase')}): {d.get('exception')}: {d.get('message')}"
    return f"{e.type} {e.layer}"


def trace_text(trace: Trace) -> str:
    """The whole trace: calls that built nothing are folded to one line."""
    head = (
        f"{trace.block} ({trace.style} style), input {format_input_shape(trace.input_shape)}, "
        f"Keras {trace.keras_version}"
    )
    lines = [head]
    children: dict[int | None, list[TraceEvent]] = {}
    for e in trace.events:
        children.setdefault(e.parent, []).append(e)

    def eventful(e: TraceEvent) -> bool:
        return any(c.type != "call" or eventful(c) for c in children.get(e.id, []))

    def walk(parent: int | None, indent: int) -> None:
        for e in children.get(parent, []):
            line = "  " * indent + event_line(e)
            kids = children.get(e.id, [])
            if e.type == "call" and kids and not eventful(e):
                line += f"  ({len(kids)} sub-layer calls)"
                lines.append(line)
                continue
            lines.append(line)
            walk(e.id, indent + 1)

    walk(None, 0)
    lines.append(f"{len(trace.weights)} weights, {trace.total_params:,} parameters")
    if trace.error:
        lines.append(f"stopped by an error in {trace.error['layer']}: {trace.error['message']}")
    return "\n".join(lines) + "\n"
