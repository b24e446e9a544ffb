"""The arguments a layer is made with, as the source reader reads them: which layer a call
makes (a Keras layer, a generic kind's helper, a class of the same file), and each argument as
a block argument it follows (``strides=stride``, ``self.kernel_size[2]``) or a literal."""

from __future__ import annotations

import ast
from typing import Any

from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.engine.generic import GENERICS
from blockstudio.engine.source_loops import repeated_name
from blockstudio.engine.source_pieces import (
    Unreadable,
    keras_arguments,
    plain_literal,
    prefixed_name,
)

HELPERS = {g.helper: g for g in GENERICS.values()}
KERAS_LAYERS = ("keras.layers", "layers")


class ArgumentReader:
    """A mixin of the source reader (``self.names``: the block's arguments; ``self.classes``:
    the file's classes)."""

    names: set[str]
    classes: set[str]
    loop_index: str | None

    def _arguments(self, call: ast.Call) -> tuple[str, dict[str, Any]]:
        kind = self._factory(call.func) or ""
        positional: list[str] = []  # a Keras layer's arguments: by keyword, as generated
        args: dict[str, Any] = {}
        given = list(call.args)
        generic = HELPERS.get(kind)
        if generic is not None:
            kind = generic.kind
            if generic.takes_dims and given:
                given = given[1:]  # spatial_dims: the block's, not the layer's
            positional = list(generic.positional)
        elif given:
            positional = keras_arguments(kind)
        if len(given) > len(positional):
            raise Unreadable(call, "more positional arguments than the reader knows names for")
        for pname, arg in zip(positional, given, strict=False):
            args[pname] = self._value(arg)
        for kw in call.keywords:
            if kw.arg is None:
                raise Unreadable(call, "**keyword arguments")
            if kw.arg == "dtype":
                continue  # the block's dtype policy, passed on to every layer
            if kw.arg == "name" and self.loop_index is not None:
                name = repeated_name(kw.value, self.loop_index)
                if name is None:
                    raise Unreadable(call, 'a repeated layer\'s name that is not f"<name>_{i}"')
                args["name"] = name
                continue
            if kw.arg == "name" and prefixed_name(kw.value) is not None:
                args["name"] = prefixed_name(kw.value)  # f"{prefix}conv1" is conv1
                continue
            if kind.startswith("class:") and kw.arg == IN_CHANNELS:
                continue  # what the block's input has: the graph says it
            args[kw.arg] = self._value(kw.value)
        return kind, args

    def _factory(self, func: ast.expr) -> str | None:
        """What a call makes: ``keras.layers.Dropout`` → Dropout, ``_conv`` → that helper; None
        for a call that makes no layer."""
        if isinstance(func, ast.Attribute) and ast.unparse(func.value) in KERAS_LAYERS:
            return func.attr
        if isinstance(func, ast.Name) and func.id in HELPERS:
            return func.id
        if isinstance(func, ast.Name) and func.id in self.classes:
            return f"class:{func.id}"  # a block of the same file
        return None

    def _value(self, node: ast.expr) -> Any:
        """An argument: a block argument (``stride``, ``self.stride``, ``strides[2]``) as a
        reference, one computed by an expression (``strides[i + 1]``), else a literal."""
        ref = self._ref(node)
        if ref is not None:
            return ref
        computed = self._expression_value(node)
        if computed is not None:
            return computed
        if isinstance(node, ast.Subscript):
            base = self._ref(node.value)
            if base is not None and isinstance(node.slice, ast.Constant):
                return {**base, "$index": node.slice.value}
        return plain_literal(node, "an argument that is neither a literal nor the block's argument")

    def _ref(self, node: ast.expr) -> dict[str, Any] | None:
        if isinstance(node, ast.Name) and node.id in self.names:
            return {"$param": node.id}
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "self"
            and node.attr in self.names
        ):
            return {"$param": node.attr}
        return None
