"""Parsing and formatting tensor shape text such as ``(None, 64, 64, 32)``."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
