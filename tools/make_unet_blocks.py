"""Write the templates of MONAI's other single-input U-Net blocks (kept as their source).

- ``unet-basic-block``: ``UnetBasicBlock`` — conv1 (stride), norm1, LeakyReLU, conv2, norm2,
  LeakyReLU, each convolution followed by dropout when a rate is given.
- ``unet-out-block``: ``UnetOutBlock`` — a 1x1 convolution with bias (``conv``), then dropout.
- ``unet-level-block``: ``UnetLevelBlock`` — one level of MONAI's DynUNet: the residual block, or
  with ``res_block=False`` the basic block (the same layers, without the projection and the
  residual sum), as ``DynUNet(res_block=...)`` chooses between them.
- ``unet-up-block``: ``UnetUpBlock`` — takes ``[inp, skip]``: a transposed convolution
  (``transp_conv``, kernel and stride ``upsample_kernel_size``) to ``out_channels``, the skip
  concatenated on the channel axis, then a ``UnetBasicBlock`` (``conv_block``) at stride 1.
"""

from pathlib import Path

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.project import document_to_json
from tools.make_unet_template import PROJECTION, unet_params
from tools.make_unet_template import build as res_block

R = ParamRef
DROP = {"rate": R("dropout")}
HAS_DROPOUT = "dropout is not None"


def basic_block() -> Document:
    doc = Document(
        "UnetBasicBlock",
        (None, 64, 64, 32),
        unet_params(),
        description="Basic U-Net block, as MONAI's UnetBasicBlock. Two convolutions, each with "
        "normalization and LeakyReLU.",
    )
    conv = lambda s: {  # noqa: E731
        "filters": R("out_channels"),
        "kernel_size": R("kernel_size"),
        "strides": s,
    }
    norm = {"norm": R("norm_name")}
    act = {"negative_slope": R("negative_slope")}
    nodes = [
        Node("input", "Input", "input", position=(0, 0)),
        Node("conv1", "Convolution", "conv1", conv(R("stride")), position=(200, 0)),
        Node("drop1", "Dropout", "drop1", dict(DROP), condition=HAS_DROPOUT, position=(400, 0)),
        Node("norm1", "Normalization", "norm1", dict(norm), position=(600, 0)),
        Node("lrelu", "LeakyReLU", "lrelu", act, position=(800, 0)),
        Node("conv2", "Convolution", "conv2", conv(1), position=(1000, 0)),
        Node("drop2", "Dropout", "drop2", dict(DROP), condition=HAS_DROPOUT, position=(1200, 0)),
        Node("norm2", "Normalization", "norm2", dict(norm), position=(1400, 0)),
        Node("lrelu_out", "LeakyReLU", "lrelu_2", shares="lrelu", position=(1600, 0)),
        Node("output", "Output", "output", position=(1800, 0)),
    ]
    return _chain(doc, nodes)


def out_block() -> Document:
    params = [p for p in unet_params() if p.name in ("spatial_dims", "out_channels", "dropout")]
    doc = Document(
        "UnetOutBlock",
        (None, 64, 64, 32),
        params,
        description="Output U-Net block, as MONAI's UnetOutBlock. A 1x1 convolution with bias "
        "to the output channels.",
    )
    nodes = [
        Node("input", "Input", "input", position=(0, 0)),
        Node(
            "conv",
            "Convolution",
            "conv",
            {"filters": R("out_channels"), "kernel_size": 1, "strides": 1, "use_bias": True},
            position=(200, 0),
        ),
        Node("drop", "Dropout", "drop", dict(DROP), condition=HAS_DROPOUT, position=(400, 0)),
        Node("output", "Output", "output", position=(600, 0)),
    ]
    return _chain(doc, nodes)


def up_block() -> Document:
    params = [p for p in unet_params() if p.name != "stride"]
    at = next(i for i, p in enumerate(params) if p.name == "norm_name")
    params[at:at] = [
        BlockParam(
            "upsample_kernel_size",
            "ints",
            2,
            doc="Kernel size and stride of the transposed convolution (the upsampling factor): "
            "an int, or one per spatial axis.",
        )
    ]
    params.append(
        BlockParam(
            "trans_bias", "bool", False, doc="Whether the transposed convolution has a bias."
        )
    )
    doc = Document(
        "UnetUpBlock",
        ((None, 32, 32, 128), (None, 64, 64, 64)),
        params,
        description="Upsampling U-Net block, as MONAI's UnetUpBlock. Called on [inp, skip]: a "
        "transposed convolution upsamples inp to out_channels, the skip is concatenated on the "
        "channel axis, and a UnetBasicBlock at stride 1 follows.",
    )
    up = R("upsample_kernel_size")
    basic = {
        name: R(name)
        for name in (
            "spatial_dims",
            "out_channels",
            "kernel_size",
            "norm_name",
            "negative_slope",
            "dropout",
        )
    }
    nodes = [
        Node("inp", "Input", "inp", {"index": 0}, position=(0, 0)),
        Node("skip", "Input", "skip", {"index": 1}, position=(200, 160)),
        Node(
            "transp_conv",
            "TransposedConvolution",
            "transp_conv",
            {
                "filters": R("out_channels"),
                "kernel_size": up,
                "strides": up,
                "use_bias": R("trans_bias"),
            },
            position=(200, 0),
        ),
        Node("cat", "Concatenate", "cat", {"axis": -1}, position=(420, 60)),
        Node(
            "conv_block",
            "template:unet-basic-block",
            "conv_block",
            {**basic, "stride": 1},
            position=(640, 60),
        ),
        Node("output", "Output", "output", position=(860, 60)),
    ]
    for node in nodes:
        doc.add_node(node)
    for src, dst, port in (
        ("inp", "transp_conv", 0),
        ("transp_conv", "cat", 0),
        ("skip", "cat", 1),
        ("cat", "conv_block", 0),
        ("conv_block", "output", 0),
    ):
        doc.add_edge(Edge(src, dst, port))
    return doc


def level_block() -> Document:
    doc = res_block()
    doc.set_block_field("name", "UnetLevelBlock")
    doc.set_block_field(
        "description",
        "One level of MONAI's DynUNet: its UnetResBlock, or with res_block=False its "
        "UnetBasicBlock (the same layers without the projection and the residual sum).",
    )
    doc.add_block_param(
        BlockParam(
            "res_block",
            "bool",
            True,
            doc="Residual (UnetResBlock) or plain (UnetBasicBlock), as DynUNet(res_block=...).",
        )
    )
    doc.set_node_field("res_conv", "condition", f"res_block and ({PROJECTION})")
    doc.set_node_field("res_norm", "condition", f"res_block and ({PROJECTION})")
    doc.set_node_field(
        "res_drop", "condition", f"res_block and ({PROJECTION}) and dropout is not None"
    )
    doc.set_node_field("add", "condition", "res_block")  # absent: the main path goes on alone
    return doc


def _chain(doc: Document, nodes: list[Node]) -> Document:
    for node in nodes:
        doc.add_node(node)
    for a, b in zip(nodes, nodes[1:], strict=False):
        doc.add_edge(Edge(a.id, b.id))
    return doc


if __name__ == "__main__":
    folder = Path(__file__).resolve().parents[1] / "resources" / "templates"
    for name, make in (
        ("unet-basic-block", basic_block),
        ("unet-out-block", out_block),
        ("unet-up-block", up_block),
        ("unet-level-block", level_block),
    ):
        path = folder / f"{name}.json"
        path.write_text(document_to_json(make()), encoding="utf-8")
        print(f"wrote {path}")
