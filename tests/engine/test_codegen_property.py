"""Random valid documents: generated code is ruff-clean, builds, matches inference, styles agree."""

import os
import subprocess
import sys

import keras
import numpy as np
from hypothesis import HealthCheck, given, note, settings

from blockstudio.core.catalog import load_catalog
from blockstudio.core.project import document_to_json
from blockstudio.core.shapes import first_shape, input_shapes
from blockstudio.engine.codegen import STYLES, generate_code
from blockstudio.engine.codegen.plan import OPERATORS
from blockstudio.engine.inference import ShapeInference
from blockstudio.engine.loader import load_generated
from tests.docgen import documents, inputs_for

EXAMPLES = 200 if os.environ.get("CI") else 40
CATALOG = load_catalog()


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_code_is_ruff_clean(tmp_path_factory, doc):
    note(document_to_json(doc))
    folder = tmp_path_factory.mktemp("gen")
    paths = []
    for style in STYLES:
        path = folder / f"block_{style}.py"
        path.write_text(generate_code(doc, CATALOG, style))
        paths.append(str(path))
    for args in (
        ["check", "--isolated", "--select", "E,F,W,I,B,UP"],
        ["format", "--isolated", "--check", "--diff"],
    ):
        run = subprocess.run(
            [sys.executable, "-m", "ruff", *args, *paths], capture_output=True, text=True
        )
        assert run.returncode == 0, run.stdout + run.stderr


def _build(doc, style):
    module = load_generated(generate_code(doc, CATALOG, style), style)
    shapes = [s[1:] for s in input_shapes(doc.input_shape)]
    if style == "functional":
        model = module.build_model(tuple(shapes) if len(shapes) > 1 else shapes[0])
        return model, model.get_layer
    kwargs = {}
    if style == "init" and "in_channels" in module.RandomBlock.__init__.__code__.co_varnames:
        kwargs = {"in_channels": first_shape(doc.input_shape)[-1]}
    block = module.RandomBlock(**kwargs)
    block(inputs_for(doc, 1))
    return block, lambda name: getattr(block, name)


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_generated_code_builds_matches_inference_and_styles_agree(doc):
    note(document_to_json(doc))
    keras.backend.clear_session()
    inferred = ShapeInference(CATALOG).run(doc)
    assert inferred.problems == []
    model, _ = _build(doc, "functional")
    on_path = {layer.name: layer for layer in model.layers}
    assert tuple(model.output.shape) == inferred.shapes["out"]
    for node in doc.nodes.values():
        if node.kind in ("Input", "Output") or node.shares or not inferred.present.get(node.id):
            continue
        layer = on_path.get(node.name)
        if layer is None:
            continue  # not on the way to the output: an absent merge took only its first input
        if len(layer._inbound_nodes) == 1:  # a shared layer has one output per call
            assert tuple(layer.output.shape) == inferred.shapes[node.id], node.name
    x = inputs_for(doc, 2)
    expected = np.asarray(model(x, training=False))
    for style in ("build", "init"):
        block, lookup = _build(doc, style)
        for node in doc.nodes.values():
            ours = (
                lookup(node.name)
                # x + res is no sub-layer: nothing to look up
                if node.shares is None and node.kind not in ("Input", "Output", *OPERATORS)
                else None
            )
            if isinstance(ours, keras.layers.Layer) and ours.weights and node.name in on_path:
                ours.set_weights(on_path[node.name].get_weights())
        got = np.asarray(block(x, training=False))
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-5, err_msg=style)
