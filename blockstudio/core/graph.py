"""Graph queries over a document: order, cycles, reachability."""

from __future__ import annotations

from collections import deque

from blockstudio.core.document import INPUT_KIND, Document
from blockstudio.core.sources import SOURCE_KINDS


def topological_order(doc: Document) -> tuple[list[str], list[str]]:
    """Node ids in an order where every edge goes forward, and the ids left on cycles.

    Ties keep document order, so the result is deterministic.
    """
    index = {nid: i for i, nid in enumerate(doc.nodes)}
    indeg = dict.fromkeys(doc.nodes, 0)
    succ: dict[str, list[str]] = {nid: [] for nid in doc.nodes}
    for e in doc.edges:
        if e.src in succ and e.dst in indeg:
            succ[e.src].append(e.dst)
            indeg[e.dst] += 1
    ready = sorted((n for n, d in indeg.items() if d == 0), key=index.__getitem__)
    queue = deque(ready)
    order: list[str] = []
    while queue:
        nid = queue.popleft()
        order.append(nid)
        released = []
        for nxt in succ[nid]:
            indeg[nxt] -= 1
            if indeg[nxt] == 0:
                released.append(nxt)
        for nxt in sorted(released, key=index.__getitem__):
            queue.append(nxt)
    cyclic = [n for n in doc.nodes if indeg[n] > 0]
    return order, cyclic


def reachable_from(doc: Document, start: str) -> set[str]:
    """``start`` and every node its output reaches."""
    return _walk(doc, start, forward=True)


def reachable_from_inputs(doc: Document) -> set[str]:
    """Every node fed, directly or not, by one of the Input nodes (and the inputs), or by a
    source node (a weight of the block's own, a position range), which feeds as an Input does."""
    out: set[str] = set()
    for node in doc.nodes.values():
        if node.kind == INPUT_KIND or node.kind in SOURCE_KINDS:
            out |= reachable_from(doc, node.id)
    return out


def reaching(doc: Document, target: str) -> set[str]:
    """``target`` and every node that feeds it, directly or not."""
    return _walk(doc, target, forward=False)


def _walk(doc: Document, start: str, forward: bool) -> set[str]:
    step: dict[str, list[str]] = {}
    for e in doc.edges:
        a, b = (e.src, e.dst) if forward else (e.dst, e.src)
        step.setdefault(a, []).append(b)
    seen = {start}
    stack = [start]
    while stack:
        for nxt in step.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
