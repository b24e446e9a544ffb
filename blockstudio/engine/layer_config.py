"""What the import reads of each sub-layer and call: its arguments as constructed, as plain
data; what no node can hold of them, described; the block's inputs; a ``keras.Sequential``
sub-layer as the chain of its layers. Shared by the two ways a block's structure is recorded
(``structure``: Keras's symbolic call; ``functional_calls``: its functional call)."""

from __future__ import annotations

from typing import Any

import keras

from blockstudio.engine.source_pieces import as_plain


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


def chains(structure: dict[str, Any], block: Any) -> dict[str, Any]:
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
                    "config": plain_config(changed_config(la), lost := {}),
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


def changed_config(layer: Any) -> dict[str, Any]:
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


def plain_config(config: dict[str, Any], lost: dict[str, str] | None = None) -> dict[str, Any]:
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
        named = default_named(v)
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


def default_named(value: Any) -> str | None:
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
