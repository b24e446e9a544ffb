"""A run of your class and its source together, as an editable block.

The run says which layers exist for the values it was given, with the shapes Keras saw; the
source (read by ``engine/source_reader.py``, never run for this) says what the run cannot: the
block's arguments with their defaults and docs, which argument each layer argument follows, the
``if`` each layer is made under (so ``drop1`` comes back even from a run without dropout), and
where it is made. A source that the run contradicts (a layer the source does not make, another
kind) is not used: the import then keeps to the run (``import_structure``).
"""

from __future__ import annotations

from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.core.doc_json import value_from_json
from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.layout import layered_layout

_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


class SourceMismatch(ValueError):
    """The source and the run disagree, or the source says something a document cannot hold."""


def document_from_source(
    src: dict[str, Any], run_layers: dict[str, str], input_shape: Any, catalog: Catalog, label: str
) -> Document:
    """The document ``src`` describes; ``run_layers`` (layer name → kind, from the run) must all
    be among its layers, with the same kinds."""
    layers = {layer["name"]: layer for layer in src["layers"]}
    for name, kind in run_layers.items():
        if name not in layers:
            raise SourceMismatch(f"the run calls {name}, which the source does not make")
        if layers[name]["kind"] != kind:
            raise SourceMismatch(f"{name} is a {layers[name]['kind']} in the source, {kind} run")
    for layer in src["layers"]:
        if catalog.get(layer["kind"]) is None:
            raise SourceMismatch(f"{layer['name']}: {layer['kind']} has no catalog kind")
    params = _params(src, catalog)
    names = {p.name for p in params}
    nodes, edges = _graph(src, names, catalog)
    draft = Document(src["name"], input_shape, params, nodes=nodes, edges=edges)
    where = layered_layout(draft)
    return Document(
        src["name"],
        input_shape,
        params,
        description=src["description"] or f"Imported from {label}.",
        nodes=[n.with_changes(position=where[n.id]) for n in nodes],
        edges=edges,
    )


def _params(src: dict[str, Any], catalog: Catalog) -> list[BlockParam]:
    out = []
    for p in src["params"]:
        default = value_from_json(p["default"])
        if p["name"] == IN_CHANNELS and default is not None:
            continue  # init style's: the input's channels, which the input shape gives
        optional = default is None
        type_ = _type(p["name"], default, src, catalog)
        doc = p["doc"]
        if doc == f"{type_}{' or None' if optional else ''}.":
            doc = ""  # what the code says of an argument without a description
        when_none = src["when_none"].get(p["name"])
        choices = src.get("choices", {}).get(p["name"])
        if choices is not None:
            choices = tuple(value_from_json(choices))
        out.append(BlockParam(p["name"], type_, default, optional, choices, doc, when_none))
    return out


def _type(name: str, default: Any, src: dict[str, Any], catalog: Catalog) -> str:
    if isinstance(default, tuple):
        if all(type(v) is int for v in default):
            return "ints"
        raise SourceMismatch(f"argument {name}: a tuple of other than whole numbers")
    if default is not None:
        if type(default) not in _TYPES:
            raise SourceMismatch(f"argument {name}: a default of type {type(default).__name__}")
        return _TYPES[type(default)]
    for layer in src["layers"]:  # None: the type of the first layer argument that follows it
        spec = catalog.get(layer["kind"])
        for key, value in layer["params"].items():
            if isinstance(value, dict) and value.get("$param") == name:
                pspec = spec.param(key) if spec else None
                if pspec is not None and pspec.type in ("int", "float", "str", "bool", "ints"):
                    return pspec.type
    return "int"


def _graph(src: dict[str, Any], names: set[str], catalog: Catalog) -> tuple[list[Node], list[Edge]]:
    inputs = src["inputs"]
    nodes: list[Node] = []
    ids: dict[str, str] = {}
    if inputs == ["input"]:
        nodes.append(Node("input", "Input", "input"))
        ids["input"] = "input"
    else:
        for i, name in enumerate(inputs):
            nodes.append(Node(name, "Input", name, {"index": i} if i else {}))
            ids[f"input:{name}"] = name
    layers = {layer["name"]: layer for layer in src["layers"]}
    edges: list[Edge] = []
    first_call: dict[str, str] = {}
    for call in src["calls"]:
        layer = layers[call["layer"]]
        if layer["name"] not in first_call:
            nid = layer["name"]
            first_call[layer["name"]] = nid
            nodes.append(
                Node(
                    nid,
                    layer["kind"],
                    nid,
                    _node_params(layer, names, catalog),
                    layer["lifecycle"],
                    layer["condition"],
                )
            )
        else:
            nid = call.get("named") or _again(layer["name"], {n.id for n in nodes})
            nodes.append(Node(nid, layer["kind"], nid, shares=first_call[layer["name"]]))
        ids[call["id"]] = nid
        edges += [Edge(ids[s], nid, port) for port, s in enumerate(call["inputs"])]
    for i, out in enumerate(src["returns"]):
        oid = "output" if i == 0 else f"output_{i + 1}"
        nodes.append(Node(oid, "Output", oid, {"index": i} if i else {}))
        edges.append(Edge(ids[out], oid))
    return nodes, edges


def _again(name: str, taken: set[str]) -> str:
    k = 2
    while f"{name}_{k}" in taken:
        k += 1
    return f"{name}_{k}"


def _node_params(layer: dict[str, Any], names: set[str], catalog: Catalog) -> dict[str, Any]:
    spec = catalog.get(layer["kind"])
    out: dict[str, Any] = {}
    for key, value in layer["params"].items():
        if spec.param(key) is None:
            raise SourceMismatch(f"{layer['name']}: {layer['kind']} has no parameter {key}")
        if isinstance(value, dict):
            if value["$param"] not in names:
                raise SourceMismatch(f"{layer['name']}.{key} follows {value['$param']}")
            out[key] = ParamRef(value["$param"], value.get("$index"))
        else:
            out[key] = value_from_json(value)
    return out
