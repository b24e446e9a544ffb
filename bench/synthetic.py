"""Synthetic large documents for benchmarks: residual stages of conv → norm → act → add."""

from __future__ import annotations

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef


def big_document(n_nodes: int = 1000, channels: int = 8) -> Document:
    """A valid document with about ``n_nodes`` nodes (Input and Output included)."""
    doc = Document(
        "BigBlock",
        (None, 16, 16, channels),
        [BlockParam("spatial_dims", "int", 2), BlockParam("width", "int", channels)],
    )
    doc.add_node(Node("in", "Input", "input", position=(0.0, 0.0)))
    prev, skip, i = "in", "in", 0
    while len(doc.nodes) < n_nodes - 1:
        stage = i // 4
        kind, params = [
            ("Convolution", {"filters": ParamRef("width"), "kernel_size": 3}),
            ("Normalization", {"norm": "batch"}),
            ("LeakyReLU", {"negative_slope": 0.1}),
            ("Add", {}),
        ][i % 4]
        nid = f"n{i}"
        position = (180.0 * i, 120.0 * (stage % 3))
        doc.add_node(Node(nid, kind, f"{kind.lower()}_{i}", params, position=position))
        doc.add_edge(Edge(prev, nid, 0))
        if kind == "Add":
            doc.add_edge(Edge(skip, nid, 1))
            skip = nid
        prev = nid
        i += 1
    doc.add_node(Node("out", "Output", "output", position=(180.0 * (i + 1), 0.0)))
    doc.add_edge(Edge(prev, "out"))
    return doc
