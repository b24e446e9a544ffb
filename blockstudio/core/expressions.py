"""Value expressions: what a block parameter is when it is given as None, computed from the others.

MONAI's DynUNet takes ``filters=None`` and computes one width per level::

    [min(2 ** (5 + i), 320 if spatial_dims == 3 else 512) for i in range(len(strides))]

Such a text is parsed with :mod:`ast`, checked against a whitelist (arithmetic, comparisons,
``x if c else y``, list comprehensions, indexing and a few built-ins) and evaluated by walking
the tree with a step budget; it is never passed to ``eval``. The generated code holds the same
text, so the class computes what the studio shows. Conditions (``conditions.py``) are a subset
evaluated by the same walker.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

COMPARE = {
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
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


def prod_axes(values: Any) -> Any:
    """The product, axis by axis, of ints or per-axis tuples (the total stride of several
    levels: ``prod_axes([2, (1, 2, 2)])`` is ``(2, 4, 4)``); an int if all are ints."""
    values = list(values)
    sizes = {len(v) for v in values if isinstance(v, tuple | list)}
    if len(sizes) > 1:
        raise TypeError(f"prod_axes: entries {values!r} have different numbers of axes")
    if not sizes:
        out = 1
        for v in values:
            out *= v
        return out
    n = sizes.pop()
    axes = [1] * n
    for v in values:
        for k, s in enumerate(v if isinstance(v, tuple | list) else (v,) * n):
            axes[k] *= s
    return tuple(axes)


def all_one(value: Any) -> bool:
    """Whether an int, or every entry of a per-axis tuple, is 1 (MONAI's
    ``np.all(np.atleast_1d(stride) == 1)``)."""
    return all(v == 1 for v in value) if isinstance(value, tuple | list) else value == 1


FUNCTIONS = {
    "min": min,
    "max": max,
    "len": len,
    "range": range,
    "abs": abs,
    "int": int,
    "float": float,
    "round": round,
    "sum": sum,
    "list": list,
    "tuple": tuple,
    "prod_axes": prod_axes,
    "all_one": all_one,
}
STEPS = 100_000  # nodes evaluated at most: a runaway comprehension stops here
LONGEST = 10_000  # items in a range or sequence at most
BIGGEST = 10**12  # a number's size at most (``2 ** 10 ** 9`` is refused before it is computed)


@dataclass(eq=False)  # not frozen: raising sets __traceback__, which a frozen one refuses
class ExpressionError(ValueError):
    """An expression that is not allowed or cannot be evaluated; ``column`` is 0-based."""

    message: str
    column: int | None = None

    def __str__(self) -> str:
        return self.message


# what a condition may hold (conditions.py); a value expression may hold more
CONDITION_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    *COMPARE,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Tuple,
)
_ALLOWED = (
    *CONDITION_NODES,
    ast.UAdd,
    ast.BinOp,
    *_BINARY,
    ast.IfExp,
    ast.Call,
    ast.Store,
    ast.List,
    ast.ListComp,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Subscript,
)


@lru_cache(maxsize=512)
def parse_expression(text: str) -> ast.Expression:
    """Parse and check a value expression; raises :class:`ExpressionError`."""
    tree = parse(text, ExpressionError, "a value expression")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ExpressionError(
                f"{type(node).__name__} is not allowed in a value expression; use numbers, "
                "text, parameter names, arithmetic, comparisons, x if c else y, [... for i in "
                f"...], indexing and {', '.join(FUNCTIONS)}.",
                getattr(node, "col_offset", None),
            )
        check_constant(node, ExpressionError)
        if isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
        ):
            raise ExpressionError(
                f"Only {', '.join(FUNCTIONS)} can be called, with plain arguments.",
                node.col_offset,
            )
        if isinstance(node, ast.comprehension) and (
            not isinstance(node.target, ast.Name) or node.is_async
        ):
            raise ExpressionError("A comprehension takes one plain name: for i in ...", None)
    return tree


def parse(text: str, error: type[ExpressionError], what: str) -> ast.Expression:
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = (exc.offset - 1) if exc.offset else None
        raise error(f"{what.capitalize()} is not a valid expression: {exc.msg}.", col) from None


def check_constant(node: ast.AST, error: type[ExpressionError]) -> None:
    if isinstance(node, ast.Constant) and not (
        node.value is None or isinstance(node.value, str | bool) or is_number(node.value)
    ):
        raise error(f"Literal {node.value!r} is not allowed.", node.col_offset)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@lru_cache(maxsize=512)
def expression_names(text: str) -> frozenset[str]:
    """The parameter names an expression reads (not the names its comprehensions bind)."""
    tree = parse_expression(text)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return frozenset(names - _bound(tree) - set(FUNCTIONS))


def bound_names(text: str) -> frozenset[str]:
    """The names an expression's comprehensions make (``i`` in ``[... for i in ...]``)."""
    try:
        return frozenset(_bound(ast.parse(text.strip(), mode="eval")))
    except SyntaxError:
        return frozenset()


def _bound(tree: ast.AST) -> set[str]:
    return {
        n.target.id
        for n in ast.walk(tree)
        if isinstance(n, ast.comprehension) and isinstance(n.target, ast.Name)
    }


def evaluate_expression(text: str, env: dict[str, Any]) -> Any:
    """The value of a checked expression with block parameter values ``env``; lists come back
    as tuples, as the studio keeps list parameters."""
    value = Evaluator(env, ExpressionError).run(parse_expression(text).body)
    if isinstance(value, range):
        value = tuple(value)
    return _tuples(value)


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if isinstance(value, list | tuple) else value


class Evaluator:
    """Walks a checked tree; every step counts against ``STEPS``, sizes against the limits."""

    def __init__(self, env: dict[str, Any], error: type[ExpressionError]) -> None:
        self.env = dict(env)
        self.error = error
        self.steps = 0

    def fail(self, message: str, node: ast.AST) -> ExpressionError:
        return self.error(message, getattr(node, "col_offset", None))

    def run(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > STEPS:
            raise self.fail(f"Takes more than {STEPS} steps to compute; simplify it.", node)
        try:
            value = self._eval(node)
        except (TypeError, ValueError, ZeroDivisionError, IndexError, OverflowError) as exc:
            if isinstance(exc, ExpressionError):
                raise
            raise self.fail(f"Cannot compute {ast.unparse(node)}: {exc}.", node) from None
        if is_number(value) and abs(value) > BIGGEST:
            raise self.fail(f"{ast.unparse(node)} is too big ({BIGGEST:.0e} at most).", node)
        if isinstance(value, str | list | tuple | range) and len(value) > LONGEST:
            raise self.fail(f"{ast.unparse(node)} is too long ({LONGEST} items at most).", node)
        return value

    def _eval(self, node: ast.AST) -> Any:  # noqa: C901  (one branch per node type)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in self.env:
                raise self.fail(f"Unknown name {node.id!r}.", node)
            return self.env[node.id]
        if isinstance(node, ast.Tuple | ast.List):
            items = [self.run(e) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.UnaryOp):
            value = self.run(node.operand)
            if isinstance(node.op, ast.Not):
                return not value
            return -value if isinstance(node.op, ast.USub) else +value
        if isinstance(node, ast.BoolOp):
            value = True if isinstance(node.op, ast.And) else False
            for v in node.values:
                value = self.run(v)
                if bool(value) != isinstance(node.op, ast.And):
                    return value
            return value
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.BinOp):
            left, right = self.run(node.left), self.run(node.right)
            if isinstance(node.op, ast.Pow) and is_number(right) and abs(right) > 64:
                raise self.fail("An exponent above 64 is not allowed.", node)
            if isinstance(node.op, ast.Mult):
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(n, int):
                        if len(seq) * n > LONGEST:
                            raise self.fail(f"Too long ({LONGEST} items at most).", node)
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.IfExp):
            return self.run(node.body) if self.run(node.test) else self.run(node.orelse)
        if isinstance(node, ast.Subscript):
            return self.run(node.value)[self.run(node.slice)]
        if isinstance(node, ast.Call):
            args = [self.run(a) for a in node.args]
            if node.func.id == "range" and len(range(*args)) > LONGEST:
                raise self.fail(f"A range of more than {LONGEST} items.", node)
            return FUNCTIONS[node.func.id](*args)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self._comprehension(node, node.generators, {})
        raise self.fail(f"{type(node).__name__} is not allowed.", node)

    def _compare(self, node: ast.Compare) -> bool:
        left = self.run(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.run(comparator)
            try:
                ok = COMPARE[type(op)](left, right)
            except TypeError:
                raise self.fail(f"Cannot compare {left!r} with {right!r}.", comparator) from None
            if not ok:
                return False
            left = right
        return True

    def _comprehension(self, node, generators, bound: dict[str, Any]) -> list[Any]:
        if not generators:
            return [self.run_with(node.elt, bound)]
        first, rest = generators[0], generators[1:]
        out: list[Any] = []
        for item in self.run_with(first.iter, bound):
            inner = {**bound, first.target.id: item}
            if all(self.run_with(cond, inner) for cond in first.ifs):
                out += self._comprehension(node, rest, inner)
                if len(out) > LONGEST:
                    raise self.fail(f"Too long ({LONGEST} items at most).", node)
        return out

    def run_with(self, node: ast.AST, bound: dict[str, Any]) -> Any:
        """``node``'s value with the comprehension's names ``bound`` as well."""
        saved = self.env
        self.env = {**saved, **bound}
        try:
            return self.run(node)
        finally:
            self.env = saved


def rename_name(text: str, old: str, new: str) -> str:
    """``text`` with the parameter name ``old`` read as ``new`` (a block parameter renamed):
    only the names the expression reads, never an attribute, a string or a name its own
    comprehension binds. A text that does not parse comes back as it was."""
    text = text.strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return text
    if old in _bound(tree):
        return text  # inside, ``old`` is the comprehension's own name
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    spans = sorted(
        (
            starts[n.lineno - 1] + _char_col(lines[n.lineno - 1], n.col_offset),
            starts[n.end_lineno - 1] + _char_col(lines[n.end_lineno - 1], n.end_col_offset),
        )
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and n.id == old
    )
    for start, end in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def _char_col(line: str, byte_col: int) -> int:
    """ast's columns count UTF-8 bytes; a str is indexed by characters."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
