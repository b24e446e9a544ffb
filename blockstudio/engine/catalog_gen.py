"""Generate the layer catalog from ``keras.layers``.

Run ``python -m blockstudio.engine.catalog_gen`` after upgrading Keras.

The result is written to ``resources/catalog.json`` so the UI can show every kind without
importing TensorFlow; a test regenerates it and fails when the shipped file is stale.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import keras

from blockstudio.core.sources import INITIALIZERS, SOURCE_SPECS
from blockstudio.engine.generic import GENERIC_KINDS, GENERIC_SPECS

# Classes that do not transform tensors on their own: bases, wrappers that need another layer,
# layers that need data (adapt/vocabularies) or foreign frameworks.
EXCLUDED = {
    "Layer",
    "InputLayer",
    "InputSpec",
    "Wrapper",
    "Lambda",
    "JaxLayer",
    "FlaxLayer",
    "TFSMLayer",
    "TorchModuleWrapper",
    "Bidirectional",
    "TimeDistributed",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "SimpleRNNCell",
    "StackedRNNCells",
    "Pipeline",
    "SpectralNormalization",
    "StringLookup",
    "IntegerLookup",
    "TextVectorization",
    "Hashing",
    "HashedCrossing",
    "Discretization",
    "Normalization",
    "MaxNumBoundingBoxes",
    "CategoryEncoding",
}
SKIPPED_ARGS = {
    "self",
    "kwargs",
    "args",
    "name",
    "dtype",
    "trainable",
    "autocast",
    "seed",
    "quantization_config",
    "lora_rank",
    "lora_alpha",
    "lora_enabled",
    "weights",
    "gptq_unpacked_column_size",
}
# Arguments whose Keras default (None or required) says nothing about their type.
TYPE_OVERRIDES: dict[str, dict[str, Any]] = {
    "rate": {"type": "float", "min": 0.0, "max": 1.0},
    "stddev": {"type": "float", "min": 0.0},
    "max_value": {"type": "float", "min": 0.0},
    "target_shape": {"type": "ints", "min": -1},  # one entry may be -1: the size left
    "dims": {"type": "ints", "min": 1},
    "value_dim": {"type": "int", "min": 1},
    "scale": {"type": "float"},
}
CATEGORY_NAMES = {
    "activations": "activation",
    "attention": "attention",
    "convolutional": "convolution",
    "core": "core",
    "merging": "merge",
    "normalization": "normalization",
    "pooling": "pooling",
    "preprocessing": "preprocessing",
    "regularization": "regularization",
    "reshaping": "reshaping",
    "rnn": "recurrent",
}
MULTI_INPUT = {
    "Add": (2, None, "list"),
    "Average": (2, None, "list"),
    "Concatenate": (2, None, "list"),
    "Maximum": (2, None, "list"),
    "Minimum": (2, None, "list"),
    "Multiply": (2, None, "list"),
    "Subtract": (2, 2, "list"),
    "Dot": (2, 2, "list"),
    "Attention": (2, 3, "list"),
    "AdditiveAttention": (2, 3, "list"),
    "MultiHeadAttention": (2, 3, "args"),
    "GroupQueryAttention": (2, 3, "args"),
}
CHOICES: dict[str, list[Any]] = {
    "padding": ["valid", "same"],
    "data_format": [None, "channels_last", "channels_first"],
    "interpolation": ["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"],
    "fill_mode": ["constant", "reflect", "wrap", "nearest"],
    "regularizer": [None, "l1", "l2", "l1_l2"],
    "constraint": [None, "max_norm", "non_neg", "unit_norm"],
}
POSITIVE_INTS = {
    "filters",
    "units",
    "kernel_size",
    "strides",
    "pool_size",
    "dilation_rate",
    "size",
    "num_heads",
    "key_dim",
    "groups",
    "depth_multiplier",
    "n",
    "output_size",
    "height",
    "width",
    "input_dim",
    "output_dim",
}
# Curated editors for the common kinds: exact types, ranges and required values.
CURATED = {
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "Dense",
    "BatchNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "Activation",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "PReLU",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "Add",
    "Concatenate",
    "Flatten",
    "Reshape",
}
RANGES: dict[str, dict[str, float]] = {
    "rate": {"min": 0.0, "max": 1.0},
    "momentum": {"min": 0.0, "max": 1.0},
    "epsilon": {"min": 0.0},
    "negative_slope": {"min": 0.0},
    "alpha": {"min": 0.0},
}


def _activation_names() -> list[Any]:
    names = [
        n
        for n, f in vars(keras.activations).items()
        if callable(f) and not n.startswith("_") and n not in {"get", "serialize", "deserialize"}
    ]
    return [None, *sorted(names)]


def _first_line(doc: str | None) -> str:
    for line in (doc or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _param_entry(kind: str, p: inspect.Parameter, activations: list[Any]) -> dict[str, Any]:
    default = p.default
    required = default is inspect.Parameter.empty
    entry: dict[str, Any] = {"name": p.name}
    if isinstance(default, list):
        default = tuple(default)
    key = p.name
    choice_key = (
        "regularizer"
        if key.endswith("regularizer")
        else "constraint"
        if key.endswith("constraint")
        else key
    )
    if key in TYPE_OVERRIDES and (required or default is None):
        entry.update(TYPE_OVERRIDES[key])
    elif key == "activation" or key == "recurrent_activation":
        entry.update(type="choice", choices=activations)
    elif key.endswith("initializer"):
        choices = list(INITIALIZERS)
        if isinstance(default, str) and default not in choices:
            choices.append(default)
        entry.update(type="choice", choices=choices)
    elif choice_key in CHOICES and (default is None or isinstance(default, str) or required):
        choices = list(CHOICES[choice_key])
        if kind == "Conv1D" and key == "padding":
            choices.append("causal")
        if isinstance(default, str) and default not in choices:
            choices.append(default)
        entry.update(type="choice", choices=choices)
    elif isinstance(default, bool):
        entry["type"] = "bool"
    elif isinstance(default, int):
        entry["type"] = "int"
    elif isinstance(default, float):
        entry["type"] = "float"
    elif isinstance(default, str):
        entry["type"] = "str"
    elif isinstance(default, tuple) and default and all(isinstance(v, int) for v in default):
        entry["type"] = "ints"
    elif key in POSITIVE_INTS:
        entry["type"] = (
            "ints"
            if key in {"kernel_size", "strides", "pool_size", "size", "dilation_rate"}
            else "int"
        )
    else:
        entry["type"] = "any"
    if key in POSITIVE_INTS and entry["type"] in ("int", "ints"):
        entry["min"] = 1
    if key in RANGES and entry["type"] == "float" and "min" not in entry:
        entry.update(RANGES[key])
    if required:
        entry["required"] = True
    else:
        entry["default"] = list(default) if isinstance(default, tuple) else default
    if default is None and not required:
        entry["optional"] = True
    return entry


SAME_SHAPE_CATEGORIES = frozenset({"activation", "regularization", "normalization"})
SAME_SHAPE_KINDS = frozenset({"Identity", "Masking"})


def generate() -> dict[str, Any]:
    """The catalog as JSON-ready data, from the Keras that is installed."""
    activations = _activation_names()
    kinds: list[dict[str, Any]] = [*GENERIC_SPECS, *SOURCE_SPECS]
    for name in sorted(dir(keras.layers)):
        cls = getattr(keras.layers, name)
        if not (isinstance(cls, type) and cls.__name__ == name) or name in EXCLUDED:
            continue
        if name in GENERIC_KINDS:
            continue  # the generic kind of that name covers it
        module = cls.__module__.split(".")
        category = CATEGORY_NAMES.get(module[3] if len(module) > 3 else "", "other")
        params = []
        for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
            if p.name in SKIPPED_ARGS or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            params.append(_param_entry(name, p, activations))
        entry: dict[str, Any] = {
            "kind": name,
            "category": category,
            "doc": _first_line(cls.__doc__),
            "params": params,
        }
        if name in MULTI_INPUT:
            lo, hi, call = MULTI_INPUT[name]
            entry.update(min_inputs=lo, max_inputs=hi, call=call)
        if name in CURATED:
            entry["curated"] = True
        # what generated build() code needs: whether build() must be called (the class has its
        # own build) and whether the output shape is simply the input shape
        entry["builds"] = cls.build is not keras.layers.Layer.build
        entry["same_shape"] = category in SAME_SHAPE_CATEGORIES or name in SAME_SHAPE_KINDS
        kinds.append(entry)
    # an instance, so attributes set in __init__ (name, trainable, built ...) count too
    reserved = sorted(n for n in dir(keras.layers.Layer()) if not n.startswith("__"))
    return {"keras_version": keras.__version__, "kinds": kinds, "reserved_names": reserved}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, sort_keys=False) + "\n"


def catalog_path() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / "catalog.json"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else catalog_path()
    path.write_text(render(generate()), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
