"""Validation of the graph's shape: edges and ports, cycles, what lies off the Input → Output
paths, and the inputs themselves (the rest of validation is in ``core.validate``)."""

from __future__ import annotations

import builtins

from blockstudio.core.catalog import Catalog
from blockstudio.core.connect import edge_problems
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Document
from blockstudio.core.graph import reachable_from_inputs, reaching, topological_order
from blockstudio.core.names import is_identifier, name_problem
from blockstudio.core.problems import Problem
from blockstudio.core.sources import SOURCE_KINDS


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
        need = 0 if node.kind in SOURCE_KINDS else max(spec.min_inputs, 1)
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
    inputs, outputs = doc.input_nodes, doc.output_nodes
    if not inputs or not outputs:
        return out
    forward = reachable_from_inputs(doc)
    backward: set[str] = set()
    for outp in outputs:
        if outp.id not in forward:
            out.append(
                Problem(
                    "output_unreached",
                    "The Output is not reached from the Input; connect a path between them.",
                    outp.id,
                )
            )
        backward |= reaching(doc, outp.id)
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
            # a node with no input at all is told so by check_inputs: one cause, one problem
            if any(e.dst == node.id for e in doc.edges):
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


def check_inputs(doc: Document, shapes: list[tuple]) -> list[Problem]:
    """One shape per Input node; several inputs have distinct indexes and names that can be
    variables of the generated code (``skip``, ``skip_shape``)."""
    inputs = doc.input_nodes
    if not inputs:
        return [Problem("io_count", "A block needs an Input node, found none.")]
    out: list[Problem] = []
    names = ", ".join(n.name for n in inputs)
    if len(inputs) != len(shapes):
        if len(inputs) > 1:
            example = ", ".join(["(None, 16, 16, 32)"] * len(inputs))
            msg = (
                f"The block has {len(inputs)} Input nodes ({names}), so the input shape needs "
                f"one shape each, in that order, e.g. {example}; it gives {len(shapes)}."
            )
        else:
            msg = f"The block has one Input node, but the input shape gives {len(shapes)} shapes."
        out.append(Problem("bad_shape", msg, param="input_shape"))
    if len(inputs) == 1:
        return out
    out += distinct_indexes(inputs, "Inputs")
    for node in inputs:
        msg = name_problem(node.name, "node")
        if msg is None and (node.name.endswith("_shape") or hasattr(builtins, node.name)):
            msg = (
                f"Input name {node.name!r} cannot be a variable of the generated code (a "
                "Python built-in, or a shape's name); with several inputs each name is one. "
                "Rename it, e.g. x_in or skip."
            )
        if msg and is_identifier(node.name):
            out.append(Problem("reserved_name", msg, node.id, "name"))
    return out


def distinct_indexes(nodes: list, what: str) -> list[Problem]:
    """Each of several Inputs (or Outputs) has its own position."""
    out: list[Problem] = []
    seen: dict[int, str] = {}
    for node in nodes:
        index = node.params.get("index", 0)
        if index in seen:
            out.append(
                Problem(
                    "bad_param",
                    f"{what} {seen[index]} and {node.name} both have index {index}; give each "
                    f"its own position (0, 1, ...).",
                    node.id,
                    "index",
                )
            )
        seen.setdefault(index, node.name)
    return out
