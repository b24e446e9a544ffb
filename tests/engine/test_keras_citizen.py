"""The exported blocks as a Keras reviewer reads them, checked with plain Keras (issue 24)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.loader import load_generated

POLICY = "mixed_bfloat16"


def _module(doc, catalog, style, weights="eager"):
    keras.backend.clear_session()
    return load_generated(generate_code(doc, catalog, style, weights=weights), style)


def _policies(layer):
    subs = layer._flatten_layers(include_self=False, recursive=True)
    return {s.name: s.dtype_policy.name for s in subs if not isinstance(s, keras.layers.InputLayer)}


@pytest.mark.parametrize("style", ["build", "init"])
def test_the_dtype_policy_reaches_every_sub_layer_and_the_output(unet, catalog, style):
    module = _module(unet, catalog, style)
    block = module.UnetResBlock(out_channels=64, dtype=POLICY)
    out = block(np.zeros((1, 16, 16, 32), "float32"))
    policies = _policies(block)
    assert {"conv1", "conv2", "lrelu", "res_conv"} <= set(policies)
    assert set(policies.values()) == {POLICY}
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    # the weights stay float32 (Keras's mixed precision), the config keeps the policy
    assert {w.dtype for w in block.weights} == {"float32"}
    again = module.UnetResBlock.from_config(block.get_config())
    again(np.zeros((1, 16, 16, 32), "float32"))
    assert set(_policies(again).values()) == {POLICY}


def test_a_functional_block_takes_a_dtype(unet, catalog):
    module = _module(unet, catalog, "functional")
    model = module.build_model((16, 16, 32), dtype=POLICY)
    assert set(_policies(model).values()) == {POLICY}
    assert keras.backend.standardize_dtype(model.output.dtype) == "bfloat16"


def test_the_policy_reaches_the_blocks_inside_a_block(catalog):
    blocks = catalog.with_library(BlockLibrary())
    doc = load_template("dynunet", blocks)
    module = _module(doc, blocks, "build")
    net = module.DynUNet(dtype=POLICY)
    net.build((None, 32, 32, 1))
    subs = net._flatten_layers(include_self=False, recursive=True)
    assert len(subs) > 40 and {s.dtype_policy.name for s in subs} == {POLICY}


@pytest.mark.parametrize("style", ["build", "init"])
@pytest.mark.parametrize("values", [{}, {"stride": 2}, {"out_channels": 32}])
def test_compute_output_shape_agrees_with_a_call_before_and_after_build(
    unet, catalog, style, values
):
    module = _module(unet, catalog, style)
    block = module.UnetResBlock(**values)
    said = block.compute_output_shape((None, 16, 16, 32))  # not built: no NotImplementedError
    out = block(np.zeros((2, 16, 16, 32), "float32"))
    assert tuple(said) == (None, *out.shape[1:])
    assert tuple(block.compute_output_shape((2, 16, 16, 32))) == tuple(out.shape)
    source = generate_code(unet, catalog, style)
    # one walk of the shapes: build() builds on it, compute_output_shape returns it
    assert source.count("_padded_shape(input_shape") == 1
    assert "self._walk_shapes(input_shape, build=True)" in source


def test_compute_output_shape_gives_every_output(catalog):
    blocks = catalog.with_library(BlockLibrary())
    doc = load_template("dynunet", blocks)
    module = _module(doc, blocks, "build")
    net = module.DynUNet(deep_supervision=True, deep_supr_num=2)
    said = net.compute_output_shape((None, 32, 32, 1))
    x = np.zeros((1, 32, 32, 1), "float32")
    # what inference returns: the output alone (MONAI stacks the heads in training only)
    assert tuple(said)[1:] == tuple(net(x).shape)[1:] == (32, 32, 2)
    assert tuple(net(x, training=True).shape) == (1, 3, 32, 32, 2)


def test_the_functional_block_can_be_used_twice_in_one_model(unet, catalog):
    module = _module(unet, catalog, "functional")
    inp = keras.Input((16, 16, 32))
    x = module.unet_res_block(inp, out_channels=32)
    x = module.unet_res_block(x, out_channels=32)
    model = keras.Model(inp, x)  # was: The name "conv1" is used 2 times in the model
    names = [layer.name for layer in model.layers]
    assert "conv1" in names and "unet_res_block_1_conv1" in names
    named = module.unet_res_block(inp, out_channels=32, name="enc1")
    assert keras.Model(inp, named).get_layer("enc1_conv1") is not None
    assert model.predict(np.zeros((1, 16, 16, 32), "float32"), verbose=0).shape == (1, 16, 16, 32)


def test_a_declared_in_channels_is_checked_against_the_input(unet, catalog):
    module = _module(unet, catalog, "init")
    block = module.UnetResBlock(in_channels=32)
    with pytest.raises(ValueError, match=r"made for 32 input channels, not 64"):
        block(np.zeros((1, 16, 16, 64), "float32"))
    with pytest.raises(ValueError, match=r"made for 32 input channels, not 64"):
        module.UnetResBlock(in_channels=32).build((None, 16, 16, 64))
    assert module.UnetResBlock(in_channels=64)(np.zeros((1, 8, 8, 64), "float32")) is not None


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_no_weightless_sub_layer_dead_argument_or_generator_note(unet, catalog, style):
    source = generate_code(unet, catalog, style)
    assert "keras.layers.Add" not in source and "x = x + res" in source
    assert "training" not in source  # Keras passes training on to dropout and batch norm
    assert "called again" not in source and "# " not in source.split("def call")[-1]
    if style != "functional":
        module = _module(unet, catalog, style)
        block = module.UnetResBlock()
        block(np.zeros((1, 8, 8, 32), "float32"))
        assert not hasattr(block, "add") or not isinstance(block.add, keras.layers.Layer)


def test_dropout_still_follows_training_without_a_training_argument(unet, catalog):
    module = _module(unet, catalog, "build")
    block = module.UnetResBlock(out_channels=32, dropout=0.5)
    x = np.ones((2, 8, 8, 32), "float32")
    block(x)
    assert np.allclose(block(x), block(x, training=False))
    assert not np.allclose(block(x, training=True), block(x, training=False))


def test_two_modules_that_both_define_a_class_do_not_overwrite_its_registration(catalog):
    blocks = catalog.with_library(BlockLibrary())
    basic = _module(load_template("unet-basic-block", blocks), blocks, "build")
    dyn = _module(load_template("dynunet", blocks), blocks, "build")
    names = {keras.saving.get_registered_name(m.UnetBasicBlock) for m in (basic, dyn)}
    assert names == {"unet_basic_block>UnetBasicBlock", "dyn_u_net>UnetBasicBlock"}
    assert keras.saving.get_registered_object("unet_basic_block>UnetBasicBlock") is (
        basic.UnetBasicBlock
    )
