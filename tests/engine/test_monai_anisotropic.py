"""Per-axis kernels and strides, as MONAI takes them: ``kernel_size=(1, 3, 3), stride=(1, 2, 2)``.

nnU-Net-like anisotropic volumes against MONAI's arithmetic (NumPy, channels first, MONAI's
state-dict keys), in every style: the blocks, the up block and whole DynUNets.
"""

import numpy as np
import pytest

from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from blockstudio.core.validate import validate
from blockstudio.engine.inference import ShapeInference
from tests.engine.helpers import build_block
from tests.engine.test_monai_unet import (
    basic_block,
    channels_last,
    dynunet_parity,
    load_monai_state,
    res_block,
    res_params,
    up_block,
    up_params,
)

STYLES = ["build", "init", "functional"]


@pytest.fixture
def blocks(catalog):
    return catalog.with_library(BlockLibrary())


def _close(got, expected):
    got = np.moveaxis(np.asarray(got), -1, 1)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)
    return float(np.abs(got - expected).max())


# (dims, spatial size, kernel, stride, in -> out channels, norm)
BLOCK_CASES = [
    (3, (4, 8, 6), (1, 3, 3), (1, 2, 2), (3, 5), "instance"),
    (3, (5, 8, 8), (3, 3, 1), (2, 2, 1), (4, 4), "batch"),
    (3, (4, 7, 7), (1, 3, 3), 1, (3, 5), "batch"),
    (2, (9, 8), (3, 1), (1, 2), (3, 5), "instance"),
    (2, (8, 8), 3, (2, 1), (4, 4), "batch"),
    (1, (9,), (5,), (2,), (3, 5), "instance"),
]


@pytest.mark.parametrize(("dims", "size", "kernel", "stride", "chans", "norm"), BLOCK_CASES)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("template", ["unet-res-block", "unet-basic-block"])
def test_blocks_with_per_axis_kernels_and_strides_match_monai(
    blocks, template, style, dims, size, kernel, stride, chans, norm
):
    cin, cout = chans
    residual = template == "unet-res-block"
    doc = load_template(template, blocks)
    rng = np.random.default_rng(sum(size) + dims)
    x = rng.normal(size=(2, cin, *size)).astype("float32")
    sd = {}
    res_params(sd, rng, "b", dims, cin, cout, kernel, stride, norm, residual)
    sd = {k: v.astype("float32") for k, v in sd.items()}
    expected = (res_block if residual else basic_block)(x, sd, "b", kernel, stride, norm)
    values = {
        "spatial_dims": dims,
        "out_channels": cout,
        "kernel_size": kernel,
        "stride": stride,
        "norm_name": norm,
    }
    block, _ = build_block(doc, blocks, style, values, input_shape=(None, *size, cin))
    load_monai_state(block, {k.removeprefix("b."): v for k, v in sd.items()})
    _close(block(channels_last(x), training=False), expected)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    ("stride", "chans", "projects"),
    [
        ((1, 1, 1), (4, 4), False),  # MONAI: np.all(np.atleast_1d(stride) == 1): no conv3
        ([1, 1, 1], (4, 4), False),
        (1, (4, 4), False),
        ((1, 2, 1), (4, 4), True),
        ((1, 1, 1), (3, 4), True),
    ],
)
def test_the_projection_is_added_exactly_when_monai_adds_it(blocks, style, stride, chans, projects):
    cin, cout = chans
    doc = load_template("unet-res-block", blocks)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, cin, 4, 6, 6)).astype("float32")
    sd = {}
    res_params(sd, rng, "b", 3, cin, cout, 3, stride, "instance")
    sd = {k: v.astype("float32") for k, v in sd.items()}
    assert ("b.conv3.conv.weight" in sd) == projects  # the reference decides as MONAI does
    values = {"spatial_dims": 3, "out_channels": cout, "stride": stride, "norm_name": "instance"}
    block, lookup = build_block(doc, blocks, style, values, input_shape=(None, 4, 6, 6, cin))
    assert (lookup("res_conv") is not None) == projects
    load_monai_state(block, {k.removeprefix("b."): v for k, v in sd.items()})  # 1:1, all used
    _close(block(channels_last(x), training=False), res_block(x, sd, "b", 3, stride, "instance"))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize(
    ("dims", "size", "kernel", "up"),
    [
        (3, (4, 3, 3), (1, 3, 3), (1, 2, 2)),
        (2, (3, 4), (3, 1), (2, 1)),
        (3, (2, 2, 2), 3, (2, 2, 1)),
    ],
)
def test_up_block_with_per_axis_upsampling_matches_monai(blocks, style, dims, size, kernel, up):
    doc = load_template("unet-up-block", blocks)
    cin, cout = 6, 4
    rng = np.random.default_rng(sum(size))
    big = tuple(n * u for n, u in zip(size, up, strict=True))
    inp = rng.normal(size=(2, cin, *size)).astype("float32")
    skip = rng.normal(size=(2, cout, *big)).astype("float32")
    sd = {}
    up_params(sd, rng, "up", dims, cin, cout, kernel, up, "instance")
    sd = {k: v.astype("float32") for k, v in sd.items()}
    expected = up_block(inp, skip, sd, "up", kernel, "instance")
    values = {
        "spatial_dims": dims,
        "out_channels": cout,
        "kernel_size": kernel,
        "upsample_kernel_size": up,
    }
    shape = ((None, *size, cin), (None, *big, cout))
    block, _ = build_block(doc, blocks, style, values, input_shape=shape)
    load_monai_state(block, {k.removeprefix("up."): v for k, v in sd.items()})
    _close(block([channels_last(inp), channels_last(skip)], training=False), expected)


# nnU-Net-like: the first levels stride in-plane only, thin slices keep a 1-wide kernel
ANISO_DYN = [
    (3, (4, 16, 16), ((1, 3, 3), (1, 3, 3), (3, 3, 3)), ((1, 1, 1), (1, 2, 2), (2, 2, 2))),
    (
        3,
        (4, 16, 16),
        ((1, 3, 3), (1, 3, 3), (3, 3, 3), (3, 3, 3)),
        (1, (1, 2, 2), (1, 2, 2), (2, 2, 2)),
    ),
    (2, (16, 8), ((3, 1), 3, 3), (1, (2, 1), 2)),
]


@pytest.mark.parametrize(("dims", "size", "kernel_size", "strides"), ANISO_DYN)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("norm", ["instance", "batch"])
def test_anisotropic_dynunet_matches_monai(blocks, dims, size, kernel_size, strides, style, norm):
    dynunet_parity(blocks, style, size, kernel_size, strides, norm, len(strides) * 10 + dims)


def test_shapes_follow_each_axis(blocks):
    doc = load_template("unet-res-block", blocks)
    doc.set_block_field("input_shape", (None, 4, 8, 6, 3))
    for name, value in (("spatial_dims", 3), ("kernel_size", (1, 3, 3)), ("stride", (1, 2, 2))):
        doc.replace_block_param(name, _with_default(doc.param(name), value))
    result = ShapeInference(blocks).run(doc)
    assert result.problems == []
    assert result.shapes["output"] == (None, 4, 4, 3, 64)
    assert result.shapes["res_conv"] == (None, 4, 4, 3, 64)


def _with_default(p, value):
    import dataclasses

    return dataclasses.replace(p, default=value)


@pytest.mark.parametrize(("name", "value"), [("kernel_size", (1, 3)), ("stride", (1, 2, 2, 2))])
def test_a_tuple_of_the_wrong_length_is_refused_naming_the_parameter(blocks, name, value):
    doc = load_template("unet-res-block", blocks)
    doc.set_block_field("input_shape", (None, 4, 8, 6, 3))
    doc.replace_block_param("spatial_dims", _with_default(doc.param("spatial_dims"), 3))
    doc.replace_block_param(name, _with_default(doc.param(name), value))
    messages = [p.message for p in validate(doc, blocks)]
    want = f"{name} {value} has {len(value)} entries, but spatial_dims is 3"
    assert any(want in m for m in messages), messages
