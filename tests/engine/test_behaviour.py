"""The behaviour check of an import: the same weights by path, the same input, the outputs
compared; and which other input size it tries."""

import keras
import numpy as np
import pytest

from blockstudio.engine.behaviour import differences, other_shape, probe, weight_values


@pytest.mark.parametrize(
    ("shape", "other"),
    [
        ((None, 10), (None, 5)),  # token ids: the sequence's length
        ((None, 10, 32), (None, 5, 32)),  # a sequence of vectors: its length, not its width
        ((None, 16, 16, 8), (None, 8, 8, 8)),  # an image: its sides, not its channels
        ((None, 1, 5), None),  # nothing to halve
        (((None, 4, 4, 2), (None, 4, 4, 2)), None),  # several inputs: not tried
    ],
)
def test_the_other_size_halves_the_axes_between_batch_and_channels(shape, other):
    assert other_shape(shape) == other


def test_values_follow_the_path_and_a_variance_stays_positive():
    a = weight_values((4, 3), "block/dense/kernel", "float32")
    assert np.array_equal(a, weight_values((4, 3), "block/dense/kernel", "float32"))
    assert not np.array_equal(a, weight_values((4, 3), "block/dense_1/kernel", "float32"))
    assert (a < 0).any() and (a > 0).any()
    assert (weight_values((8,), "block/norm/moving_variance", "float32") > 0).all()


def _dense(activation):
    keras.backend.clear_session()
    inputs = keras.Input((6,))
    model = keras.Model(inputs, keras.layers.Dense(4, activation=activation, name="d")(inputs))
    return probe(model, (None, 6), lambda path: path.split("/", 1)[-1])


def test_the_same_weights_and_wiring_agree_and_another_activation_does_not():
    linear, again, relu = _dense(None), _dense(None), _dense("relu")
    assert differences(linear["example"], again["example"], "rebuilt") == []
    (said,) = differences(linear["example"], relu["example"], "rebuilt")
    assert said.startswith("rebuilt: computes other values than the original")
