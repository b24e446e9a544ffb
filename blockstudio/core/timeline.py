"""What the timeline draws, computed from a trace: lanes, bars, markers, cumulative weights.

Pure data so it is tested without Qt and laid out once per trace, whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from blockstudio.core.trace import Trace, TraceEvent


@dataclass
class Lane:
    layer: str
    depth: int
    block: bool = False  # a block used as a node: its layers have lanes under it
    folded: bool = False  # those lanes are drawn on this one


def nested_blocks(trace: Trace) -> set[str]:
    """The layers that are blocks used as nodes: others live inside them (``down1/conv1``)."""
    return {e.layer.rpartition("/")[0] for e in trace.events if "/" in e.layer}


@dataclass
class TimelineLayout:
    """Every event placed: ``x``/``width`` in ms (or event order), ``lane`` a row index."""

    lanes: list[Lane]
    x: list[float] = field(default_factory=list)  # per event, same order as trace.events
    width: list[float] = field(default_factory=list)
    lane: list[int] = field(default_factory=list)
    cumulative: list[tuple[float, int]] = field(default_factory=list)  # (x, params so far)
    order_mode: bool = False


def _lanes(trace: Trace) -> tuple[list[Lane], dict[str, int]]:
    """One lane per layer, children right under the parent that first caused them (flame)."""
    parent_of: dict[str, str | None] = {}
    depth: dict[str, int] = {}
    by_id = {e.id: e for e in trace.events}
    for e in trace.events:
        if e.layer in parent_of:
            continue
        owner = None
        p = by_id.get(e.parent) if e.parent is not None else None
        while p is not None and p.layer == e.layer:
            p = by_id.get(p.parent) if p.parent is not None else None
        if p is not None:
            owner = p.layer
        block = e.layer.rpartition("/")[0]  # a layer inside a block node (down1/conv1)
        if block in parent_of:
            owner = block
        parent_of[e.layer] = owner
        depth[e.layer] = 0 if owner is None else depth.get(owner, 0) + 1
    children: dict[str | None, list[str]] = {}
    for layer, owner in parent_of.items():
        children.setdefault(owner, []).append(layer)
    order: list[Lane] = []

    def visit(owner: str | None) -> None:
        for layer in children.get(owner, []):
            order.append(Lane(layer, depth[layer]))
            visit(layer)

    visit(None)
    return order, {lane.layer: i for i, lane in enumerate(order)}


def shared_lanes(*traces: Trace) -> list[Lane]:
    """One lane order for several runs (compared side by side): the first run's lanes, then
    each layer only a later run has, right after the lane before it in that run."""
    order: list[Lane] = []
    for trace in traces:
        at = {lane.layer: i for i, lane in enumerate(order)}
        after = -1
        for lane in _lanes(trace)[0]:
            if lane.layer not in at:
                order.insert(after + 1, Lane(lane.layer, lane.depth))
                at = {ln.layer: i for i, ln in enumerate(order)}
            after = at[lane.layer]
    return order


def _ordered(lanes: list[Lane], order: list[Lane]) -> tuple[list[Lane], dict[str, int]]:
    """``lanes`` in ``order``, with an empty lane for a layer this run lacks (so the same
    layer is on the same row beside another run); a layer ``order`` lacks goes last."""
    own = {lane.layer: lane for lane in lanes}
    out = [own.get(lane.layer, lane) for lane in order]
    named = {lane.layer for lane in order}
    out += [lane for lane in lanes if lane.layer not in named]
    return out, {lane.layer: i for i, lane in enumerate(out)}


def layout_trace(
    trace: Trace,
    order_mode: bool = False,
    folded: set[str] | frozenset[str] = frozenset(),
    lane_order: list[Lane] | None = None,
) -> TimelineLayout:
    """Place the events; in order mode each event gets one equal step (spans cover their
    nested events), since many builds take microseconds. The layers inside a ``folded`` block
    are drawn on the block's own lane. ``lane_order`` (see :func:`shared_lanes`) puts the
    lanes in that order, empty where this run lacks a layer."""
    lanes, index = _lanes(trace)
    if lane_order:
        lanes, index = _ordered(lanes, lane_order)
    blocks = nested_blocks(trace)
    if blocks:
        lanes, index = _fold(lanes, blocks, set(folded) & blocks)
    out = TimelineLayout(lanes, order_mode=order_mode)
    if order_mode:
        step = {e.id: i for i, e in enumerate(trace.events)}
        last_inside = _last_descendant(trace)
        for e in trace.events:
            out.x.append(float(step[e.id]))
            out.width.append(
                float(step[last_inside[e.id]] - step[e.id] + 1) if e.dur is not None else 0.0
            )
    else:
        for e in trace.events:
            out.x.append(e.ts / 1000.0)
            out.width.append((e.dur or 0.0) / 1000.0)
    out.lane = [index[e.layer] for e in trace.events]
    total = 0
    out.cumulative.append((0.0, 0))
    for i, e in enumerate(trace.events):
        if e.type == "weight":
            total += int(e.data.get("params", 0))
            out.cumulative.append((out.x[i], total))
    end = max((x + w for x, w in zip(out.x, out.width, strict=True)), default=0.0)
    out.cumulative.append((end, total))
    return out


def step_points(cumulative: list[tuple[float, int]]) -> tuple[list[float], list[int]]:
    """The parameter count as a step function: it jumps at each weight and stays flat between
    weights (each point after the first is doubled: once at the old count, once at the new)."""
    xs: list[float] = []
    ys: list[int] = []
    for x, y in cumulative:
        if ys:
            xs.append(x)
            ys.append(ys[-1])
        xs.append(x)
        ys.append(y)
    return xs, ys


def _fold(
    lanes: list[Lane], blocks: set[str], folded: set[str]
) -> tuple[list[Lane], dict[str, int]]:
    kept: list[Lane] = []
    where: dict[str, str] = {}
    for lane in lanes:
        parts = lane.layer.split("/")
        outer = next(
            ("/".join(parts[:i]) for i in range(1, len(parts)) if "/".join(parts[:i]) in folded),
            None,
        )
        if outer is not None:
            where[lane.layer] = outer
            continue
        where[lane.layer] = lane.layer
        kept.append(Lane(lane.layer, lane.depth, lane.layer in blocks, lane.layer in folded))
    at = {lane.layer: i for i, lane in enumerate(kept)}
    return kept, {layer: at[target] for layer, target in where.items()}


def _last_descendant(trace: Trace) -> dict[int, int]:
    last = {e.id: e.id for e in trace.events}
    by_id = {e.id: e for e in trace.events}
    for e in trace.events:
        p = e.parent
        while p is not None:
            last[p] = max(last[p], e.id)
            p = by_id[p].parent
    return last


def build_states(
    trace: Trace, upto: int, node_of: Callable[[TraceEvent], str | None] | None = None
) -> tuple[dict[str, str], dict[str, int]]:
    """For replay: each node's state after the first ``upto`` events ("building" / "built")
    and how many weights it has so far, by node id (events of the block itself are left out).
    ``node_of`` says which node an event belongs to (default: its ``node``)."""
    node_of = node_of or (lambda e: e.node)
    state: dict[str, str] = {}
    weights: dict[str, int] = {}
    open_builds: list[TraceEvent] = []
    for e in trace.events[:upto]:
        while open_builds and e.ts >= open_builds[-1].end:
            done = node_of(open_builds.pop())
            if done:
                state[done] = "built"
        node = node_of(e)
        if e.type == "build":
            if node:
                state[node] = "building"
            open_builds.append(e)
        elif e.type == "weight" and node:
            weights[node] = weights.get(node, 0) + 1
    return state, weights


def compare_runs(a: Trace, b: Trace) -> list[str]:
    """Plain-language differences between two runs of (versions of) a block."""
    lines: list[str] = []
    where = {"__init__": "__init__", "build": "build()", "call": "call()"}

    def born(trace: Trace) -> dict[str, str]:
        return {
            e.layer: where.get(e.data.get("created_in", ""), "at top level")
            for e in trace.of_type("construct")
        }

    def made(place: str) -> str:
        return place if place == "at top level" else f"in {place}"

    ba, bb = born(a), born(b)
    for layer in sorted(set(ba) | set(bb)):
        if layer not in bb:
            lines.append(f"{layer} exists only with {a.label} (made {made(ba[layer])})")
        elif layer not in ba:
            lines.append(f"{layer} exists only with {b.label} (made {made(bb[layer])})")
        elif ba[layer] != bb[layer]:
            lines.append(
                f"{layer} is made {made(ba[layer])} with {a.label}, "
                f"{made(bb[layer])} with {b.label}"
            )
    wa = {w.path.split("/", 1)[-1]: w for w in a.weights}
    wb = {w.path.split("/", 1)[-1]: w for w in b.weights}
    for path in sorted(set(wa) ^ set(wb)):
        side = a.label if path in wa else b.label
        lines.append(f"weight {path} exists only with {side}")
    lines.append(
        f"weights: {len(a.weights)} with {a.label}, {len(b.weights)} with {b.label}; "
        f"parameters: {a.total_params:,} vs {b.total_params:,}"
    )
    return lines
