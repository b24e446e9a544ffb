"""The forward pass of a block's source: which layer call takes which, and what it returns."""

from __future__ import annotations

import ast
from typing import Any

from blockstudio.engine.source_pieces import (
    AGAIN,
    LABEL,
    PADS,
    Unreadable,
    conjunction,
)

OPERATORS = {ast.Add: "Add", ast.Sub: "Subtract", ast.Mult: "Multiply"}
RANGES = ("ops.arange", "keras.ops.arange")  # positions: a Range node
EXPANDS = ("ops.expand_dims", "keras.ops.expand_dims")
SHAPES = (
    "ops.shape",
    "keras.ops.shape",
)  # ops.shape(x)[-1]: a length of the input  # (..., 0) on a range: its batch axis


class FlowReader:
    """A mixin of the source reader (``self.made``, ``self.producer``, ``self.calls``...)."""

    def _call(self, fn: ast.FunctionDef) -> None:
        first = fn.args.args[1].arg if len(fn.args.args) > 1 else "inputs"
        self.producer[first] = "input"
        self.inputs = ["input"]
        self._body(fn.body, [], "call", calls=True)

    def _apply(self, stmt: ast.stmt, name: str, call: ast.Call) -> None:
        """``name = <a layer call>`` (or ``x = _symmetric_pad(x, 3, 1)``, the padding of the
        next call, or ``positions = ops.arange(0, n)``): what it gives is ``name``'s from now
        on."""
        self.producer[name] = self._range(stmt, call, name) or self._operand(stmt, call)

    def _range(self, stmt: ast.stmt, node: ast.expr, name: str | None) -> str | None:
        """``ops.arange(start, stop, step)`` (in ``ops.expand_dims(..., 0)``: with a batch
        axis) as a Range node fed by nothing, its arguments the block's where they follow
        them; None for any other expression."""
        batch_axis = False
        if isinstance(node, ast.Call) and ast.unparse(node.func) in EXPANDS and node.args:
            axis = node.args[1] if len(node.args) > 1 else None
            axis = next((k.value for k in node.keywords if k.arg == "axis"), axis)
            if not (isinstance(axis, ast.Constant) and axis.value == 0):
                return None
            node, batch_axis = node.args[0], True
        if not (isinstance(node, ast.Call) and ast.unparse(node.func) in RANGES):
            return None
        names = ("stop",) if len(node.args) == 1 else ("start", "stop", "step")
        given = dict(zip(names, node.args, strict=False))
        for kw in node.keywords:
            if kw.arg not in ("start", "stop", "step"):
                raise Unreadable(stmt, f"ops.arange's {kw.arg} (a Range node has no such)")
            given[kw.arg] = kw.value
        stop = given.get("stop")
        axis = self._input_axis(stop) if stop is not None else None
        if axis is None and isinstance(stop, ast.Name):
            axis = self.lengths.get(stop.id)
        if axis is not None:  # stop=ops.shape(x)[-1]: as long as the input, whatever it is
            del given["stop"]
        params = {k: self._value(v) for k, v in given.items()}
        if axis is not None:
            params["stop_axis"] = axis
        if batch_axis:
            params["batch_axis"] = True
        key, k = name or "positions", 2
        while key in self.made:
            key, k = f"{name or 'positions'}_{k}", k + 1
        layer = {
            "key": key,
            "classes": ["Range"],
            "name": None,
            "attr": key,
            "kind": "Range",
            "params": params,
            "lifecycle": "init",
            "condition": None,
            "operator": True,  # no layer in a run: the run shows it as an op
        }
        self.layers.append(layer)
        self.made[key] = layer
        call_id = f"{key}#0"
        self.calls.append({"id": call_id, "layer": key, "inputs": []})
        return call_id

    def _input_axis(self, node: ast.expr) -> int | None:
        """``k`` for ``ops.shape(x)[k]`` (or ``x.shape[k]``) of the block's input ``x``: a
        length read from the input; None for anything else."""
        if not isinstance(node, ast.Subscript):
            return None
        try:
            k = ast.literal_eval(node.slice)  # -1 is a unary minus on 1
        except ValueError:
            return None
        if isinstance(k, bool) or not isinstance(k, int):
            return None
        of = node.value
        if isinstance(of, ast.Call) and ast.unparse(of.func) in SHAPES and len(of.args) == 1:
            of = of.args[0]
        elif isinstance(of, ast.Attribute) and of.attr == "shape":
            of = of.value
        else:
            return None
        if isinstance(of, ast.Name) and self.producer.get(of.id) == "input":
            return k
        return None

    def _operator(self, stmt: ast.stmt, node: ast.BinOp, conds: list[str]) -> str:
        """``x + res`` (``-``, ``*``): a call of a weightless merge (Add, Subtract, Multiply)
        that no statement makes, named after its kind (``add``, ``add_2``...)."""
        op = type(node.op)
        kind = OPERATORS.get(op)
        if kind is None:
            raise Unreadable(stmt, "an expression between layers")
        operands: list[ast.expr] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, op):
            operands.insert(0, node.right)  # a + b + c: one Add of three
            node = node.left
        operands.insert(0, node)
        inputs = [self._operand(stmt, o) for o in operands]
        key, k = kind.lower(), 2
        while key in self.made:
            key, k = f"{kind.lower()}_{k}", k + 1
        layer = {
            "key": key,
            "classes": [kind],
            "name": key,
            "attr": key,
            "kind": kind,
            "params": {},
            "lifecycle": "init",
            "condition": conjunction(conds),
            "operator": True,  # no layer in a run: the run shows it as an op
        }
        self.layers.append(layer)
        self.made[key] = layer
        call_id = f"{key}#0"
        self.calls.append({"id": call_id, "layer": key, "inputs": inputs})
        return call_id

    def _is_pad(self, node: ast.expr) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in PADS
            and bool(node.args)
        )

    def _operand(self, stmt: ast.stmt, node: ast.expr) -> str:
        """The call (or input) that gives ``node``: a variable, or a layer called on one (calls
        may nest: ``self.act(self.norm(x))``); the padding helper is part of its layer."""
        if isinstance(node, ast.Name):
            if node.id not in self.producer:
                raise Unreadable(stmt, f"{node.id} is used before a layer gives it")
            return self.producer[node.id]
        if self._is_pad(node):
            return self._operand(stmt, node.args[0])
        if isinstance(node, ast.BinOp):  # return x * self.gamma
            return self._operator(stmt, node, [])
        positions = self._range(stmt, node, None)  # self.pos_emb(ops.arange(0, n))
        if positions is not None:
            return positions
        own = self._layer_of(node) if isinstance(node, ast.Attribute) else None
        if own is not None and own.get("weight"):  # x * self.gamma: the block's own weight
            call_id = f"{own['key']}#0"
            if all(c["id"] != call_id for c in self.calls):
                self.calls.append({"id": call_id, "layer": own["key"], "inputs": []})
            return call_id
        if not isinstance(node, ast.Call):
            raise Unreadable(stmt, "an expression between layers")
        layer = self._layer_of(node.func)
        if layer is None:
            raise Unreadable(stmt, "a call of something that is not one of the block's layers")
        if len(node.args) != 1 or node.keywords:
            raise Unreadable(stmt, "a layer called on more than one argument")
        arg = node.args[0]
        sources = arg.elts if isinstance(arg, ast.List) else [arg]
        inputs = [self._operand(stmt, s) for s in sources]
        count = sum(1 for c in self.calls if c["layer"] == layer["key"])
        call_id = f"{layer['key']}#{count}"
        made = {"id": call_id, "layer": layer["key"], "inputs": inputs}
        above = self.lines[stmt.lineno - 2] if stmt.lineno >= 2 else ""
        again = AGAIN.match(above)
        if count and again:  # the name generated code gives a second call of a shared layer
            made["named"] = again[1]
        self.calls.append(made)
        return call_id

    def _layer_of(self, func: ast.expr) -> dict[str, Any] | None:
        if isinstance(func, ast.Name):  # functional: the layer's variable
            return self.made.get(func.id)
        text = ast.unparse(func)
        if text.startswith("self."):
            return self.made.get(text[5:])
        return None

    def _append(self, stmt: ast.Expr, conds: list[str]) -> bool:
        """``outputs.append(head)`` under ``if cond:``: an output returned when cond holds."""
        call = stmt.value
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "append"
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in self.lists
            and len(call.args) == 1
        ):
            return False
        named = LABEL.search(self.lines[stmt.lineno - 1])  # outputs.append(h)  # head0_output
        self.lists[call.func.value.id].append(
            output(self._operand(stmt, call.args[0]), conjunction(conds), named)
        )
        return True

    def _return(self, stmt: ast.Return) -> None:
        value = stmt.value
        if value is None:
            raise Unreadable(stmt, "a call() that returns nothing")
        if isinstance(value, ast.IfExp):  # return outputs if len(outputs) > 1 else outputs[0]
            value = value.body
        if isinstance(value, ast.Name) and value.id in self.lists:
            self.outputs += self.lists[value.id]
            return
        items = value.elts if isinstance(value, ast.List) else [value]
        self.outputs += [output(self._operand(stmt, item)) for item in items]
        self.outputs += self.stacked  # returned in training only, stacked after the first


def output(source: str, condition: str | None = None, named: Any = None) -> dict[str, Any]:
    """An output: the call that gives it, returned only if ``condition``, with the name generated
    code gives it (``named``: the match of its comment)."""
    return {"source": source, "condition": condition, "name": named[1] if named else None}
