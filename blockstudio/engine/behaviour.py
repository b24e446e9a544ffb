"""Does an imported block compute what the user's class computes? Its weights may match and its
wiring still differ (an operand order, a call between layers the import did not see, a length
read from the input that became a number). So both are given the same weights, drawn from a
seeded generator keyed by each weight's path in the original, called on the same seeded input,
and their outputs compared; then again on an input of another size the original takes.

What the original gives is kept in its trace (``structure["probe"]``, plain data: each output's
shape, its mean and a seeded sample of its values), so the check needs the original's class only
once, when it is traced.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from blockstudio.core.shapes import InputShape, is_multi

PROBE_SEED = 20261202
SAMPLES = 256  # values kept of each output: a wrong wiring changes nearly all of them
RTOL, ATOL = 1e-4, 1e-5  # float32 sums in another order differ by less


POSITIVE = ("variance", "gamma", "scale")  # what a normalization divides by or multiplies with


def weight_values(shape: tuple[int, ...], key: str, dtype: str) -> np.ndarray:
    """Values for the weight the original calls ``key``: of either sign, a kernel's scaled by
    its fan-in so that deep blocks stay finite; a variance or a scale positive."""
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    if any(word in key.rsplit("/", 1)[-1] for word in POSITIVE):
        return rng.uniform(0.5, 1.5, size=shape).astype(dtype)
    fan = int(np.prod(shape[:-1])) if len(shape) >= 2 else 1
    return (rng.uniform(-1.0, 1.0, size=shape) * np.sqrt(3.0 / max(fan, 1))).astype(dtype)


def set_weights(block: Any, key_of: Callable[[str], str | None]) -> list[str]:
    """Give every float weight of ``block`` its values; the paths ``key_of`` cannot place."""
    unplaced = []
    for w in block.weights:
        dtype = keras.backend.standardize_dtype(w.dtype)
        if not dtype.startswith(("float", "bfloat")):
            continue  # counters and seed states: not what a block computes with
        key = key_of(w.path)
        if key is None:
            unplaced.append(w.path)
            continue
        w.assign(weight_values(tuple(int(d) for d in w.shape), key, dtype))
    return unplaced


def probe_inputs(shape: InputShape) -> Any:
    rng = np.random.default_rng(PROBE_SEED)
    if is_multi(shape):
        return [rng.normal(size=_concrete(s)).astype("float32") for s in shape]
    return rng.normal(size=_concrete(shape)).astype("float32")


def _concrete(shape: Any) -> tuple[int, ...]:
    return tuple(2 if d is None else int(d) for d in shape)


def other_shape(shape: InputShape) -> InputShape | None:
    """An input of another size to try: each axis between the batch and the channels halved
    (an image's sides, a sequence's length; of a sequence of token ids, its length). None when
    there is none to halve."""
    if is_multi(shape) or len(shape) < 2:
        return None
    last = len(shape) - 1 if len(shape) >= 3 else len(shape)
    halved = [d // 2 if isinstance(d, int) and d >= 2 else d for d in shape[1:last]]
    if halved == list(shape[1:last]):
        return None
    return (shape[0], *halved, *shape[last:])


def outputs_of(block: Any, shape: InputShape) -> dict[str, Any]:
    """What ``block`` gives for the probe input of ``shape``: per output its shape, mean and a
    seeded sample of its values (plain data)."""
    out = block(probe_inputs(shape), training=False)
    flat = keras.tree.flatten(out)
    said = []
    for k, tensor in enumerate(flat):
        values = np.asarray(keras.ops.convert_to_numpy(tensor), dtype="float64").ravel()
        rng = np.random.default_rng(PROBE_SEED + k)
        at = np.sort(rng.integers(0, values.size, size=min(SAMPLES, values.size)))
        said.append(
            {
                "shape": [int(d) for d in keras.ops.shape(tensor)],
                "mean": float(values.mean()) if values.size else 0.0,
                "values": [float(v) for v in values[at]],
            }
        )
    return {"input": list(_concrete(shape)) if not is_multi(shape) else None, "outputs": said}


def probe(block: Any, shape: InputShape, key_of: Callable[[str], str | None]) -> dict[str, Any]:
    """Set ``block``'s weights and take its outputs on the example's shape and, when it takes
    one, on another size (``other`` is None when it does not)."""
    set_weights(block, key_of)
    said = {"example": outputs_of(block, shape), "other": None}
    smaller = other_shape(shape)
    if smaller is not None:
        try:
            said["other"] = outputs_of(block, smaller)
        except Exception:  # the original does not take it: nothing to hold the import to
            said["other"] = None
    return said


def differences(want: dict[str, Any], got: dict[str, Any], what: str) -> list[str]:
    """How outputs ``got`` differ from ``want`` ([] when they agree)."""
    a, b = want["outputs"], got["outputs"]
    if len(a) != len(b):
        return [f"{what}: {len(b)} output(s), the original gives {len(a)}"]
    out = []
    for k, (x, y) in enumerate(zip(a, b, strict=True)):
        which = f" output {k}" if len(a) > 1 else ""
        if x["shape"] != y["shape"]:
            out.append(
                f"{what}:{which} shape {tuple(y['shape'])}, the original's is {tuple(x['shape'])}"
            )
            continue
        wanted, given = np.asarray(x["values"]), np.asarray(y["values"])
        scale = max(1.0, float(np.nanmax(np.abs(wanted))) if wanted.size else 1.0)
        if not np.allclose(given, wanted, rtol=RTOL, atol=ATOL * scale, equal_nan=True):
            worst = float(np.abs(given - wanted).max())
            out.append(
                f"{what}:{which} computes other values than the original with the same weights "
                f"(off by up to {worst:.3g}; mean {y['mean']:.6g}, the original's {x['mean']:.6g})"
            )
    return out
