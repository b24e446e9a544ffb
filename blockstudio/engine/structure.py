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
ARITHMETIC = ("Add", "Subtract", "Multiply")  # keras.ops of +, - and *


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
        return functional_calls(block, input_shape, filename, exc)
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
            "config": _plain(_changed_config(op), lost) if is_layer else _plain(vars(op)),
        }
        if lost:
            nodes[node_id]["lost"] = lost
        arguments = getattr(inbound, "arguments", None)
        # a layer's call, or x * 0.5: what is passed besides tensors no node holds
        if arguments is not None and (is_layer or type(op).__name__ in ARITHMETIC):
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
        return functional_calls(block, input_shape, filename, None)
    return _chains({"nodes": ordered, "edges": edges}, block)


def input_node(nid: str, index: int, tensor: Any) -> dict[str, Any]:
    """The structure's node for the block's input ``index`` (a tensor of its shape)."""
    shape = list(tensor.shape)
    return {
        "id": nid,
        "layer": nid,
        "class": "Input",
        "kind": "input",
        "index": index,
        "shape": shape,
    }


def _chains(structure: dict[str, Any], block: Any) -> dict[str, Any]:
    """Each call of a ``keras.Sequential`` the block keeps (``self.ffn``) as the chain of its
    layers' calls, named ``ffn_dense``, ``ffn_dense_1``...; each knows its path in the
    original (``sequential/dense``), so the import compares their weights."""
    seqs = {v.name: (k, v) for k, v in vars(block).items() if isinstance(v, keras.Sequential)}
    nodes, edges = [], [list(e) for e in structure["edges"]]
    for n in structure["nodes"]:
        if n.get("kind") != "layer" or n["layer"] not in seqs:
            nodes.append(n)
            continue
        attr, seq = seqs[n["layer"]]
        inner = [la for la in seq.layers if not isinstance(la, keras.layers.InputLayer)]
        if not inner:
            nodes.append(n)
            continue
        chain = []
        for la in inner:
            chain.append(
                {
                    **n,
                    "id": f"{n['layer']}/{la.name}#{n['call']}",
                    "layer": f"{n['layer']}/{la.name}",
                    "class": type(la).__name__,
                    "attr": f"{attr}_{la.name}",
                    "config": _plain(_changed_config(la), lost := {}),
                    **({"lost": lost} if lost else {}),
                    "shape": list(la.output.shape) if _has_output(la) else n["shape"],
                }
            )
        nodes += chain
        edges = [
            [chain[-1]["id"] if a == n["id"] else a, chain[0]["id"] if b == n["id"] else b, p]
            for a, b, p in edges
        ]
        edges += [[x["id"], y["id"], 0] for x, y in zip(chain, chain[1:], strict=False)]
    return {**structure, "nodes": nodes, "edges": edges}


def _has_output(layer: Any) -> bool:
    try:
        layer.output  # noqa: B018 - raises when the layer has no single symbolic output
    except (AttributeError, ValueError):
        return False
    return True


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
    (Keras spells defaults out: ``data_format="channels_last"``, ``activation="linear"``).

    The arguments are those the layer was *constructed* with, as Keras's ``Operation.__new__``
    recorded them when it was made (``_auto_config``), not what ``build()`` turned them into:
    ``LayerNormalization()`` keeps ``axis=-1`` (built: ``[-1]``), ``MultiHeadAttention`` keeps
    ``attention_axes=None`` (built: ``(1,)``)."""
    import inspect

    made = _as_constructed(layer)
    if made is not None:
        return made
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


def _as_constructed(layer: Any) -> dict[str, Any] | None:
    """The arguments ``layer`` was made with that differ from a layer made with only its
    required ones, both as Keras recorded them at construction; a scalar Keras spells out per
    axis (``kernel_size=3`` → ``(3, 3)``) in the form its config gives. None when Keras kept no
    record (an argument that is an object, not a literal)."""
    given = getattr(getattr(layer, "_auto_config", None), "config", None)
    if not isinstance(given, dict):
        return None
    import inspect

    try:
        params = inspect.signature(type(layer).__init__).parameters.values()
        required = [
            p.name
            for p in params
            if p.default is inspect.Parameter.empty
            and p.name != "self"
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        base_layer = type(layer)(**{k: given[k] for k in required})
        base = getattr(getattr(base_layer, "_auto_config", None), "config", None) or {}
        config = layer.get_config()
    except Exception:
        return None
    out = {}
    for key, value in given.items():
        if key in required or base.get(key, value) != value or key not in base:
            spelled = config.get(key)
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and isinstance(spelled, list | tuple)
                and spelled
                and all(v == value for v in spelled)
            ):
                value = spelled  # kernel_size=3 is Conv2D's (3, 3) from its construction on
            elif isinstance(value, str) and isinstance(spelled, str) and value.lower() == spelled:
                value = spelled  # padding="VALID" is Keras's "valid" from its construction on
            out[key] = value
    return out


def _plain(config: dict[str, Any], lost: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON-plain part of a config: numbers, strings, booleans, None and tuples of them.

    With ``lost`` (a layer's config), a Keras object given by value (an initializer, a
    regularizer, a constraint) is its name when it is that name's default
    (``RandomNormal()`` is ``"random_normal"``); any other value no node can hold is put in
    ``lost``, described, so the import says it instead of dropping it."""

    def plain(v: Any) -> bool:
        if isinstance(v, list | tuple):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, bool | int | float | str)

    out = {}
    for k, v in config.items():
        if k.startswith("_") or k in ("name", "trainable", "dtype"):
            continue
        if plain(v):
            out[k] = as_plain(v)  # a list the layer keeps is Keras's TrackedList: a plain list
            continue
        if lost is None:
            continue
        named = _default_named(v)
        if named is not None:
            out[k] = named
        else:
            lost[k] = _described(v)
    return out


def call_arguments(args: tuple, kwargs: dict[str, Any]) -> list[str]:
    """What a sub-layer call passes besides tensors (``use_causal_mask=True``): no node holds
    it, so an import says it would be lost. ``training`` and arguments left None do not count
    (the block passes its own training on; None is the default)."""

    def tensors(v: Any) -> bool:
        if isinstance(v, list | tuple):
            return all(tensors(x) for x in v)
        return hasattr(v, "shape") and hasattr(v, "dtype")

    out = [f"argument {i + 1} = {v!r}" for i, v in enumerate(args) if not tensors(v)]
    out += [
        f"{k}={v!r}"
        for k, v in kwargs.items()
        if v is not None and k != "training" and not tensors(v)
    ]
    return out


def _default_named(value: Any) -> str | None:
    """``"random_normal"`` for Keras's serialized ``RandomNormal()`` (an initializer,
    regularizer or constraint made with no arguments), which Keras takes by that name; else
    None."""
    if not (isinstance(value, dict) and "class_name" in value):
        return None
    module = str(value.get("module", ""))
    if module not in ("keras.initializers", "keras.regularizers", "keras.constraints"):
        return None
    from blockstudio.core.names import snake_case

    try:
        obj = keras.saving.deserialize_keras_object(value)
        name = snake_case(value["class_name"])
        again = getattr(keras, module.split(".")[1]).get(name)
    except Exception:
        return None
    if type(again) is not type(obj) or again.get_config() != obj.get_config():
        return None
    return name


def _described(value: Any) -> str:
    """A config value as the code would say it: ``RandomNormal(stddev=0.02)``."""
    if isinstance(value, dict) and "class_name" in value:
        given = value.get("config") or {}
        args = ", ".join(f"{k}={v!r}" for k, v in given.items() if v is not None)
        return f"{value['class_name']}({args})"
    return type(value).__name__


def functional_calls(block: Any, input_shape: tuple, filename: str, why: Exception | None) -> dict:
    """The block called on a ``keras.Input``, as Keras's functional API calls it (``call()`` on
    the backend's symbolic tensors, where ``tf.image.extract_patches`` or
    ``ops.broadcast_to(x, ops.shape(y))`` work): each sub-layer call, and each computation
    between them that is no layer's, listed with its file:line (no kind can hold those)."""
    from blockstudio.engine.functional_calls import record_functional

    return record_functional(block, input_shape, filename, why)
