"""Whether a new edge may be drawn, and why not: the canvas asks before it connects."""

from __future__ import annotations

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Document
from blockstudio.core.graph import reachable_from


def connection_problem(
    doc: Document, catalog: Catalog, src: str, dst: str, port: int
) -> str | None:
    """None if ``src`` → ``dst``:``port`` is a valid new edge, else the reason in words."""
    if src not in doc.nodes or dst not in doc.nodes:
        return "That node no longer exists."
    s, d = doc.nodes[src], doc.nodes[dst]
    if src == dst:
        return f"{s.name} cannot feed itself."
    if s.kind == OUTPUT_KIND:
        return "The Output node has no output."
    if d.kind == INPUT_KIND:
        return "The Input node takes no input."
    spec = catalog.get(d.kind)
    if spec is not None and spec.max_inputs is not None and port >= max(spec.max_inputs, 1):
        return f"{d.name} ({d.kind}) takes at most {spec.max_inputs} input(s)."
    for e in doc.edges:
        if e.dst == dst and e.port == port:
            return f"Input {port} of {d.name} is already connected to {doc.nodes[e.src].name}."
        if e.src == src and e.dst == dst:
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
