"""The exported DynUNet refuses what MONAI refuses, in MONAI's words, and builds any depth MONAI
builds: its levels are loops over strides (a 6-level config once made 5 levels)."""

import dataclasses

import pytest

from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from blockstudio.core.validate import validate
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.loader import load_generated

MONAI = [
    # MONAI's DynUNet.check_kernel_stride / check_filters / check_deep_supr_num
    (
        {"kernel_size": (3, 3, 3, 3), "strides": (1, 2, 2, 2, 2)},
        "length of kernel_size and strides should be the same, and no less than 3.",
    ),
    (
        {"kernel_size": (3, 3), "strides": (1, 2), "upsample_kernel_size": (2,)},
        "length of kernel_size and strides should be the same, and no less than 3.",
    ),
    (
        {"kernel_size": (3, (1, 3, 3), 3, 3, 3)},
        "length of kernel_size in block 1 should be the same as spatial_dims.",
    ),
    (
        {"strides": (1, 2, 2, (2, 2, 2), 2)},
        "length of stride in block 3 should be the same as spatial_dims.",
    ),
    (
        {"filters": (8, 16, 32, 64)},
        "length of filters should be no less than the length of strides.",
    ),
    (
        {"deep_supervision": True, "deep_supr_num": 4},
        "deep_supr_num should be less than the number of up sample layers.",
    ),
    ({"deep_supervision": True, "deep_supr_num": 0}, "deep_supr_num should be larger than 0."),
]
# not MONAI's check, ours: one transposed convolution per up sample layer
DEPTHS = [
    (
        {"upsample_kernel_size": (2, 2, 2)},
        "upsample_kernel_size needs 4 entries (one per up sample layer), not 3.",
    ),
]


@pytest.fixture(scope="module")
def shipped(catalog):
    blocks = catalog.with_library(BlockLibrary())
    return blocks, load_template("dynunet", blocks)


@pytest.fixture(scope="module")
def modules(shipped):
    blocks, doc = shipped
    return {s: load_generated(generate_code(doc, blocks, s), s) for s in ("build", "functional")}


@pytest.mark.parametrize(("values", "message"), MONAI + DEPTHS)
def test_the_export_refuses_with_monai_s_value_error(modules, values, message):
    import keras

    with pytest.raises(ValueError, match=_literal(message)):
        modules["build"].DynUNet(**values)
    with pytest.raises(ValueError, match=_literal(message)):
        modules["functional"].dyn_u_net(keras.Input((64, 64, 1)), **values)


@pytest.mark.parametrize(("values", "message"), MONAI + DEPTHS)
def test_the_studio_says_the_same_on_the_block(shipped, values, message):
    blocks, doc = shipped
    doc = doc.copy()
    for name, value in values.items():
        doc.replace_block_param(name, dataclasses.replace(doc.param(name), default=value))
    said = [p.message for p in validate(doc, blocks) if p.param == "params.strides"]
    assert said and said[0].startswith(message)


def test_what_monai_accepts_at_this_depth_builds(modules):
    net = modules["build"].DynUNet(
        spatial_dims=2, filters=(4, 8, 12, 16, 20, 24), deep_supervision=True, deep_supr_num=3
    )
    assert net.filters == (4, 8, 12, 16, 20, 24)  # longer filters: MONAI uses the first five


@pytest.mark.parametrize("n", [3, 4, 6, 7])
def test_one_export_builds_the_depth_strides_asks_for(modules, n):
    import numpy as np

    values = {
        "kernel_size": (3,) * n,
        "strides": (1,) + (2,) * (n - 1),
        "upsample_kernel_size": (2,) * (n - 1),
        "filters": tuple(2 * (i + 1) for i in range(n)),
    }
    size = 2 ** (n - 1)
    for style, module in modules.items():
        if style == "functional":
            import keras

            model = keras.Model(*_io(module, values, size))
            names = {layer.name.removeprefix("net_") for layer in model.layers}
        else:
            net = module.DynUNet(**values)
            assert tuple(net(np.zeros((1, size, size, 1), "float32")).shape) == (1, size, size, 2)
            names = {layer.name for layer in net._layers}
        assert {f"downsamples_{i}" for i in range(n - 2)} <= names
        assert {f"upsamples_{i}" for i in range(n - 1)} <= names
        assert f"downsamples_{n - 2}" not in names and f"upsamples_{n - 1}" not in names


def _io(module, values, size):
    import keras

    inputs = keras.Input((size, size, 1))
    return inputs, module.dyn_u_net(inputs, name="net", **values)


def _literal(text):
    import re

    return re.escape(text)
