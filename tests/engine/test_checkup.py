"""The checkup against Keras itself: its verdicts and numbers are what Keras reports."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from blockstudio.core.checkup import SCENARIO_KEYS, matrix_text
from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.shapes import first_shape, input_shapes, is_multi
from blockstudio.engine.checkup import run_checkup, run_scenario
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.loader import load_generated
from tests.docgen import documents, inputs_for

EXAMPLES = 60 if os.environ.get("CI") else 15


@pytest.fixture
def small_unet(unet):
    unet.set_block_field("input_shape", (None, 8, 8, 4))
    return unet


@pytest.mark.parametrize("style", ["build", "init"])
def test_eager_unet_passes_all_eleven(small_unet, catalog, style):
    results = run_checkup(small_unet, catalog, (style,), "eager")
    assert [r.scenario for r in results] == SCENARIO_KEYS
    failed = {r.scenario: r.reason for r in results if r.status != "pass"}
    assert failed == {}
    # the numbers are Keras's: weights after build() equal block.weights after a call
    module = load_generated(generate_code(small_unet, catalog, style), style)
    block = module.UnetResBlock(**({"in_channels": 4} if style == "init" else {}))
    block(np.zeros((1, 8, 8, 4), "float32"))
    by_key = {r.scenario: r for r in results}
    assert by_key["build"].weight_count == by_key["build"].expected_weights == len(block.weights)
    assert f"{block.count_params():,} after" in by_key["summary"].reason
    assert "call #2 built none" in by_key["calls"].reason
    assert "Keras refuses in conv1" in by_key["other_channels"].reason


@pytest.mark.parametrize("style", ["build", "init"])
def test_lazy_unet_shows_what_breaks(small_unet, catalog, style):
    scenarios = ["build", "symbolic", "weights", "keras_file", "train"]
    results = {
        r.scenario: r for r in run_checkup(small_unet, catalog, (style,), "lazy", None, scenarios)
    }
    assert results["build"].status == "warning" and results["build"].weight_count == 0
    assert "0 of 9 weights exist after build()" in results["build"].reason
    # with compute_output_shape written, Keras's symbolic call asks it and never runs call():
    # in a functional model the lazy sub-layers are never made
    assert "0 of 9 weights exist after a symbolic call" in results["symbolic"].reason
    w = results["weights"]
    assert w.status == "fail"
    assert "expecting 0 weights" in w.message  # Keras's own set_weights message
    assert "load_weights loaded 0 of 9 weights without a word" in w.reason  # caught by outputs
    saved = results["keras_file"]
    assert saved.status == "fail" and "was never built" in saved.reason  # Keras's words
    assert results["train"].status == "fail"
    assert "fit() made 9 weights the built model did not have" in results["train"].reason


def _mlp() -> Document:
    nodes = [
        Node("in", "Input", "input"),
        Node("d1", "Dense", "dense1", {"units": 16}),
        Node("act", "ReLU", "act"),  # weightless: Keras marks it built in __init__
        Node("d2", "Dense", "dense2", {"units": 4}),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("in", "d1"), Edge("d1", "act"), Edge("act", "d2"), Edge("d2", "out")]
    return Document("TinyMlp", (None, 8), nodes=nodes, edges=edges)


def _conv_pool() -> Document:
    nodes = [
        Node("in", "Input", "input"),
        Node("c", "Convolution", "conv", {"filters": 8}),
        Node("n", "Normalization", "norm", {"norm": "batch"}),
        Node("a", "LeakyReLU", "act"),
        Node("p", "Pooling", "pool"),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("in", "c"), Edge("c", "n"), Edge("n", "a"), Edge("a", "p"), Edge("p", "out")]
    return Document("ConvPool", (None, 12, 12, 3), nodes=nodes, edges=edges)


@pytest.mark.parametrize("make_doc", [_mlp, _conv_pool], ids=["mlp-relu", "conv-batchnorm-pool"])
def test_other_blocks_pass_with_eager_weights(make_doc, catalog):
    doc = make_doc()
    results = run_checkup(doc, catalog, ("build",), "eager")
    assert {r.scenario: r.reason for r in results if r.status != "pass"} == {}
    module = load_generated(generate_code(doc, catalog, "build"), "build")
    block = getattr(module, doc.name)()
    block(np.zeros((1, *doc.input_shape[1:]), "float32"))
    build = next(r for r in results if r.scenario == "build")
    assert build.weight_count == len(block.weights)
    train = next(r for r in results if r.scenario == "train")
    assert f"all {len(block.trainable_weights)} trainable weights changed" in train.reason


def test_a_scenario_records_its_trace_and_the_matrix_reads(small_unet, catalog):
    r = run_scenario(small_unet, catalog, "build", "build", "eager")
    builds = [e.layer for e in r.events if e.type == "build"]
    assert builds[0] == "unet_res_block" and {"conv1", "res_conv"} <= set(builds)
    assert r.seconds > 0
    text = matrix_text([r])
    assert "build(input_shape)" in text and "PASS" in text and "1 of 1 passed" in text


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(documents())
def test_eager_build_makes_every_weight_a_call_makes(catalog, doc):
    for style in ("build", "init"):
        keras.backend.clear_session()
        module = load_generated(generate_code(doc, catalog, style), style)
        kwargs = {}
        if style == "init" and "in_channels" in module.RandomBlock.__init__.__code__.co_varnames:
            kwargs = {"in_channels": first_shape(doc.input_shape)[-1]}
        built, called = module.RandomBlock(**kwargs), module.RandomBlock(**kwargs)
        shapes = [list(s) for s in input_shapes(doc.input_shape)]
        built.build(shapes if is_multi(doc.input_shape) else shapes[0])
        called(inputs_for(doc, 1, zeros=True))

        def rel(layer):
            return [(w.path.split("/", 1)[1], tuple(w.shape)) for w in layer.weights]

        assert rel(built) == rel(called), style


CITIZEN = ["dtype_policy", "output_shape", "used_twice", "channels"]
TEMPLATE_SHAPES = {
    "unet-res-block": "(None, 8, 8, 4)",
    "unet-basic-block": "(None, 8, 8, 4)",
    "unet-up-block": "(None, 4, 4, 8), (None, 8, 8, 4)",
    "unet-out-block": "(None, 8, 8, 4)",
    "unet-level-block": "(None, 8, 8, 4)",
    "dynunet": "(None, 16, 16, 1)",
}


@pytest.mark.parametrize("template", sorted(TEMPLATE_SHAPES))
def test_every_template_passes_a_keras_reviewers_scenarios_in_every_style(catalog, template):
    from blockstudio.core.library import BlockLibrary
    from blockstudio.core.shapes import parse_input_shape
    from blockstudio.core.templates import load_template

    blocks = catalog.with_library(BlockLibrary())
    doc = load_template(template, blocks)
    doc.set_block_field("input_shape", parse_input_shape(TEMPLATE_SHAPES[template]))
    results = run_checkup(doc, blocks, ("build", "init", "functional"), "eager", None, CITIZEN)
    assert {(r.scenario, r.style): r.reason for r in results if r.status != "pass"} == {}
    by = {(r.scenario, r.style): r.reason for r in results}
    assert "sub-layers and the output follow mixed_bfloat16" in by["dtype_policy", "build"]
    if template == "dynunet":  # it declares in_channels, as MONAI does: checked in every style
        assert "in_channels=4 on 1 channels is refused" in by["channels", "functional"]


POLICY_PITFALL = '''
import keras


class Forgetful(keras.layers.Layer):
    """Makes its sub-layers without the block's dtype policy, as most hand-written layers do."""

    def __init__(self, filters=8, in_channels=None, **kwargs):
        super().__init__(**kwargs)
        self.in_channels = in_channels
        self.conv = keras.layers.Conv2D(filters, 3, padding="same")
        self.norm = keras.layers.LayerNormalization(dtype=self.dtype_policy)
        self.act = keras.layers.ReLU()

    def call(self, x):
        return self.act(self.norm(self.conv(x)))
'''


def test_a_user_layer_that_drops_the_policy_is_flagged_with_its_sub_layers(tmp_path):
    from blockstudio.engine.user_layer import LayerSpec, check_layer

    path = tmp_path / "mine.py"
    path.write_text(POLICY_PITFALL)
    results = check_layer(LayerSpec("Forgetful", str(path)), (None, 8, 8, 3), CITIZEN)
    by = {r.scenario: r for r in results}
    dtype = by["dtype_policy"]
    assert dtype.status == "fail"
    assert "2 of 3 sub-layers ignore dtype=mixed_bfloat16 (float32): conv" in dtype.reason
    assert "act" in dtype.reason and "norm" not in dtype.reason.split(":")[1]
    # no compute_output_shape: Keras's own NotImplementedError, in its words
    shape = by["output_shape"]
    assert shape.status == "fail" and "NotImplementedError" in shape.reason
    assert "does not have a `compute_output_shape` method implemented" in shape.message
    assert by["used_twice"].status == "pass"  # a class's instances are named by Keras
    # in_channels taken but never checked: a block made for 6 channels runs on 3
    channels = by["channels"]
    assert channels.status == "fail"
    assert "in_channels=6 on 3 channels: no error" in channels.reason


def test_a_functional_block_with_fixed_layer_names_cannot_be_used_twice():
    from blockstudio.engine.checkup import Subject, check_subject

    def block(inputs):
        return keras.layers.Dense(4, name="dense")(inputs)

    def model():
        inputs = keras.Input((3,))
        return keras.Model(inputs, block(inputs))

    subject = Subject(lambda **kw: model(), (None, 3), "functional", "eager", apply=block)
    result = check_subject(subject, "used_twice")
    assert result.status == "fail"
    assert 'two in one model: The name "dense" is used 2 times in the model' in result.reason
