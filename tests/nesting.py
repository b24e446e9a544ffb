"""Documents that use blocks as nodes, shared by the core, engine and UI tests."""

from __future__ import annotations

from pathlib import Path

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.library import file_kind
from blockstudio.core.project import save_document

RES = "template:unet-res-block"


def two_levels(shape=(None, 16, 16, 8)) -> Document:
    """Two residual U-Net blocks in a row: the first halves and widens to ``width``."""
    nodes = [
        Node("in", "Input", "input"),
        Node("b1", RES, "down1", {"out_channels": ParamRef("width"), "stride": 2}),
        Node("b2", RES, "down2", {"out_channels": 24, "stride": 2}),
        Node("out", "Output", "output", position=(600.0, 0.0)),
    ]
    edges = [Edge("in", "b1"), Edge("b1", "b2"), Edge("b2", "out")]
    return Document("TwoLevels", shape, [BlockParam("width", "int", 12)], nodes=nodes, edges=edges)


def encoder_file(folder: Path) -> tuple[Path, str]:
    """A saved project ``stage.json`` (a residual block, then a ReLU and a skip concatenation)
    used by ``Encoder`` twice: three levels of nesting, one file block, one template block."""
    stage = Document(
        "Stage",
        (None, 16, 16, 8),
        [BlockParam("channels", "int", 8), BlockParam("norm_name", "str", "instance")],
        nodes=[
            Node("in", "Input", "input"),
            Node(
                "res",
                RES,
                "res",
                {"out_channels": ParamRef("channels"), "norm_name": ParamRef("norm_name")},
            ),
            Node("act", "ReLU", "act"),
            Node("cat", "Concatenate", "skip"),
            Node("out", "Output", "output"),
        ],
        edges=[
            Edge("in", "res"),
            Edge("res", "act"),
            Edge("act", "cat", 0),
            Edge("in", "cat", 1),
            Edge("cat", "out"),
        ],
    )
    path = folder / "stage.json"
    save_document(stage, path)
    return path, file_kind(path, folder)


def encoder(kind: str) -> Document:
    nodes = [
        Node("in", "Input", "input"),
        Node("s1", kind, "stage1", {"channels": 4}),
        Node("s2", kind, "stage2", {"channels": ParamRef("width"), "norm_name": "batch"}),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("in", "s1"), Edge("s1", "s2"), Edge("s2", "out")]
    return Document(
        "Encoder", (None, 12, 12, 3), [BlockParam("width", "int", 6)], nodes=nodes, edges=edges
    )
