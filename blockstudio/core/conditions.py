"""Condition expressions such as ``in_channels != out_channels or stride != 1``.

Parsed with :mod:`ast` and evaluated by walking a whitelist of node types; user text is never
passed to ``eval``.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

IN_CHANNELS = "in_channels"

_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


@dataclass(eq=False)  # not frozen: raising sets __traceback__, which a frozen one refuses
class ConditionError(ValueError):
    """A condition that is not allowed; ``column`` is 0-based when known."""

    message: str
    column: int | None = None

    def __str__(self) -> str:
        return self.message


@lru_cache(maxsize=512)
def parse_condition(text: str) -> ast.Expression:
    """Parse and check a condition; raises :class:`ConditionError`."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = (exc.offset - 1) if exc.offset else None
        raise ConditionError(f"Condition is not a valid expression: {exc.msg}.", col) from None
    for node in ast.walk(tree):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    allowed = (
        ast.Expression,
        ast.BoolOp,
        ast.And,
        ast.Or,
        ast.UnaryOp,
        ast.Not,
        ast.USub,
        ast.Compare,
        ast.Name,
        ast.Load,
        ast.Constant,
        ast.Tuple,
        *_COMPARE,
    )
    if not isinstance(node, allowed):
        what = type(node).__name__
        raise ConditionError(
            f"{what} is not allowed in a condition; use comparisons, and/or/not, "
            "numbers, strings, True/False/None and parameter names.",
            getattr(node, "col_offset", None),
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        if not (isinstance(node.operand, ast.Constant) and _is_number(node.operand.value)):
            raise ConditionError("Minus is only allowed before a number.", node.col_offset)
    if isinstance(node, ast.Constant) and not (
        node.value is None or isinstance(node.value, str | bool) or _is_number(node.value)
    ):
        raise ConditionError(f"Literal {node.value!r} is not allowed.", node.col_offset)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def condition_names(text: str) -> set[str]:
    """The parameter names a condition reads."""
    tree = parse_condition(text)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def check_names(text: str, known: set[str]) -> None:
    """Raise :class:`ConditionError` if the condition reads a name not in ``known``."""
    tree = parse_condition(text)
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and n.id not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise ConditionError(
                f"Unknown name {n.id!r} in condition; known names: {choices}.", n.col_offset
            )


def evaluate_condition(text: str, env: dict[str, Any]) -> bool:
    """Evaluate a checked condition with block parameter values and ``in_channels``."""
    return bool(_eval(parse_condition(text).body, env))


def _eval(node: ast.AST, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ConditionError(f"Unknown name {node.id!r} in condition.", node.col_offset)
        return env[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_eval(e, env) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, env)
        return (not value) if isinstance(node.op, ast.Not) else -value
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_eval(v, env) for v in node.values)
        return any(_eval(v, env) for v in node.values)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, env)
            try:
                ok = _COMPARE[type(op)](left, right)
            except TypeError:
                raise ConditionError(
                    f"Cannot compare {left!r} with {right!r}.", comparator.col_offset
                ) from None
            if not ok:
                return False
            left = right
        return True
    raise ConditionError(f"{type(node).__name__} is not allowed in a condition.")
