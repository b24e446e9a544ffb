"""Hypothesis strategies for random valid block documents (chains, branches, merges, conditions)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.shapes import input_shapes, is_multi

CONDITIONS = [
    "in_channels != out_channels",
    "in_channels == 2",
    "stride != 1",
    "norm_name == 'batch'",
    "dropout is not None",
    "in_channels != out_channels or stride != 1",
    "(in_channels != out_channels or stride != 1) and dropout is not None",
    "in_channels != out_channels or not all_one(stride)",
]


@st.composite
def documents(draw, max_nodes: int = 7) -> Document:
    spatial = draw(st.sampled_from([1, 2, 3]))
    size = draw(st.sampled_from([4, 5] if spatial == 3 else [5, 6, 8]))
    in_ch = draw(st.sampled_from([2, 4]))
    out_ch = draw(st.sampled_from([2, 4, 6]))
    dropout = draw(st.sampled_from([None, 0.25]))
    params = [
        BlockParam("spatial_dims", "int", spatial, choices=(1, 2, 3)),
        BlockParam("out_channels", "int", out_ch),
        BlockParam("stride", "int", 1),
        BlockParam(
            "norm_name",
            "str",
            draw(st.sampled_from(["instance", "batch", "layer"])),
            choices=("instance", "batch", "layer"),
        ),
        BlockParam("dropout", "float", dropout, optional=True),
    ]
    # sometimes a second input (a U-Net skip): the block is then called on [x_in, skip]
    skip_ch = draw(st.sampled_from([None, 2, 3]))
    shape = (None, *[size] * spatial, in_ch)
    shapes = (shape, (None, *[size] * spatial, skip_ch)) if skip_ch else shape
    doc = Document("RandomBlock", shapes, params)
    env = {
        "in_channels": in_ch,
        "out_channels": out_ch,
        "stride": 1,
        "norm_name": params[3].default,
        "dropout": dropout,
    }
    doc.add_node(Node("in", "Input", "x_in" if skip_ch else "input"))
    pool: list[tuple[str, int]] = [("in", in_ch)]  # (node id, channels) of every output so far
    if skip_ch:
        doc.add_node(Node("skip", "Input", "skip", {"index": 1}))
        pool.append(("skip", skip_ch))
    consumed: set[str] = set()
    lrelus: list[str] = []
    n = draw(st.integers(1, max_nodes))
    for i in range(n):
        kind = draw(
            st.sampled_from(["conv", "norm", "act", "drop", "dense", "add", "concat", "shared"])
        )
        src, ch = pool[draw(st.integers(0, len(pool) - 1))]
        nid = f"n{i}"
        node: Node
        inputs = [src]
        if kind == "conv":
            filters = draw(st.sampled_from([ParamRef("out_channels"), 3, 4]))
            node = Node(
                nid,
                "Convolution",
                f"conv{i}",
                {
                    "filters": filters,
                    "kernel_size": draw(st.sampled_from([1, 3])),
                    "padding": draw(st.sampled_from(["symmetric", "same"])),
                },
            )
            ch = out_ch if isinstance(filters, ParamRef) else filters
        elif kind == "norm":
            norm = draw(st.sampled_from([ParamRef("norm_name"), "instance", "batch", "layer"]))
            node = Node(nid, "Normalization", f"norm{i}", {"norm": norm})
        elif kind == "act":
            node = draw(
                st.sampled_from(
                    [
                        Node(nid, "LeakyReLU", f"lrelu{i}", {"negative_slope": 0.2}),
                        Node(nid, "ReLU", f"relu{i}"),
                        Node(nid, "Activation", f"act{i}", {"activation": "tanh"}),
                    ]
                )
            )
            if node.kind == "LeakyReLU":
                lrelus.append(nid)
        elif kind == "drop":
            if dropout is not None and draw(st.booleans()):
                node = Node(
                    nid,
                    "Dropout",
                    f"drop{i}",
                    {"rate": ParamRef("dropout")},
                    condition="dropout is not None",
                )
            else:
                node = Node(nid, "Dropout", f"drop{i}", {"rate": 0.5})
        elif kind == "dense":
            ch = draw(st.sampled_from([3, 5]))
            node = Node(nid, "Dense", f"dense{i}", {"units": ch})
        elif kind == "shared" and lrelus:
            target = draw(st.sampled_from(lrelus))
            node = Node(nid, "LeakyReLU", f"lrelu{i}", shares=target)
        elif kind in ("add", "concat"):
            others = [(p, c) for p, c in pool if p != src and (kind == "concat" or c == ch)]
            if not others:
                node = Node(nid, "ReLU", f"relu{i}")
            else:
                other, och = others[draw(st.integers(0, len(others) - 1))]
                inputs = [src, other]
                if kind == "add":
                    node = Node(nid, "Add", f"add{i}")
                else:
                    node = Node(nid, "Concatenate", f"concat{i}")
                    ch = ch + och
        else:
            node = Node(nid, "ReLU", f"relu{i}")
        shape_preserving = node.kind in ("Normalization", "LeakyReLU", "ReLU", "Activation")
        # an absent Add passes its first input on alone (same channels; a Concatenate would not)
        merge = node.kind == "Add"
        if (
            (shape_preserving or merge)
            and node.shares is None
            and nid not in lrelus
            and draw(st.booleans())
        ):
            node = node.with_changes(condition=draw(st.sampled_from(CONDITIONS)))
        node = node.with_changes(
            lifecycle=draw(st.sampled_from(["init", "build"])), position=(200.0 * (i + 1), 0.0)
        )
        doc.add_node(node)
        for port, s in enumerate(inputs):
            doc.add_edge(Edge(s, nid, port))
            consumed.add(s)
        pool.append((nid, ch))
    del env
    leaves = [p for p, _ in pool if p not in consumed]
    last = leaves[0]
    if len(leaves) > 1:
        doc.add_node(Node("merge", "Concatenate", "merge_all"))
        for port, s in enumerate(leaves):
            doc.add_edge(Edge(s, "merge", port))
        last = "merge"
    doc.add_node(Node("out", "Output", "output"))
    doc.add_edge(Edge(last, "out"))
    return doc


def inputs_for(doc: Document, batch: int, zeros: bool = False):
    """Data for ``doc``'s inputs: one array, or a list of them for a block with several."""
    rng = np.random.default_rng(0)
    xs = [
        (np.zeros if zeros else lambda size: rng.normal(size=size))((batch, *s[1:])).astype(
            "float32"
        )
        for s in input_shapes(doc.input_shape)
    ]
    return xs if is_multi(doc.input_shape) else xs[0]
