"""Validation of the graph's shape: edges and ports, cycles, and what lies off the Input → Output
path (the rest of validation is in ``core.validate``)."""

from __future__ import annotations

from blockstudio.core.catalog import Catalog
from blockstudio.core.connect import edge_problems
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Document
from blockstudio.core.graph import reachable_from_inputs, reaching, topological_order
from blockstudio.core.problems import Problem


def check_edges(doc: Document, catalog: Catalog) -> list[Problem]:
    """Each edge's own problems, ports connected twice, and inputs left unconnected."""
    out: list[Problem] = []
    taken: dict[tuple[str, int], str] = {}
    for e in doc.edges:
        out += edge_problems(doc, catalog, e)
        if e.src not in doc.nodes or e.dst not in doc.nodes:
            continue
        src, dst = doc.nodes[e.src], doc.nodes[e.dst]
        key = (e.dst, e.port)
        if key in taken:
            out.append(
                Problem(
                    "port_taken",
                    f"Input {e.port} of {dst.name} is connected twice "
                    f"(from {doc.nodes[taken[key]].name} and {src.name}).",
                    e.dst,
                )
            )
        taken[key] = e.src
    ports_of: dict[str, set[int]] = {}
    for e in doc.edges:
        ports_of.setdefault(e.dst, set()).add(e.port)
    for node in doc.nodes.values():
        spec = catalog.get(node.kind)
        if spec is None or node.kind == INPUT_KIND:
            continue
        ports = sorted(ports_of.get(node.id, ()))
        need = max(spec.min_inputs, 1)
        if len(ports) < need:
            what = "an input" if need == 1 else f"at least {need} inputs"
            out.append(
                Problem(
                    "unconnected_input",
                    f"{node.name} needs {what}; {len(ports)} connected.",
                    node.id,
                )
            )
        elif ports != list(range(len(ports))):
            out.append(
                Problem(
                    "unconnected_input",
                    f"{node.name} has a gap in its inputs (ports {ports}).",
                    node.id,
                )
            )
    return out


def check_graph(doc: Document) -> list[Problem]:
    """Cycles, and nodes off the path from the Input to the Output."""
    out: list[Problem] = []
    _, cyclic = topological_order(doc)
    if cyclic:
        names = ", ".join(doc.nodes[n].name for n in cyclic)
        for nid in cyclic:
            out.append(
                Problem("cycle", f"Part of a cycle ({names}); tensors must flow forward.", nid)
            )
    inputs, outp = doc.input_nodes, doc.output_node
    if not inputs or outp is None:
        return out
    forward = reachable_from_inputs(doc)
    if outp.id not in forward:
        out.append(
            Problem(
                "output_unreached",
                "The Output is not reached from the Input; connect a path between them.",
                outp.id,
            )
        )
    backward = reaching(doc, outp.id)
    for node in doc.nodes.values():
        if node.kind == INPUT_KIND and len(inputs) > 1 and node.id not in backward:
            out.append(
                Problem(
                    "dead_node",
                    f"Input {node.name} does not lead to the Output; the block takes it "
                    "and ignores it.",
                    node.id,
                    severity="warning",
                )
            )
        if node.kind in (INPUT_KIND, OUTPUT_KIND):
            continue
        if node.id not in forward:
            out.append(Problem("unreached", f"{node.name} is not fed from an Input.", node.id))
        elif node.id not in backward:
            out.append(
                Problem(
                    "dead_node",
                    f"{node.name} does not lead to the Output; it will "
                    "not be in the exported code.",
                    node.id,
                    severity="warning",
                )
            )
    return out
