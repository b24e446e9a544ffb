"""Dimension-generic kinds: Convolution, TransposedConvolution, Normalization, Pooling, Dropout.

They follow the block's ``spatial_dims`` (the block parameter of that name, else the input rank
minus two), so one document serves 1D, 2D and 3D. This module holds their schemas and how each
maps onto concrete Keras layers; code generation and shape inference both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The helpers generated code calls for a generic kind whose Keras class is not fixed (it follows
# a spatial_dims or selector block parameter).
CONVOLUTION_SOURCE = '''def _conv(
    spatial_dims,
    filters,
    kernel_size,
    strides=1,
    padding="valid",
    use_bias=False,
    name=None,
    dtype=None,
):
    """A Conv1D, Conv2D or Conv3D layer for ``spatial_dims``; no bias, as MONAI's."""
    conv = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}
    return conv[spatial_dims](
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        name=name,
        dtype=dtype,
    )'''

TRANSPOSED_SOURCE = '''def _conv_transpose(
    spatial_dims,
    filters,
    kernel_size,
    strides=1,
    padding="valid",
    use_bias=False,
    name=None,
    dtype=None,
):
    """A transposed Conv1D, Conv2D or Conv3D layer for ``spatial_dims``."""
    conv = {
        1: keras.layers.Conv1DTranspose,
        2: keras.layers.Conv2DTranspose,
        3: keras.layers.Conv3DTranspose,
    }
    return conv[spatial_dims](
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        name=name,
        dtype=dtype,
    )'''

NORMALIZATION_SOURCE = (
    "def _norm(norm, epsilon=1e-5, groups=8, momentum=0.9, name=None, dtype=None):\n"
    '''    """Batch, instance, group or layer normalization over the channel axis.

    epsilon=1e-5 and momentum=0.9 match PyTorch (its momentum 0.1 is Keras's 0.9).
    """
    named = {"epsilon": epsilon, "name": name, "dtype": dtype}
    if norm == "batch":
        return keras.layers.BatchNormalization(momentum=momentum, **named)
    if norm == "instance":
        return keras.layers.GroupNormalization(groups=-1, **named)
    if norm == "group":
        return keras.layers.GroupNormalization(groups=groups, **named)
    if norm == "layer":
        return keras.layers.LayerNormalization(**named)
    raise ValueError(f"Unknown norm {norm!r}; use batch, instance, group or layer.")'''
)

POOLING_SOURCE = '''def _pool(
    spatial_dims,
    pool="max",
    pool_size=2,
    strides=None,
    padding="valid",
    name=None,
    dtype=None,
):
    """Max or average pooling over ``spatial_dims`` axes."""
    kind = {"max": "MaxPooling", "avg": "AveragePooling"}[pool]
    layer = getattr(keras.layers, f"{kind}{spatial_dims}D")
    return layer(
        pool_size=pool_size, strides=strides, padding=padding, name=name, dtype=dtype
    )'''

UPSAMPLE_SOURCE = '''def _upsample(spatial_dims, size=2, name=None, dtype=None):
    """Nearest-neighbour upsampling by ``size`` over ``spatial_dims`` axes."""
    layer = getattr(keras.layers, f"UpSampling{spatial_dims}D")
    return layer(size=size, name=name, dtype=dtype)'''

DROPOUT_SOURCE = '''def _dropout(spatial_dims, rate=0.1, spatial=False, name=None, dtype=None):
    """Dropout, or spatial dropout of whole channels over ``spatial_dims`` axes."""
    if spatial:
        layer = getattr(keras.layers, f"SpatialDropout{spatial_dims}D")
        return layer(rate, name=name, dtype=dtype)
    return keras.layers.Dropout(rate, name=name, dtype=dtype)'''


GENERIC_SPECS: list[dict[str, Any]] = [
    {
        "kind": "Convolution",
        "category": "generic",
        "builds": True,
        "same_shape": False,
        "doc": "Conv1D/2D/3D chosen by spatial_dims; 'symmetric' pads (k - s + 1) // 2 per side "
        "as MONAI does.",
        "generic": True,
        "curated": True,
        "params": [
            {"name": "filters", "type": "int", "default": 32, "min": 1},
            {"name": "kernel_size", "type": "ints", "default": 3, "min": 1},
            {"name": "strides", "type": "ints", "default": 1, "min": 1},
            {
                "name": "padding",
                "type": "choice",
                "default": "symmetric",
                "choices": ["symmetric", "same", "valid"],
            },
            {"name": "use_bias", "type": "bool", "default": False},
        ],
    },
    {
        "kind": "TransposedConvolution",
        "category": "generic",
        "builds": True,
        "same_shape": False,
        "doc": "Conv1D/2D/3DTranspose chosen by spatial_dims; with kernel_size == strides and "
        "'valid' padding it upsamples by strides exactly as MONAI's transposed convolution.",
        "generic": True,
        "curated": True,
        "params": [
            {"name": "filters", "type": "int", "default": 32, "min": 1},
            {"name": "kernel_size", "type": "ints", "default": 2, "min": 1},
            {"name": "strides", "type": "ints", "default": 2, "min": 1},
            {"name": "padding", "type": "choice", "default": "valid", "choices": ["valid", "same"]},
            {"name": "use_bias", "type": "bool", "default": False},
        ],
    },
    {
        "kind": "Normalization",
        "category": "generic",
        "builds": True,
        "same_shape": True,
        "doc": "Batch, instance, group or layer normalization over the channel axis.",
        "generic": True,
        "curated": True,
        "params": [
            {
                "name": "norm",
                "type": "choice",
                "default": "instance",
                "choices": ["instance", "batch", "group", "layer"],
            },
            {"name": "epsilon", "type": "float", "default": 1e-5, "min": 0.0},
            {"name": "groups", "type": "int", "default": 8, "min": 1},
            {"name": "momentum", "type": "float", "default": 0.9, "min": 0.0, "max": 1.0},
        ],
    },
    {
        "kind": "Pooling",
        "category": "generic",
        "builds": False,
        "same_shape": False,
        "doc": "Max or average pooling over spatial_dims axes.",
        "generic": True,
        "curated": True,
        "params": [
            {"name": "pool", "type": "choice", "default": "max", "choices": ["max", "avg"]},
            {"name": "pool_size", "type": "int", "default": 2, "min": 1},
            {"name": "strides", "type": "int", "default": None, "optional": True, "min": 1},
            {"name": "padding", "type": "choice", "default": "valid", "choices": ["valid", "same"]},
        ],
    },
    {
        "kind": "Upsample",
        "category": "generic",
        "builds": False,
        "same_shape": False,
        "doc": "UpSampling1D/2D/3D chosen by spatial_dims: nearest-neighbour, each size times "
        "size (MONAI's interpolate to a whole multiple).",
        "generic": True,
        "curated": True,
        "params": [{"name": "size", "type": "ints", "default": 2, "min": 1}],
    },
    {
        "kind": "Dropout",
        "category": "generic",
        "builds": False,
        "same_shape": True,
        "doc": "Dropout, or spatial dropout of whole channels over spatial_dims axes.",
        "generic": True,
        "curated": True,
        "params": [
            {"name": "rate", "type": "float", "default": 0.1, "min": 0.0, "max": 1.0},
            {"name": "spatial", "type": "bool", "default": False},
        ],
    },
]


@dataclass(frozen=True)
class GenericKind:
    """Everything about one generic kind, in one place: its schema (above), the param that picks
    the Keras class, and the helper function generated code calls when the class is not fixed."""

    spec: dict[str, Any]
    selector: str  # code can name the Keras class directly only if this param is a literal
    helper: str  # the helper's name in generated code
    positional: tuple[str, ...]  # helper arguments passed by position (the rest by keyword)
    takes_dims: bool  # whether the helper's first argument is spatial_dims
    source: str  # the helper's source text

    @property
    def kind(self) -> str:
        return self.spec["kind"]

    @property
    def defaults(self) -> dict[str, Any]:
        return {p["name"]: p.get("default") for p in self.spec["params"]}


_SPECS = {s["kind"]: s for s in GENERIC_SPECS}

GENERICS: dict[str, GenericKind] = {
    "Convolution": GenericKind(
        _SPECS["Convolution"],
        "padding",
        "_conv",
        ("filters", "kernel_size"),
        True,
        CONVOLUTION_SOURCE,
    ),
    "TransposedConvolution": GenericKind(
        _SPECS["TransposedConvolution"],
        "padding",
        "_conv_transpose",
        ("filters", "kernel_size"),
        True,
        TRANSPOSED_SOURCE,
    ),
    "Normalization": GenericKind(
        _SPECS["Normalization"], "norm", "_norm", ("norm",), False, NORMALIZATION_SOURCE
    ),
    "Pooling": GenericKind(_SPECS["Pooling"], "pool", "_pool", ("pool",), True, POOLING_SOURCE),
    "Upsample": GenericKind(_SPECS["Upsample"], "", "_upsample", (), True, UPSAMPLE_SOURCE),
    "Dropout": GenericKind(
        _SPECS["Dropout"], "spatial", "_dropout", ("rate",), True, DROPOUT_SOURCE
    ),
}

GENERIC_KINDS = frozenset(GENERICS)


def uses_spatial_dims(kind: str, params: dict[str, Any]) -> bool:
    """Whether the Keras class depends on spatial_dims (a plain Dropout does not)."""
    if kind == "Dropout":
        return params["spatial"] is not False
    return kind in ("Convolution", "TransposedConvolution", "Pooling", "Upsample")


# the Keras classes a generic kind can be, whatever its parameters (what a run shows of it)
KERAS_CLASSES = {
    "Convolution": ("Conv1D", "Conv2D", "Conv3D"),
    "TransposedConvolution": ("Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"),
    "Normalization": ("BatchNormalization", "GroupNormalization", "LayerNormalization"),
    "Pooling": tuple(f"{p}Pooling{d}D" for p in ("Max", "Average") for d in (1, 2, 3)),
    "Upsample": ("UpSampling1D", "UpSampling2D", "UpSampling3D"),
    "Dropout": ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"),
}


def symmetric_padding(kernel_size: Any, stride: Any) -> int | tuple[int, ...]:
    """MONAI's ``get_padding``: (k - s + 1) // 2 zeros on each side of every spatial axis;
    per axis (a tuple) when the kernel size or the stride is one per axis."""
    if isinstance(kernel_size, int) and isinstance(stride, int):
        return (kernel_size - stride + 1) // 2
    n = len(kernel_size) if isinstance(kernel_size, tuple | list) else len(stride)
    ks, ss = per_axis(kernel_size, n), per_axis(stride, n)
    return tuple((k - s + 1) // 2 for k, s in zip(ks, ss, strict=True))


def per_axis(value: Any, n: int) -> tuple[Any, ...]:
    """``value`` once per spatial axis: a tuple as it is, an int ``n`` times."""
    return tuple(value) if isinstance(value, tuple | list) else (value,) * n


def no_padding(pad: int | tuple[int, ...]) -> bool:
    """Whether a symmetric padding pads nothing."""
    return not any(per_axis(pad, 1))


def negative_padding(pad: int | tuple[int, ...]) -> bool:
    """Whether a symmetric padding is negative somewhere (MONAI refuses it)."""
    return any(p < 0 for p in per_axis(pad, 1))


def keras_layer_for(kind: str, params: dict[str, Any], spatial_dims: int) -> tuple[str, dict]:
    """The Keras class name and constructor kwargs a generic node stands for.

    For ``Convolution`` with ``padding="symmetric"`` the convolution itself is ``valid``; the
    padding is applied to its input (see :func:`symmetric_padding`).
    """
    if kind == "Convolution":
        padding = params["padding"]
        return f"Conv{spatial_dims}D", {
            "filters": params["filters"],
            "kernel_size": params["kernel_size"],
            "strides": params["strides"],
            "padding": "valid" if padding == "symmetric" else padding,
            "use_bias": params["use_bias"],
        }
    if kind == "TransposedConvolution":
        return f"Conv{spatial_dims}DTranspose", {
            "filters": params["filters"],
            "kernel_size": params["kernel_size"],
            "strides": params["strides"],
            "padding": params["padding"],
            "use_bias": params["use_bias"],
        }
    if kind == "Normalization":
        norm, eps = params["norm"], params["epsilon"]
        if norm == "batch":
            return "BatchNormalization", {"epsilon": eps, "momentum": params["momentum"]}
        if norm == "instance":
            return "GroupNormalization", {"groups": -1, "epsilon": eps}
        if norm == "group":
            return "GroupNormalization", {"groups": params["groups"], "epsilon": eps}
        return "LayerNormalization", {"epsilon": eps}
    if kind == "Pooling":
        cls = "MaxPooling" if params["pool"] == "max" else "AveragePooling"
        return f"{cls}{spatial_dims}D", {
            "pool_size": params["pool_size"],
            "strides": params["strides"],
            "padding": params["padding"],
        }
    if kind == "Upsample":
        return f"UpSampling{spatial_dims}D", {"size": params["size"]}
    if kind == "Dropout":
        cls = f"SpatialDropout{spatial_dims}D" if params["spatial"] else "Dropout"
        return cls, {"rate": params["rate"]}
    raise KeyError(f"not a generic kind: {kind}")


# Keras classes whose compute_output_shape, after the input-spec check every call makes, gives
# exactly what a call gives (tests/engine/test_inference_vs_keras.py proves it kind by kind);
# the value says for which constructor arguments. Every other class is checked by a real call
# on symbolic inputs with a throwaway layer, which is slower because it builds.
def _one_group(kwargs: dict[str, Any]) -> bool:
    return kwargs.get("groups", 1) == 1


_TRUSTED: dict[str, Any] = {
    **{f"Conv{d}D": _one_group for d in (1, 2, 3)},
    **{f"Conv{d}DTranspose": True for d in (1, 2, 3)},
    **{f"{p}Pooling{d}D": True for p in ("Max", "Average") for d in (1, 2, 3)},
    **{
        f"{p}{d}D": True
        for p in ("ZeroPadding", "UpSampling", "Cropping", "SpatialDropout")
        for d in (1, 2, 3)
    },
    "GroupNormalization": lambda kwargs: kwargs.get("groups") == -1,
    **dict.fromkeys(
        (
            "BatchNormalization",
            "LayerNormalization",
            "LeakyReLU",
            "ReLU",
            "ELU",
            "Activation",
            "Dropout",
            "Dense",
            "Flatten",
            "Identity",
            "Softmax",
            "Add",
            "Subtract",
            "Multiply",
            "Average",
            "Maximum",
            "Minimum",
        ),
        True,
    ),
}


def trusts_output_shape(cls_name: str, kwargs: dict[str, Any]) -> bool:
    rule = _TRUSTED.get(cls_name)
    return bool(rule(kwargs)) if callable(rule) else bool(rule)
