"""Parsing and formatting tensor shape text such as ``(None, 64, 64, 32)``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class ShapeError(ValueError):
    """A shape text that cannot be read; ``position`` is the 0-based index of the bad part."""

    message: str
    text: str
    position: int | None = None

    def __str__(self) -> str:
        return self.message


_X_FORM = re.compile(r"^\s*\d+(\s*[xX×]\s*\d+)+\s*$")


def parse_shape(text: str) -> Shape:
    """Read a shape with a leading batch dimension (None is added when it is left out).

    Accepts ``(None, 64, 64, 32)``, ``[None, 64, 64, 32]``, ``64, 64, 32`` and ``64x64x32``.
    """
    src = text.strip()
    if not src:
        raise ShapeError("Shape is empty; write it like (None, 64, 64, 32).", text)
    if _X_FORM.match(src):
        parts = re.split(r"\s*[xX×]\s*", src)
        explicit_batch = False
    else:
        body = src
        bracketed = body[0] in "([" or body[-1] in ")]"
        if bracketed:
            pairs = {"(": ")", "[": "]"}
            if body[0] not in pairs or body[-1] != pairs[body[0]]:
                raise ShapeError(f"Unbalanced brackets in shape {src!r}.", text)
            body = body[1:-1]
        parts = [p.strip() for p in body.split(",")]
        if parts and parts[-1] == "" and len(parts) > 1:
            parts = parts[:-1]  # a trailing comma, as in (32,)
        if parts == [""]:
            raise ShapeError("Shape () has no dimensions; give at least one size.", text)
        explicit_batch = bracketed
    dims: list[int | None] = []
    for i, part in enumerate(parts):
        dims.append(_parse_dim(part, i, text, allow_none=True))
    if explicit_batch:
        if len(dims) < 2:
            raise ShapeError(
                f"Shape {src} has only a batch dimension; add the feature sizes, "
                "e.g. (None, 64, 64, 32).",
                text,
            )
        batch, features = dims[0], dims[1:]
    else:
        batch, features = None, dims
    for i, d in enumerate(features):
        if d is None:
            pos = i + (1 if explicit_batch else 0)
            raise ShapeError(
                f"Dimension {pos + 1} is None; only the batch dimension may be None.", text, pos
            )
    return (batch, *features)


def _parse_dim(part: str, index: int, text: str, allow_none: bool) -> int | None:
    if part == "":
        raise ShapeError(f"Dimension {index + 1} is empty.", text, index)
    if part in ("None", "none", "?", "-1") and allow_none:
        return None if part != "-1" else _negative(part, index, text)
    try:
        value = int(part)
    except ValueError:
        try:
            float(part)
        except ValueError:
            raise ShapeError(
                f"Dimension {index + 1} is {part!r}; sizes must be whole numbers or None.",
                text,
                index,
            ) from None
        raise ShapeError(
            f"Dimension {index + 1} is {part}; sizes must be whole numbers, not fractions.",
            text,
            index,
        ) from None
    if value <= 0:
        return _negative(part, index, text)
    return value


def _negative(part: str, index: int, text: str) -> int:
    raise ShapeError(f"Dimension {index + 1} is {part}; sizes must be positive.", text, index)


def format_shape(shape: Shape | None) -> str:
    """Render a shape as Keras prints it: ``(None, 64, 64, 32)``."""
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# A block with several Input nodes is called on a list and built with a list of shapes, as
# Keras's merge layers are: ``((None, 8, 8, 64), (None, 16, 16, 32))``.
InputShape = Shape | tuple[Shape, ...]


def broadcast_shapes(shapes: list[Shape]) -> Shape | str:
    """The shape ``a + b`` gives for tensors of these shapes (NumPy's rule, from the last axis;
    None, the batch, takes the other's size), or why they do not broadcast."""
    rank = max(len(s) for s in shapes)
    out: list[int | None] = []
    for axis in range(-rank, 0):
        sizes = [s[axis] for s in shapes if len(s) >= -axis]
        known = list(dict.fromkeys(d for d in sizes if d is not None and d != 1))
        if len(known) > 1:
            said = " and ".join(format_shape(s) for s in shapes)
            return f"{said} do not broadcast: axis {axis} is {' and '.join(map(str, known))}."
        if known:
            out.append(known[0])
        else:
            out.append(None if None in sizes else 1)
    return tuple(out)


def is_multi(shape: InputShape | None) -> bool:
    """True for a list of shapes (a block with several inputs)."""
    return bool(shape) and all(isinstance(s, tuple | list) for s in shape)  # type: ignore[union-attr]


def as_input_shape(value: Any) -> InputShape:
    """Lists from JSON as tuples: one shape, or a tuple of shapes."""
    if is_multi(value):
        return tuple(tuple(s) for s in value)
    return tuple(value)


def input_shapes(shape: InputShape) -> list[Shape]:
    """The shapes of every input, in the order the block is called with them."""
    return [tuple(s) for s in shape] if is_multi(shape) else [tuple(shape)]  # type: ignore[misc]


def first_shape(shape: InputShape) -> Shape:
    """The first input's shape: ``in_channels`` is its last size."""
    return input_shapes(shape)[0] if shape else ()


def parse_input_shape(text: str) -> InputShape:
    """One shape, or several separated by commas: ``(None, 8, 8, 64), (None, 16, 16, 32)``
    (also inside one pair of outer brackets). A problem in the second says ``Input 2``."""
    groups = _top_level_groups(text.strip())
    if len(groups) < 2:
        return parse_shape(text)
    shapes = []
    for i, group in enumerate(groups):
        try:
            shapes.append(parse_shape(group))
        except ShapeError as exc:
            raise ShapeError(f"Input {i + 1}: {exc.message}", text, exc.position) from None
    return tuple(shapes)


def _top_level_groups(src: str) -> list[str]:
    """The bracketed groups of ``(a), (b)`` or ``[(a), (b)]``; [] when it is one plain shape."""
    if len(src) > 1 and src[0] == "[" and src[-1] == "]" and src[1:].lstrip()[:1] in "([":
        inner = src[1:-1].strip()
        if inner[:1] in ("(", "["):
            src = inner
    groups: list[str] = []
    depth, start = 0, None
    for i, ch in enumerate(src):
        if ch in "([":
            if depth == 0:
                start = i
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth == 0 and start is not None:
                groups.append(src[start : i + 1])
                start = None
        elif depth == 0 and ch not in ", \t":
            return []  # a bare dimension outside brackets: a plain shape such as 64, 64, 32
    return groups if depth == 0 else []


def format_input_shape(shape: InputShape | None) -> str:
    """One shape as :func:`format_shape`, several joined by commas."""
    if shape is None:
        return "?"
    return ", ".join(format_shape(s) for s in input_shapes(shape))


def per_sample(shape: InputShape) -> InputShape:
    """Without the batch axis, as ``keras.Input(shape=...)`` takes it (each, for several)."""
    shapes = [s[1:] for s in input_shapes(shape)]
    return tuple(shapes) if is_multi(shape) else shapes[0]


def with_channels(shape: InputShape, channels: int, batch: int | None = None) -> InputShape:
    """``shape`` with the first input's channels (and, if given, every batch size) replaced."""
    out = []
    for i, s in enumerate(input_shapes(shape)):
        s = (batch, *s[1:]) if batch is not None else s
        out.append((*s[:-1], channels) if i == 0 else s)
    return tuple(out) if is_multi(shape) else out[0]
