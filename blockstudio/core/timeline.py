"""What the timeline draws, computed from a trace: lanes, bars, markers, cumulative weights.

Pure data so it is tested without Qt and laid out once per trace, whatever its size.
"""

from __future__ import annotations

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


def layout_trace(
    trace: Trace, order_mode: bool = False, folded: set[str] | frozenset[str] = frozenset()
) -> TimelineLayout:
    """Place the events; in order mode each event gets one equal step (spans cover their
    nested events), since many builds take microseconds. The layers inside a ``folded`` block
    are drawn on the block's own lane."""
    lanes, index = _lanes(trace)
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


def build_states(trace: Trace, upto: int) -> tuple[dict[str, str], dict[str, int]]:
    """For replay: each node's state after the first ``upto`` events ("building" / "built")
    and how many weights it has so far, by node id (events of the block itself are left out)."""
    state: dict[str, str] = {}
    weights: dict[str, int] = {}
    open_builds: list[TraceEvent] = []
    for e in trace.events[:upto]:
        while open_builds and e.ts >= open_builds[-1].end:
            done = open_builds.pop()
            if done.node:
                state[done.node] = "built"
        if e.type == "build":
            if e.node:
                state[e.node] = "building"
            open_builds.append(e)
        elif e.type == "weight" and e.node:
            weights[e.node] = weights.get(e.node, 0) + 1
    return state, weights


def compare_runs(a: Trace, b: Trace) -> list[str]:
    """Plain-language differences between two runs of (versions of) a block."""
    lines: list[str] = []

    def born(trace: Trace) -> dict[str, str]:
        return {e.layer: e.data.get("created_in", "") for e in trace.of_type("construct")}

    ba, bb = born(a), born(b)
    for layer in sorted(set(ba) | set(bb)):
        if layer not in bb:
            lines.append(f"{layer} exists only in {a.label} (created in {ba[layer]})")
        elif layer not in ba:
            lines.append(f"{layer} exists only in {b.label} (created in {bb[layer]})")
        elif ba[layer] != bb[layer]:
            lines.append(
                f"{layer}: created in {ba[layer]} in {a.label}, in {bb[layer]} in {b.label}"
            )
    wa = {w.path.split("/", 1)[-1]: w for w in a.weights}
    wb = {w.path.split("/", 1)[-1]: w for w in b.weights}
    for path in sorted(set(wa) ^ set(wb)):
        side = a.label if path in wa else b.label
        lines.append(f"weight {path} only in {side}")
    lines.append(
        f"weights: {len(a.weights)} vs {len(b.weights)}; parameters: "
        f"{a.total_params:,} vs {b.total_params:,}"
    )
    return lines
