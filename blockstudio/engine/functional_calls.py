"""A block's structure as Keras's functional API sees it: the block called on ``keras.Input``.

Keras runs ``call()`` on the backend's own symbolic tensors there (a TensorFlow graph), so code
that a ``KerasTensor`` refuses (``tf.image.extract_patches``, ``tf.math.multiply``,
``ops.broadcast_to(x, ops.shape(y))``) runs. Each sub-layer call the block makes is recorded as
it happens; what lies between them is read from the graph, and each computation that is no
layer's is a node of its own class (``tf.ExtractImagePatches``) with the line of the user's file
that made it, so the import names it, never drops it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import keras

from blockstudio.engine.layer_config import (
    call_arguments,
    chains,
    changed_config,
    input_node,
    plain_config,
)
from blockstudio.engine.locations import user_location
from blockstudio.engine.tracer import symbolic_inputs

SKIP_OPS = ("Identity", "Placeholder")  # the graph's own steps, no computation of the block
# the graph's ops that are the studio's kinds: x + y, x - y, x * y (as keras.ops writes them)
KIND_OPS = {"AddV2": "Add", "Add": "Add", "Sub": "Subtract", "Mul": "Multiply"}


def record_functional(block: Any, input_shape: tuple, filename: str, why: Exception | None) -> dict:

    Layer = keras.layers.Layer
    original = Layer.__dict__["__call__"]
    calls: list[dict[str, Any]] = []
    depth = [0]

    @functools.wraps(original)
    def hooked(layer: Any, *args: Any, **kwargs: Any) -> Any:
        depth[0] += 1
        try:
            out = original(layer, *args, **kwargs)
        finally:
            depth[0] -= 1
        if depth[0] == 0 and layer is not block:  # a call the block's own call() makes
            ins = [a for a in (*args, *kwargs.values()) if hasattr(a, "shape")]
            outs = list(out) if isinstance(out, list | tuple) else [out]
            calls.append(
                {
                    "layer": layer,
                    "inputs": ins,
                    "outputs": outs,
                    "where": _where(filename),
                    "lost_call": call_arguments(args, kwargs),
                }
            )
        return out

    from keras.src import backend

    placeholders: list[Any] = []
    result: list[Any] = []

    def spy(inputs: Any) -> Any:
        placeholders.extend(inputs if isinstance(inputs, list | tuple) else [inputs])
        result.append(block.call(inputs))
        return result[-1]

    Layer.__call__ = hooked
    try:
        # what Layer.__call__ does on a keras.Input (compute_output_spec), even for a block
        # that answers compute_output_shape itself
        backend.compute_output_spec(spy, symbolic_inputs(input_shape, batch=True))
    except Exception as exc:
        where = _where_of(exc, filename)
        said = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        return {"nodes": [], "edges": [], "problem": f"{where}{said}"}
    finally:
        Layer.__call__ = original
    result = result[-1]
    attrs = {id(v): k for k, v in vars(block).items() if isinstance(v, Layer)}
    made: dict[int, tuple[str, int]] = {}  # id(tensor) → (node id, output index)
    counts: dict[str, int] = {}
    nodes: list[dict[str, Any]] = []
    for i, x in enumerate(placeholders):
        nid = "input" if i == 0 else f"input_{i + 1}"
        made[id(x)] = (nid, 0)
        nodes.append(input_node(nid, i, x))
    edges: list[list[Any]] = []
    op_nodes: dict[str, str] = {}

    def source(t: Any) -> str:
        if id(t) in made:
            return made[id(t)][0]
        op = getattr(t, "op", None)
        if op is None:
            return "input"
        while op.type in SKIP_OPS and op.inputs:
            t = op.inputs[0]
            if id(t) in made:
                return made[id(t)][0]
            op = t.op
        if op.name in op_nodes:
            return op_nodes[op.name]
        positions = _range(op)
        if positions is not None:  # ops.arange(0, n): a Range node
            nid = op_nodes[op.name] = f"positions#{len(op_nodes)}"
            nodes.append(
                {
                    "id": nid,
                    "layer": "positions",
                    "class": "Range",
                    "kind": "op",
                    "call": 0,
                    "shape": _shape(t),
                    "attr": "",
                    "where": _op_where(op, filename),
                    "config": positions,
                }
            )
            return nid
        nid = op_nodes[op.name] = f"tf_{op.type}#{len(op_nodes)}"
        node = {
            "id": nid,
            "layer": KIND_OPS[op.type].lower() if op.type in KIND_OPS else nid.replace("#", "_"),
            "class": KIND_OPS.get(op.type, f"tf.{op.type}"),
            "kind": "op",
            "call": 0,
            "shape": _shape(t),
            "attr": "",
            "where": _op_where(op, filename),
            "config": {},
        }
        if not op.inputs:
            node["not_from_input"] = True
        for port, x in enumerate(op.inputs):
            if x.dtype.name != "resource" and x.op.type != "Const":  # not an op's argument
                edges.append([source(x), nid, port])
        nodes.append(node)
        return nid

    for c in calls:
        layer = c["layer"]
        k = counts.get(layer.name, 0)
        counts[layer.name] = k + 1
        nid = f"{layer.name}#{k}"
        config = changed_config(layer)
        inputs = [source(t) for t in c["inputs"]]
        nodes.append(
            {
                "id": nid,
                "layer": layer.name,
                "class": type(layer).__name__,
                "kind": "layer",
                "call": k,
                "shape": _shape(c["outputs"][0]),
                "attr": attrs.get(id(layer), ""),
                "where": c["where"],
                "config": plain_config(config, lost := {}),
                **({"lost": lost} if lost else {}),
                **({"lost_call": c["lost_call"]} if c["lost_call"] else {}),
            }
        )
        edges += [[s, nid, port] for port, s in enumerate(inputs)]
        for j, t in enumerate(c["outputs"]):
            made[id(t)] = (nid, j)
    outputs = list(result) if isinstance(result, list | tuple) else [result]
    last = [source(t) for t in outputs]
    nodes.append(
        {
            "id": "output",
            "layer": "output",
            "class": "Output",
            "kind": "output",
            "shape": list(outputs[0].shape),
        }
    )
    edges += [[src, "output", i] for i, src in enumerate(last)]
    said = (
        f"{_where_of(why, filename)}{type(why).__name__} on a KerasTensor"
        if why is not None
        else "tensors not from the input (ops.arange) feed the block"
    )

    return chains({"nodes": nodes, "edges": edges, "functional": said}, block)


def _range(op: Any) -> dict[str, Any] | None:
    """``{"start": 0, "stop": 10, "step": 1}`` for ``ops.arange(0, 10)`` made of constants (a
    length Keras knew from the input's shape is one), with ``batch_axis`` when
    ``ops.expand_dims(..., 0)`` follows; None for any other op."""
    from tensorflow.python.framework import tensor_util

    batch_axis = False
    if op.type == "ExpandDims" and op.inputs[0].op.type == "Range":
        axis = tensor_util.constant_value(op.inputs[1])
        if axis is None or int(axis) != 0:
            return None
        op, batch_axis = op.inputs[0].op, True
    if op.type != "Range":
        return None
    values = [tensor_util.constant_value(x) for x in op.inputs[:3]]
    if any(v is None for v in values) or not op.outputs[0].dtype.is_integer:
        return None
    start, stop, step = (int(v) for v in values)
    return {"start": start, "stop": stop, "step": step, "batch_axis": batch_axis}


def _shape(t: Any) -> list[Any]:
    try:
        return list(t.shape)
    except (TypeError, ValueError):
        return []


def _where(filename: str) -> str:
    import traceback

    lines = [f for f in traceback.extract_stack() if f.filename == filename]
    return f"{Path(filename).name}:{lines[-1].lineno}" if lines else ""


def _op_where(op: Any, filename: str) -> str:
    try:
        frames = [f for f in op.traceback if f.filename == filename]
    except Exception:
        return ""
    return f"{Path(filename).name}:{frames[-1].lineno}" if frames else ""


def _where_of(exc: BaseException, filename: str) -> str:
    where = user_location(exc, filename) if filename else ""
    return f"{where}: " if where else ""
