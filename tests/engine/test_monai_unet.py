"""MONAI's U-Net blocks with several inputs, and the whole DynUNet, against MONAI's arithmetic.

The references are NumPy (the project does not depend on torch), channels first as in PyTorch,
and read a flat state dict with MONAI's own keys (``downsamples.0.conv1.conv.weight``). The Keras
blocks are loaded from it by weight path alone, with one fixed renaming rule, and every MONAI
tensor must be used exactly once: that is what "a MONAI checkpoint could be carried over" needs.
"""

import re

import numpy as np
import pytest

from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from tests.engine.helpers import build_block
from tests.engine.test_monai_parity import conv_nd, lrelu, monai_norm, monai_pad, per_axis
from tools.make_dynunet import levels


@pytest.fixture
def blocks(catalog):
    """The catalog with the templates as block kinds (the up block holds a basic block)."""
    return catalog.with_library(BlockLibrary())


# -- MONAI's arithmetic, on a flat state dict -------------------------------------------------
def conv_transpose_nd(x, w):
    """PyTorch ConvTransposeNd with kernel == stride and no padding: x (N, C, *S), w (C, O, *K).
    Each input position writes one K-sized patch of the output, without overlap."""
    d = x.ndim - 2
    k = w.shape[2:]
    t = np.tensordot(x, w, axes=([1], [0]))  # (N, *S, O, *K)
    order = [0, 1 + d] + [ax for i in range(d) for ax in (1 + i, 2 + d + i)]
    t = t.transpose(order)  # (N, O, S1, K1, S2, K2, ...)
    return t.reshape(t.shape[0], t.shape[1], *[x.shape[2 + i] * k[i] for i in range(d)])


def res_block(x, sd, pre, kernel, stride, norm):
    """UnetResBlock: the conv3/norm3 projection when the channels or the stride change."""
    cout, d = sd[f"{pre}.conv1.conv.weight"].shape[0], x.ndim - 2
    out = conv_nd(x, sd[f"{pre}.conv1.conv.weight"], stride, monai_pad(kernel, stride, d))
    out = lrelu(monai_norm(out, sd, f"{pre}.norm1", norm))
    out = conv_nd(out, sd[f"{pre}.conv2.conv.weight"], 1, monai_pad(kernel, 1, d))
    out = monai_norm(out, sd, f"{pre}.norm2", norm)
    residual = x
    if x.shape[1] != cout or any(s != 1 for s in per_axis(stride, d)):
        residual = conv_nd(x, sd[f"{pre}.conv3.conv.weight"], stride, monai_pad(1, stride, d))
        residual = monai_norm(residual, sd, f"{pre}.norm3", norm)
    return lrelu(out + residual)


def basic_block(x, sd, pre, kernel, stride, norm):
    d = x.ndim - 2
    out = conv_nd(x, sd[f"{pre}.conv1.conv.weight"], stride, monai_pad(kernel, stride, d))
    out = lrelu(monai_norm(out, sd, f"{pre}.norm1", norm))
    out = conv_nd(out, sd[f"{pre}.conv2.conv.weight"], 1, monai_pad(kernel, 1, d))
    return lrelu(monai_norm(out, sd, f"{pre}.norm2", norm))


def up_block(inp, skip, sd, pre, kernel, norm):
    """UnetUpBlock.forward(inp, skip): transposed conv, cat((out, skip), dim=1), basic block."""
    out = conv_transpose_nd(inp, sd[f"{pre}.transp_conv.conv.weight"])
    out = np.concatenate([out, skip], axis=1)
    return basic_block(out, sd, f"{pre}.conv_block", kernel, 1, norm)


def out_block(x, sd, pre):
    bias = sd[f"{pre}.conv.conv.bias"]
    return conv_nd(x, sd[f"{pre}.conv.conv.weight"], 1, 0) + bias.reshape(
        (1, -1) + (1,) * (x.ndim - 2)
    )


def dynunet(x, sd, kernel_size, strides, norm, res=True, heads=0):
    """DynUNet(res_block=res).forward: the skip layers' recursion, unrolled; with ``heads``,
    also the deep supervision heads of training mode (MONAI stacks them after the output,
    each interpolated, nearest, to the output's size)."""
    n = len(strides)
    names = ["input_block", *[f"downsamples.{i}" for i in range(n - 2)], "bottleneck"]
    skips, ups = [], {}
    for level, name in enumerate(names):
        block = res_block if res else basic_block
        x = block(x, sd, name, kernel_size[level], strides[level], norm)
        skips.append(x)
    for j in range(n - 1):
        level = n - 2 - j
        x = up_block(x, skips[level], sd, f"upsamples.{j}", kernel_size[level + 1], norm)
        ups[level] = x
    out = out_block(x, sd, "output_block")
    if not heads:
        return out
    extra = []
    for j in range(heads):  # head j sees the up block that returns to level j + 1
        head = out_block(ups[j + 1], sd, f"deep_supervision_heads.{j}")
        for axis in range(2, head.ndim):
            head = np.repeat(head, out.shape[axis] // head.shape[axis], axis=axis)
        extra.append(head)
    return [out, *extra]


# -- MONAI's parameters, and carrying them into Keras by path ---------------------------------
def _norm_params(sd, rng, pre, c, norm):
    sd[f"{pre}.weight"] = rng.normal(size=c) + 1.0
    sd[f"{pre}.bias"] = rng.normal(size=c)
    if norm == "batch":
        sd[f"{pre}.running_mean"] = rng.normal(size=c)
        sd[f"{pre}.running_var"] = rng.uniform(0.5, 2.0, size=c)


def _conv_params(sd, rng, key, shape):
    sd[key] = rng.normal(size=shape) * (1.0 / np.sqrt(np.prod(shape[1:])))


def res_params(sd, rng, pre, dims, cin, cout, kernel, stride, norm, res=True):
    _conv_params(sd, rng, f"{pre}.conv1.conv.weight", (cout, cin, *per_axis(kernel, dims)))
    _conv_params(sd, rng, f"{pre}.conv2.conv.weight", (cout, cout, *per_axis(kernel, dims)))
    _norm_params(sd, rng, f"{pre}.norm1", cout, norm)
    _norm_params(sd, rng, f"{pre}.norm2", cout, norm)
    if res and (cin != cout or any(s != 1 for s in per_axis(stride, dims))):
        _conv_params(sd, rng, f"{pre}.conv3.conv.weight", (cout, cin, *[1] * dims))
        _norm_params(sd, rng, f"{pre}.norm3", cout, norm)


def up_params(sd, rng, pre, dims, cin, cout, kernel, up, norm):
    _conv_params(sd, rng, f"{pre}.transp_conv.conv.weight", (cin, cout, *per_axis(up, dims)))
    conv = f"{pre}.conv_block"
    k = per_axis(kernel, dims)
    _conv_params(sd, rng, f"{conv}.conv1.conv.weight", (cout, 2 * cout, *k))
    _conv_params(sd, rng, f"{conv}.conv2.conv.weight", (cout, cout, *k))
    _norm_params(sd, rng, f"{conv}.norm1", cout, norm)
    _norm_params(sd, rng, f"{conv}.norm2", cout, norm)


_RENAME = {"res_conv": "conv3", "res_norm": "norm3"}  # the seed's names for MONAI's conv3/norm3
_CONVS = {"conv1", "conv2", "conv3", "conv", "transp_conv"}  # MONAI wraps each in .conv
_LEAF = {
    "kernel": "weight",
    "bias": "bias",
    "gamma": "weight",
    "beta": "bias",
    "moving_mean": "running_mean",
    "moving_variance": "running_var",
}


def monai_key(parts):
    """A Keras weight path (as parts) → MONAI's state-dict key."""
    *layers, leaf = parts
    out = []
    for name in layers:
        name = _RENAME.get(name, name)
        out.append(
            re.sub(r"^(downsamples|upsamples|deep_supervision_heads)_(\d+)$", r"\1.\2", name)
        )
    if layers and out[-1] in _CONVS:
        out.append("conv")
    return ".".join([*out, _LEAF[leaf]])


def load_monai_state(block, sd):
    """Assign every Keras weight from ``sd`` by its path; each MONAI tensor is used once."""
    used = set()
    for w in block.weights:
        parts = w.path.split("/")
        key = monai_key(parts) if monai_key(parts) in sd else monai_key(parts[1:])
        assert key in sd, f"{w.path} has no MONAI tensor ({key})"
        assert key not in used, f"{key} assigned twice"
        used.add(key)
        value = sd[key]
        if value.ndim > 2:  # (O, C, *K) and transposed (C, O, *K) both become (*K, C|O, O|C)
            value = np.transpose(value, (*range(2, value.ndim), 1, 0))
        w.assign(value.astype("float32"))
    assert used == set(sd), f"MONAI tensors never loaded: {sorted(set(sd) - used)}"


def channels_last(x):
    return np.moveaxis(x, 1, -1)


# -- the up block -------------------------------------------------------------------------------
UP_CASES = [
    (dims, size, up, norm)
    for dims, sizes in ((1, (5, 4)), (2, (5, 4)), (3, (3, 2)))
    for size in sizes
    for up in (2, 3)
    for norm in ("instance", "batch")
]


@pytest.mark.parametrize(("dims", "size", "up", "norm"), UP_CASES)
@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_up_block_matches_monai(blocks, dims, size, up, norm, style):
    doc = load_template("unet-up-block", blocks)
    cin, cout = 6, 4
    rng = np.random.default_rng(dims * 100 + size * 10 + up)
    inp = rng.normal(size=(2, cin, *[size] * dims)).astype("float32")
    skip = rng.normal(size=(2, cout, *[size * up] * dims)).astype("float32")
    sd = {}
    up_params(sd, rng, "up", dims, cin, cout, 3, up, norm)
    expected = up_block(inp, skip, sd, "up", 3, norm)
    values = {
        "spatial_dims": dims,
        "out_channels": cout,
        "upsample_kernel_size": up,
        "norm_name": norm,
    }
    shape = ((None, *[size] * dims, cin), (None, *[size * up] * dims, cout))
    block, _ = build_block(doc, blocks, style, values, input_shape=shape)
    load_monai_state(block, {k.removeprefix("up."): v for k, v in sd.items()})
    got = np.asarray(block([channels_last(inp), channels_last(skip)], training=False))
    assert got.shape == (2, *[size * up] * dims, cout)
    np.testing.assert_allclose(np.moveaxis(got, -1, 1), expected, atol=1e-4, rtol=1e-4)


# -- the whole DynUNet ----------------------------------------------------------------------------
def dynunet_state(rng, dims, cin, cout, kernel_size, strides, filters, norm, res=True):
    sd = {}
    n = len(strides)
    names = ["input_block", *[f"downsamples.{i}" for i in range(n - 2)], "bottleneck"]
    widths = [cin, *filters]
    for level, name in enumerate(names):
        res_params(
            sd,
            rng,
            name,
            dims,
            widths[level],
            filters[level],
            kernel_size[level],
            strides[level],
            norm,
            res,
        )
    for j in range(n - 1):
        level = n - 2 - j
        up_params(
            sd,
            rng,
            f"upsamples.{j}",
            dims,
            filters[level + 1],
            filters[level],
            kernel_size[level + 1],
            strides[level + 1],
            norm,
        )
    _conv_params(sd, rng, "output_block.conv.conv.weight", (cout, filters[0], *[1] * dims))
    sd["output_block.conv.conv.bias"] = rng.normal(size=cout)
    return {k: v.astype("float32") for k, v in sd.items()}


# (dims, size, strides, norm, first kernel): 3-5 levels (MONAI refuses fewer), 1-3D, odd and
# even sizes. As in MONAI,
# each size must be divisible by the strides below it, or the skip and the upsampled tensor
# differ; and MONAI refuses stride 3 in a residual block (its 1x1 projection would need negative
# padding). So the odd sizes run at stride 1.
DYN_CASES = [
    (1, 9, (1, 1, 1), "instance", 3),
    (1, 16, (1, 2, 2), "batch", 3),
    (2, 16, (1, 2, 2, 2), "instance", 3),
    (2, 15, (1, 1, 1), "batch", 1),
    (2, 32, (1, 2, 2, 2, 2), "instance", 3),
    (3, 7, (1, 1, 1), "batch", 3),
    (3, 8, (1, 2, 2), "instance", 3),
]


@pytest.mark.parametrize(("dims", "size", "strides", "norm", "k0"), DYN_CASES)
@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_dynunet_matches_monai(blocks, dims, size, strides, norm, k0, style):
    n = len(strides)
    kernel_size = (k0, *[3] * (n - 1))
    seed = n * 100 + dims * 10 + size
    dynunet_parity(blocks, style, (size,) * dims, kernel_size, strides, norm, seed)


def dynunet_parity(blocks, style, size, kernel_size, strides, norm, seed):
    """The exported DynUNet with these values, on an input of spatial ``size``, against MONAI's
    arithmetic with the same weights (loaded by path); the largest difference."""
    n, dims = len(strides), len(size)
    doc = levels(n, dims, size=size[0], in_channels=3)
    cin, cout = 3, 2
    filters = tuple(4 * (i + 1) for i in range(n))  # small widths: the arithmetic is the point
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, cin, *size)).astype("float32")
    sd = dynunet_state(rng, dims, cin, cout, kernel_size, strides, filters, norm)
    expected = dynunet(x, sd, kernel_size, strides, norm)
    values = {
        "spatial_dims": dims,
        "out_channels": cout,
        "kernel_size": kernel_size,
        "strides": strides,
        "upsample_kernel_size": strides[1:],
        "filters": filters,
        "norm_name": norm,
    }
    block, _ = build_block(doc, blocks, style, values, input_shape=(None, *size, cin))
    load_monai_state(block, sd)
    got = np.moveaxis(np.asarray(block(channels_last(x), training=False)), -1, 1)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-4)
    return float(np.abs(got - expected).max())


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_dynunet_with_basic_blocks_matches_monai_default(blocks, style):
    """MONAI's own default, res_block=False: the levels down are UnetBasicBlocks (the same
    class, told by its res_block argument to leave out the projection and the sum)."""
    strides, kernel_size, filters = (1, 2, 2), (3, 3, 3), (4, 8, 12)
    doc = levels(3, 2, size=8, in_channels=3, res_block=False)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 8, 8)).astype("float32")
    sd = dynunet_state(rng, 2, 3, 2, kernel_size, strides, filters, "instance", res=False)
    expected = dynunet(x, sd, kernel_size, strides, "instance", res=False)
    values = {"out_channels": 2, "filters": filters, "kernel_size": kernel_size}
    block, _ = build_block(doc, blocks, style, values, input_shape=(None, 8, 8, 3))
    load_monai_state(block, sd)
    got = np.asarray(block(channels_last(x), training=False))
    np.testing.assert_allclose(np.moveaxis(got, -1, 1), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_dynunet_deep_supervision_heads_match_monai(blocks, style):
    """With deep_supervision, training returns MONAI's stack of the output and the heads on
    axis 1 (channels last: (N, 1 + heads, *S, C)); inference the output alone. Functional
    code is told ``training`` when the model is made."""
    strides, kernel_size, filters = (1, 2, 2, 2), (3, 3, 3, 3), (4, 8, 12, 16)
    doc = levels(4, 2, size=16, in_channels=3)
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 3, 16, 16)).astype("float32")
    sd = dynunet_state(rng, 2, 3, 2, kernel_size, strides, filters, "instance")
    for j in range(2):
        _conv_params(
            sd, rng, f"deep_supervision_heads.{j}.conv.conv.weight", (2, filters[j + 1], 1, 1)
        )
        sd[f"deep_supervision_heads.{j}.conv.conv.bias"] = rng.normal(size=2).astype("float32")
    sd = {k: v.astype("float32") for k, v in sd.items()}
    out, *heads = dynunet(x, sd, kernel_size, strides, "instance", heads=2)
    values = {
        "out_channels": 2,
        "filters": filters,
        "kernel_size": kernel_size,
        "strides": strides,
        "upsample_kernel_size": strides[1:],
        "deep_supervision": True,
        "deep_supr_num": 2,
    }
    if style == "functional":
        values["training"] = True
    block, _ = build_block(doc, blocks, style, values, input_shape=(None, 16, 16, 3))
    load_monai_state(block, sd)
    got = np.asarray(block(channels_last(x), training=True))
    assert got.shape == (2, 3, 16, 16, 2)
    expected = np.stack([out, *heads], axis=1)
    np.testing.assert_allclose(np.moveaxis(got, -1, 2), expected, atol=1e-4, rtol=1e-4)
    if style != "functional":
        alone = np.asarray(block(channels_last(x), training=False))
        np.testing.assert_allclose(np.moveaxis(alone, -1, 1), out, atol=1e-4, rtol=1e-4)
