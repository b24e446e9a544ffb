"""The edge rules, once: what every edge must obey (validation reports breaches of a document)
and whether a new edge may be drawn, and why not (the canvas asks before it connects)."""

from __future__ import annotations

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Document, Edge
from blockstudio.core.graph import reachable_from
from blockstudio.core.problems import Problem
from blockstudio.core.sources import SOURCE_KINDS


def edge_problems(doc: Document, catalog: Catalog, edge: Edge) -> list[Problem]:
    """What is wrong with ``edge`` on its own: a missing end, an end without that port."""
    if edge.src not in doc.nodes or edge.dst not in doc.nodes:
        missing = edge.src if edge.src not in doc.nodes else edge.dst
        return [Problem("bad_edge", f"Edge {edge.src} → {edge.dst} names missing node {missing}.")]
    out = []
    src, dst = doc.nodes[edge.src], doc.nodes[edge.dst]
    if src.kind == OUTPUT_KIND:
        out.append(Problem("bad_edge", "The Output node has no output port.", edge.src))
    if dst.kind == INPUT_KIND:
        out.append(Problem("bad_edge", "The Input node has no input port.", edge.dst))
    elif dst.kind in SOURCE_KINDS:
        out.append(Problem("bad_edge", f"{dst.name} ({dst.kind}) has no input port.", edge.dst))
    spec = catalog.get(dst.kind)
    if (
        spec is not None
        and dst.kind not in SOURCE_KINDS
        and spec.max_inputs is not None
        and edge.port >= max(spec.max_inputs, 1)
    ):
        out.append(
            Problem(
                "too_many_inputs",
                f"{dst.name} ({dst.kind}) takes at most {spec.max_inputs} input(s); "
                f"port {edge.port} does not exist.",
                edge.dst,
            )
        )
    return out


def occupant(doc: Document, dst: str, port: int) -> Edge | None:
    """The edge into input ``port`` of ``dst``, if one is there."""
    return next((e for e in doc.edges if e.dst == dst and e.port == port), None)


def connection_problem(
    doc: Document, catalog: Catalog, src: str, dst: str, port: int, replace: bool = False
) -> str | None:
    """None if ``src`` → ``dst``:``port`` is a valid new edge, else the reason in words. With
    ``replace`` an edge already on that port is no reason: the new edge takes its place (as
    in node editors: a drop on a connected input rewires it)."""
    if src not in doc.nodes or dst not in doc.nodes:
        return "That node no longer exists."
    s, d = doc.nodes[src], doc.nodes[dst]
    if src == dst:
        return f"{s.name} cannot feed itself."
    problems = edge_problems(doc, catalog, Edge(src, dst, port))
    if problems:
        return problems[0].message
    old = occupant(doc, dst, port)
    if old is not None and old.src == src:
        return f"{s.name} already feeds input {port} of {d.name}."
    if old is not None and not replace:
        return f"Input {port} of {d.name} is already connected to {doc.nodes[old.src].name}."
    for e in doc.edges:
        if e.src == src and e.dst == dst and e != old:
            return f"{s.name} already feeds {d.name}."
    if src in reachable_from(doc, dst):
        return f"Connecting {s.name} → {d.name} would make a cycle."
    return None


def free_port(doc: Document, catalog: Catalog, dst: str) -> int:
    """The first unconnected input port of ``dst`` (the next one for merge layers)."""
    taken = {e.port for e in doc.edges if e.dst == dst}
    port = 0
    while port in taken:
        port += 1
    return port
