"""A block's own weight in its source: ``self.gamma = self.add_weight(shape=..., ...)`` in
``__init__`` or ``build()``, read (with :mod:`ast`, never run) as a Weight node whose
arguments follow the block's (``shape=(self.projection_dim,)``,
``initializer=keras.initializers.Constant(self.init_values)``)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from blockstudio.core.names import snake_case
from blockstudio.core.sources import WEIGHT_INITIALIZERS, WEIGHT_KIND
from blockstudio.engine.source_pieces import Unreadable, conjunction

# Keras 3's Layer.add_weight, by position
ADD_WEIGHT_ARGS = ("shape", "initializer", "dtype", "trainable")
READ = ("shape", "initializer", "trainable", "name")


def is_add_weight(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and ast.unparse(value.func) == "self.add_weight"


def read_weight(
    attr: str,
    call: ast.Call,
    conds: list[str],
    where: str,
    value: Callable[[ast.expr], Any],
) -> dict[str, Any]:
    """The Weight ``self.<attr> = self.add_weight(...)`` makes, as the source reader's layer
    entry; ``value`` reads an argument (a block argument's reference, else a literal)."""
    given: dict[str, ast.expr] = dict(zip(ADD_WEIGHT_ARGS, call.args, strict=False))
    for kw in call.keywords:
        if kw.arg is None:
            raise Unreadable(call, "**keyword arguments to add_weight")
        given[kw.arg] = kw.value
    other = sorted(set(given) - set(READ) - {"dtype"})
    if other:
        raise Unreadable(call, f"add_weight's {', '.join(other)} (a Weight node has no such)")
    params: dict[str, Any] = {}
    if "shape" not in given:
        raise Unreadable(call, "add_weight without a shape")
    params["shape"] = _shape(given["shape"], value)
    if "initializer" in given:
        params.update(_initializer(given["initializer"], value))
    if "trainable" in given:
        params["trainable"] = value(given["trainable"])
    if "name" in given:
        name = value(given["name"])
        if not isinstance(name, str):
            raise Unreadable(call, "a weight name= that is not text")
        params["weight_name"] = name
    return {
        "key": attr,
        "classes": [WEIGHT_KIND],
        "name": None,
        "attr": attr,
        "kind": WEIGHT_KIND,
        "params": params,
        "lifecycle": "build" if where == "build" else "init",
        "condition": conjunction(conds),
        "weight": True,
    }


def _shape(node: ast.expr, value: Callable[[ast.expr], Any]) -> Any:
    """``(self.projection_dim,)`` → the argument (one axis); ``(8, 32)`` → the literal."""
    if isinstance(node, ast.Tuple | ast.List):
        parts = [value(e) for e in node.elts]
        if len(parts) == 1 and isinstance(parts[0], dict):
            return parts[0]
        if all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
            return list(parts)
        raise Unreadable(node, "a weight shape of other than one argument or whole numbers")
    return value(node)


def _initializer(node: ast.expr, value: Callable[[ast.expr], Any]) -> dict[str, Any]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        name = node.value
    elif isinstance(node, ast.Call):
        cls = ast.unparse(node.func).rsplit(".", 1)[-1]
        name = snake_case(cls)
        if name == "constant" and len(node.args) == 1 and not node.keywords:
            return {"initializer": "constant", "value": value(node.args[0])}
        if node.args or node.keywords:
            raise Unreadable(node, f"an initializer with arguments a Weight node has not: {cls}")
    else:
        raise Unreadable(node, "an initializer that is neither a name nor a Keras initializer")
    if name not in WEIGHT_INITIALIZERS:
        raise Unreadable(node, f"the initializer {name}, which a Weight node has not")
    return {"initializer": name}
