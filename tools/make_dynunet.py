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

from blockstudio.core.document import (
    BlockParam,
    Document,
    Edge,
    Expr,
    Node,
    ParamRef,
    Repeat,
    SkipSource,
)
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
            doc="In training, also return the deep supervision heads, upsampled to the output's "
            "size and stacked after it on axis 1: (batch, 1 + deep_supr_num, *spatial, "
            "out_channels), as MONAI; otherwise the output alone.",
        ),
        BlockParam(
            "deep_supr_num",
            "int",
            1,
            doc="How many heads (1 to len(strides) - 2), from the level below the top.",
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
    """A DynUNet whose defaults have ``n`` levels (3 or more, as MONAI) on inputs of ``size``
    per spatial axis; ``res_block`` is the default of its parameter of that name (MONAI's own
    default is False: basic blocks down the levels).

    The graph is the same for every depth: ``downsamples`` and ``upsamples`` are repeated
    nodes, one instance per level (``len(strides) - 2`` down, ``len(strides) - 1`` up), as
    MONAI's ModuleLists; the deep supervision heads repeat ``deep_supr_num`` times.
    """
    if n < 3:
        raise ValueError("a DynUNet needs at least three levels, as MONAI's")
    doc = Document(
        "DynUNet",
        (None, *[size] * spatial_dims, in_channels),
        params(n, spatial_dims, res_block),
        description="Dynamic U-Net, as MONAI's DynUNet. "
        "One level per entry of strides: residual (or basic) blocks go down, UnetUpBlocks come "
        "back up with the skip of their level, and a 1x1 convolution maps to out_channels.",
    )
    shared = {name: R(name) for name in SHARED}
    dx, dy = 260.0, 150.0

    def level_values(at: int | str) -> dict:
        return {
            **shared,
            "out_channels": R("filters", at),
            "kernel_size": R("kernel_size", at),
            "stride": R("strides", at),
            "res_block": R("res_block"),
        }

    up_values = {
        **shared,
        "out_channels": R("filters", "len(strides) - 2 - i"),
        "kernel_size": R("kernel_size", "len(strides) - 1 - i"),
        "upsample_kernel_size": R("upsample_kernel_size", "len(strides) - 2 - i"),
        "trans_bias": R("trans_bias"),
    }
    out_values = {
        "spatial_dims": R("spatial_dims"),
        "out_channels": R("out_channels"),
        "dropout": R("dropout"),
    }
    down = Repeat("len(strides) - 2", "i", chain=True, collect="skips")
    up = Repeat("len(strides) - 1", "i", chain=True, collect="ups", skip=SkipSource(1, True, 0))
    # head i reads the up block that returns to level i + 1: ups[-(i + 2)]
    heads = Repeat(
        "deep_supr_num if deep_supervision else 0",
        "i",
        chain=False,
        collect="heads",
        skip=SkipSource(0, True, 1),
    )
    # and is upsampled (nearest) by the strides of the levels above it, to the output's size
    scale = Repeat(
        "deep_supr_num if deep_supervision else 0", "i", False, None, SkipSource(0, False, 0)
    )
    nodes = [
        Node("input", "Input", "input", position=(0.0, 0.0)),
        Node("input_block", LEVEL, "input_block", level_values(0), position=(dx, 0.0)),
        Node(
            "downsamples",
            LEVEL,
            "downsamples",
            level_values("i + 1"),
            position=(2 * dx, dy),
            repeat=down,
        ),
        Node(
            "bottleneck",
            LEVEL,
            "bottleneck",
            level_values("len(strides) - 1"),
            position=(3 * dx, 2 * dy),
        ),
        Node("upsamples", UP, "upsamples", up_values, position=(4 * dx, dy), repeat=up),
        Node("output_block", OUT, "output_block", out_values, position=(5 * dx, 0.0)),
        Node("output", "Output", "output", position=(6 * dx, 0.0)),
        Node(
            "deep_supervision_heads",
            OUT,
            "deep_supervision_heads",
            dict(out_values),
            position=(5 * dx, 2 * dy),
            repeat=heads,
        ),
        Node(
            "head_upsamples",
            "Upsample",
            "head_upsamples",
            {"size": Expr("prod_axes([strides[k] for k in range(1, i + 2)])")},
            position=(6 * dx, 2 * dy),
            repeat=scale,
        ),
        # MONAI returns the heads in training only, stacked after the output on axis 1
        Node("heads", "Output", "heads", {"index": 1, "stack": True}, position=(7 * dx, 2 * dy)),
    ]
    edges = [
        Edge("input", "input_block"),
        Edge("input_block", "downsamples"),
        Edge("downsamples", "bottleneck"),
        Edge("bottleneck", "upsamples", 0),
        Edge("downsamples", "upsamples", 1),
        Edge("upsamples", "output_block"),
        Edge("output_block", "output"),
        Edge("upsamples", "deep_supervision_heads"),
        Edge("deep_supervision_heads", "head_upsamples"),
        Edge("head_upsamples", "heads"),
    ]
    for node in nodes:
        doc.add_node(node)
    for edge in edges:
        doc.add_edge(edge)
    return doc


if __name__ == "__main__":
    path = Path(__file__).resolve().parents[1] / "resources" / "templates" / "dynunet.json"
    path.write_text(document_to_json(levels()), encoding="utf-8")
    print(f"wrote {path}")
