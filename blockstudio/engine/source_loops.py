"""Reading a repeated node's generated code back: the list of layers and the loops over it.

What ``codegen/loops.py`` writes in the class styles::

    self.downsamples = [UnetLevelBlock(..., name=f"downsamples_{i}") for i in range(n)]
    skips = [x]
    for downsample in self.downsamples:
        x = downsample(x)
        skips.append(x)
    for upsample, skip in zip(self.upsamples, reversed(skips), strict=False):
        ...
    if training and heads:
        return keras.ops.stack([x, *heads], axis=1)  # heads

becomes one layer with a ``repeat`` (count, index, chain, collect, skip) and one call; the loops
of the functional style are not read (a clear refusal says so).
"""

from __future__ import annotations

import ast
from typing import Any

from blockstudio.core.import_structure import REPEATED
from blockstudio.engine.source_pieces import LABEL, Unreadable

HELPER_NAMES = {"_prod_axes": "prod_axes", "_all_one": "all_one"}  # generated → the studio's


def studio_text(node: ast.expr) -> str:
    """An expression of generated code as the studio writes it: ``self.`` dropped, helpers by
    the studio's names."""

    class Strip(ast.NodeTransformer):
        def visit_Attribute(self, n: ast.Attribute) -> ast.AST:
            if isinstance(n.value, ast.Name) and n.value.id == "self":
                return ast.Name(n.attr, ast.Load())
            return self.generic_visit(n)

        def visit_Name(self, n: ast.Name) -> ast.AST:
            return ast.Name(HELPER_NAMES.get(n.id, n.id), ast.Load())

    tree = ast.parse(ast.unparse(node), mode="eval")
    return ast.unparse(Strip().visit(tree).body)


def repeated_name(node: ast.expr, index: str) -> str | None:
    """``f"downsamples_{i}"`` (or ``f"{prefix}downsamples_{i}"``) → ``downsamples``."""
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = list(node.values)
    if parts and isinstance(parts[0], ast.FormattedValue):
        first = parts[0].value
        if isinstance(first, ast.Name) and first.id == "prefix":
            parts = parts[1:]
    if (
        len(parts) == 2
        and isinstance(parts[0], ast.Constant)
        and isinstance(parts[0].value, str)
        and parts[0].value.endswith("_")
        and isinstance(parts[1], ast.FormattedValue)
        and isinstance(parts[1].value, ast.Name)
        and parts[1].value.id == index
    ):
        return parts[0].value[:-1]
    return None


class LoopReader:
    """A mixin of the source reader: the comprehension that makes a repeated node's layers,
    and the loops that call them."""

    def _makes_layers(self, node: ast.AST) -> bool:
        return any(
            isinstance(n, ast.Call) and self._factory(n.func) is not None for n in ast.walk(node)
        )

    def _repeated_layers(self, stmt: ast.stmt, name: str, value: ast.ListComp, conds, where):
        """``self.X = [Kind(...) for i in range(count)]``."""
        gen = value.generators[0] if len(value.generators) == 1 else None
        ok = (
            gen is not None
            and isinstance(gen.target, ast.Name)
            and not gen.ifs
            and isinstance(gen.iter, ast.Call)
            and isinstance(gen.iter.func, ast.Name)
            and gen.iter.func.id == "range"
            and len(gen.iter.args) == 1
            and isinstance(value.elt, ast.Call)
            and not conds
        )
        if not ok:
            raise Unreadable(stmt, REPEATED)
        index = gen.target.id
        self.loop_index = index
        try:
            self._make(name, value.elt, conds, where)
        finally:
            self.loop_index = None
        layer = self.made[name]
        layer["repeat"] = {"count": studio_text(gen.iter.args[0]), "index": index}

    def _loop(self, stmt: ast.For) -> None:
        """A loop over a repeated node's layers in call() (in functional style, making each
        one first): one call of the repeated node."""
        body = stmt.body
        if self.functional:
            names, over, entries = self._loop_head(stmt, _is_range)
            made = body[0] if body else None
            if not (
                isinstance(made, ast.Assign)
                and isinstance(made.targets[0], ast.Name)
                and isinstance(made.value, ast.Call)
                and len(body) > 1
            ):
                raise Unreadable(stmt, REPEATED)
            one = made.targets[0].id
            self.loop_index = names[0]
            try:
                self._make(one, made.value, [], "init")
            finally:
                self.loop_index = None
            layer = self.made[one]
            layer["repeat"] = {"count": studio_text(over.args[0]), "index": names[0]}
            names, body = [one, *names[1:]], body[1:]
        else:
            names, over, entries = self._loop_head(stmt, _is_attribute)
            layer = self.made.get(studio_text(over))
            if layer is None or "repeat" not in layer:
                raise Unreadable(stmt, REPEATED)
        one = names[0]
        chain = isinstance(body[0], ast.Assign)
        if chain:  # x = layer(x) [or layer([x, skip])], then maybe skips.append(x)
            target = body[0].targets[0]
            call = body[0].value
            var = target.id if isinstance(target, ast.Name) else None
            if var is None or var not in self.producer:
                raise Unreadable(stmt, REPEATED)
            appended = body[1] if len(body) > 1 else None
            collect = self._appended_to(appended, ast.Name, var) if appended else None
        else:  # outs.append(layer(feature))
            collect = self._appended_to(body[0], ast.Call, None)
            call = body[0].value.args[0]
            var = None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == one
            and len(call.args) == 1
        ):
            raise Unreadable(stmt, REPEATED)
        arg = call.args[0]
        sources = arg.elts if isinstance(arg, ast.List) else [arg]
        inputs: list[str] = []
        skip = None
        for port, src in enumerate(sources):
            if entries is not None and isinstance(src, ast.Name) and src.id == names[1]:
                coll, reverse, offset = entries
                if coll not in self.collections:
                    raise Unreadable(stmt, f"{coll} is no repeated node's list")
                inputs.append(self.collections[coll])
                skip = {"port": port, "reverse": reverse, "offset": offset}
                continue
            if not isinstance(src, ast.Name) or src.id not in self.producer:
                raise Unreadable(stmt, REPEATED)
            inputs.append(self.producer[src.id])
        key = layer["key"]
        call_id = f"{key}#0"
        self.calls.append({"id": call_id, "layer": key, "inputs": inputs})
        layer["repeat"].update(chain=chain, skip=skip)
        layer["repeat"]["collect"] = None
        if collect is not None:
            self.collections[collect] = call_id
            if collect != f"{layer['name']}_outs" or chain:
                layer["repeat"]["collect"] = collect
        if var is not None:
            self.producer[var] = call_id

    def _loop_head(self, stmt: ast.For, first) -> tuple[list[str], ast.expr, tuple | None]:
        """``for one in X`` or ``for one, item in zip(X, entries, strict=False)``, where
        ``first(X)`` says X is what the loop goes over (``self.downsamples``, or in functional
        style ``range(count)``): the names, X, and the entries (list, reverse, offset)."""
        target, it = stmt.target, stmt.iter
        if isinstance(target, ast.Name) and first(it):
            return [target.id], it, None
        if (
            isinstance(target, ast.Tuple)
            and len(target.elts) == 2
            and all(isinstance(t, ast.Name) for t in target.elts)
            and isinstance(it, ast.Call)
            and isinstance(it.func, ast.Name)
            and it.func.id == "zip"
            and len(it.args) == 2
            and first(it.args[0])
        ):
            names = [t.id for t in target.elts]
            return names, it.args[0], self._entries(stmt, it.args[1])
        raise Unreadable(stmt, REPEATED)

    def _entries(self, stmt: ast.stmt, node: ast.expr) -> tuple[str, bool, int]:
        """``reversed(skips)``, ``reversed(ups[:-1])``, ``heads``, ``heads[1:]``: (list,
        reverse, offset)."""
        reverse = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "reversed"
            and len(node.args) == 1
        )
        inner = node.args[0] if reverse else node
        offset = 0
        if isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Slice):
            bound = inner.slice.upper if reverse else inner.slice.lower
            value = ast.literal_eval(bound) if bound is not None else None
            if not isinstance(value, int):
                raise Unreadable(stmt, REPEATED)
            offset = -value if reverse else value
            inner = inner.value
        if not isinstance(inner, ast.Name):
            raise Unreadable(stmt, REPEATED)
        return inner.id, reverse, offset

    def _appended_to(self, stmt: ast.stmt, what: type, var: str | None) -> str | None:
        """The list ``stmt`` appends to (``skips.append(x)``), or None."""
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "append"
            and isinstance(call.func.value, ast.Name)
            and len(call.args) == 1
            and isinstance(call.args[0], what)
            and (var is None or call.args[0].id == var)
        ):
            return call.func.value.id
        raise Unreadable(stmt, REPEATED)

    def _stacked_return(self, stmt: ast.If) -> bool:
        """``if training and outs: return keras.ops.stack([x, *outs], axis=1)  # heads``:
        outputs returned in training only, stacked with the first."""
        ret = stmt.body[0] if len(stmt.body) == 1 else None
        value = ret.value if isinstance(ret, ast.Return) else None
        if not (
            isinstance(value, ast.Call)
            and ast.unparse(value.func) == "keras.ops.stack"
            and len(value.args) == 1
            and isinstance(value.args[0], ast.List)
        ):
            return False
        named = LABEL.search(self.lines[ret.lineno - 1])
        for item in value.args[0].elts[1:]:
            if isinstance(item, ast.Starred) and isinstance(item.value, ast.Name):
                source = self.collections.get(item.value.id)
            else:
                source = self._operand(stmt, item)
            if source is None:
                raise Unreadable(stmt, "a stacked output that is no repeated node's list")
            self.stacked.append(
                {"source": source, "condition": None, "name": named and named[1], "stack": True}
            )
        return True

    def _expression_value(self, node: ast.expr) -> Any:
        """An index or value computed by an expression (``filters[i + 1]``,
        ``_prod_axes([...])``) as the document keeps it, or None."""
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            base = self._ref(node.value)
            if base is not None:
                return {**base, "$index": studio_text(node.slice)}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in HELPER_NAMES:
                return {"$expr": studio_text(node)}
        return None


def _is_range(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "range"
        and len(node.args) == 1
    )


def _is_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute)
