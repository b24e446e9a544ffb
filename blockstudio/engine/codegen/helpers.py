"""Source text of the padding helpers generated code may need (only those it uses).

The helpers that build a generic kind's layer live with the kind, in ``generic.GENERICS``.
"""

from __future__ import annotations

from blockstudio.core.monai_checks import CHECK_SOURCE

HELPERS: dict[str, str] = {
    "pad": '''def _symmetric_pad(x, kernel_size, stride):
    """Zero-pad spatial axes by (kernel_size - stride + 1) // 2 per side, like MONAI.

    kernel_size and stride are ints or one per spatial axis. Keras's padding="same" pads
    unevenly at stride 2, which gives different numbers.
    """
    pads = _paddings(kernel_size, stride, len(x.shape) - 2)
    if not any(pads):
        return x
    return keras.ops.pad(x, [(0, 0)] + [(p, p) for p in pads] + [(0, 0)])''',
    "padded_shape": '''def _padded_shape(shape, kernel_size, stride):
    """The shape _symmetric_pad gives: each spatial size grows by 2 * its padding."""
    pads = _paddings(kernel_size, stride, len(shape) - 2)
    sizes = [
        None if n is None else n + 2 * p for n, p in zip(shape[1:-1], pads, strict=True)
    ]
    return (shape[0], *sizes, shape[-1])''',
    "paddings": '''def _paddings(kernel_size, stride, spatial):
    """MONAI's padding, (k - s + 1) // 2, for each of ``spatial`` axes."""
    kernel_size = _per_axis(kernel_size, spatial, "kernel_size")
    stride = _per_axis(stride, spatial, "stride")
    return [(k - s + 1) // 2 for k, s in zip(kernel_size, stride, strict=True)]


def _per_axis(value, spatial, name):
    """``value`` once per spatial axis: an int for all, or a tuple with one per axis."""
    if isinstance(value, int):
        return (value,) * spatial
    if len(value) != spatial:
        raise ValueError(
            f"{name} {tuple(value)} has {len(value)} entries; give one per "
            f"spatial axis ({spatial}) or one int for all."
        )
    return tuple(value)''',
    "prefix": '''def _layer_prefix(name, block):
    """The prefix of a functional block's layer names: ``name_``.

    Without a name, the first use of ``block`` has none and the next ones ``block_1_``,
    ``block_2_``, ... (as Keras numbers its layers): one model can use it many times.
    """
    if name is None:
        uses = keras.backend.get_uid(block) - 1
        name = f"{block}_{uses}" if uses else ""
    return f"{name}_" if name else ""''',
    "dynunet": CHECK_SOURCE.rstrip(),
    "all_one": '''def _all_one(value):
    """Whether an int, or every entry of a per-axis tuple, is 1 (as MONAI's
    ``np.all(np.atleast_1d(stride) == 1)``)."""
    if isinstance(value, (tuple, list)):
        return all(v == 1 for v in value)
    return value == 1''',
    "prod_axes": '''def _prod_axes(values):
    """The product, axis by axis, of ints or per-axis tuples (the total stride of
    several levels); an int if all are ints."""
    values = list(values)
    n = max((len(v) for v in values if isinstance(v, (tuple, list))), default=0)
    if not n:
        out = 1
        for v in values:
            out *= v
        return out
    axes = [1] * n
    for v in values:
        for k, s in enumerate(v if isinstance(v, (tuple, list)) else (v,) * n):
            axes[k] *= s
    return tuple(axes)''',
}
