"""Small readings of one piece of source: a check, a condition, a docstring, a literal."""

from __future__ import annotations

import ast
import re
from typing import Any

from blockstudio.core.params import is_plain

LABEL = re.compile(r"#\s*([A-Za-z_]\w*)\s*$")  # outputs.append(h)  # head0_output
AGAIN = re.compile(r"\s*# ([A-Za-z_]\w*): \w+ called again")  # a shared layer's second call
PADS = ("_symmetric_pad",)  # wrappers of a layer's input that are part of the layer's node


class Unreadable(Exception):
    """A statement the reader cannot follow, and its line."""

    def __init__(self, node: ast.AST, why: str) -> None:
        super().__init__(f"{why}: {whole_words(ast.unparse(node))}")
        self.line = getattr(node, "lineno", 0)


def whole_words(text: str, limit: int = 80) -> str:
    """``text``'s first line, cut only between words (``...`` marks a cut), never mid-token."""
    lines = text.strip().splitlines() or [""]
    first = lines[0].rstrip(":")
    if len(first) <= limit and len(lines) == 1:
        return first
    if len(first) > limit:
        cut = first[:limit].rsplit(" ", 1)[0]
        first = cut if " " in first[:limit] else first.split(" ", 1)[0]
    return f"{first} ..."


def target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr if node.value.id == "self" else None
    return None


def keras_arguments(kind: str) -> list[str]:
    """The names of ``keras.layers.<kind>``'s positional arguments, from its signature."""
    import inspect

    import keras

    cls = getattr(keras.layers, kind, None)
    if not isinstance(cls, type):
        return []
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD]


def allowed_values(stmt: ast.If, names: set[str]) -> list[Any] | None:
    """The allowed values of ``if NAME not in (...): raise ...``, an argument's check."""
    test = stmt.test
    if not (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id in names
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.NotIn)
        and isinstance(test.comparators[0], ast.Tuple)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], ast.Raise)
        and not stmt.orelse
    ):
        return None
    try:
        return plain_literal(test.comparators[0], "allowed values that are not literals")
    except Unreadable:
        return None  # a check the block keeps, not one the studio can hold


def last_axis(node: ast.expr, shapes: set[str]) -> bool:
    """``input_shape[-1]``: the channels of a shape ``build()`` was given."""
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in shapes
        and isinstance(node.slice, ast.UnaryOp)
        and isinstance(node.slice.op, ast.USub)
        and isinstance(node.slice.operand, ast.Constant)
        and node.slice.operand.value == 1
    )


def is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def assigns(stmt: ast.stmt, name: str) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Name)
        and stmt.targets[0].id == name
    )


def is_presence_check(test: ast.expr, made: dict[str, Any]) -> bool:
    """``if self.drop1 is not None:`` (or ``if drop1 is not None``) around a call: whether the
    layer exists, which its own condition already says."""
    if not (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
        and is_none(test.comparators[0])
    ):
        return False
    return target_name(test.left) in made


def conjunction(conds: list[str]) -> str | None:
    if not conds:
        return None
    if len(conds) == 1:
        return conds[0]

    def part(text: str) -> str:  # an "or" (or looser) inside "and" keeps its parentheses
        body = ast.parse(text, mode="eval").body
        loose = isinstance(body, ast.IfExp) or (
            isinstance(body, ast.BoolOp) and isinstance(body.op, ast.Or)
        )
        return f"({text})" if loose else text

    return " and ".join(part(c) for c in conds)


def names_in(text: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}


def plain_literal(node: ast.expr, why: str) -> Any:
    """The literal ``node`` is, as JSON holds it (lists), if a document can hold it: None, a
    bool, a finite number, text, or a tuple or list of these; else Unreadable saying ``why``."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise Unreadable(node, why) from None
    if not is_plain(tuples(value)):
        raise Unreadable(node, why)
    return as_plain(value)


def tuples(value: Any) -> Any:
    return tuple(tuples(v) for v in value) if isinstance(value, list | tuple) else value


def as_plain(value: Any) -> Any:
    return [as_plain(v) for v in value] if isinstance(value, list | tuple) else value


def read_docstring(text: str) -> tuple[str, dict[str, str]]:
    """The description (summary and paragraphs, each on one line) and each argument's text."""
    lines = text.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.strip() == "Args:"), len(lines))
    description = " ".join(" ".join(lines[:cut]).split())
    docs: dict[str, str] = {}
    current = None
    for line in lines[cut + 1 :]:
        stripped = line.strip()
        if not line.startswith(" ") and stripped.endswith(":"):
            break  # the next section: Returns:, Raises:
        head, sep, rest = stripped.partition(": ")
        if sep and line.startswith("    ") and not line.startswith("        "):
            current = re.sub(r"\s*\(.*\)$", "", head)  # init_values (float): ...
            docs[current] = rest
        elif current and stripped:
            docs[current] += " " + stripped
    return description, docs


def prefixed_name(node: ast.expr) -> str | None:
    """``f"{prefix}conv1"`` (a functional block's layer name) → ``conv1``; else None."""
    if not isinstance(node, ast.JoinedStr) or len(node.values) != 2:
        return None
    first, rest = node.values
    if (
        isinstance(first, ast.FormattedValue)
        and isinstance(first.value, ast.Name)
        and first.value.id == "prefix"
        and isinstance(rest, ast.Constant)
        and isinstance(rest.value, str)
    ):
        return rest.value
    return None
