"""One exported DynUNet, any depth, against MONAI's arithmetic: its levels are loops.

The shipped template is exported once per style; the same module then builds 3 to 7 levels in
1-D, 2-D and 3-D, isotropic and nnU-Net-like anisotropic, with batch and instance norm. Each
network is loaded from a MONAI-keyed state dict by weight path (every tensor used once, so the
parameter sets match), then compared with MONAI's forward pass in NumPy: inference returns the
output alone; training with deep supervision returns the output and the heads stacked on axis 1
(MONAI's ``torch.stack(out_all, dim=1)``, channels last here).
"""

import keras
import numpy as np
import pytest

import tests.engine.test_monai_unet as ref
from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.loader import load_generated
from tests.engine.test_monai_parity import EPS
from tests.engine.test_monai_unet import (
    _conv_params,
    channels_last,
    dynunet_state,
    load_monai_state,
)

STYLES = ["build", "init", "functional"]

# (dims, spatial size, kernel_size, strides, norm, deep_supr_num)
CASES = [
    (1, (16,), (3, 3, 3), (1, 2, 2), "instance", 1),
    (2, (16, 16), (3, 3, 3, 3), (1, 2, 2, 2), "batch", 2),
    (3, (8, 8, 8), (3, 3, 3, 3), (1, 2, 2, 2), "instance", 1),
    (2, (32, 32), (3,) * 6, (1, 2, 2, 2, 2, 2), "instance", 3),
    (1, (64,), (3,) * 7, (1, 2, 2, 2, 2, 2, 2), "batch", 4),
    # nnU-Net-like: thin slices keep a 1-wide kernel and stride in-plane first
    (
        3,
        (4, 16, 16),
        ((1, 3, 3), (1, 3, 3), (3, 3, 3), (3, 3, 3), (3, 3, 3)),
        ((1, 1, 1), (1, 2, 2), (2, 2, 2), (1, 2, 2), (2, 2, 2)),
        "instance",
        2,
    ),
    (2, (8, 16), ((3, 1), 3, 3, 3, 3), (1, (1, 2), 2, 2, 2), "batch", 1),
]


@pytest.fixture(scope="module")
def modules(catalog):
    blocks = catalog.with_library(BlockLibrary())
    doc = load_template("dynunet", blocks)
    return {s: load_generated(generate_code(doc, blocks, s), s) for s in STYLES}


def _batch_norm_train(x, gamma, beta):
    """BatchNorm in training: the batch's mean and (biased) variance, as torch and Keras."""
    axes = (0, *range(2, x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean) / np.sqrt(var + EPS) * gamma.reshape(shape) + beta.reshape(shape)


def _reference(monkeypatch, x, sd, kernel_size, strides, norm, heads, training):
    """MONAI's DynUNet.forward: with ``training`` and heads, the stack of the output and the
    heads (N, 1 + heads, C, *S); otherwise the output alone."""
    if training and norm == "batch":
        eval_norm = ref.monai_norm

        def norm_in_training(v, p, key, name):
            if name != "batch":
                return eval_norm(v, p, key, name)
            return _batch_norm_train(v, p[key + ".weight"], p[key + ".bias"])

        monkeypatch.setattr(ref, "monai_norm", norm_in_training)
    out = ref.dynunet(x, sd, kernel_size, strides, norm, heads=heads if training else 0)
    monkeypatch.undo()
    return np.stack(out, axis=1) if training else out


def _state(rng, dims, kernel_size, strides, filters, norm, heads, cin=2, cout=2):
    sd = dynunet_state(rng, dims, cin, cout, kernel_size, strides, filters, norm)
    for j in range(heads):
        key = f"deep_supervision_heads.{j}.conv.conv"
        _conv_params(sd, rng, f"{key}.weight", (cout, filters[j + 1], *[1] * dims))
        sd[f"{key}.bias"] = rng.normal(size=cout)
    return {k: v.astype("float32") for k, v in sd.items()}


def _stacked_channels_first(got):
    return np.moveaxis(np.asarray(got), -1, 2)  # (N, 1 + heads, *S, C) → (N, 1 + heads, C, *S)


@pytest.mark.parametrize(("dims", "size", "kernel_size", "strides", "norm", "heads"), CASES)
@pytest.mark.parametrize("style", STYLES)
def test_any_depth_matches_monai_in_inference_and_in_training(
    modules, monkeypatch, style, dims, size, kernel_size, strides, norm, heads
):
    n = len(strides)
    filters = tuple(3 * (i + 1) for i in range(n))
    rng = np.random.default_rng(n * 100 + dims * 10 + heads)
    x = rng.normal(size=(2, 2, *size)).astype("float32")
    sd = _state(rng, dims, kernel_size, strides, filters, norm, heads)
    values = {
        "spatial_dims": dims,
        "in_channels": 2,
        "out_channels": 2,
        "kernel_size": kernel_size,
        "strides": strides,
        "upsample_kernel_size": strides[1:],
        "filters": filters,
        "norm_name": norm,
        "deep_supervision": True,
        "deep_supr_num": heads,
    }
    expected = _reference(monkeypatch, x, sd, kernel_size, strides, norm, heads, False)
    stacked = _reference(monkeypatch, x, sd, kernel_size, strides, norm, heads, True)
    module = modules[style]
    keras.backend.clear_session()
    if style == "functional":  # training is chosen when the model is made
        inference = module.build_model((*size, 2), name="", **values)
        training = module.build_model((*size, 2), training=True, name="", **values)
        load_monai_state(training, sd)
        got_train = training(channels_last(x), training=True)
        assert training.count_params() == sum(v.size for v in sd.values())
        load_monai_state(inference, {k: v for k, v in sd.items() if "heads" not in k})
        got = inference(channels_last(x), training=False)
    else:
        net = module.DynUNet(**values)
        net.build((None, *size, 2))  # Keras's contract: every weight exists after build()
        load_monai_state(net, sd)
        assert net.count_params() == sum(v.size for v in sd.values())
        got = net(channels_last(x), training=False)
        got_train = net(channels_last(x), training=True)
    assert tuple(got.shape) == (2, *size, 2)
    np.testing.assert_allclose(np.moveaxis(np.asarray(got), -1, 1), expected, atol=1e-4, rtol=1e-4)
    assert tuple(got_train.shape) == (2, 1 + heads, *size, 2)
    np.testing.assert_allclose(_stacked_channels_first(got_train), stacked, atol=1e-4, rtol=1e-4)


def test_without_deep_supervision_training_returns_the_output_alone(modules):
    net = modules["build"].DynUNet(filters=(4, 8, 12, 16, 20), in_channels=1)
    x = np.zeros((1, 16, 16, 1), "float32")
    assert tuple(net(x, training=True).shape) == (1, 16, 16, 2)
    assert not any("heads" in w.path for w in net.weights)


@pytest.mark.parametrize("style", ["build", "init"])
def test_a_six_level_net_with_heads_saves_loads_and_configures_in_safe_mode(
    modules, tmp_path, style
):
    values = {
        "spatial_dims": 3,
        "in_channels": 1,
        "kernel_size": ((1, 3, 3), (1, 3, 3), 3, 3, 3, 3),
        "strides": ((1, 1, 1), (1, 2, 2), (1, 2, 2), 2, 2, (1, 2, 2)),
        "upsample_kernel_size": ((1, 2, 2), (1, 2, 2), 2, 2, (1, 2, 2)),
        "filters": (2, 3, 4, 5, 6, 7),
        "deep_supervision": True,
        "deep_supr_num": 3,
    }
    cls = modules[style].DynUNet
    net = cls(**values)
    net.build((None, 4, 32, 32, 1))
    built = sorted(w.path for w in net.weights)
    # MONAI's module paths, the ModuleList index after an underscore: dyn_u_net/downsamples_0/...
    assert {p.split("/")[1] for p in built} == {
        "input_block",
        "bottleneck",
        "output_block",
        *(f"downsamples_{i}" for i in range(4)),
        *(f"upsamples_{i}" for i in range(5)),
        *(f"deep_supervision_heads_{i}" for i in range(3)),
    }
    x = np.random.default_rng(3).normal(size=(1, 4, 32, 32, 1)).astype("float32")
    net(x)
    assert sorted(w.path for w in net.weights) == built  # the call made no new weight
    again = cls.from_config(net.get_config())
    again.build((None, 4, 32, 32, 1))
    again.set_weights(net.get_weights())
    np.testing.assert_allclose(again(x, training=True), net(x, training=True), atol=1e-5)
    inputs = keras.Input((4, 32, 32, 1))
    model = keras.Model(inputs, net(inputs))
    model.save(tmp_path / "net.keras")
    loaded = keras.saving.load_model(tmp_path / "net.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-5)
