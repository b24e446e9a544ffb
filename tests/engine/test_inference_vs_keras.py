"""Shape inference is as strict as Keras and no stricter, for every kind in the catalog.

For each kind, valid and invalid inputs (ranks 2 to 5, mismatched channels, merges of unequal
shapes, params that Keras refuses only at build) go both to the studio's inference and to a real
Keras call on symbolic inputs; they must agree on accept/refuse and on the output shape.
"""

from __future__ import annotations

import keras
import pytest

from blockstudio.core.catalog import load_catalog
from blockstudio.core.params import effective_params
from blockstudio.engine.generic import keras_layer_for, symmetric_padding
from blockstudio.engine.inference import ShapeInference
from blockstudio.engine.keras_shapes import padded_shape

CATALOG = load_catalog()

# values for required params (by param name, or kind.param)
REQUIRED = {
    "activation": "relu",
    "output_size": 2,
    "rate": 0.2,
    "pool_size": 2,
    "height": 4,
    "width": 4,
    "filters": 4,
    "kernel_size": 3,
    "units": 3,
    "axes": -1,
    "equation": "ab,bc->ac",
    "output_shape": 5,
    "input_dim": 10,
    "output_dim": 4,
    "stddev": 0.1,
    "num_heads": 2,
    "key_dim": 4,
    "dims": (2, 1),
    "factor": 0.2,
    "height_factor": 0.2,
    "width_factor": 0.2,
    "n": 3,
    "scale": 0.5,
    "target_shape": (-1,),
}
# further param sets per kind: values Keras refuses at build, or that change the output
VARIANTS: dict[str, list[dict]] = {
    "Conv2D": [{"groups": 3}, {"groups": 2}],
    "Conv1D": [{"groups": 3}],
    "GroupNormalization": [{"groups": 5}, {"groups": 4}],
    "Softmax": [{"axis": 4}, {"axis": -2}],
    "GRU": [{"return_state": True}, {"return_sequences": True, "return_state": True}],
    "LSTM": [{"return_state": True}],
    "SimpleRNN": [{"return_state": True}],
    "Reshape": [{"target_shape": (2, -1)}, {"target_shape": (5, 7)}],
    "UnitNormalization": [{"axis": (1, 2)}],
    "Dot": [{"axes": 1}, {"axes": (1, 1)}],
    "EinsumDense": [{"equation": "abc,cd->abd", "output_shape": (None, 5)}],
    "Normalization": [{"norm": "group", "groups": 3}, {"norm": "batch"}, {"norm": "layer"}],
    "Dropout": [{"spatial": True}],
    "Concatenate": [{"axis": 1}],
}
SINGLE = [(None, 8), (None, 6, 8), (None, 6, 6, 8), (None, 4, 4, 4, 8), (None, 6, 6, 12)]
MULTI = [
    [(None, 6, 6, 8), (None, 6, 6, 8)],
    [(None, 6, 6, 8), (None, 6, 6, 12)],
    [(None, 14, 14, 8), (None, 16, 16, 8)],
    [(None, 8), (None, 12)],
    [(None, 5, 8), (None, 7, 8)],
    [(None, 5, 8), (None, 5, 8)],
]


def _params(kind: str, variant: dict) -> dict:
    spec = CATALOG.get(kind)
    given = {p.name: REQUIRED[p.name] for p in spec.params if p.required}
    given.update(variant)
    return effective_params(spec.params, given, {})


def _keras_truth(kind: str, params: dict, in_shapes: list) -> tuple | str:
    """What a real Keras call on symbolic inputs says: the output shape, or 'refused'."""
    spec = CATALOG.get(kind)
    shapes = list(in_shapes)
    if spec.generic:
        dims = max(len(shapes[0]) - 2, 1)
        cls, kwargs = keras_layer_for(kind, params, dims)
        if kind == "Convolution" and params["padding"] == "symmetric":
            shapes = [padded_shape(shapes[0], symmetric_padding(3, 1))]
    else:
        cls, kwargs = kind, params
    try:
        layer = getattr(keras.layers, cls)(**kwargs)
        xs = [keras.KerasTensor(s) for s in shapes]
        if spec.call == "args":
            out = layer(*xs)
        elif spec.multi_input:
            out = layer(xs)
        else:
            out = layer(xs[0])
    except Exception:
        return "refused"
    if isinstance(out, list | tuple):
        out = out[0]
    return tuple(out.shape)


def _cases():
    for kind, spec in sorted(CATALOG.kinds.items()):
        if kind in ("Input", "Output"):
            continue
        for variant in [{}, *VARIANTS.get(kind, [])]:
            inputs = MULTI if spec.multi_input else [[s] for s in SINGLE]
            label = ",".join(f"{k}={v}" for k, v in variant.items())
            yield pytest.param(kind, variant, inputs, id=f"{kind}[{label}]")


@pytest.mark.parametrize(("kind", "variant", "inputs"), list(_cases()))
def test_inference_agrees_with_keras(kind, variant, inputs):
    keras.backend.clear_session()
    try:
        params = _params(kind, variant)
    except KeyError as exc:  # a required param without a sample value: the table is incomplete
        pytest.fail(f"no sample value for required param {exc} of {kind}")
    spec = CATALOG.get(kind)
    disagreements = []
    for in_shapes in inputs:
        truth = _keras_truth(kind, params, in_shapes)
        dims = max(len(in_shapes[0]) - 2, 1)
        ours = ShapeInference(CATALOG).output_shape(spec, params, dims, in_shapes)
        ours = "refused" if isinstance(ours, str) else ours
        if ours != truth:
            disagreements.append(f"{in_shapes}: keras {truth}, studio {ours}")
    assert not disagreements, "\n".join(disagreements)
