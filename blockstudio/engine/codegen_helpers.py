"""Source text of the small helper functions generated code may need (only those it uses)."""

from __future__ import annotations

HELPERS: dict[str, str] = {
    "pad": '''def _symmetric_pad(x, kernel_size, stride):
    """Zero-pad spatial axes by (kernel_size - stride + 1) // 2 per side, like MONAI.

    Keras's padding="same" pads unevenly at stride 2, which gives different numbers.
    """
    pad = (kernel_size - stride + 1) // 2
    if pad == 0:
        return x
    spatial = len(x.shape) - 2
    return keras.ops.pad(x, [(0, 0)] + [(pad, pad)] * spatial + [(0, 0)])''',
    "padded_shape": '''def _padded_shape(shape, kernel_size, stride):
    """The shape _symmetric_pad gives: each spatial size grows by 2 * padding."""
    pad = (kernel_size - stride + 1) // 2
    sizes = [None if size is None else size + 2 * pad for size in shape[1:-1]]
    return (shape[0], *sizes, shape[-1])''',
    "Convolution": '''def _conv(
    spatial_dims,
    filters,
    kernel_size,
    strides=1,
    padding="valid",
    use_bias=False,
    name=None,
):
    """A Conv1D, Conv2D or Conv3D layer for ``spatial_dims``; no bias, as MONAI's."""
    conv = {1: keras.layers.Conv1D, 2: keras.layers.Conv2D, 3: keras.layers.Conv3D}
    return conv[spatial_dims](
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=use_bias,
        name=name,
    )''',
    "Normalization": '''def _norm(norm, epsilon=1e-5, groups=8, momentum=0.9, name=None):
    """Batch, instance, group or layer normalization over the channel axis.

    epsilon=1e-5 and momentum=0.9 match PyTorch (its momentum 0.1 is Keras's 0.9).
    """
    if norm == "batch":
        return keras.layers.BatchNormalization(
            epsilon=epsilon, momentum=momentum, name=name
        )
    if norm == "instance":
        return keras.layers.GroupNormalization(groups=-1, epsilon=epsilon, name=name)
    if norm == "group":
        return keras.layers.GroupNormalization(
            groups=groups, epsilon=epsilon, name=name
        )
    if norm == "layer":
        return keras.layers.LayerNormalization(epsilon=epsilon, name=name)
    raise ValueError(f"Unknown norm {norm!r}; use batch, instance, group or layer.")''',
    "Pooling": '''def _pool(
    spatial_dims, pool="max", pool_size=2, strides=None, padding="valid", name=None
):
    """Max or average pooling over ``spatial_dims`` axes."""
    kind = {"max": "MaxPooling", "avg": "AveragePooling"}[pool]
    layer = getattr(keras.layers, f"{kind}{spatial_dims}D")
    return layer(pool_size=pool_size, strides=strides, padding=padding, name=name)''',
    "Dropout": '''def _dropout(spatial_dims, rate=0.1, spatial=False, name=None):
    """Dropout, or spatial dropout of whole channels over ``spatial_dims`` axes."""
    if spatial:
        layer = getattr(keras.layers, f"SpatialDropout{spatial_dims}D")
        return layer(rate, name=name)
    return keras.layers.Dropout(rate, name=name)''',
}

# Arguments passed by position (the rest by keyword, only when the node sets them).
POSITIONAL = {
    "Convolution": ("filters", "kernel_size"),
    "Normalization": ("norm",),
    "Pooling": ("pool",),
    "Dropout": ("rate",),
}

HELPER_NAMES = {
    "Convolution": "_conv",
    "Normalization": "_norm",
    "Pooling": "_pool",
    "Dropout": "_dropout",
}
