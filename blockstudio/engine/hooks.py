"""Hooks on ``keras.layers.Layer`` that record a trace while a run is in progress.

The hooks wrap ``Layer.__init__`` (construct, and wrapping each instance's ``build``),
``Layer.__call__`` (call spans, errors) and ``Layer.add_weight`` (weights). They are installed only
inside :class:`Recorder` and removed on exit, so untraced code runs untouched.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import math
import numbers
import re
import sys
import time
from collections.abc import Collection
from typing import Any

import keras

from blockstudio.core.trace import TraceEvent

Layer = keras.layers.Layer
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CREATORS = ("__init__", "build", "call")


def _shape_of(value: Any) -> Any:
    shape = getattr(value, "shape", None)
    if shape is not None:
        return [None if d is None else int(d) for d in shape]
    if isinstance(value, list | tuple):
        return [_shape_of(v) for v in value]
    return None


def _initializer_name(init: Any) -> str:
    if init is None:
        return "default"
    if isinstance(init, str):
        return init
    return type(init).__name__


def _initializer_config(init: Any, variable: Any) -> dict[str, Any]:
    """The initializer as plain data, ``{"class_name": "Constant", "config": {"value": 1e-06}}``
    (None is what ``add_weight`` takes then: Glorot uniform for floats, zeros otherwise), with
    ``name`` when Keras knows it by a name alone (``RandomNormal()``: ``"random_normal"``)."""
    try:
        if init is None:
            init = "glorot_uniform" if "float" in str(variable.dtype) else "zeros"
        obj = keras.initializers.get(init)
        config = obj.get_config() if hasattr(obj, "get_config") else {}
    except Exception:
        return {"class_name": _initializer_name(init), "config": None}
    plain = {
        k: v for k, v in config.items() if v is None or isinstance(v, bool | int | float | str)
    }
    from blockstudio.engine.layer_config import default_named

    return {
        "class_name": type(obj).__name__,
        "config": plain if len(plain) == len(config) else None,
        "name": default_named(keras.initializers.serialize(obj)),
    }


_SUBLAYER_USE = re.compile(r"self\.(\w+)(?:\.build|\.compute_output_shape)?\(")


def _blamed_sublayer(exc: BaseException, layer: Any) -> Any:
    """The sub-layer whose statement raised, when ``layer``'s own generated code raised.

    An error in the input padding of ``res_conv`` happens in the block's ``call()`` before
    ``res_conv`` is called; the statement that raised names the sub-layer it was preparing.
    """
    frame_self, line = None, ""
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith("<blockstudio_generated_"):
            if tb.tb_frame.f_locals.get("self") is layer:  # a method of the block itself
                frame_self = layer
                line = linecache.getline(code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if frame_self is not layer:
        return layer
    match = _SUBLAYER_USE.search(line)
    sub = getattr(layer, match.group(1), None) if match else None
    return sub if isinstance(sub, Layer) else layer


class Recorder:
    """Context manager that records every construct, build, weight, call and error."""

    def __init__(self, blocks: Collection[str] = ()) -> None:
        self.blocks = frozenset(blocks)  # class names of blocks used as nodes
        self.events: list[TraceEvent] = []
        self._stack: list[TraceEvent] = []
        self._t0 = time.perf_counter_ns()
        self._call_counts: dict[int, int] = {}
        self._builds = 0
        self._seen_errors: set[int] = set()
        self._saved: dict[str, Any] = {}
        self.variables: list[Any] = []  # every weight made, for a run that ends before a block
        # a layer inside a block used as a node is named by where it lives (down1/conv1): each
        # such block has its own conv1; every other layer keeps its plain name
        self._qual: dict[int, str] = {}

    # -- events -----------------------------------------------------------------------------
    def _now(self) -> float:
        return (time.perf_counter_ns() - self._t0) / 1000.0

    def _event(self, type_: str, layer: Any, dur: float | None = None, **data: Any) -> TraceEvent:
        parent = self._stack[-1] if self._stack else None
        event = TraceEvent(
            id=len(self.events),
            type=type_,
            layer=self._qual.get(id(layer)) or getattr(layer, "name", str(layer)),
            ts=self._now(),
            dur=dur,
            parent=parent.id if parent else None,
            depth=len(self._stack),
            path=getattr(layer, "path", "") or "",
            cls=type(layer).__name__,
            data=data,
        )
        self.events.append(event)
        return event

    def open_span(self, type_: str, layer: Any, **data: Any) -> TraceEvent:
        event = self._event(type_, layer, dur=0.0, **data)
        self._stack.append(event)
        return event

    def close_span(self, event: TraceEvent) -> None:
        event.dur = self._now() - event.ts
        while self._stack and self._stack[-1] is not event:
            self._stack.pop()  # spans left open by an exception end with their parent
        if self._stack:
            self._stack.pop()

    def error(self, exc: BaseException, layer: Any, phase: str) -> None:
        """Record ``exc`` once, on the innermost layer that saw it.

        Keras re-raises a layer's error from each enclosing ``call()`` as a new exception with
        more text; those are the same error, so any exception chained to a recorded one is skipped.
        """
        chain, link = [], exc
        while link is not None and len(chain) < 20:
            chain.append(id(link))
            link = link.__cause__ or link.__context__
        seen = any(i in self._seen_errors for i in chain)
        self._seen_errors.update(chain)
        if seen:
            return
        message = " ".join(_ANSI.sub("", str(exc)).split()) or type(exc).__name__
        layer = _blamed_sublayer(exc, layer)
        self._event("error", layer, phase=phase, exception=type(exc).__name__, message=message)

    # -- installing -------------------------------------------------------------------------
    def __enter__(self) -> Recorder:
        self._saved = {
            name: Layer.__dict__[name] for name in ("__init__", "__call__", "add_weight")
        }
        rec = self
        orig_init, orig_call = self._saved["__init__"], self._saved["__call__"]
        orig_add_weight = self._saved["add_weight"]

        @functools.wraps(orig_init)
        def init_hook(self, *args, **kwargs):
            orig_init(self, *args, **kwargs)
            rec._constructed(self)

        # Keras's Operation.__new__ records a layer's config from the signature *and* the
        # argspec of __init__; both must describe the original, or saving breaks
        init_hook.__signature__ = inspect.signature(orig_init)

        @functools.wraps(orig_call)
        def call_hook(layer, *args, **kwargs):
            return rec._call(orig_call, layer, args, kwargs)

        @functools.wraps(orig_add_weight)
        def add_weight_hook(layer, *args, **kwargs):
            variable = orig_add_weight(layer, *args, **kwargs)
            rec._weight(layer, variable, args, kwargs)
            return variable

        Layer.__init__ = init_hook
        Layer.__call__ = call_hook
        Layer.add_weight = add_weight_hook
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, value in self._saved.items():
            setattr(Layer, name, value)

    # -- hooks ------------------------------------------------------------------------------
    def _constructed(self, layer: Any) -> None:
        span = self._stack[-1] if self._stack else None
        if span is not None and span.data.pop("adopt", False):
            span.layer, span.cls = layer.name, type(layer).__name__  # the block's own span
            self._wrap_build(layer)
            return
        parent, created_in = _creator(layer)
        if parent is not None and type(parent).__name__ in self.blocks:
            self._qual[id(layer)] = f"{self._qual.get(id(parent), parent.name)}/{layer.name}"
        self._event(
            "construct", layer, created_in=created_in, parent_layer=getattr(parent, "name", None)
        )
        self._wrap_build(layer)

    def _wrap_build(self, layer: Any) -> None:
        keras_build = layer.build  # Keras's per-instance build_wrapper, set in Layer.__new__
        rec = self

        @functools.wraps(keras_build)
        def traced_build(*args, **kwargs):
            shapes = {k: _shape_of_arg(v) for k, v in zip(("input_shape",), args, strict=False)}
            shapes.update({k: _shape_of_arg(v) for k, v in kwargs.items()})
            span = rec.open_span("build", layer, shapes=shapes)
            rec._builds += 1
            try:
                keras_build(*args, **kwargs)
            except Exception as exc:
                rec.error(exc, layer, "build")
                raise
            finally:
                span.path = getattr(layer, "path", "") or span.path
                rec.close_span(span)

        layer.build = traced_build

    def _call(self, orig_call: Any, layer: Any, args: tuple, kwargs: dict) -> Any:
        index = self._call_counts.get(id(layer), 0) + 1
        self._call_counts[id(layer)] = index
        first = args[0] if args else next(iter(kwargs.values()), None)
        symbolic = isinstance(first, keras.KerasTensor) or _is_symbolic(first)
        span = self.open_span(
            "call",
            layer,
            index=index,
            input_shape=_shape_of(first),
            symbolic=symbolic,
            top=not self._stack,
        )
        builds_before = self._builds
        try:
            out = orig_call(layer, *args, **kwargs)
        except Exception as exc:
            self.error(exc, layer, "call")
            span.data["failed"] = True
            raise
        finally:
            span.data["built"] = self._builds - builds_before
            span.path = getattr(layer, "path", "") or span.path
            self.close_span(span)
        span.data["output_shape"] = _shape_of(out)
        return out

    def _weight(self, layer: Any, variable: Any, args: tuple, kwargs: dict) -> None:
        self.variables.append(variable)
        shape = tuple(int(d) for d in variable.shape)
        init = kwargs.get("initializer", args[1] if len(args) > 1 else None)
        event = self._event(
            "weight",
            layer,
            name=variable.name,
            shape=list(shape),
            dtype=str(variable.dtype),
            trainable=bool(variable.trainable),
            initializer=_initializer_name(init),
            initializer_config=_initializer_config(init, variable),
            params=math.prod(shape),
        )
        event.path = variable.path


def _shape_of_arg(value: Any) -> Any:
    """What build() was given, as plain data (a kept TrackedList or a NumPy int included)."""
    if isinstance(value, list | tuple):
        return [_shape_of_arg(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _shape_of_arg(v) for k, v in value.items()}
    if hasattr(value, "shape"):
        return _shape_of(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return value if value is None or isinstance(value, bool | float | str) else repr(value)


def _is_symbolic(value: Any) -> bool:
    if isinstance(value, list | tuple) and value:
        value = value[0]
    if isinstance(value, keras.KerasTensor):
        return True
    graph = getattr(value, "graph", None)  # a tf.Tensor inside a FuncGraph while Keras traces
    return (
        graph is not None
        and not getattr(value, "_id", None)
        and type(value).__name__ in ("SymbolicTensor", "Tensor")
    )


def _creator(layer: Any) -> tuple[Any, str]:
    """Which other layer's ``__init__``/``build``/``call`` is creating ``layer``, if any."""
    frame = sys._getframe(2)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if owner is not None and owner is not layer and isinstance(owner, Layer):
            name = frame.f_code.co_name
            if name in _CREATORS:
                return owner, name
        frame = frame.f_back
    return None, "top level"
