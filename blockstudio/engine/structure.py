"""The structure Keras saw: which sub-layer calls and ops consumed which tensors.

After a run, the block's ``call()`` is run once more on a symbolic ``keras.Input``: every
sub-layer call and every ``keras.ops`` function (``+``, ``keras.ops.pad``, concatenation) then
records itself in Keras's own functional graph (``KerasTensor._keras_history``), and walking that
graph back from the output gives the calls in order, with the shapes Keras saw. A layer called
twice (one ``LeakyReLU`` used after both branches) is one layer with two calls.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keras

from blockstudio.core.sources import ARITHMETIC_KINDS  # keras.ops' +, - and * have these names
from blockstudio.engine.functional_calls import record_functional
from blockstudio.engine.layer_config import (
    call_arguments,
    chains,
    changed_config,
    input_node,
    plain_config,
)
from blockstudio.engine.tracer import symbolic_inputs

IDENTITY_OPS = ("ConvertToTensor",)


def call_graph(block: Any, input_shape: tuple, filename: str = "") -> dict[str, Any]:
    """``{"nodes": [...], "edges": [[src, dst, port], ...]}`` of ``block.call`` on a symbolic
    input; node ids are ``layer#call`` (``input`` for the block's input). With the user's
    ``filename``, each call also says where in that file it was made (``"where"``)."""
    attrs = {id(v): k for k, v in vars(block).items() if isinstance(v, keras.layers.Layer)}
    given = symbolic_inputs(input_shape, batch=True)
    xs = given if isinstance(given, list) else [given]
    try:
        with _where_calls_are_made(filename):
            out = block.call(given)
    except Exception as exc:  # what only Keras's functional call accepts (tf.image, shapes)
        return record_functional(block, input_shape, filename, exc)
    outputs = list(out) if isinstance(out, list | tuple) else [out]
    ids = ["input"] + [f"input_{i + 1}" for i in range(1, len(xs))]
    nodes: dict[str, dict[str, Any]] = {
        nid: input_node(nid, i, x) for i, (nid, x) in enumerate(zip(ids, xs, strict=True))
    }
    edges: list[list[Any]] = []
    order: list[str] = []
    constants: dict[int, str] = {}
    consumer_where: list[str] = [""]  # the line of the call being walked (a constant's user)

    def _constant(tensor: Any) -> str:
        node_id = constants.get(id(tensor))
        if node_id is None:
            node_id = constants[id(tensor)] = f"constant#{len(constants)}"
            nodes[node_id] = {
                "id": node_id,
                "layer": node_id.replace("#", "_"),
                "class": "Constant",
                "kind": "op",
                "call": 0,
                "shape": list(getattr(tensor, "shape", ()) or ()),
                "attr": "",
                "where": consumer_where[0],
                "config": {},
                "not_from_input": True,
            }
            if isinstance(tensor, keras.Variable):  # self.gamma: a weight of the block's own
                nodes[node_id].update(
                    kind="weight",
                    layer=tensor.path.split("/")[-1],
                    **{"class": "Weight"},
                    attr=attrs_of_weights.get(id(tensor), ""),
                    config={"shape": list(tensor.shape), "trainable": bool(tensor.trainable)},
                )
                del nodes[node_id]["not_from_input"]
            order.append(node_id)
        return node_id

    attrs_of_weights = {id(v): k for k, v in vars(block).items() if isinstance(v, keras.Variable)}

    def _more_inputs(inbound: Any) -> list[Any]:
        """The arguments of a call that are tensors yet no KerasTensor (Keras's graph leaves
        them out): ``ops.arange(...)`` results, ``self.gamma``."""
        from keras import tree

        try:
            flat = tree.flatten((inbound.arguments.args, inbound.arguments.kwargs))
        except Exception:
            return []
        return [
            x
            for x in flat
            if not isinstance(x, keras.KerasTensor)
            and (isinstance(x, keras.Variable) or hasattr(x, "shape") and hasattr(x, "dtype"))
        ]

    def producer(tensor: Any) -> str:
        for nid, x in zip(ids, xs, strict=True):
            if tensor is x:
                return nid
        history = getattr(tensor, "_keras_history", None)
        if history is None:  # made without the input (ops.arange, a constant): not the input
            return _constant(tensor)
        op, node_index, _ = history
        inbound = op._inbound_nodes[node_index]
        if type(op).__name__ in IDENTITY_OPS and inbound.input_tensors:
            return producer(inbound.input_tensors[0])  # a Model's own step, not the block's
        node_id = f"{op.name}#{node_index}"
        if node_id in nodes:
            return node_id
        is_layer = isinstance(op, keras.layers.Layer)
        lost: dict[str, str] = {}
        nodes[node_id] = {
            "id": node_id,
            "layer": op.name,
            "class": type(op).__name__,
            "kind": "layer" if is_layer else "op",
            "call": node_index,
            "shape": list(tensor.shape),
            "attr": attrs.get(id(op), ""),  # the attribute the block keeps the layer in
            "where": getattr(inbound, "_blockstudio_where", ""),
            "config": plain_config(changed_config(op), lost)
            if is_layer
            else plain_config(vars(op)),
        }
        if lost:
            nodes[node_id]["lost"] = lost
        arguments = getattr(inbound, "arguments", None)
        # a layer's call, or x * 0.5: what is passed besides tensors no node holds
        if arguments is not None and (is_layer or type(op).__name__ in ARITHMETIC_KINDS):
            said = call_arguments(arguments.args, arguments.kwargs)
            if said:
                nodes[node_id]["lost_call"] = said
        for port, t in enumerate([*inbound.input_tensors, *_more_inputs(inbound)]):
            consumer_where[0] = nodes[node_id]["where"]
            edges.append([producer(t), node_id, port])
        order.append(node_id)
        return node_id

    last = [producer(t) for t in outputs]
    nodes["output"] = {
        "id": "output",
        "layer": "output",
        "class": "Output",
        "kind": "output",
        "shape": list(outputs[0].shape),
    }
    edges += [[src, "output", i] for i, src in enumerate(last)]
    ordered = [*(nodes[i] for i in ids), *(nodes[n] for n in order), nodes["output"]]
    if any(n.get("not_from_input") for n in ordered):
        # a tensor the symbolic call cannot follow (ops.arange, and each layer called on it
        # eagerly): Keras's functional call records it as ops of a graph
        return record_functional(block, input_shape, filename, None)
    return chains({"nodes": ordered, "edges": edges}, block)


@contextmanager
def _where_calls_are_made(filename: str) -> Iterator[None]:
    """Mark each graph node Keras makes with the line of ``filename`` that made it."""
    from keras.src.ops.node import Node

    if not filename:
        yield
        return
    original = Node.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        lines = [f for f in traceback.extract_stack() if f.filename == filename]
        if lines:
            self._blockstudio_where = f"{Path(filename).name}:{lines[-1].lineno}"

    Node.__init__ = init
    try:
        yield
    finally:
        Node.__init__ = original
