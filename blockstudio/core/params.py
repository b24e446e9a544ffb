"""Checking and resolving parameter values against their schema."""

from __future__ import annotations

import ast
import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from blockstudio.core.catalog import ParamSpec
from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.core.document import BlockParam, Document, Expr, ParamRef
from blockstudio.core.expressions import ExpressionError, evaluate_expression, expression_names
from blockstudio.core.shapes import first_shape


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _describe(v: Any) -> str:
    return "None" if v is None else f"{v!r} ({type(v).__name__})"


def text_problem(name: str, text: str) -> str | None:
    """A message if ``text`` holds a lone surrogate: that is not text, cannot be written as
    UTF-8, and Python refuses it in a class docstring."""
    bad = next((c for c in text if "\ud800" <= c <= "\udfff"), None)
    if bad is None:
        return None
    return f"{name} contains U+{ord(bad):04X}, a lone surrogate, which is not text; remove it."


def check_value(spec: ParamSpec, value: Any) -> str | None:
    """A message saying what is wrong with ``value`` for ``spec``, or None if it is fine."""
    if value is None:
        if spec.optional:
            return None
        return f"{spec.name} cannot be None."
    t = spec.type
    if t == "int":
        if not _is_int(value):
            return f"{spec.name} must be a whole number, not {_describe(value)}."
        return _check_range(spec, value)
    if t == "float":
        if not _is_number(value):
            return f"{spec.name} must be a number, not {_describe(value)}."
        if not math.isfinite(value):
            return f"{spec.name} must be a finite number, not {value}."
        return _check_range(spec, value)
    if t == "bool":
        return None if isinstance(value, bool) else f"{spec.name} must be True or False."
    if t == "str":
        return (
            text_problem(spec.name, value)
            if isinstance(value, str)
            else (f"{spec.name} must be text.")
        )
    if t == "choice":
        if spec.choices is not None and value not in spec.choices:
            opts = ", ".join(repr(c) for c in spec.choices)
            return f"{spec.name} must be one of {opts}, not {value!r}."
        return None
    if t == "ints":
        items = _flat_ints(value)
        if not items or not all(_is_int(v) for v in items):
            return (
                f"{spec.name} must be a whole number or a tuple of them (an entry may be one "
                f"per spatial axis: ((1, 3, 3), 3)), not {value!r}."
            )
        for v in items:
            msg = _check_range(spec, v)
            if msg:
                return msg
        return None
    if t == "any":
        if not _is_literal(value):
            return f"{spec.name} must be a plain literal."
        return None if _is_finite(value) else f"{spec.name} must not contain inf or nan."
    return f"{spec.name} has an unknown type {t!r}."


def _flat_ints(value: Any) -> tuple[Any, ...]:
    """The numbers of an ``ints`` value: an int, a tuple of them, or a tuple whose entries are
    ints or tuples of ints (a list parameter of per-axis values, MONAI's per-level kernel
    sizes); an empty or deeper entry gives None, which no check accepts."""
    if not isinstance(value, tuple):
        return (value,)
    out: list[Any] = []
    for v in value:
        if isinstance(v, tuple):
            out += list(v) if v and not any(isinstance(w, tuple) for w in v) else [None]
        else:
            out.append(v)
    return tuple(out)


def _is_literal(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, tuple):
        return all(_is_literal(v) for v in value)
    return False


def _is_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, tuple):
        return all(_is_finite(v) for v in value)
    return True


def is_plain(value: Any) -> bool:
    """None, a bool, a finite number, text, or a tuple of these: a value a document holds."""
    return _is_literal(value) and _is_finite(value)


def _check_range(spec: ParamSpec, value: float) -> str | None:
    if spec.min is not None and value < spec.min:
        return f"{spec.name} must be at least {_num(spec.min)}, not {value}."
    if spec.max is not None and value > spec.max:
        return f"{spec.name} must be at most {_num(spec.max)}, not {value}."
    return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def block_param_spec(p: BlockParam) -> ParamSpec:
    """The schema of block parameter ``p``: its type, or its choices when it has them (the
    schema of a block node's parameter, too)."""
    return ParamSpec(
        p.name,
        "choice" if p.choices is not None else p.type,
        default=p.default,
        optional=p.optional,
        choices=p.choices,
        doc=p.doc,
    )


def check_block_param(p: BlockParam, value: Any) -> str | None:
    """A message if ``value`` does not fit block parameter ``p``."""
    msg = check_value(block_param_spec(p), value)
    if msg is None and p.choices is not None and value is not None:
        msg = check_value(ParamSpec(p.name, p.type), value)
    return msg


def example_values(doc: Document) -> dict[str, Any]:
    """The values a run gives the arguments the exported class requires (no default there):
    the example's, kept as their defaults in the document."""
    return {p.name: p.default for p in doc.params if p.required}


def block_env(doc: Document, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Values of block parameters (defaults, overridden by ``values``, a None computed as its
    ``when_none`` says) and ``in_channels``."""
    env = doc.param_defaults()
    if values:
        env.update(values)
    for p in doc.params:
        if p.when_none is not None and env.get(p.name) is None:
            try:
                env[p.name] = evaluate_expression(p.when_none, env)
            except ExpressionError:
                pass  # stays None: validation says why
    first = first_shape(doc.input_shape)
    env[IN_CHANNELS] = first[-1] if first else None
    return env


def when_none_problems(doc: Document, p: BlockParam) -> list[str]:
    """What is wrong with the value ``p`` computes when it is None (MONAI's ``filters``)."""
    head = f"{p.name} when None"
    if not p.optional:
        return [f"{head}: {p.name} computes a value when None, so it must be optional."]
    try:
        names = expression_names(p.when_none)
    except ExpressionError as exc:
        return [f"{head}: {exc}"]
    known = [q.name for q in doc.params if q.name != p.name]
    unknown = sorted(names - set(known))
    if unknown:
        return [
            f"{head}: unknown name {unknown[0]!r}; it can read the other block parameters "
            f"({', '.join(known) or 'there are none'})."
        ]
    try:
        value = evaluate_expression(p.when_none, block_env(doc, {p.name: None}))
    except ExpressionError as exc:
        return [f"{head}: {exc}"]
    msg = check_block_param(p, value)
    return [f"{head} gives {value!r}: {msg}"] if msg or value is None else []


def resolve(value: Any, env: dict[str, Any]) -> Any:
    """A node param's value with block parameter references replaced from ``env`` (an index or
    a value computed by an expression: with the repeat index ``env`` holds, if any; None when
    it cannot be computed, which validation reports)."""
    if isinstance(value, Expr):
        try:
            return evaluate_expression(value.text, env)
        except ExpressionError:
            return None
    if isinstance(value, ParamRef):
        whole = env[value.param]
        if value.index is None:
            return whole
        if isinstance(value.index, str):
            try:
                index = evaluate_expression(value.index, env)
            except ExpressionError:
                return None
            if isinstance(index, int) and isinstance(whole, tuple | list) and index < 0:
                index += len(whole)
            ok = isinstance(index, int) and index >= 0 and has_entry(whole, index)
            return whole[index] if ok else None
        # an entry the list lacks is reported by validation; the value is then unknown
        return whole[value.index] if has_entry(whole, value.index) else None
    return value


def has_entry(whole: Any, index: int) -> bool:
    """Whether list parameter value ``whole`` has entry ``index``."""
    return isinstance(whole, tuple | list) and index < len(whole)


def missing_entry(params: Mapping[str, Any], env: dict[str, Any]) -> bool:
    """Whether a reference to a list entry (``strides[4]``) finds none: the value is unknown
    (validation says why), so nothing can be computed from it."""
    return any(
        isinstance(v, ParamRef)
        and v.index is not None
        and v.param in env
        and not has_entry(env[v.param], v.index)
        for v in params.values()
    )


def resolved(params: Mapping[str, Any], env: dict[str, Any]) -> dict[str, Any]:
    """A node's own values with block parameter references replaced from ``env``; a reference
    to a parameter ``env`` lacks is left out (validation reports it)."""
    return {
        k: resolve(v, env)
        for k, v in params.items()
        if not isinstance(v, ParamRef) or v.param in env
    }


def with_defaults(doc: Document, values: dict[str, Any]) -> Document:
    """A copy of ``doc`` whose block parameters default to ``values`` (a block as a node, or
    as exported with other values, makes the block this way)."""
    doc = doc.copy()
    for p in doc.params:
        if p.name in values:
            doc.replace_block_param(p.name, dataclasses.replace(p, default=values[p.name]))
    return doc


def effective_params(
    specs: tuple[ParamSpec, ...], params: dict[str, Any], env: dict[str, Any]
) -> dict[str, Any]:
    """Every param of a kind: the node's value (resolved) or the schema default."""
    out: dict[str, Any] = {}
    for spec in specs:
        if spec.name in params:
            out[spec.name] = resolve(params[spec.name], env)
        elif not spec.required:
            out[spec.name] = spec.default
    return out


def parse_literal(name: str, text: str) -> Any:
    """A constructor argument of the user's own class: a Python literal, never code."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError(
            f"{name}: {text.strip()!r} is not a Python literal (a number, 'text' in quotes, "
            "True/False/None, a tuple, list or dict)"
        ) from None


def parse_text(text: str, type_: str, name: str = "value", lenient: bool = False) -> Any:
    """A value typed as text for a parameter of ``type_``: Python literals only, never eval.

    ``""`` and ``None`` are None; a ``str`` parameter takes the text as it is. Text that is not a
    literal is an error, unless the type takes any text (choice, any) or ``lenient`` (the CLI's
    ``--set norm_name=batch``), when it is kept as text for the type check to judge.
    """
    text = text.strip()
    if text in ("", "None"):
        return None
    if type_ == "str" and not lenient:
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        if lenient or type_ in ("choice", "any", "str"):
            return text
        raise ValueError(f"{name}: {text!r} is not a value") from None
    if isinstance(value, list):
        value = tuple(value)
    if type_ == "float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return value
