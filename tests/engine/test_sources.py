"""Source nodes: a weight of the block's own (``self.add_weight``) and a position range
(``keras.ops.arange``) feed ops as an Input does. Drawn, inferred, exported and run with the
real Keras; and required constructor arguments stay required in the exported class."""

import keras
import numpy as np
import pytest

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.project import load_document, save_document
from blockstudio.core.validate import validate
from blockstudio.engine.codegen import CodegenError, generate_code
from blockstudio.engine.inference import ShapeInference
from blockstudio.engine.loader import load_generated
from blockstudio.engine.tracer import RunSpec, run_trace


def layer_scale(shape=(None, 8, 8, 32), required=True, lifecycle="build"):
    """ConvNeXt's LayerScale drawn: x * gamma, gamma made with add_weight."""
    return Document(
        "LayerScale",
        shape,
        [
            BlockParam("init_values", "float", 1e-6, required=required),
            BlockParam("projection_dim", "int", 32, required=required),
        ],
        "",
        [
            Node("input", "Input", "input"),
            Node(
                "g",
                "Weight",
                "gamma",
                {
                    "shape": ParamRef("projection_dim"),
                    "initializer": "constant",
                    "value": ParamRef("init_values"),
                },
                lifecycle,
            ),
            Node("m", "Multiply", "scale"),
            Node("output", "Output", "output"),
        ],
        [Edge("input", "m", 0), Edge("g", "m", 1), Edge("m", "output", 0)],
    )


def position_embedding(length=10):
    """keras-io's TokenAndPositionEmbedding drawn: token ids + positions, each embedded."""
    return Document(
        "TokenAndPosition",
        (None, length),
        [],
        "",
        [
            Node("input", "Input", "input"),
            Node("tok", "Embedding", "token_emb", {"input_dim": 16, "output_dim": 8}),
            Node("pos", "Range", "positions", {"stop": length}),
            Node("pemb", "Embedding", "pos_emb", {"input_dim": length, "output_dim": 8}),
            Node("add", "Add", "add"),
            Node("output", "Output", "output"),
        ],
        [
            Edge("input", "tok", 0),
            Edge("pos", "pemb", 0),
            Edge("tok", "add", 0),
            Edge("pemb", "add", 1),
            Edge("add", "output", 0),
        ],
    )


def _module(doc, catalog, style):
    keras.backend.clear_session()
    return load_generated(generate_code(doc, catalog, style), style)


@pytest.mark.parametrize("style", ["build", "init"])
def test_a_weight_of_the_block_exists_after_build_and_scales_the_input(catalog, style, tmp_path):
    doc = layer_scale()
    cls = _module(doc, catalog, style).LayerScale
    block = cls(init_values=0.5, projection_dim=32)
    block.build((None, 8, 8, 32))
    assert [(w.path, tuple(w.shape)) for w in block.weights] == [("layer_scale/gamma", (32,))]
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 32)).astype("float32")
    np.testing.assert_allclose(np.asarray(block(x)), x * 0.5, rtol=1e-6)
    # config and .keras round trips, in safe mode
    again = cls.from_config(block.get_config())
    again.build((None, 8, 8, 32))
    assert len(again.weights) == 1
    inp = keras.Input((8, 8, 32))
    model = keras.Model(inp, block(inp))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)


def test_a_required_argument_has_no_default_in_the_exported_class(catalog):
    doc = layer_scale()
    source = generate_code(doc, catalog, "build")
    assert "def __init__(self, init_values, projection_dim, **kwargs):" in source
    cls = _module(doc, catalog, "build").LayerScale
    with pytest.raises(TypeError, match="init_values"):
        cls()
    # the studio runs it with the example's values
    trace = run_trace(doc, catalog, RunSpec(style="build", calls=1))
    assert trace.error is None and trace.total_params == 32
    # the timeline puts the block's add_weight on the Weight node's card
    (made,) = trace.of_type("weight")
    assert (made.node, made.data["name"], made.data["params"]) == ("g", "gamma", 32)


def test_required_survives_the_project_file(catalog, tmp_path):
    path = tmp_path / "scale.bsblock"
    save_document(layer_scale(), path)
    doc = load_document(path, catalog)
    assert [p.required for p in doc.params] == [True, True]
    assert [p.default for p in doc.params] == [1e-6, 32]


def test_the_functional_style_refuses_a_weight_of_the_block_by_name(catalog):
    with pytest.raises(CodegenError, match="gamma is a weight of the block's own"):
        generate_code(layer_scale(), catalog, "functional")


def test_shapes_broadcast_a_weight_onto_the_batch(catalog):
    result = ShapeInference(catalog).run(layer_scale(), count_params=True)
    assert result.shapes["g"] == (32,)
    assert result.shapes["m"] == (None, 8, 8, 32)
    assert result.param_counts["g"] == 32
    wrong = ShapeInference(catalog).run(layer_scale(), values={"projection_dim": 16})
    (problem,) = [p for p in wrong.problems if p.node_id == "m"]
    assert "do not broadcast" in problem.message and "32 and 16" in problem.message


def test_a_source_node_has_no_input_port_and_needs_none(catalog):
    doc = layer_scale()
    assert validate(doc, catalog) == []
    doc.add_edge(Edge("input", "g", 0))
    said = [p.message for p in validate(doc, catalog)]
    assert "gamma (Weight) has no input port." in said


@pytest.mark.parametrize("style", ["build", "init"])
def test_positions_feed_an_embedding_and_every_weight_exists_after_build(catalog, style):
    doc = position_embedding()
    assert ShapeInference(catalog).run(doc).shapes["add"] == (None, 10, 8)
    block = _module(doc, catalog, style).TokenAndPosition()
    block.build((None, 10))
    assert sorted(w.path for w in block.weights) == [
        "token_and_position/pos_emb/embeddings",
        "token_and_position/token_emb/embeddings",
    ]
    ids = np.arange(20).reshape(2, 10) % 16
    out = np.asarray(block(ids))
    want = np.asarray(block.token_emb(ids)) + np.asarray(block.pos_emb(np.arange(10)))
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_the_functional_style_refuses_a_range_plainly(catalog):
    with pytest.raises(CodegenError, match="positions is a range"):
        generate_code(position_embedding(), catalog, "functional")


def _following(doc, axis):
    pos = doc.nodes["pos"]
    params = {k: v for k, v in pos.params.items() if k != "stop"}
    doc.set_param("pos", "stop_axis", axis)
    doc.remove_param("pos", "stop")
    assert params.keys() <= doc.nodes["pos"].params.keys()
    return doc


@pytest.mark.parametrize("style", ["build", "init"])
def test_positions_as_long_as_the_input_take_any_length(catalog, style):
    doc = _following(position_embedding(), -1)
    assert validate(doc, catalog) == []
    assert ShapeInference(catalog).run(doc).shapes["pos"] == (10,)
    doc.set_block_field("input_shape", (None, None))  # any length: known when called
    result = ShapeInference(catalog).run(doc)
    assert result.problems == [] and result.shapes["pos"] == (None,)
    block = _module(doc, catalog, style).TokenAndPosition()
    block.build((None, None))
    assert len(block.weights) == 2  # every weight exists after build(shape)
    for n in (10, 4):
        ids = np.arange(2 * n).reshape(2, n) % 16
        want = np.asarray(block.token_emb(ids)) + np.asarray(block.pos_emb(np.arange(n)))
        np.testing.assert_allclose(np.asarray(block(ids)), want, rtol=1e-6)


@pytest.mark.parametrize(
    ("axis", "says"),
    [(0, "stop_axis 0 is the batch axis"), (2, "stop_axis 2 is not an axis of the input")],
)
def test_a_range_following_no_axis_of_the_input_says_which(catalog, axis, says):
    doc = _following(position_embedding(), axis)
    (problem,) = ShapeInference(catalog).run(doc).problems
    assert problem.node_id == "pos" and says in problem.message
