"""Keras's own answers about one layer kind: its class for the params, its output shape from a
symbolic call, a parameter count without variables, and its refusals as one plain sentence.
The whole-document walk that asks them is ``inference``."""

from __future__ import annotations

import re
from typing import Any

import keras
from keras.src.backend.common import global_state
from keras.src.backend.common.stateless_scope import StatelessScope

from blockstudio.core.catalog import KindSpec
from blockstudio.core.shapes import Shape, format_shape
from blockstudio.engine.generic import keras_layer_for, per_axis


def keras_message(exc: Exception) -> str:
    """Keras's message as one line: without its terminal bold (``\x1b[1m``), the "Exception
    encountered when calling" preamble and the "Arguments received by" dump of the tensors."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    text = text.split("Arguments received by")[0]
    # TensorFlow's own wrapping of an op's error: its function node and op names
    text = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:\w+\](\s*name:\s*\S*)?", "", text)
    text = re.sub(r"^\s*Exception encountered when calling [\w.]+\(\)\.\s*", "", text)
    return " ".join(text.split()) or type(exc).__name__


def keras_class(spec: KindSpec, params: dict[str, Any], dims: int) -> tuple[str, dict]:
    """The Keras class name and constructor arguments a kind stands for."""
    if spec.generic:
        return keras_layer_for(spec.kind, params, dims)
    return spec.kind, params


def call_on(spec: KindSpec, layer: Any, shapes: list[Shape]) -> Any:
    """Call ``layer`` on symbolic inputs of ``shapes``, the way the kind passes its inputs."""
    xs = [keras.KerasTensor(s) for s in shapes]
    if spec.call == "args":
        return layer(*xs)
    return layer(xs if spec.multi_input else xs[0])


def reapply(
    spec: KindSpec, params: dict[str, Any], dims: int, first: list[Shape], again: list[Shape]
) -> str | None:
    """Keras's message if a layer built on ``first`` refuses to be called again on ``again``."""
    cls_name, kwargs = keras_class(spec, params, dims)
    try:
        layer = getattr(keras.layers, cls_name)(**kwargs)
        call_on(spec, layer, first)
        call_on(spec, layer, again)
    except Exception as exc:
        return f"shared {spec.kind} built on {format_shape(first[0])} cannot take " + (
            f"{format_shape(again[0])}: {keras_message(exc)}"
        )
    return None


def first_output_shape(shape: Any) -> Shape:
    if isinstance(shape, list | tuple) and shape and isinstance(shape[0], list | tuple):
        shape = shape[0]  # layers with several outputs: the first is what flows on
    return tuple(None if d is None else int(d) for d in shape)


def symbolic_call(
    spec: KindSpec, cls_name: str, kwargs: dict, in_shapes: list[Shape]
) -> tuple[Shape | str, int | None]:
    """What a real call on symbolic inputs gives: Keras's own checks, build included.

    The layer is a throwaway: building it makes variables, so this path is kept for the
    kinds and params whose ``compute_output_shape`` is not the whole truth.
    """
    try:
        layer = getattr(keras.layers, cls_name)(**kwargs)
        out = call_on(spec, layer, in_shapes)
    except Exception as exc:  # Keras raises many types; each is shown as its message
        return f"{spec.kind}: {keras_message(exc)}", None
    shape = [o.shape for o in out] if isinstance(out, list | tuple) else out.shape
    return first_output_shape(shape), int(layer.count_params()) if layer.built else None


def count_params(spec: KindSpec, cls_name: str, kwargs: dict, in_shapes: list[Shape]) -> int | None:
    """Keras's own ``count_params()`` of the layer built on ``in_shapes``.

    Built in a stateless scope, so the variables get shapes but no initial values: exact, and
    cheap even for large kernels.
    """
    pending = list(global_state.get_global_attribute("uninitialized_variables", []))
    try:
        with StatelessScope(initialize_variables=False):
            layer = getattr(keras.layers, cls_name)(**kwargs)
            layer.build(in_shapes if spec.multi_input else in_shapes[0])
        return int(layer.count_params())
    except Exception:  # a layer that cannot build from shapes alone: no count, not an error
        return None
    finally:
        # Keras keeps uninitialized variables for the next stateless scope to initialize;
        # these were only ever shapes, so they must not be made real later
        global_state.set_global_attribute("uninitialized_variables", pending)


def padded_shape(shape: Shape, pad: int | tuple[int, ...]) -> Shape:
    """``shape`` after zero-padding every spatial axis by ``pad`` on each side (one per axis
    when a tuple)."""
    pads = per_axis(pad, len(shape) - 2)
    if len(pads) != len(shape) - 2:
        return shape  # a kernel of the wrong length: Keras's call says so, and validation
    sizes = [None if d is None else d + 2 * p for d, p in zip(shape[1:-1], pads, strict=True)]
    return (shape[0], *sizes, shape[-1])
