"""A run of your own class as an editable block: the calls Keras saw, mapped onto catalog kinds.

Each sub-layer call becomes a node of its Keras class with the constructor arguments its config
shows (those that differ from the catalog's defaults), named after the attribute the block keeps
it in, and created where the run saw it created (``__init__`` or ``build()``). A second call of
the same layer becomes a node that shares it. ``+``, ``-``, ``*`` and ``keras.ops.concatenate``
become Add, Subtract, Multiply and Concatenate. What has no catalog kind (``keras.ops.pad``, a
custom layer) is named call by call, and nothing is made from a run that has any.
"""

from __future__ import annotations

from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.layout import layered_layout
from blockstudio.core.names import name_problem, snake_case
from blockstudio.core.trace import Trace


class ImportError_(ValueError):
    """The run cannot become a document; ``problems`` says which calls and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} call(s) cannot be imported: " + "; ".join(problems))
        self.problems = problems


def _value(v: Any) -> Any:
    return tuple(_value(x) for x in v) if isinstance(v, list) else v


def document_from_trace(trace: Trace, catalog: Catalog) -> Document:
    """The document for ``trace.structure`` (a run of the user's class), or ImportError_."""
    structure = trace.structure
    if not structure or not structure.get("nodes"):
        why = (structure or {}).get("problem") or "the run recorded no structure"
        raise ImportError_([why])
    created_in = {e.layer: e.data.get("created_in") for e in trace.of_type("construct")}
    problems: list[str] = []
    nodes: list[Node] = []
    ids: dict[str, str] = {}
    first: dict[str, str] = {}  # layer → the node of its first call (later calls share it)
    taken: set[str] = set()
    for i, n in enumerate(structure["nodes"]):
        if n["kind"] in ("input", "output"):
            nid = n["kind"]
            nodes.append(Node(nid, n["kind"].capitalize(), nid))
            ids[n["id"]] = nid
            continue
        spec = catalog.get(n["class"])
        if spec is None or spec.generic or n["class"] in ("Input", "Output"):
            what = "keras.ops." + snake_case(n["class"]) if n["kind"] == "op" else n["class"]
            where = f" at {n['where']}" if n.get("where") else ""
            problems.append(
                f"{n['layer']} (call {n['call'] + 1}{where}): {what} has no catalog kind"
            )
            continue
        nid = f"n{i}"
        ids[n["id"]] = nid
        name = _name(n, taken, catalog.reserved_names)
        if n["layer"] in first:
            nodes.append(Node(nid, n["class"], name, shares=first[n["layer"]]))
            continue
        first[n["layer"]] = nid
        config = n.get("config", {})
        params = {
            p.name: _value(config[p.name])
            for p in spec.params
            if p.name in config and _value(config[p.name]) != p.default
        }
        lifecycle = "build" if created_in.get(n["layer"]) == "build" else "init"
        nodes.append(Node(nid, n["class"], name, params, lifecycle))
    if problems:
        raise ImportError_(problems)
    edges = [Edge(ids[a], ids[b], port) for a, b, port in structure["edges"]]
    draft = Document(trace.block, trace.input_shape, nodes=nodes, edges=edges)
    where = layered_layout(draft)
    placed = [n.with_changes(position=where[n.id]) for n in nodes]
    return Document(
        trace.block,
        trace.input_shape,
        description=f"Imported from a run of {trace.label}.",
        nodes=placed,
        edges=edges,
    )


def _name(n: dict[str, Any], taken: set[str], reserved: frozenset[str]) -> str:
    """The block's attribute name for the layer when it has one that is a fine node name."""
    base = n.get("attr") or n["layer"]
    if name_problem(base, "node", reserved) is not None:
        base = n["layer"]
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name
