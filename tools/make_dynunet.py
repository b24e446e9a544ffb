"""Write the ``dynunet`` template: MONAI's DynUNet with residual blocks, as a graph of blocks.

One level per entry of ``strides``: ``input_block`` and ``downsamples_<i>`` (UnetResBlock) go
down, ``bottleneck`` is the deepest, ``upsamples_<j>`` (UnetUpBlock, called on
``[below, skip]``) come back up, and ``output_block`` (UnetOutBlock) maps to ``out_channels``.
Every level takes its kernel size, stride and width from the list parameters by index
(``strides[2]``), as MONAI's ``DynUNet`` does; the sub-layer names are MONAI's module names with
the ModuleList index after an underscore (``downsamples.0`` → ``downsamples_0``).

``python -m tools.make_dynunet`` writes the shipped 5-level template; ``levels(n, dims)`` makes
any depth from 2 (the tests use 2 to 5).
"""

from __future__ import annotations

from pathlib import Path

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.project import document_to_json
from tools.make_unet_template import unet_params

R = ParamRef
LEVEL = "template:unet-level-block"  # a UnetResBlock, or with res_block=False a UnetBasicBlock
UP = "template:unet-up-block"
OUT = "template:unet-out-block"
SHARED = ("spatial_dims", "norm_name", "negative_slope", "dropout")


# MONAI's DynUNet computes its widths when filters is None, in these words
MONAI_FILTERS = (
    "[min(2 ** (5 + i), 320 if spatial_dims == 3 else 512) for i in range(len(strides))]"
)


def params(n: int, spatial_dims: int, res_block: bool = True) -> list[BlockParam]:
    strides = (1,) + (2,) * (n - 1)
    return [
        BlockParam(
            "spatial_dims",
            "int",
            spatial_dims,
            choices=(1, 2, 3),
            doc="Number of spatial dimensions.",
        ),
        BlockParam(
            "in_channels",
            "int",
            None,
            optional=True,
            doc="Channels of the input, as MONAI takes them; None takes the input's (given, "
            "they are checked).",
        ),
        BlockParam("out_channels", "int", 2, doc="Number of output channels (classes)."),
        BlockParam("kernel_size", "ints", (3,) * n, doc="Convolution kernel size of each level."),
        BlockParam(
            "strides", "ints", strides, doc="Stride of each level (the first is usually 1)."
        ),
        BlockParam(
            "upsample_kernel_size",
            "ints",
            strides[1:],
            doc="Kernel size and stride of each transposed convolution, from the top level down.",
        ),
        BlockParam(
            "filters",
            "ints",
            None,
            optional=True,
            doc="Output channels of each level; None: MONAI's widths, 32, 64, ... doubling per "
            "level, at most 320 in 3-D and 512 otherwise.",
            when_none=MONAI_FILTERS,
        ),
        *[p for p in unet_params() if p.name in ("dropout", "norm_name", "negative_slope")],
        BlockParam(
            "deep_supervision",
            "bool",
            False,
            doc="Also return the deep supervision heads, upsampled to the output's size: the "
            "block then returns [output, head_1, ...].",
        ),
        BlockParam(
            "deep_supr_num",
            "int",
            1,
            doc=f"How many heads (1 to {n - 2}), from the level below the top.",
        ),
        BlockParam(
            "res_block",
            "bool",
            res_block,
            doc="Residual blocks (UnetResBlock) down the levels, or basic ones (UnetBasicBlock).",
        ),
        BlockParam("trans_bias", "bool", False, doc="Whether transposed convolutions have a bias."),
    ]


def levels(
    n: int = 5, spatial_dims: int = 2, size: int = 64, in_channels: int = 1, res_block: bool = True
) -> Document:
    """A DynUNet of ``n`` levels (2 or more) on inputs of ``size`` per spatial axis;
    ``res_block`` is the default of its parameter of that name (MONAI's own default is
    False: basic blocks down the levels)."""
    if n < 2:
        raise ValueError("a DynUNet needs at least two levels")
    doc = Document(
        "DynUNet",
        (None, *[size] * spatial_dims, in_channels),
        params(n, spatial_dims, res_block),
        description="Dynamic U-Net, as MONAI's DynUNet. "
        "One level per entry of strides: residual (or basic) blocks go down, UnetUpBlocks come "
        "back up "
        "with the skip of their level, and a 1x1 convolution maps to out_channels.",
    )
    shared = {name: R(name) for name in SHARED}
    dx, dy = 260.0, 150.0

    def res(name: str, level: int) -> Node:
        values = {
            **shared,
            "out_channels": R("filters", level),
            "kernel_size": R("kernel_size", level),
            "stride": R("strides", level),
        }
        values["res_block"] = R("res_block")
        return Node(name, LEVEL, name, values, position=(dx * (level + 1), dy * level))

    encoder = [res("input_block", 0)]
    encoder += [res(f"downsamples_{i - 1}", i) for i in range(1, n - 1)]
    bottom = res("bottleneck", n - 1)
    nodes = [Node("input", "Input", "input", position=(0.0, 0.0)), *encoder, bottom]
    edges = [Edge("input", "input_block")]
    edges += [Edge(a.id, b.id) for a, b in zip(encoder, [*encoder[1:], bottom], strict=True)]
    below = bottom.id
    for j in range(n - 1):
        level = n - 2 - j  # the level this block returns to; its skip comes from there
        name = f"upsamples_{j}"
        values = {
            **shared,
            "out_channels": R("filters", level),
            "kernel_size": R("kernel_size", level + 1),
            "upsample_kernel_size": R("upsample_kernel_size", level),
            "trans_bias": R("trans_bias"),
        }
        nodes.append(Node(name, UP, name, values, position=(dx * (2 * n - 1 - level), dy * level)))
        edges += [Edge(below, name, 0), Edge(encoder[level].id, name, 1)]
        below = name
    out_values = {"spatial_dims": R("spatial_dims"), "out_channels": R("out_channels")}
    out_values["dropout"] = R("dropout")
    nodes.append(Node("output_block", OUT, "output_block", out_values, position=(dx * 2 * n, 0.0)))
    nodes.append(Node("output", "Output", "output", position=(dx * (2 * n + 1), 0.0)))
    edges += [Edge(below, "output_block"), Edge("output_block", "output")]
    head_nodes, head_edges = heads(n, out_values, dx, dy)
    nodes, edges = nodes + head_nodes, edges + head_edges
    for node in nodes:
        doc.add_node(node)
    for edge in edges:
        doc.add_edge(edge)
    return doc


def heads(n: int, out_values: dict, dx: float, dy: float) -> tuple[list[Node], list[Edge]]:
    """MONAI's deep supervision: head ``j`` (a UnetOutBlock) on the output of the up block that
    returns to level ``j + 1``, upsampled (nearest, a level at a time) to the output's size,
    and returned after the output; each only when ``deep_supervision`` and
    ``deep_supr_num > j``."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    for j in range(n - 2):
        level = j + 1
        when = f"deep_supervision and deep_supr_num > {j}"
        name = f"deep_supervision_heads_{j}"
        # a row each, under the U, starting below the up block the head reads
        x, y = dx * (2 * n - 1 - level), dy * (n + j)
        nodes.append(Node(name, OUT, name, dict(out_values), condition=when, position=(x, y)))
        edges.append(Edge(f"upsamples_{n - 2 - level}", name))
        src = name
        for k in range(level, 0, -1):  # nearest upsampling composes: one level at a time
            up = f"head{j}_up{k}"
            x += dx * 0.85
            nodes.append(
                Node(up, "Upsample", up, {"size": R("strides", k)}, condition=when, position=(x, y))
            )
            edges.append(Edge(src, up))
            src = up
        out = f"head{j}_output"
        nodes.append(
            Node(out, "Output", out, {"index": j + 1}, condition=when, position=(x + dx * 0.85, y))
        )
        edges.append(Edge(src, out))
    return nodes, edges


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "resources" / "templates" / "dynunet.json"
    path.write_text(document_to_json(levels()), encoding="utf-8")
    print(f"wrote {path}")
