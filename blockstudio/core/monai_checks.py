"""MONAI's DynUNet argument checks, with MONAI's messages, and the depth an export builds.

A block whose parameters are DynUNet's (``kernel_size``, ``strides``, ``upsample_kernel_size``,
``filters``, ``deep_supervision``, ``deep_supr_num``) is drawn for a number of levels: its nodes
read ``strides[0]`` to ``strides[n - 1]``. The exported class refuses, with a ``ValueError``,
what MONAI refuses (in MONAI's words) and any other depth than the one it builds, never making a
network of another depth than asked. :func:`check_dynunet_args` is written into the exported
module as it is (its source), and validation calls the same function on the block's values.
"""

from __future__ import annotations

import inspect
from typing import Any

from blockstudio.core.document import Document, ParamRef

DYNUNET_ARGS = (
    "spatial_dims",
    "kernel_size",
    "strides",
    "upsample_kernel_size",
    "filters",
    "deep_supervision",
    "deep_supr_num",
)


ANY_DEPTH = -1  # a DynUNet drawn with repeats builds the depth strides asks for


def dynunet_levels(doc: Document) -> int | None:
    """The levels ``doc`` builds if it takes DynUNet's arguments (one per ``strides[i]`` its
    nodes read; :data:`ANY_DEPTH` when its levels are repeated nodes), else None."""
    if any(doc.param(name) is None for name in DYNUNET_ARGS):
        return None
    if any(node.repeat is not None for node in doc.nodes.values()):
        return ANY_DEPTH
    read = [
        v.index
        for node in doc.nodes.values()
        for v in node.params.values()
        if isinstance(v, ParamRef) and v.param == "strides" and type(v.index) is int
    ]
    return max(read) + 1 if read else None


# written into exported modules as it is: kept to their 88 columns
# fmt: off
def check_dynunet_args(
    spatial_dims,
    kernel_size,
    strides,
    upsample_kernel_size,
    filters,
    deep_supervision,
    deep_supr_num,
    levels=None,
):
    """MONAI's DynUNet checks, in its words; then the depth this code builds (if it is
    fixed)."""
    if len(kernel_size) != len(strides) or len(kernel_size) < 3:
        raise ValueError(
            "length of kernel_size and strides should be the same, and no less than 3."
        )
    for idx, (kernel, stride) in enumerate(zip(kernel_size, strides, strict=True)):
        if not isinstance(kernel, int) and len(kernel) != spatial_dims:
            raise ValueError(
                f"length of kernel_size in block {idx} should be the same as "
                "spatial_dims."
            )
        if not isinstance(stride, int) and len(stride) != spatial_dims:
            raise ValueError(
                f"length of stride in block {idx} should be the same as spatial_dims."
            )
    if filters is not None and len(filters) < len(strides):
        raise ValueError(
            "length of filters should be no less than the length of strides."
        )
    if deep_supervision and deep_supr_num >= len(strides) - 1:
        raise ValueError(
            "deep_supr_num should be less than the number of up sample layers."
        )
    if deep_supervision and deep_supr_num < 1:
        raise ValueError("deep_supr_num should be larger than 0.")
    if levels is not None and len(strides) != levels:
        raise ValueError(
            f"This DynUNet is written for {levels} levels, and strides asks for "
            f"{len(strides)}: export it again with {len(strides)} levels."
        )
    if len(upsample_kernel_size) != len(strides) - 1:
        raise ValueError(
            f"upsample_kernel_size needs {len(strides) - 1} entries (one per up "
            f"sample layer), not {len(upsample_kernel_size)}."
        )


# fmt: on


CHECK_SOURCE = inspect.getsource(check_dynunet_args).replace(
    "def check_dynunet_args(", "def _check_dynunet_args(", 1
)


def dynunet_problem(doc: Document, env: dict[str, Any]) -> str | None:
    """What MONAI (or this block's depth) refuses in the block's values ``env``, or None."""
    levels = dynunet_levels(doc)
    if levels is None:
        return None
    try:
        depth = None if levels == ANY_DEPTH else levels
        check_dynunet_args(*(env.get(name) for name in DYNUNET_ARGS), depth)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None
