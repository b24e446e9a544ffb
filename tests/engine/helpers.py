"""Building generated blocks in each style and moving weights between them by layer name."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np

from blockstudio.core.shapes import as_input_shape, first_shape, input_shapes, is_multi
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.loader import load_generated


def build_block(doc, catalog, style, values=None, input_shape=None):
    """(block or model, sub-layer lookup) for ``doc`` in ``style``, built on its input shape."""
    keras.backend.clear_session()  # fresh auto-names, as every traced run has
    values = dict(values or {})
    shape = as_input_shape(input_shape or doc.input_shape)
    shapes = [s[1:] for s in input_shapes(shape)]
    module = load_generated(generate_code(doc, catalog, style), style)
    if style == "functional":
        model = module.build_model(tuple(shapes) if is_multi(shape) else shapes[0], **values)
        return model, lambda name: _get_layer(model, name)
    cls = getattr(module, doc.name, None) or module.UnetResBlock
    if style == "init" and "in_channels" in cls.__init__.__code__.co_varnames:
        values.setdefault("in_channels", first_shape(shape)[-1])
    block = cls(**values)
    zeros = [np.zeros((1, *s), "float32") for s in shapes]
    block(zeros if is_multi(shape) else zeros[0])
    return block, lambda name: getattr(block, name, None)


def _get_layer(model, name):
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def copy_weights(doc, src_lookup, dst_lookup):
    for node in doc.nodes.values():
        a, b = src_lookup(node.name), dst_lookup(node.name)
        if a is None or b is None or not isinstance(a, keras.layers.Layer):
            continue
        b.set_weights(a.get_weights())


def randomize(doc, lookup, seed=0):
    """Random weights for every sub-layer (positive variances), so outputs are not trivial."""
    rng = np.random.default_rng(seed)
    for node in doc.nodes.values():
        layer = lookup(node.name)
        if not isinstance(layer, keras.layers.Layer):
            continue
        for var in layer.weights:
            values = rng.normal(size=tuple(var.shape)).astype("float32")
            if "variance" in var.name:
                values = np.abs(values) + 0.5
            var.assign(values)


def ruff_problems(source: str, tmp_path, ignore: str = "") -> str:
    """What ``ruff check`` (E, F, W, I, B, UP) and ``ruff format --check`` say about ``source``."""
    path = tmp_path / "generated.py"
    path.write_text(source, encoding="utf-8")
    check = ["check", "--isolated", "--select", "E,F,W,I,B,UP"]
    if ignore:
        check += ["--ignore", ignore]
    out = []
    for args in (check, ["format", "--isolated", "--check", "--diff"]):
        run = subprocess.run(
            [sys.executable, "-m", "ruff", *args, str(path)], capture_output=True, text=True
        )
        if run.returncode:
            out.append(run.stdout + run.stderr)
    return "\n".join(out)


def output_shape_in_plain_python(folder, module: str, make: str, shape: tuple) -> str:
    """Import ``module`` from ``folder`` in a fresh interpreter, call ``make`` (an expression
    building the block) on zeros of ``shape`` and return the printed output shape."""
    script = (
        "import numpy as np\n"
        f"from {module} import *\n"
        f"block = {make}\n"
        f"print(tuple(block(np.zeros({shape!r}, 'float32')).shape))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=folder, capture_output=True, text=True, timeout=120
    )
    lines = run.stdout.strip().splitlines()
    assert lines, run.stderr[-2000:]
    return lines[-1]


def build_parents(trace, layer: str) -> list[str]:
    """The layers whose spans enclose ``layer``'s build, innermost first."""
    event = next(e for e in trace.events if e.type == "build" and e.layer == layer)
    out = []
    while event.parent is not None:
        event = trace.events[event.parent]
        out.append(event.layer)
    return out
