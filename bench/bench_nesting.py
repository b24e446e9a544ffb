"""Blocks as nodes: a five-level encoder of residual U-Net blocks against one block alone.

The nested document is five ``unet-res-block`` nodes in a row (stride 2 from the second on,
channels doubling), on a (None, 128, 128, 16) input. Each figure is measured side by side with
the same step on the single U-Net block, interleaved, medians of several rounds, and printed as
a ratio. Shape inference is after a parameter change (warm caches, as in the studio); code
generation is the whole module; the trace is one construct and call plus laying out the
timeline; the canvas figure is opening the document in the studio's scene.

    python bench/bench_nesting.py
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bench.side_by_side import compare, scene_opener  # noqa: E402
from blockstudio.core.catalog import load_catalog  # noqa: E402
from blockstudio.core.document import BlockParam, Document, Edge, Node  # noqa: E402
from blockstudio.core.library import BlockLibrary  # noqa: E402
from blockstudio.core.templates import load_template  # noqa: E402
from blockstudio.core.timeline import layout_trace  # noqa: E402

ROUNDS = 7
LEVELS = 5


def encoder() -> Document:
    nodes = [Node("in", "Input", "input")]
    edges = []
    prev = "in"
    for i in range(LEVELS):
        params = {"out_channels": 16 * 2**i, "stride": 1 if i == 0 else 2}
        nodes.append(Node(f"l{i}", "template:unet-res-block", f"down{i + 1}", params))
        edges.append(Edge(prev, f"l{i}"))
        prev = f"l{i}"
    nodes.append(Node("out", "Output", "output"))
    edges.append(Edge(prev, "out"))
    params = [BlockParam("width", "int", 16)]
    return Document("Encoder", (None, 128, 128, 16), params, nodes=nodes, edges=edges)


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from blockstudio.engine.codegen import generate_code
    from blockstudio.engine.inference import ShapeInference
    from blockstudio.engine.tracer import RunSpec, run_trace

    app = QApplication.instance() or QApplication([])
    catalog = load_catalog().with_library(BlockLibrary())
    open_scene = scene_opener(app, catalog)
    nested, single = encoder(), load_template("unet-res-block", catalog)
    single.set_block_field("input_shape", (None, 128, 128, 16))
    infer = ShapeInference(catalog)
    for doc in (nested, single):  # warm: Keras imported, layer caches filled
        infer.run(doc)
        run_trace(doc, catalog)

    def after_change(doc, node_id, key):
        def go():
            value = doc.nodes[node_id].params.get(key, 3)
            doc.set_param(node_id, key, 5 if value == 3 else 3)
            infer.run(doc)

        return go

    steps = {
        "shape inference after a change": (
            after_change(nested, "l2", "kernel_size"),
            after_change(single, "conv1", "kernel_size"),
        ),
        "code generation (build style)": (
            lambda: generate_code(nested, catalog),
            lambda: generate_code(single, catalog),
        ),
        "trace of one call + timeline": (
            lambda: layout_trace(run_trace(nested, catalog, RunSpec(calls=1))),
            lambda: layout_trace(run_trace(single, catalog, RunSpec(calls=1))),
        ),
        "canvas open": (open_scene(nested), open_scene(single)),
    }
    print(
        f"{LEVELS}-level encoder of unet-res-block nodes vs one unet-res-block, medians of "
        f"{ROUNDS} interleaved rounds"
    )
    compare(steps, ROUNDS)


if __name__ == "__main__":
    main()
