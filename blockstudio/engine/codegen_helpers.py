"""Source text of the padding helpers generated code may need (only those it uses).

The helpers that build a generic kind's layer live with the kind, in ``generic.GENERICS``.
"""

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
    "prefix": '''def _layer_prefix(name, block):
    """The prefix of a functional block's layer names: ``name_``.

    Without a name, the first use of ``block`` has none and the next ones ``block_1_``,
    ``block_2_``, ... (as Keras numbers its layers): one model can use it many times.
    """
    if name is None:
        uses = keras.backend.get_uid(block) - 1
        name = f"{block}_{uses}" if uses else ""
    return f"{name}_" if name else ""''',
}
