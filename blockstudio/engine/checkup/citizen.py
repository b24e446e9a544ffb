"""The checkup's scenarios of a Keras reviewer: what a layer owes the model around it.

Keras's own composite layers pass ``dtype=self.dtype_policy`` to every sub-layer they make,
answer ``compute_output_shape`` without a call, can be used many times in one model, and refuse
an input that differs from what they were made for. Each scenario asks one of these of the block
the way a user would meet it, and says which sub-layers fall short.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from blockstudio.engine.checkup.subject import Subject, first_sentence, keras_message
from blockstudio.engine.hooks import Recorder
from blockstudio.engine.tracer import symbolic_inputs

Result = tuple[str, str, str, int | None]
POLICY = "mixed_bfloat16"


def _flat(value: Any) -> list[Any]:
    return list(keras.tree.flatten(value))


def _sub_layers(block: Any) -> list[Any]:
    """Every layer inside ``block`` at any depth (a model's input layers are not layers)."""
    subs = block._flatten_layers(include_self=False, recursive=True)
    return [layer for layer in subs if not isinstance(layer, keras.layers.InputLayer)]


def _label(block: Any, layer: Any) -> str:
    """A sub-layer as the code names it: its attribute (``self.proj``), else its name."""
    for attr, value in vars(block).items():
        if value is layer and not attr.startswith("_"):
            return attr if attr == layer.name else f"{attr} ({layer.name})"
    return layer.name


def dtype_policy(s: Subject, rec: Recorder) -> Result:
    """Made with dtype="mixed_bfloat16": do its sub-layers and its output follow?"""
    block = s.make(dtype=POLICY)
    outputs = _flat(block(s.x))
    subs = _sub_layers(block)
    ignoring = [layer for layer in subs if layer.dtype_policy.name != POLICY]
    dtypes = sorted({keras.backend.standardize_dtype(o.dtype) for o in outputs})
    compute = keras.dtype_policies.get(POLICY).compute_dtype
    n = len(block.weights)
    if ignoring:
        names = ", ".join(_label(block, layer) for layer in ignoring[:6])
        more = f" and {len(ignoring) - 6} more" if len(ignoring) > 6 else ""
        said = ignoring[0].dtype_policy.name
        reason = (
            f"{len(ignoring)} of {len(subs)} sub-layers ignore dtype={POLICY} ({said}): "
            f"{names}{more}; pass dtype=self.dtype_policy when making them"
        )
        return "fail", reason, "", n
    if dtypes != [compute]:
        return "fail", f"the output is {', '.join(dtypes)}, not {compute}", "", n
    return "pass", f"all {len(subs)} sub-layers and the output follow {POLICY}", "", n


def _shapes(value: Any) -> Any:
    """A shape (or a list of them, one per output) with the batch axis as None."""
    if isinstance(value, list | tuple) and value and isinstance(value[0], list | tuple):
        return [_shapes(v) for v in value]
    if isinstance(value, dict):
        return [_shapes(v) for v in value.values()]
    return (None, *(None if d is None else int(d) for d in tuple(value)[1:]))


def output_shape(s: Subject, rec: Recorder) -> Result:
    """compute_output_shape, asked before any call, against the shapes a real call gives."""
    block = s.make()
    try:
        said = block.compute_output_shape(s.build_shape())
    except NotImplementedError as exc:
        reason = f"compute_output_shape raises NotImplementedError: {keras_message(exc)}"
        return "fail", first_sentence(reason), keras_message(exc), len(block.weights)
    outputs = block(s.x)
    real = (
        [_shapes(tuple(o.shape)) for o in outputs]
        if isinstance(outputs, list | tuple)
        else (_shapes(tuple(outputs.shape)))
    )
    said = _shapes(said)
    n = len(block.weights)
    if said != real:
        return "fail", f"compute_output_shape says {said}, a call gives {real}", "", n
    return "pass", f"compute_output_shape gives {said}, as a call does", "", n


def used_twice(s: Subject, rec: Recorder) -> Result:
    """Two instances side by side in one functional model, then one instance on two inputs."""
    inputs = symbolic_inputs(s.shape)
    try:
        if s.apply is not None:  # a functional block: the function used twice
            two = [*_flat(s.apply(inputs)), *_flat(s.apply(inputs))]
        else:
            two = [*_flat(s.make()(inputs)), *_flat(s.make()(inputs))]
        keras.Model(_flat(inputs), two)
    except Exception as exc:
        reason = f"two in one model: {first_sentence(keras_message(exc), 120)}"
        return "fail", reason, f"{type(exc).__name__}: {keras_message(exc)}", None
    shared = s.make()
    first, second = symbolic_inputs(s.shape), symbolic_inputs(s.shape)
    both = [*_flat(shared(first)), *_flat(shared(second))]
    model = keras.Model([*_flat(first), *_flat(second)], both)
    x = _flat(s.x)
    got = model.predict([*x, *x], verbose=0)
    half = len(got) // 2
    diff = max(float(np.max(np.abs(a - b))) for a, b in zip(got[:half], got[half:], strict=True))
    n = len(model.weights)
    if n != len(s.reference):
        return "fail", f"one instance on two inputs made {n} weights, not {len(s.reference)}", "", n
    if diff > 1e-5:
        return "fail", f"one instance on two equal inputs gives outputs {diff:.3g} apart", "", n
    return "pass", f"two in one model; one on two inputs shares its {n} weights", "", n


def channels(s: Subject, rec: Recorder) -> Result:
    """Made for other channels than the input has (``in_channels``): refused, or built anyway?"""
    if "in_channels" not in s.takes:
        return "pass", "takes no in_channels: build() reads the input's channels", "", None
    have = int(s.first_x().shape[-1])
    told = have + 3
    block = None
    try:
        block = s.make(in_channels=told)
        block(s.x)
    except Exception as exc:
        message = f"{type(exc).__name__}: {keras_message(exc)}"
        reason = f"in_channels={told} on {have} channels is refused: {keras_message(exc)}"
        return "pass", first_sentence(reason), message, None
    n = len(block.weights)
    reason = f"in_channels={told} on {have} channels: no error, and it built for {have}"
    return "fail", reason, "", n


CITIZEN_FUNCS = {
    "dtype_policy": dtype_policy,
    "output_shape": output_shape,
    "used_twice": used_twice,
    "channels": channels,
}
