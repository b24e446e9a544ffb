"""What generated code writes for the source kinds: a weight of the block's own is made with
``self.add_weight`` (in ``build()`` or ``__init__``, as its lifecycle says) and used as
``self.gamma``; a position range is ``keras.ops.arange(...)`` in ``call()``."""

from __future__ import annotations

from typing import Any

from blockstudio.core.document import Node, ParamRef
from blockstudio.core.sources import RANGE_KIND, SOURCE_SPECS, WEIGHT_KIND
from blockstudio.engine.codegen.refs import RefRenderer
from blockstudio.engine.pyformat import call_lines, literal

_DEFAULTS = {s["kind"]: {p["name"]: p["default"] for p in s["params"]} for s in SOURCE_SPECS}


def _params(node: Node) -> dict[str, Any]:
    return {**_DEFAULTS[node.kind], **node.params}


def weight_lines(
    node: Node, refs: RefRenderer, indent: str, param_types: dict[str, str]
) -> list[str]:
    """``self.gamma = self.add_weight(shape=..., initializer=..., trainable=..., name=...)``."""
    p = _params(node)
    init = p["initializer"]
    if init == "constant":
        init_text = f"keras.initializers.Constant({refs.value(p['value'])})"
    else:
        init_text = refs.value(init)
    args = [
        f"shape={shape_text(node, refs, param_types)}",
        f"initializer={init_text}",
        f"trainable={refs.value(p['trainable'])}",
        f"name={literal(p['weight_name'] or node.name)}",
    ]
    return call_lines(indent, f"self.{node.name} = self.add_weight", args)


def range_lines(
    node: Node, var: str, refs: RefRenderer, indent: str, inputs: str = "inputs"
) -> list[str]:
    """``positions = keras.ops.arange(0, 10, 1)`` (with a leading axis when asked); a stop
    that follows an axis of the input (``inputs``) is its length there."""
    p = _params(node)
    stop = refs.value(p["stop"])
    if p["stop_axis"] is not None:
        stop = f"keras.ops.shape({inputs})[{p['stop_axis']}]"
    args = [refs.value(p["start"]), stop, refs.value(p["step"])]
    out = call_lines(indent, f"{var} = keras.ops.arange", args)
    if p["batch_axis"] is True:
        out.append(f"{indent}{var} = keras.ops.expand_dims({var}, 0)")
    return out


def shape_text(
    node: Node,
    refs: RefRenderer,
    param_types: dict[str, str] | None = None,
    input_shape: str = "input_shape",
) -> str:
    """The source's shape as an expression of the block's values (no batch axis);
    ``param_types``: the block parameters' types (an int is one axis); ``input_shape``: the
    name of the input's shape, which a range may follow."""
    p = _params(node)
    if node.kind == WEIGHT_KIND:
        shape = p["shape"]
        if isinstance(shape, ParamRef):  # an int block parameter is one axis
            one = shape.index is not None or (param_types or {}).get(shape.param) == "int"
            return f"({refs.value(shape)},)" if one else f"tuple({refs.value(shape)})"
        dims = (shape,) if isinstance(shape, int) else tuple(shape)
        parts = [refs.value(d) for d in dims]
        return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
    assert node.kind == RANGE_KIND
    start, stop, step = (refs.value(p[k]) for k in ("start", "stop", "step"))
    if p["stop_axis"] is not None:  # as long as the input along that axis
        stop = f"{input_shape}[{p['stop_axis']}]"
        length = stop if (start, step) == ("0", "1") else f"len(range({start}, {stop}, {step}))"
        return f"(1, {length})" if p["batch_axis"] is True else f"({length},)"
    length = f"len(range({start}, {stop}, {step}))"
    return f"(1, {length})" if p["batch_axis"] is True else f"({length},)"
