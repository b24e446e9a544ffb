"""Layered left-to-right auto-layout: columns by longest path from the input, rows by order."""

from __future__ import annotations

from blockstudio.core.document import Document
from blockstudio.core.graph import topological_order

COLUMN = 210.0
ROW = 130.0


def layered_layout(doc: Document) -> dict[str, tuple[float, float]]:
    """New positions for every node: each column holds nodes at the same depth.

    Rows follow the order of the nodes' first input within the previous column (a barycentre
    pass), so a residual branch sits under the main path instead of crossing it.
    """
    order, cyclic = topological_order(doc)
    preds: dict[str, list[str]] = {n: [] for n in doc.nodes}
    for e in doc.edges:
        if e.src in doc.nodes and e.dst in doc.nodes:
            preds[e.dst].append(e.src)
    depth: dict[str, int] = {}
    for nid in order:
        depth[nid] = max((depth[p] + 1 for p in preds[nid] if p in depth), default=0)
    for nid in cyclic:  # nodes on a cycle have no depth: put them after everything else
        depth[nid] = max(depth.values(), default=0) + 1
    columns: dict[int, list[str]] = {}
    for nid in [*order, *cyclic]:
        columns.setdefault(depth[nid], []).append(nid)
    rank = {nid: i for i, nid in enumerate([*order, *cyclic])}
    row_of: dict[str, float] = {}
    for col in sorted(columns):
        members = columns[col]

        def key(nid: str) -> float:
            rows = [row_of[p] for p in preds[nid] if p in row_of]
            return sum(rows) / len(rows) if rows else 0.0

        members.sort(key=lambda n: (key(n), rank[n]))
        for i, nid in enumerate(members):
            row_of[nid] = float(i)
    return {nid: (depth[nid] * COLUMN, row_of[nid] * ROW) for nid in doc.nodes}


def laid_out(doc: Document) -> Document:
    """``doc`` with every card where :func:`layered_layout` puts it (an imported block)."""
    where = layered_layout(doc)
    nodes = [n.with_changes(position=where[n.id]) for n in doc.nodes.values()]
    return Document(doc.name, doc.input_shape, doc.params, doc.description, nodes, doc.edges)
