"""The plain-data (JSON) forms of a document's values, parameters and nodes: tuples become
lists, a reference to a block parameter ``{"$param": name}`` (with ``"$index"`` for one entry
of a list parameter)."""

from __future__ import annotations

from typing import Any

from blockstudio.core.document import BlockParam, Node, ParamRef


def value_to_json(value: Any) -> Any:
    if isinstance(value, ParamRef):
        if value.index is not None:
            return {"$param": value.param, "$index": value.index}
        return {"$param": value.param}
    if isinstance(value, tuple | list):
        return [value_to_json(v) for v in value]
    return value


def value_from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$param"} and isinstance(value["$param"], str):
        return ParamRef(value["$param"])
    if (
        isinstance(value, dict)
        and set(value) == {"$param", "$index"}
        and isinstance(value["$param"], str)
        and type(value["$index"]) is int
        and value["$index"] >= 0
    ):
        return ParamRef(value["$param"], value["$index"])
    if isinstance(value, list):
        return tuple(value_from_json(v) for v in value)
    return value


def param_to_dict(p: BlockParam) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "type": p.type, "default": p.default}
    if p.optional:
        out["optional"] = True
    if p.choices is not None:
        out["choices"] = list(p.choices)
    if p.doc:
        out["doc"] = p.doc
    if p.when_none is not None:
        out["when_none"] = p.when_none
    if p.required:
        out["required"] = True
    return out


def node_to_dict(n: Node) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": n.id,
        "kind": n.kind,
        "name": n.name,
        "params": {k: value_to_json(v) for k, v in n.params.items()},
        "lifecycle": n.lifecycle,
        "position": [n.position[0], n.position[1]],
    }
    if n.condition is not None:
        out["condition"] = n.condition
    if n.shares is not None:
        out["shares"] = n.shares
    return out
