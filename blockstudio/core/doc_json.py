"""The plain-data (JSON) forms of a document's values, parameters and nodes: tuples become
lists, a reference to a block parameter ``{"$param": name}`` (with ``"$index"`` for one entry
of a list parameter)."""

from __future__ import annotations

from typing import Any

from blockstudio.core.document import BlockParam, Expr, Node, ParamRef, Repeat, SkipSource


def value_to_json(value: Any) -> Any:
    if isinstance(value, Expr):
        return {"$expr": value.text}
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
    if isinstance(value, dict) and set(value) == {"$expr"} and isinstance(value["$expr"], str):
        return Expr(value["$expr"])
    if (
        isinstance(value, dict)
        and set(value) == {"$param", "$index"}
        and isinstance(value["$param"], str)
        and (
            (type(value["$index"]) is int and value["$index"] >= 0)
            or isinstance(value["$index"], str)  # an expression over a repeat's index
        )
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
    if n.repeat is not None:
        out["repeat"] = repeat_to_dict(n.repeat)
    return out


def repeat_to_dict(r: Repeat) -> dict[str, Any]:
    out: dict[str, Any] = {"count": r.count, "index": r.index, "chain": r.chain}
    if r.collect is not None:
        out["collect"] = r.collect
    if r.skip is not None:
        out["skip"] = {"port": r.skip.port, "reverse": r.skip.reverse, "offset": r.skip.offset}
    return out


def repeat_from_dict(data: Any) -> tuple[Repeat | None, list[tuple[str, str]]]:
    """A node's ``repeat`` field, or None and the defects (relative JSON path, message)."""
    if not isinstance(data, dict):
        return None, [("", "expected an object with count, index, chain, collect, skip")]
    defects: list[tuple[str, str]] = []
    unknown = sorted(set(data) - {"count", "index", "chain", "collect", "skip"})
    if unknown:
        defects.append((f".{unknown[0]}", "unknown field (count, index, chain, collect, skip)"))
    count, index = data.get("count"), data.get("index", "i")
    chain, collect = data.get("chain", True), data.get("collect")
    if not isinstance(count, str) or not count.strip():
        defects.append((".count", 'expected an expression, e.g. "len(strides) - 2"'))
    if not isinstance(index, str) or not index.isidentifier():
        defects.append((".index", 'expected a name, e.g. "i"'))
    if not isinstance(chain, bool):
        defects.append((".chain", "expected true or false"))
    if collect is not None and not (isinstance(collect, str) and collect.isidentifier()):
        defects.append((".collect", 'expected a name, e.g. "skips"'))
    skip = None
    raw = data.get("skip")
    if raw is not None:
        ok = (
            isinstance(raw, dict)
            and set(raw) <= {"port", "reverse", "offset"}
            and type(raw.get("port", 1)) is int
            and raw.get("port", 1) >= 0
            and isinstance(raw.get("reverse", True), bool)
            and type(raw.get("offset", 0)) is int
            and raw.get("offset", 0) >= 0
        )
        if ok:
            skip = SkipSource(raw.get("port", 1), raw.get("reverse", True), raw.get("offset", 0))
        else:
            defects.append((".skip", 'expected {"port": n, "reverse": bool, "offset": n}'))
    if defects:
        return None, defects
    return Repeat(count, index, chain, collect, skip), []
