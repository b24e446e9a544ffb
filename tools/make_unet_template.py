"""Write resources/templates/unet-res-block.json (kept as the source of the template's data)."""

from pathlib import Path

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.project import document_to_json

R = ParamRef
# MONAI projects when the channels change or any axis strides:
# ``not np.all(np.atleast_1d(stride) == 1)``; all_one reads an int or a per-axis tuple, so a
# stride of (1, 1, 1) with equal channels does not project
PROJECTION = "in_channels != out_channels or not all_one(stride)"


def unet_params() -> list[BlockParam]:
    """MONAI's constructor arguments of the U-Net building blocks (channels come from the input)."""
    return [
        BlockParam(
            "spatial_dims",
            "int",
            2,
            choices=(1, 2, 3),
            doc="Number of spatial dimensions: 1, 2 or 3.",
        ),
        BlockParam("out_channels", "int", 64, doc="Number of output channels."),
        BlockParam(
            "kernel_size",
            "ints",
            3,
            doc="Convolution kernel size: an int, or one per spatial axis, e.g. (1, 3, 3).",
        ),
        BlockParam(
            "stride",
            "ints",
            1,
            doc="Stride of the first convolution: an int, or one per spatial axis, e.g. (1, 2, 2).",
        ),
        BlockParam(
            "norm_name",
            "str",
            "instance",
            choices=("instance", "batch", "group", "layer"),
            doc="Normalization: instance, batch, group or layer.",
        ),
        BlockParam("negative_slope", "float", 0.01, doc="Slope of LeakyReLU below zero."),
        BlockParam(
            "dropout",
            "float",
            None,
            optional=True,
            doc="Dropout rate after each convolution, or None for no dropout.",
        ),
    ]


def build() -> Document:
    doc = Document(
        "UnetResBlock",
        (None, 64, 64, 32),
        unet_params(),
        description="Residual U-Net block, as MONAI's UnetResBlock. Two convolutions with "
        "normalization and LeakyReLU, plus a 1x1 projection of the input when the channels or "
        "the stride change.",
    )
    conv = lambda k, s: {"filters": R("out_channels"), "kernel_size": k, "strides": s}  # noqa: E731
    norm = {"norm": R("norm_name")}
    drop = {"rate": R("dropout")}
    nodes = [
        Node("input", "Input", "input", position=(0, 0)),
        Node(
            "conv1", "Convolution", "conv1", conv(R("kernel_size"), R("stride")), position=(200, 0)
        ),
        Node(
            "drop1",
            "Dropout",
            "drop1",
            dict(drop),
            condition="dropout is not None",
            position=(400, 0),
        ),
        Node("norm1", "Normalization", "norm1", dict(norm), position=(600, 0)),
        Node(
            "lrelu",
            "LeakyReLU",
            "lrelu",
            {"negative_slope": R("negative_slope")},
            position=(800, 0),
        ),
        Node("conv2", "Convolution", "conv2", conv(R("kernel_size"), 1), position=(1000, 0)),
        Node(
            "drop2",
            "Dropout",
            "drop2",
            dict(drop),
            condition="dropout is not None",
            position=(1200, 0),
        ),
        Node("norm2", "Normalization", "norm2", dict(norm), position=(1400, 0)),
        Node(
            "res_conv",
            "Convolution",
            "res_conv",
            conv(1, R("stride")),
            "build",
            PROJECTION,
            position=(600, 150),
        ),
        Node(
            "res_drop",
            "Dropout",
            "res_drop",
            dict(drop),
            "build",
            f"({PROJECTION}) and dropout is not None",
            position=(800, 150),
        ),
        Node(
            "res_norm",
            "Normalization",
            "res_norm",
            dict(norm),
            "build",
            PROJECTION,
            position=(1000, 150),
        ),
        Node("add", "Add", "add", position=(1600, 75)),
        Node("lrelu_out", "LeakyReLU", "lrelu_2", shares="lrelu", position=(1800, 75)),
        Node("output", "Output", "output", position=(2000, 75)),
    ]
    for n in nodes:
        doc.add_node(n)
    chain = ["input", "conv1", "drop1", "norm1", "lrelu", "conv2", "drop2", "norm2"]
    edges = [Edge(a, b) for a, b in zip(chain, chain[1:], strict=False)]
    edges += [
        Edge("input", "res_conv"),
        Edge("res_conv", "res_drop"),
        Edge("res_drop", "res_norm"),
        Edge("norm2", "add", 0),
        Edge("res_norm", "add", 1),
        Edge("add", "lrelu_out"),
        Edge("lrelu_out", "output"),
    ]
    for e in edges:
        doc.add_edge(e)
    return doc


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[1] / "resources" / "templates" / "unet-res-block.json"
    out.write_text(document_to_json(build()), encoding="utf-8")
    print(f"wrote {out}")
