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

from blockstudio.engine.source_pieces import as_plain
from blockstudio.engine.tracer import symbolic_inputs

IDENTITY_OPS = ("ConvertToTensor",)


def call_graph(block: Any, input_shape: tuple, filename: str = "") -> dict[str, Any]:
    """``{"nodes": [...], "edges": [[src, dst, port], ...]}`` of ``block.call`` on a symbolic
    input; node ids are ``layer#call`` (``input`` for the block's input). With the user's
    ``filename``, each call also says where in that file it was made (``"where"``)."""
    attrs = {id(v): k for k, v in vars(block).items() if isinstance(v, keras.layers.Layer)}
    given = symbolic_inputs(input_shape, batch=True)
    xs = given if isinstance(given, list) else [given]
    with _where_calls_are_made(filename):
        out = block.call(given)
    outputs = list(out) if isinstance(out, list | tuple) else [out]
    ids = ["input"] + [f"input_{i + 1}" for i in range(1, len(xs))]
    nodes: dict[str, dict[str, Any]] = {
        nid: {
            "id": nid,
            "layer": nid,
            "class": "Input",
            "kind": "input",
            "index": i,
            "shape": list(x.shape),
        }
        for i, (nid, x) in enumerate(zip(ids, xs, strict=True))
    }
    edges: list[list[Any]] = []
    order: list[str] = []

    def producer(tensor: Any) -> str:
        for nid, x in zip(ids, xs, strict=True):
            if tensor is x:
                return nid
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return "input"
        op, node_index, _ = history
        inbound = op._inbound_nodes[node_index]
        if type(op).__name__ in IDENTITY_OPS and inbound.input_tensors:
            return producer(inbound.input_tensors[0])  # a Model's own step, not the block's
        node_id = f"{op.name}#{node_index}"
        if node_id in nodes:
            return node_id
        is_layer = isinstance(op, keras.layers.Layer)
        nodes[node_id] = {
            "id": node_id,
            "layer": op.name,
            "class": type(op).__name__,
            "kind": "layer" if is_layer else "op",
            "call": node_index,
            "shape": list(tensor.shape),
            "attr": attrs.get(id(op), ""),  # the attribute the block keeps the layer in
            "where": getattr(inbound, "_blockstudio_where", ""),
            "config": _plain(_changed_config(op) if is_layer else vars(op)),
        }
        for port, t in enumerate(inbound.input_tensors):
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
    return {"nodes": ordered, "edges": edges}


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


def _changed_config(layer: Any) -> dict[str, Any]:
    """The layer's config without what a layer made with only its required arguments has too
    (Keras spells defaults out: ``data_format="channels_last"``, ``activation="linear"``)."""
    import inspect

    config = layer.get_config()
    try:
        params = inspect.signature(type(layer).__init__).parameters.values()
        required = {
            p.name: config[p.name]
            for p in params
            if p.default is inspect.Parameter.empty
            and p.name != "self"
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        base = type(layer)(**required).get_config()
    except Exception:  # a class that cannot be made from its config's required part
        return config
    return {k: v for k, v in config.items() if k in required or base.get(k) != v}


def _plain(config: dict[str, Any]) -> dict[str, Any]:
    """The JSON-plain part of a config: numbers, strings, booleans, None and tuples of them."""

    def plain(v: Any) -> bool:
        if isinstance(v, list | tuple):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, bool | int | float | str)

    return {
        k: as_plain(v)  # a list the layer keeps is Keras's TrackedList: a plain list here
        for k, v in config.items()
        if not k.startswith("_") and k not in ("name", "trainable", "dtype") and plain(v)
    }
