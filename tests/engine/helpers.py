"""Building generated blocks in each style and moving weights between them by layer name."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np

from blockstudio.engine.codegen import generate_code
from blockstudio.engine.loader import load_generated


def build_block(doc, catalog, style, values=None, input_shape=None):
    """(block or model, sub-layer lookup) for ``doc`` in ``style``, built on its input shape."""
    keras.backend.clear_session()  # fresh auto-names, as every traced run has
    values = dict(values or {})
    shape = tuple(input_shape or doc.input_shape)
    module = load_generated(generate_code(doc, catalog, style), style)
    if style == "functional":
        fname = [n for n in dir(module) if n == "build_model"][0]
        model = getattr(module, fname)(shape[1:], **values)
        return model, lambda name: _get_layer(model, name)
    cls = getattr(module, "UnetResBlock", None) or getattr(module, doc.name)
    if style == "init" and "in_channels" in cls.__init__.__code__.co_varnames:
        values.setdefault("in_channels", shape[-1])
    block = cls(**values)
    block(np.zeros((1, *shape[1:]), "float32"))
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
