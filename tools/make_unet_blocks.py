"""Write the templates of MONAI's other single-input U-Net blocks (kept as their source).

- ``unet-basic-block``: ``UnetBasicBlock`` — conv1 (stride), norm1, LeakyReLU, conv2, norm2,
  LeakyReLU, each convolution followed by dropout when a rate is given.
- ``unet-out-block``: ``UnetOutBlock`` — a 1x1 convolution with bias (``conv``), then dropout.
"""

from pathlib import Path

from blockstudio.core.document import Document, Edge, Node, ParamRef
from blockstudio.core.project import document_to_json
from tools.make_unet_template import unet_params

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
        Node("lrelu_out", "LeakyReLU", "lrelu_out", shares="lrelu", position=(1600, 0)),
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


def _chain(doc: Document, nodes: list[Node]) -> Document:
    for node in nodes:
        doc.add_node(node)
    for a, b in zip(nodes, nodes[1:], strict=False):
        doc.add_edge(Edge(a.id, b.id))
    return doc


if __name__ == "__main__":
    folder = Path(__file__).resolve().parents[1] / "resources" / "templates"
    for name, make in (("unet-basic-block", basic_block), ("unet-out-block", out_block)):
        path = folder / f"{name}.json"
        path.write_text(document_to_json(make()), encoding="utf-8")
        print(f"wrote {path}")
