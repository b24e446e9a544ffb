"""Copy, paste and duplicate of nodes (with the edges among them) as JSON on the clipboard."""

from __future__ import annotations

import json
from typing import Any

from blockstudio.core import commands as c
from blockstudio.core.doc_json import repeat_from_dict, value_from_json
from blockstudio.core.document import (
    INPUT_KIND,
    OUTPUT_KIND,
    Document,
    Edge,
    Node,
)

NODES_MIME = "application/x-blockstudio-nodes"


def copy_payload(doc: Document, node_ids: list[str]) -> str:
    ids = [n for n in node_ids if doc.nodes[n].kind not in (INPUT_KIND, OUTPUT_KIND)]
    nodes = [doc.to_dict()["nodes"][list(doc.nodes).index(n)] for n in ids]
    edges = [[e.src, e.dst, e.port] for e in doc.edges if e.src in ids and e.dst in ids]
    return json.dumps({"nodes": nodes, "edges": edges})


def paste_commands(doc: Document, text: str, offset: float = 40.0) -> list[c.Command] | None:
    """Commands that add copies of the nodes in ``text`` with fresh ids and names."""
    try:
        data: dict[str, Any] = json.loads(text)
        raw_nodes, raw_edges = data["nodes"], data["edges"]
    except (ValueError, KeyError, TypeError):
        return None
    scratch = doc.copy()
    mapping: dict[str, str] = {}
    out: list[c.Command] = []
    for raw in raw_nodes:
        nid = scratch.new_id()
        mapping[raw["id"]] = nid
        x, y = raw.get("position", [0, 0])
        repeat = repeat_from_dict(raw["repeat"])[0] if "repeat" in raw else None
        node = Node(
            nid,
            raw["kind"],
            scratch.unique_name(raw["name"]),
            {k: value_from_json(v) for k, v in raw.get("params", {}).items()},
            raw.get("lifecycle", "init"),
            raw.get("condition"),
            None,
            (float(x) + offset, float(y) + offset),
            repeat,  # a repeated node's copy repeats too
        )
        scratch.add_node(node)
        out.append(c.AddNode(node))
    for src, dst, port in raw_edges:
        if src in mapping and dst in mapping:
            edge = Edge(mapping[src], mapping[dst], port)
            scratch.add_edge(edge)
            out.append(_LateConnect(edge, scratch))
    return out


class _LateConnect(c.Connect):
    """Connect between nodes that exist only once the pasted AddNode commands have run."""

    def __init__(self, edge: Edge, names: Document) -> None:
        self.edge = edge
        self.text = f"Connect {names.nodes[edge.src].name} → {names.nodes[edge.dst].name}"
