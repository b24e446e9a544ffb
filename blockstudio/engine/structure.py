"""The structure Keras saw: which sub-layer calls and ops consumed which tensors.

After a run, the block's ``call()`` is run once more on a symbolic ``keras.Input``: every
sub-layer call and every ``keras.ops`` function (``+``, ``keras.ops.pad``, concatenation) then
records itself in Keras's own functional graph (``KerasTensor._keras_history``), and walking that
graph back from the output gives the calls in order, with the shapes Keras saw. A layer called
twice (one ``LeakyReLU`` used after both branches) is one layer with two calls.
"""

from __future__ import annotations

from typing import Any

import keras


def call_graph(block: Any, input_shape: tuple) -> dict[str, Any]:
    """``{"nodes": [...], "edges": [[src, dst, port], ...]}`` of ``block.call`` on a symbolic
    input; node ids are ``layer#call`` (``input`` for the block's input)."""
    x = keras.Input(batch_shape=tuple(input_shape))
    out = block.call(x)
    outputs = list(out) if isinstance(out, list | tuple) else [out]
    nodes: dict[str, dict[str, Any]] = {
        "input": {
            "id": "input",
            "layer": "input",
            "class": "Input",
            "kind": "input",
            "shape": list(x.shape),
        }
    }
    edges: list[list[Any]] = []
    order: list[str] = []

    def producer(tensor: Any) -> str:
        if tensor is x:
            return "input"
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return "input"
        op, node_index, _ = history
        node_id = f"{op.name}#{node_index}"
        if node_id in nodes:
            return node_id
        inbound = op._inbound_nodes[node_index]
        nodes[node_id] = {
            "id": node_id,
            "layer": op.name,
            "class": type(op).__name__,
            "kind": "layer" if isinstance(op, keras.layers.Layer) else "op",
            "call": node_index,
            "shape": list(tensor.shape),
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
    ordered = [nodes["input"], *(nodes[n] for n in order), nodes["output"]]
    return {"nodes": ordered, "edges": edges}
