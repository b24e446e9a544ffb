"""The whole network: MONAI's DynUNet at 6 levels in 3-D (residual blocks) against one
UnetResBlock.

The DynUNet is the shipped ``dynunet`` template (its levels are repeated nodes) with 6 levels:
``kernel_size=(3,) * 6, strides=(1, 2, 2, 2, 2, 2)``, MONAI's widths (32 ... 320), on
(None, 32, 32, 32, 1): input block, 4 residual blocks down (one repeated node), the bottleneck,
5 up blocks (one repeated node), an output block. The single block is ``unet-res-block`` on the
same input. Each step runs on both, interleaved, medians of several rounds, printed with the
issue's budget and the ratio to the single block:

- shape inference after a parameter change (one level's kernel size; warm caches, as in the
  studio, where each edit re-infers), and after a change that reaches every level (the
  widths ``filters``, new values each time so no cache helps; ``out_channels`` of the
  single block);
- code generation of the whole module (build style);
- the trace of one construct and call, laid out and drawn in the studio's timeline;
- opening the outer document on the canvas.

    python bench/bench_dynunet.py
"""

from __future__ import annotations

import dataclasses
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bench.side_by_side import compare, scene_opener  # noqa: E402
from blockstudio.core.catalog import load_catalog  # noqa: E402
from blockstudio.core.document import ParamRef  # noqa: E402
from blockstudio.core.library import BlockLibrary  # noqa: E402
from blockstudio.core.params import block_env  # noqa: E402
from blockstudio.core.templates import load_template  # noqa: E402

ROUNDS = 8  # even: the steps that toggle a value end where they started
BUDGET_MS = {
    "shape inference after a change": 20,
    "... after changing every level": 20,
    "code generation (build style)": 100,
    "trace of one call + timeline drawn": 1000,
    "canvas open": 200,
}


def main() -> None:
    from PySide6.QtWidgets import QApplication

    from blockstudio.engine.codegen import generate_code
    from blockstudio.engine.inference import ShapeInference
    from blockstudio.engine.tracer import RunSpec, run_trace
    from blockstudio.ui.timeline_view import TimelineView

    app = QApplication.instance() or QApplication([])
    catalog = load_catalog().with_library(BlockLibrary())
    open_scene = scene_opener(app, catalog)
    unet, single = load_template("dynunet", catalog), load_template("unet-res-block", catalog)
    six = {
        "spatial_dims": 3,
        "kernel_size": (3,) * 6,
        "strides": (1, 2, 2, 2, 2, 2),
        "upsample_kernel_size": (2,) * 5,
    }
    for name, value in six.items():
        unet.replace_block_param(name, dataclasses.replace(unet.param(name), default=value))
    unet.set_block_field("input_shape", (None, 32, 32, 32, 1))
    single.replace_block_param(
        "spatial_dims", dataclasses.replace(single.param("spatial_dims"), default=3)
    )
    single.set_block_field("input_shape", unet.input_shape)
    infer = ShapeInference(catalog)
    timeline = TimelineView()
    timeline.resize(1200, 400)
    for doc in (unet, single):  # warm: Keras imported, layer caches filled
        infer.run(doc)
        run_trace(doc, catalog)

    def after_change(doc, node_id, key, back):
        def go():
            value = doc.nodes[node_id].params.get(key)
            doc.set_param(node_id, key, 5 if value != 5 else back)
            infer.run(doc)

        return go

    def every_level(doc, name):
        """A new value each time (cold caches: every level's layers change), then the old."""
        param = doc.param(name)
        base = block_env(doc)[name]
        count = [0]

        def go():
            count[0] += 1
            value = base  # filters=None: MONAI's widths, as the block computes them
            if isinstance(value, tuple):  # the width of every level
                value = tuple(v + count[0] for v in value)
            else:
                value = value + count[0]
            doc.replace_block_param(name, dataclasses.replace(param, default=value))
            infer.run(doc)

        resets.append(lambda: doc.replace_block_param(name, param))
        return go

    def trace_drawn(doc):
        def go():
            timeline.set_trace(run_trace(doc, catalog, RunSpec(calls=1)))
            timeline.grab()  # paints every item, as on screen

        return go

    resets = []
    steps = {
        "shape inference after a change": (
            # one value of the repeated up blocks: every instance changes
            after_change(unet, "upsamples", "negative_slope", ParamRef("negative_slope")),
            after_change(single, "conv1", "kernel_size", ParamRef("kernel_size")),
        ),
        "... after changing every level": (
            every_level(unet, "filters"),
            every_level(single, "out_channels"),
        ),
        "code generation (build style)": (
            lambda: generate_code(unet, catalog),
            lambda: generate_code(single, catalog),
        ),
        "trace of one call + timeline drawn": (trace_drawn(unet), trace_drawn(single)),
        "canvas open": (open_scene(unet), open_scene(single)),
    }
    print(
        f"6-level 3D DynUNet (res blocks, {unet.input_shape}) vs one unet-res-block, medians "
        f"of {ROUNDS} interleaved rounds"
    )
    compare(steps, ROUNDS, BUDGET_MS, after_each=lambda: [reset() for reset in resets])


if __name__ == "__main__":
    main()
