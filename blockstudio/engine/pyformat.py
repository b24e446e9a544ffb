"""Rendering Python literals and statements exactly as ``ruff format`` would lay them out."""

from __future__ import annotations

import json
import textwrap
from typing import Any

LINE = 88  # ruff's default line length: generated code must pass `ruff format --check` as is


def literal(value: Any) -> str:
    """A Python literal for a JSON-like value, with double-quoted strings."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, tuple | list):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"cannot render {value!r} as a literal")


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
    return [f"{indent}{head}(", *[f"{inner}{a}," for a in args], f"{indent}){tail}"]


def docstring_lines(indent: str, summary: str, body: list[str] | None = None) -> list[str]:
    """A triple-quoted docstring wrapped to the line length."""
    width = LINE - len(indent)
    first = textwrap.wrap(summary, width - 3) or [""]
    if not body and len(first) == 1 and len(indent) + len(first[0]) + 6 <= LINE:
        return [f'{indent}"""{first[0]}"""']
    lines = [f'{indent}"""{first[0]}']
    lines += [f"{indent}{line}" for line in first[1:]]
    for para in body or []:
        lines.append("")
        for raw in para.splitlines():
            lead = len(raw) - len(raw.lstrip())
            hang = "    " if lead else ""  # continuation lines of an Args entry hang under it
            wrapped = textwrap.wrap(raw.strip(), width - lead, subsequent_indent=hang) or [""]
            lines += [f"{indent}{' ' * lead}{w}" if w else "" for w in wrapped]
    lines.append(f'{indent}"""')
    return lines


def snake_case(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if (
            ch.isupper()
            and i
            and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower()))
        ):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


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
