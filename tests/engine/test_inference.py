import pytest
import tensorflow as tf

from blockstudio.core.document import Edge, Node
from blockstudio.engine.inference import ShapeInference


@pytest.fixture
def infer(catalog):
    return ShapeInference(catalog)


def test_unet_shapes(unet, infer):
    r = infer.run(unet)
    assert r.problems == []
    assert r.shapes["conv1"] == (None, 64, 64, 64)
    assert r.shapes["output"] == (None, 64, 64, 64)
    assert r.present["res_conv"] and not r.present["drop1"]


def test_stride_two_halves_even_and_odd_sizes(unet, infer):
    assert infer.run(unet, {"stride": 2}).shapes["output"] == (None, 32, 32, 64)
    unet.set_block_field("input_shape", (None, 33, 33, 32))
    assert infer.run(unet, {"stride": 2}).shapes["output"] == (None, 17, 17, 64)


def test_absent_projection_passes_input_through(unet, infer):
    unet.set_block_field("input_shape", (None, 16, 16, 64))
    r = infer.run(unet)
    assert not r.present["res_conv"] and not r.present["res_norm"]
    assert r.shapes["res_norm"] == (None, 16, 16, 64)
    assert "in_channels != out_channels" in r.absent_reason["res_conv"]


def test_incompatible_add_carries_keras_message(unet, infer):
    # Remove the projection condition's effect: the residual keeps 32 channels, the main path 64.
    for nid in ("res_conv", "res_norm"):
        unet.set_node_field(nid, "condition", "stride != 1")
    (problem,) = infer.run(unet).problems
    assert problem.node_id == "add"
    assert "Add" in problem.message and "32" in problem.message and "64" in problem.message


def test_three_dimensional(unet, infer):
    unet.set_block_field("input_shape", (None, 9, 9, 9, 4))
    r = infer.run(unet, {"spatial_dims": 3, "stride": 2, "out_channels": 8})
    assert r.shapes["output"] == (None, 5, 5, 5, 8)


def test_rank_must_match_spatial_dims(unet, infer):
    unet.set_block_field("input_shape", (None, 64, 32))
    (problem,) = infer.run(unet).problems
    assert problem.param == "input_shape" and "needs 4 dimensions" in problem.message


def test_keras_rejecting_params_is_a_problem_on_the_node(unet, infer):
    unet.add_node(Node("x", "Reshape", "reshape", {"target_shape": (7, 7)}))
    unet.add_edge(Edge("norm2", "x"))
    r = infer.run(unet)
    assert [p.node_id for p in r.problems] == ["x"]
    assert "Reshape" in r.problems[0].message


def test_inference_creates_no_variables(unet, infer):
    created = []

    def creator(next_creator, **kwargs):
        created.append(kwargs.get("name"))
        return next_creator(**kwargs)

    with tf.variable_creator_scope(creator):
        for stride in (1, 2):
            infer.run(unet, {"stride": stride, "norm_name": "batch"})
        unet.set_block_field("input_shape", (None, 8, 8, 8, 3))
        infer.run(unet, {"spatial_dims": 3})
    assert created == []
    # the detector works: building a layer does create variables
    with tf.variable_creator_scope(creator):
        import keras

        keras.layers.Dense(2).build((None, 3))
    assert len(created) == 2
