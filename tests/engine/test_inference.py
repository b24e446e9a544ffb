import pytest
import tensorflow as tf

from blockstudio.core.document import Document, Edge, Node
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
            infer.run(unet, {"stride": stride, "norm_name": "batch"}, count_params=True)
        unet.set_block_field("input_shape", (None, 8, 8, 8, 3))
        infer.run(unet, {"spatial_dims": 3}, count_params=True)
    assert created == []
    # the detector works: building a layer does create variables
    with tf.variable_creator_scope(creator):
        import keras

        keras.layers.Dense(2).build((None, 3))
    assert len(created) == 2


def test_parameter_counts_are_keras_own(unet, catalog, unet_trace):
    result = ShapeInference(catalog).run(unet, count_params=True)
    # what the real run created, per node: the counts the canvas shows must be the same
    made: dict[str, int] = {}
    for e in unet_trace.of_type("weight"):
        made[e.node] = made.get(e.node, 0) + e.data["params"]
    counted = {nid: n for nid, n in result.param_counts.items() if n}
    assert counted == made
    assert result.param_counts["lrelu"] == 0 and "lrelu_out" not in result.param_counts


def test_parameter_counts_of_layers_a_name_cannot_tell(catalog):
    import keras

    doc = Document(
        "Rnn",
        (None, 5, 8, 8, 3),
        nodes=[
            Node("in", "Input", "input"),
            Node("lstm", "ConvLSTM2D", "lstm", {"filters": 4, "kernel_size": 3}),
            Node("out", "Output", "output"),
        ],
        edges=[Edge("in", "lstm"), Edge("lstm", "out")],
    )
    result = ShapeInference(catalog).run(doc, count_params=True)
    layer = keras.layers.ConvLSTM2D(4, 3)
    layer.build((None, 5, 8, 8, 3))
    assert result.param_counts["lstm"] == layer.count_params() == 1024


def test_counting_leaves_no_variables_for_keras_to_make_later(unet, infer):
    from keras.src.backend.common import global_state

    infer.run(unet, {"norm_name": "batch"}, count_params=True)
    assert not global_state.get_global_attribute("uninitialized_variables", [])


def _reshape(target_shape):
    return Document(
        "R",
        (None, 4, 4, 4, 16),
        nodes=[
            Node("input", "Input", "input"),
            Node("r", "Reshape", "flatten", {"target_shape": target_shape}),
            Node("output", "Output", "output"),
        ],
        edges=[Edge("input", "r"), Edge("r", "output")],
    )


def test_reshape_takes_one_minus_one_as_keras_does(infer, catalog):
    from blockstudio.core.validate import validate

    doc = _reshape((-1, 16))  # keras-io's TubeletEmbedding flattens its patches so
    assert validate(doc, catalog) == []
    assert infer.run(doc).shapes["r"] == (None, 64, 16)


def test_keras_refusal_reads_as_one_plain_sentence(infer):
    (problem,) = infer.run(_reshape((5, 7))).problems
    assert problem.message == (
        "Reshape: The total size of the tensor must be unchanged. "
        "Received: input_shape=(4, 4, 4, 16), target_shape=(5, 7)"
    )
    (problem,) = infer.run(_reshape((-1, -1))).problems
    assert "at most one unknown dimension (-1)" in problem.message
