"""The exported UnetResBlock computes what MONAI's UnetResBlock computes.

MONAI is PyTorch (channels first); the project must not depend on torch, so the reference below
is MONAI's arithmetic in NumPy: Convolution without bias and with padding (k - s + 1) // 2, affine
InstanceNorm / BatchNorm (eval) with eps 1e-5, LeakyReLU(0.01), and the conv3/norm3 projection
when in_channels != out_channels or stride != 1.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from tests.engine.helpers import build_block

EPS = 1e-5


def per_axis(value, d):
    """An int for every axis, or one per axis (MONAI takes both)."""
    return tuple(value) if isinstance(value, tuple | list) else (value,) * d


def monai_pad(kernel, stride, d):
    """MONAI's get_padding, (k - s + 1) // 2, per axis."""
    return tuple(
        (k - s + 1) // 2 for k, s in zip(per_axis(kernel, d), per_axis(stride, d), strict=True)
    )


def conv_nd(x, w, stride, pad):
    """PyTorch ConvNd: x (N, C, *S), w (O, C, *K), symmetric zero padding, no bias; the stride
    and the padding are ints or one per axis."""
    d = x.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in per_axis(pad, d)])
    win = sliding_window_view(x, w.shape[2:], axis=tuple(range(2, 2 + d)))
    win = win[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in per_axis(stride, d))]
    out = np.tensordot(win, w, axes=([1, *range(2 + d, 2 + 2 * d)], [1, *range(2, 2 + d)]))
    return np.moveaxis(out, -1, 1)


def instance_norm(x, gamma, beta):
    axes = tuple(range(2, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + EPS) * gamma.reshape(shape) + beta.reshape(shape)


def batch_norm_eval(x, gamma, beta, mean, var):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS) * gamma.reshape(
        shape
    ) + beta.reshape(shape)


def lrelu(x):
    return np.where(x >= 0, x, 0.01 * x)


def monai_norm(v, p, key, norm):
    """MONAI's affine InstanceNorm, or BatchNorm in eval mode, with the weights under ``key``."""
    if norm == "instance":
        return instance_norm(v, p[key + ".weight"], p[key + ".bias"])
    return batch_norm_eval(
        v, p[key + ".weight"], p[key + ".bias"], p[key + ".running_mean"], p[key + ".running_var"]
    )


def monai_unet_res_block(x, p, stride, kernel, norm, downsample):
    def nrm(v, key):
        return monai_norm(v, p, key, norm)

    pad = (kernel - stride + 1) // 2
    out = conv_nd(x, p["conv1"], stride, pad)
    out = lrelu(nrm(out, "norm1"))
    out = nrm(conv_nd(out, p["conv2"], 1, (kernel - 1 + 1) // 2), "norm2")
    residual = x
    if downsample:
        residual = nrm(conv_nd(x, p["conv3"], stride, (1 - stride + 1) // 2), "norm3")
    return lrelu(out + residual)


def torch_params(rng, dims, cin, cout, kernel, norm, downsample):
    p = {
        "conv1": rng.normal(size=(cout, cin, *[kernel] * dims)) * 0.3,
        "conv2": rng.normal(size=(cout, cout, *[kernel] * dims)) * 0.3,
    }
    norms = ["norm1", "norm2"]
    if downsample:
        p["conv3"] = rng.normal(size=(cout, cin, *[1] * dims)) * 0.3
        norms.append("norm3")
    for key in norms:
        p[key + ".weight"] = rng.normal(size=cout) + 1.0
        p[key + ".bias"] = rng.normal(size=cout)
        if norm == "batch":
            p[key + ".running_mean"] = rng.normal(size=cout)
            p[key + ".running_var"] = rng.uniform(0.5, 2.0, size=cout)
    return {k: v.astype("float32") for k, v in p.items()}


def load_into_keras(lookup, p, norm):
    """MONAI's weights into the Keras block: kernels (O, C, *K) become (*K, C, O)."""
    names = {
        "conv1": "conv1",
        "conv2": "conv2",
        "conv3": "res_conv",
        "norm1": "norm1",
        "norm2": "norm2",
        "norm3": "res_norm",
    }
    for torch_name, ours in names.items():
        layer = lookup(ours)
        if torch_name.startswith("conv") and torch_name in p:
            w = p[torch_name]
            layer.kernel.assign(np.transpose(w, (*range(2, w.ndim), 1, 0)))
        elif torch_name + ".weight" in p:
            layer.gamma.assign(p[torch_name + ".weight"])
            layer.beta.assign(p[torch_name + ".bias"])
            if norm == "batch":
                layer.moving_mean.assign(p[torch_name + ".running_mean"])
                layer.moving_variance.assign(p[torch_name + ".running_var"])


CASES = [
    (dims, size, stride, project, norm)
    for dims, sizes in ((1, (9, 8)), (2, (9, 8)), (3, (7, 6)))
    for size in sizes
    for stride, project in ((1, True), (1, False), (2, True))
    for norm in ("instance", "batch")
]


@pytest.mark.parametrize(("dims", "size", "stride", "project", "norm"), CASES)
@pytest.mark.parametrize("style", ["build", "init"])
def test_matches_monai(unet, catalog, dims, size, stride, project, norm, style):
    cin, cout = (3, 5) if project else (4, 4)
    rng = np.random.default_rng(dims * 100 + size * 10 + stride)
    x = rng.normal(size=(2, cin, *[size] * dims)).astype("float32")
    params = torch_params(rng, dims, cin, cout, 3, norm, downsample=project or stride != 1)
    expected = monai_unet_res_block(x, params, stride, 3, norm, project or stride != 1)

    values = {"spatial_dims": dims, "out_channels": cout, "stride": stride, "norm_name": norm}
    shape = (None, *[size] * dims, cin)
    block, lookup = build_block(unet, catalog, style, values, input_shape=shape)
    assert (lookup("res_conv") is not None) == (project or stride != 1)
    load_into_keras(lookup, params, norm)
    got = np.asarray(block(np.moveaxis(x, 1, -1), training=False))
    np.testing.assert_allclose(np.moveaxis(got, -1, 1), expected, atol=1e-4, rtol=1e-4)


def test_same_padding_would_differ_at_stride_two():
    """Why the template pads symmetrically: Keras 'same' pads (0, 1) on even sizes at stride 2."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 1, 8)).astype("float32")
    w = rng.normal(size=(1, 1, 3)).astype("float32")
    symmetric = conv_nd(x, w, 2, 1)
    same_keras_style = conv_nd(np.pad(x, [(0, 0), (0, 0), (0, 1)]), w, 2, 0)
    assert symmetric.shape == same_keras_style.shape
    assert not np.allclose(symmetric, same_keras_style)


def monai_unet_basic_block(x, p, stride, kernel, norm):
    def nrm(v, key):
        return monai_norm(v, p, key, norm)

    out = lrelu(nrm(conv_nd(x, p["conv1"], stride, (kernel - stride + 1) // 2), "norm1"))
    return lrelu(nrm(conv_nd(out, p["conv2"], 1, (kernel - 1 + 1) // 2), "norm2"))


BASIC_CASES = [
    (dims, size, stride, norm)
    for dims, sizes in ((1, (9, 8)), (2, (9, 8)), (3, (7, 6)))
    for size in sizes
    for stride in (1, 2)
    for norm in ("instance", "batch")
]


@pytest.mark.parametrize(("dims", "size", "stride", "norm"), BASIC_CASES)
@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_basic_block_matches_monai(catalog, dims, size, stride, norm, style):
    from blockstudio.core.templates import load_template

    doc = load_template("unet-basic-block", catalog)
    cin, cout = 3, 5
    rng = np.random.default_rng(dims * 100 + size * 10 + stride)
    x = rng.normal(size=(2, cin, *[size] * dims)).astype("float32")
    params = torch_params(rng, dims, cin, cout, 3, norm, downsample=False)
    expected = monai_unet_basic_block(x, params, stride, 3, norm)
    values = {"spatial_dims": dims, "out_channels": cout, "stride": stride, "norm_name": norm}
    block, lookup = build_block(
        doc, catalog, style, values, input_shape=(None, *[size] * dims, cin)
    )
    load_into_keras(lookup, params, norm)
    got = np.asarray(block(np.moveaxis(x, 1, -1), training=False))
    np.testing.assert_allclose(np.moveaxis(got, -1, 1), expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_out_block_matches_monai(catalog, dims):
    from blockstudio.core.templates import load_template

    doc = load_template("unet-out-block", catalog)
    rng = np.random.default_rng(dims)
    x = rng.normal(size=(2, 6, *[5] * dims)).astype("float32")
    w = rng.normal(size=(2, 6, *[1] * dims)).astype("float32")
    bias = rng.normal(size=2).astype("float32")
    expected = conv_nd(x, w, 1, 0) + bias.reshape((1, -1) + (1,) * dims)
    values = {"spatial_dims": dims, "out_channels": 2}
    block, lookup = build_block(doc, catalog, "build", values, input_shape=(None, *[5] * dims, 6))
    lookup("conv").kernel.assign(np.transpose(w, (*range(2, w.ndim), 1, 0)))
    lookup("conv").bias.assign(bias)
    got = np.asarray(block(np.moveaxis(x, 1, -1), training=False))
    np.testing.assert_allclose(np.moveaxis(got, -1, 1), expected, atol=1e-4, rtol=1e-4)
