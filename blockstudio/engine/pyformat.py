"""Rendering Python literals and statements exactly as ``ruff format`` would lay them out."""

from __future__ import annotations

import ast
import math
import re
import textwrap
from typing import Any

from blockstudio.core.names import snake_case

__all__ = [
    "snake_case",
    "literal",
    "call_lines",
    "docstring_lines",
    "if_lines",
    "assign_lines",
]

LINE = 88  # ruff's default line length: generated code must pass `ruff format --check` as is


def literal(value: Any) -> str:
    """A Python literal for a JSON-like value, with double-quoted strings.

    Strings are escaped so that any text reads back as itself and never as code; non-finite
    floats are refused (``inf`` is not a literal, and no Keras argument here takes one).
    """
    if value is None or isinstance(value, bool) or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        # ruff's choice: double quotes unless single quotes need fewer escapes
        if value.count('"') > value.count("'"):
            return "'" + escape_text(value, quote="'") + "'"
        return '"' + escape_text(value, quote='"') + '"'
    if isinstance(value, tuple | list):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"cannot render {value!r} as a literal")


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_text(text: str, quote: str = "") -> str:
    """``text`` as the inside of a Python string: backslashes, unprintables, ``quote`` escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif quote and ch == quote:
            out.append("\\" + ch)
        elif not ch.isprintable() and ch != " ":
            code = ord(ch)
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "".join(out)


def docstring_text(text: str) -> str:
    """``text`` safe inside a triple-quoted docstring, reading back as exactly ``text``.

    Escapes as :func:`escape_text`, plus every quote that another quote follows and a final
    quote (and a first one), so no run of three quotes can close the docstring early.
    """
    escaped = re.sub(r'"(?=")', '\\\\"', escape_text(text))
    if escaped.startswith('"'):  # ruff would pad a quote that touches the opening quotes
        escaped = "\\" + escaped
    return escaped[:-1] + '\\"' if escaped.endswith('"') else escaped


def call_lines(indent: str, head: str, args: list[str], tail: str = "") -> list[str]:
    """``head(args)tail`` on one line if it fits, else args on one indented line, else one each.

    ``head`` includes everything up to the opening parenthesis (``x = self.conv1``, ``def f``).
    """
    one = f"{indent}{head}({', '.join(args)}){tail}"
    if len(one) <= LINE or not args:
        return [one]
    inner = indent + "    "
    hugged = f"{inner}{', '.join(args)}"
    # ruff keeps the arguments on one line unless one is a keyword-unpacking or it is too long
    if len(hugged) <= LINE and not any(a.startswith("**") for a in args[:-1]):
        return [f"{indent}{head}(", hugged, f"{indent}){tail}"]
    if len(args) == 1 and args[0].startswith("[") and args[0].endswith("]"):
        # a lone list of names that does not fit: ruff puts one item per line inside it
        items = [a.strip() for a in args[0][1:-1].split(",") if a.strip()]
        deeper = inner + "    "
        return [
            f"{indent}{head}(",
            f"{inner}[",
            *[f"{deeper}{a}," for a in items],
            f"{inner}]",
            f"{indent}){tail}",
        ]
    return [f"{indent}{head}(", *[f"{inner}{a}," for a in args], f"{indent}){tail}"]


def docstring_lines(indent: str, summary: str, body: list[str] | None = None) -> list[str]:
    """A triple-quoted docstring wrapped to the line length."""
    width = LINE - len(indent)
    summary = docstring_text(summary)
    first = _wrap(summary, width - 3) or [""]
    if not body and len(first) == 1:
        if len(indent) + len(first[0]) + 6 <= LINE:
            return [f'{indent}"""{first[0]}"""']
        # ruff joins a one-line docstring with its closing quotes whatever the length, so a
        # summary that fits only without them is wrapped onto two lines
        first = _wrap(summary, max(len(summary) - 1, 1)) or [""]
    lines = [f'{indent}"""{first[0]}']
    lines += [f"{indent}{line}" for line in first[1:]]
    for para in body or []:
        lines.append("")
        for raw in para.splitlines():
            lead = len(raw) - len(raw.lstrip())
            hang = "    " if lead else ""  # continuation lines of an Args entry hang under it
            wrapped = _wrap(docstring_text(raw.strip()), width - lead, hang) or [""]
            lines += [f"{indent}{' ' * lead}{w}" if w else "" for w in wrapped]
    lines.append(f'{indent}"""')
    return lines


def if_lines(indent: str, keyword: str, cond: str) -> list[str]:
    """``if cond:`` split the way ruff splits a condition that does not fit on one line."""
    import ast

    one = f"{indent}{keyword} {cond}:"
    if len(one) <= LINE:
        return [one]
    inner = indent + "    "
    tree = ast.parse(cond, mode="eval").body
    if isinstance(tree, ast.BoolOp) and len(tree.values) == 2:
        op = " and " if isinstance(tree.op, ast.And) else " or "
        first, second = (ast.unparse(v) for v in tree.values)
        first_wrapped = isinstance(tree.values[0], ast.BoolOp)
        second_wrapped = isinstance(tree.values[1], ast.BoolOp)
        if first_wrapped:
            lines = [f"{indent}{keyword} (", f"{inner}{first}", f"{indent}){op}{second}:"]
            if all(len(x) <= LINE for x in lines):
                return lines
        elif second_wrapped:
            lines = [f"{indent}{keyword} {first}{op}(", f"{inner}{second}", f"{indent}):"]
            if all(len(x) <= LINE for x in lines):
                return lines
    hugged = f"{inner}{cond}"
    if len(hugged) <= LINE:
        return [f"{indent}{keyword} (", hugged, f"{indent}):"]
    if isinstance(tree, ast.BoolOp):
        op = "and" if isinstance(tree.op, ast.And) else "or"
        parts = [ast.unparse(v) for v in tree.values]
        parts = [
            f"({p})" if isinstance(v, ast.BoolOp) else p
            for p, v in zip(parts, tree.values, strict=True)
        ]
        body = [f"{inner}{parts[0]}"] + [f"{inner}{op} {p}" for p in parts[1:]]
        return [f"{indent}{keyword} (", *body, f"{indent}):"]
    return [f"{indent}{keyword} (", hugged, f"{indent}):"]


def expression_source(text: str) -> str:
    """A (checked) expression as ruff writes it: ``ast.unparse``'s spacing, strings in double
    quotes as :func:`literal` writes them."""
    tree = ast.parse(text.strip(), mode="eval")
    strings: list[str] = []

    class Mark(ast.NodeTransformer):
        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if not isinstance(node.value, str):
                return node
            strings.append(node.value)
            return ast.Name(f"__bs_string_{len(strings) - 1}__", ast.Load())

    marked = ast.unparse(Mark().visit(tree))
    return re.sub(r"__bs_string_(\d+)__", lambda m: literal(strings[int(m[1])]), marked)


def assign_lines(indent: str, target: str, text: str) -> list[str]:
    """``target = expression`` split as ruff splits a comprehension or list that does not fit:
    the element, then each ``for`` and ``if`` clause, on lines of their own."""
    src = expression_source(text)
    one = f"{indent}{target} = {src}"
    if len(one) <= LINE:
        return [one]
    tree = ast.parse(src, mode="eval").body
    inner = indent + "    "
    if isinstance(tree, ast.ListComp):
        parts = [expression_source(ast.unparse(tree.elt))]
        for gen in tree.generators:
            target_, iter_ = ast.unparse(gen.target), expression_source(ast.unparse(gen.iter))
            parts.append(f"for {target_} in {iter_}")
            parts += [f"if {expression_source(ast.unparse(c))}" for c in gen.ifs]
        return [f"{indent}{target} = [", *[inner + p for p in parts], f"{indent}]"]
    if isinstance(tree, ast.List | ast.Tuple) and tree.elts:
        items = [expression_source(ast.unparse(e)) for e in tree.elts]
        hugged = inner + ", ".join(items)
        close = "]" if isinstance(tree, ast.List) else ")"
        if len(hugged) <= LINE:
            return [f"{indent}{target} = {src[0]}", hugged, f"{indent}{close}"]
        return [f"{indent}{target} = {src[0]}", *[f"{inner}{i}," for i in items], indent + close]
    return [one]  # longer than ruff likes, but the same code


def _wrap(text: str, width: int, hang: str = "") -> list[str]:
    # never split a word: that could cut an escape sequence in two
    return textwrap.wrap(
        text, width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
    )
