"""Condition expressions such as ``in_channels != out_channels or stride != 1``.

Parsed with :mod:`ast` and evaluated by walking a whitelist of node types; user text is never
passed to ``eval``.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from blockstudio.core.expressions import (
    CONDITION_NODES,
    Evaluator,
    ExpressionError,
    check_constant,
    is_number,
    parse,
)

IN_CHANNELS = "in_channels"
# the functions a condition may call: all_one(stride) is MONAI's np.all(np.atleast_1d(stride) == 1)
CONDITION_FUNCTIONS = frozenset({"all_one"})


class ConditionError(ExpressionError):
    """A condition that is not allowed; ``column`` is 0-based when known."""


@lru_cache(maxsize=512)
def parse_condition(text: str) -> ast.Expression:
    """Parse and check a condition; raises :class:`ConditionError`."""
    tree = parse(text, ConditionError, "condition")
    for node in ast.walk(tree):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Call):
        if (
            not isinstance(node.func, ast.Name)
            or node.func.id not in CONDITION_FUNCTIONS
            or node.keywords
            or len(node.args) != 1
        ):
            raise ConditionError(
                f"This call is not allowed in a condition; only "
                f"{', '.join(sorted(CONDITION_FUNCTIONS))}(value) can be called.",
                node.col_offset,
            )
        return
    if not isinstance(node, CONDITION_NODES):
        what = type(node).__name__
        raise ConditionError(
            f"{what} is not allowed in a condition; use comparisons, and/or/not, "
            "numbers, strings, True/False/None and parameter names.",
            getattr(node, "col_offset", None),
        )
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        if not (isinstance(node.operand, ast.Constant) and is_number(node.operand.value)):
            raise ConditionError("Minus is only allowed before a number.", node.col_offset)
    check_constant(node, ConditionError)


def condition_names(text: str) -> set[str]:
    """The parameter names a condition reads."""
    return set(_read_names(parse_condition(text)))


def check_names(text: str, known: set[str]) -> None:
    """Raise :class:`ConditionError` if the condition reads a name not in ``known``."""
    for n in _read_names(parse_condition(text)).values():
        if n.id not in known:
            choices = ", ".join(sorted(known)) or "none"
            raise ConditionError(
                f"Unknown name {n.id!r} in condition; known names: {choices}.", n.col_offset
            )


def _read_names(tree: ast.AST) -> dict[str, ast.Name]:
    """The names a condition reads (not the functions it calls), each at its first use."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    out: dict[str, ast.Name] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and id(n) not in called:
            out.setdefault(n.id, n)
    return out


def evaluate_condition(text: str, env: dict[str, Any]) -> bool:
    """Evaluate a checked condition with block parameter values and ``in_channels``."""
    return bool(Evaluator(env, ConditionError).run(parse_condition(text).body))
