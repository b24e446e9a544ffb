"""Kinds that feed the graph without an input, as the Input does: a block's own weight
(``self.gamma = self.add_weight(...)``, used as ``x * self.gamma``) and a position range
(``keras.ops.arange(0, length)``, fed to a position embedding).

They are no Keras layer: generated code makes a weight with the block's own ``add_weight`` and
a range with ``keras.ops.arange`` in ``call()``. Their shapes have no batch axis; ``+``, ``-``
and ``*`` broadcast them onto the batch, as NumPy and Keras do.
"""

from __future__ import annotations

import math
from typing import Any

from blockstudio.core.runs import STYLES

# the merges generated code writes as +, - and * (x * self.gamma): they broadcast as NumPy does
ARITHMETIC_KINDS = ("Add", "Subtract", "Multiply")

WEIGHT_KIND = "Weight"
RANGE_KIND = "Range"
SOURCE_KINDS = frozenset({WEIGHT_KIND, RANGE_KIND})

# Keras's initializers by name, as a layer's ``kernel_initializer`` takes them
INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "orthogonal",
    "zeros",
    "ones",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "variance_scaling",
    "identity",
)
# a weight's own: constant(value), as LayerScale starts at 1e-6
WEIGHT_INITIALIZERS = (*INITIALIZERS, "constant")


def _spec(kind: str, doc: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    """A source kind's catalog entry: no input, nothing of Keras's to build."""
    return {
        "kind": kind,
        "category": "core",
        "doc": doc,
        "curated": True,
        "builds": False,
        "same_shape": False,
        "min_inputs": 0,
        "max_inputs": 0,
        "params": params,
    }


SOURCE_SPECS: list[dict[str, Any]] = [
    _spec(
        WEIGHT_KIND,
        "A weight of the block's own (self.add_weight), used in +, - or * with tensors: "
        "LayerScale's gamma. Made in build() or __init__ as its lifecycle says.",
        [
            {
                "name": "shape",
                "type": "ints",
                "default": [1],
                "min": 1,
                "doc": "Its shape, without a batch axis: (channels,) scales each channel.",
            },
            {
                "name": "initializer",
                "type": "choice",
                "default": "glorot_uniform",
                "choices": list(WEIGHT_INITIALIZERS),
                "doc": "How its values start (a Keras initializer).",
            },
            {
                "name": "value",
                "type": "float",
                "default": 0.0,
                "doc": "The start value of a 'constant' initializer (LayerScale's 1e-6).",
            },
            {"name": "trainable", "type": "bool", "default": True, "doc": "Trained or not."},
            {
                "name": "weight_name",
                "type": "str",
                "default": None,
                "optional": True,
                "linkable": False,
                "doc": "Its name in Keras (the last part of its path); None: Keras's own, "
                "'variable'.",
            },
        ],
    ),
    _spec(
        RANGE_KIND,
        "Positions start, start + step, ... below stop (keras.ops.arange), e.g. the "
        "indices a position embedding looks up.",
        [
            {"name": "start", "type": "int", "default": 0, "doc": "The first position."},
            {
                "name": "stop",
                "type": "int",
                "default": 10,
                "min": 1,
                "doc": "The end, not included: the sequence length.",
            },
            {"name": "step", "type": "int", "default": 1, "min": 1, "doc": "The distance."},
            {
                "name": "stop_axis",
                "type": "int",
                "default": None,
                "optional": True,
                "linkable": False,
                "doc": "None: stop as given. An axis of the block's input (1, or -1 for the "
                "last): stop is that axis's length (keras.ops.shape(inputs)[axis]), so the "
                "block takes any length up to what its embedding holds.",
            },
            {
                "name": "batch_axis",
                "type": "bool",
                "default": False,
                "doc": "Add a leading axis of 1 (ops.expand_dims(positions, 0)).",
            },
        ],
    ),
]


def styles_for(doc: Any, styles: tuple[str, ...] = STYLES) -> tuple:
    """The ``styles`` ``doc`` can be written in: a weight of the block's own, or a layer fed
    a range, needs a Layer class to hold it. A functional model holds only the layers on its
    input's graph, and ``keras.ops.arange`` is a constant, on no graph."""
    if any(n.kind in SOURCE_KINDS for n in doc.nodes.values()):
        return tuple(s for s in styles if s != "functional")
    return styles


NO_FUNCTIONAL = (
    "a functional model holds only the layers on its input's graph, not a weight of the "
    "block's own or a layer fed a range"
)


def no_functional(kind: str, name: str) -> str:
    """Why the functional style cannot hold source node ``name``."""
    if kind == WEIGHT_KIND:
        return (
            f"{name} is a weight of the block's own (self.add_weight): only a Layer class can "
            "hold one, so export it in build or init style."
        )
    return (
        f"{name} is a range (keras.ops.arange), on no graph of the input's: a functional model "
        "would not hold the layers it feeds, so export it in build or init style."
    )


def source_shape(
    kind: str, params: dict[str, Any], input_shape: tuple | None = None
) -> tuple[int | None, ...] | str:
    """The shape a source node gives, or what is wrong with its params; a range whose stop is
    an axis of the block's input (``input_shape``, the first input's) is as long as it."""
    if kind == WEIGHT_KIND:
        shape = params.get("shape")
        dims = (shape,) if isinstance(shape, int) else tuple(shape or ())
        if any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in dims):
            return f"shape {shape!r} must be whole numbers of at least 1 ((32,) or (8, 32))."
        return dims
    start, stop, step = params.get("start", 0), params.get("stop"), params.get("step", 1)
    axis = params.get("stop_axis")
    if axis is not None:
        stop = _axis_length(axis, input_shape)
        if isinstance(stop, str):
            return stop
        if stop is None:  # a length known only when called: any length
            return (1, None) if params.get("batch_axis") else (None,)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, stop, step)):
        return "start, stop and step must be whole numbers."
    if step < 1 or stop <= start:
        return f"arange({start}, {stop}, {step}) is empty: stop must be above start."
    n = math.ceil((stop - start) / step)
    return (1, n) if params.get("batch_axis") else (n,)


def _axis_length(axis: Any, input_shape: tuple | None) -> int | None | str:
    """The length of the block's input along ``axis`` (None when unknown), or what is wrong."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        return f"stop_axis {axis!r} must be a whole number (an axis of the input)."
    if input_shape is None:
        return "stop_axis needs the block's input shape."
    rank = len(input_shape)
    if not -rank <= axis < rank:
        return f"stop_axis {axis} is not an axis of the input {tuple(input_shape)}."
    if axis % rank == 0:
        return "stop_axis 0 is the batch axis; a position range follows another axis."
    return input_shape[axis]


def source_params(kind: str, params: dict[str, Any]) -> int:
    """The parameters it holds (a weight's; a range has none)."""
    if kind != WEIGHT_KIND:
        return 0
    shape = source_shape(kind, params)
    return math.prod(shape) if isinstance(shape, tuple) else 0
