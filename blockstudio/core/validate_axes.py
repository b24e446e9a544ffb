"""Per-axis values: a kernel size or stride that is an int, or one int per spatial axis."""

from __future__ import annotations

from typing import Any

from blockstudio.core.document import Document, ParamRef
from blockstudio.core.shapes import first_shape

# the parameters of the generic kinds that take an int or one per spatial axis
PER_AXIS = {
    "Convolution": ("kernel_size", "strides"),
    "TransposedConvolution": ("kernel_size", "strides"),
    "Upsample": ("size",),
}


def axes_problem(
    doc: Document, spec: Any, key: str, given: Any, value: Any, env: dict[str, Any]
) -> str | None:
    """Why a per-axis value (``kernel_size=(1, 3, 3)``) does not fit the block's spatial axes:
    one int each, as many as ``spatial_dims``; named after the block parameter it follows."""
    if key not in PER_AXIS.get(spec.kind, ()) or not isinstance(value, tuple):
        return None
    name = f"{key} (block parameter {given})" if isinstance(given, ParamRef) else key
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return f"{name} must be an int or one int per spatial axis, not {value!r}."
    dims = env.get("spatial_dims")
    if not isinstance(dims, int) or isinstance(dims, bool):
        first = first_shape(doc.input_shape)
        dims = len(first) - 2 if len(first) > 2 else None
    if dims is None or len(value) == dims:
        return None
    follows = given.param if isinstance(given, ParamRef) and given.index is None else None
    shown = follows or key
    return (
        f"{shown} {value} has {len(value)} entries, but spatial_dims is {dims}: give one per "
        f"spatial axis, or one int for all"
        + (f" ({key} of this node follows it)." if follows and follows != key else ".")
    )
