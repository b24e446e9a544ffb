"""Blocks as nodes: validation, shapes, code, traces and engine requests through nesting."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.library import BlockLibrary, blocks_payload
from blockstudio.core.project import document_to_json, load_document, save_document
from blockstudio.core.timeline import layout_trace
from blockstudio.core.validate import validate
from blockstudio.engine.codegen import STYLES, CodegenError, generate_code
from blockstudio.engine.inference import ShapeInference
from blockstudio.engine.loader import load_generated
from blockstudio.engine.service import Service
from blockstudio.engine.tracer import RunSpec, run_trace
from tests.engine.helpers import build_parents, output_shape_in_plain_python, ruff_problems
from tests.nesting import encoder, encoder_file, two_levels


@pytest.fixture
def lib_catalog(catalog, tmp_path):
    return catalog.with_library(BlockLibrary(base=tmp_path))


def _build(doc, catalog, style, x):
    keras.backend.clear_session()  # fresh auto-names: weight paths start at the block's name
    module = load_generated(generate_code(doc, catalog, style), style)
    if style == "functional":
        return module.build_model(doc.input_shape[1:])
    cls = getattr(module, doc.name)
    if style == "init" and "in_channels" in cls.__init__.__code__.co_varnames:
        block = cls(in_channels=doc.input_shape[-1])
    else:
        block = cls()
    block.build((None, *x.shape[1:]))
    return block


def test_problems_inside_a_block_are_reported_on_its_node_with_the_inner_path(lib_catalog):
    doc = two_levels()
    assert validate(doc, lib_catalog) == []
    doc.set_param("b2", "stride", 0)
    messages = [(p.node_id, p.message) for p in validate(doc, lib_catalog)]
    assert ("b2", "down2 › conv1.strides: strides must be at least 1, not 0.") in messages


def test_a_missing_block_file_is_named_and_the_project_still_opens(lib_catalog, tmp_path):
    doc = encoder("file:nowhere.json")
    path = tmp_path / "encoder.json"
    save_document(doc, path)
    again = load_document(path, lib_catalog)  # loading reads no block file
    problems = [p for p in validate(again, lib_catalog) if p.node_id == "s1"]
    assert problems and "nowhere" in problems[0].message and "cannot be read" in problems[0].message


def test_a_block_cannot_contain_itself_directly_or_through_another_file(lib_catalog, tmp_path):
    a = Document("A", nodes=[Node("in", "Input", "input"), Node("o", "Output", "output")])
    a.add_node(Node("b", "file:b.json", "b"))
    b = Document("B", nodes=[Node("in", "Input", "input"), Node("o", "Output", "output")])
    b.add_node(Node("a", "file:a.json", "a"))
    save_document(a, tmp_path / "a.json")
    save_document(b, tmp_path / "b.json")
    outer = encoder("file:a.json")
    problems = [p for p in validate(outer, lib_catalog) if p.code == "bad_block"]
    assert problems[0].message == "A block cannot contain itself: a › b › a."
    with pytest.raises(CodegenError, match="cannot contain itself"):
        generate_code(outer, lib_catalog)


def test_shapes_and_keras_counts_flow_through_nested_blocks(lib_catalog, tmp_path):
    _, kind = encoder_file(tmp_path)
    doc = encoder(kind)
    result = ShapeInference(lib_catalog).run(doc, count_params=True)
    assert result.problems == []
    x = np.zeros((1, 12, 12, 3), "float32")
    block = _build(doc, lib_catalog, "build", x)
    assert result.shapes["out"] == (None, *block(x).shape[1:])  # 4 + 3, then 6 + 7 channels
    assert result.shapes["s1"] == (None, 12, 12, 7)
    assert result.param_counts["s1"] + result.param_counts["s2"] == block.count_params()
    assert result.inner["s1"].inner["res"].input_shape == (None, 12, 12, 3)
    assert result.inner["s2"].shapes["res"] == (None, 12, 12, 6)


def test_a_shape_error_inside_names_the_path(lib_catalog):
    doc = two_levels()
    doc.set_param("b2", "kernel_size", 4)  # even kernel, stride 2: the residual sum misaligns
    problems = ShapeInference(lib_catalog).run(doc).problems
    assert problems[0].node_id == "b2"
    assert problems[0].message.startswith("down2 › add: Add: Inputs have incompatible shapes")


@pytest.mark.parametrize("style", STYLES)
def test_one_module_holds_each_class_once_dependencies_first(lib_catalog, tmp_path, style):
    _, kind = encoder_file(tmp_path)
    source = generate_code(encoder(kind), lib_catalog, style)
    assert ruff_problems(source, tmp_path) == ""
    assert source.count("class UnetResBlock(") == 1
    assert source.count("class Stage(") == 1
    assert source.index("class UnetResBlock(") < source.index("class Stage(")
    outer = "def encoder(" if style == "functional" else "class Encoder("
    assert source.index("class Stage(") < source.index(outer)


def test_three_styles_agree_and_build_makes_every_weight(lib_catalog, tmp_path):
    _, kind = encoder_file(tmp_path)
    doc = encoder(kind)
    x = np.random.default_rng(0).normal(size=(2, 12, 12, 3)).astype("float32")
    ref = _build(doc, lib_catalog, "build", x)
    built = len(ref.weights)  # after build(), before any call: Keras's build() contract
    rng = np.random.default_rng(1)
    for v in ref.weights:
        values = rng.normal(size=tuple(v.shape)).astype("float32") * 0.3
        v.assign(np.abs(values) + 0.5 if "variance" in v.path else values)
    expected = np.asarray(ref(x, training=False))
    assert len(ref.weights) == built
    paths = {w.path for w in ref.weights}
    assert "encoder/stage2/res/conv1/kernel" in paths
    for style in ("init", "functional"):
        other = _build(doc, lib_catalog, style, x)
        other.set_weights(ref.get_weights())
        np.testing.assert_allclose(other(x, training=False), expected, atol=1e-5, err_msg=style)


def test_nested_block_saves_and_loads_in_safe_mode_without_warnings(lib_catalog, tmp_path):
    doc = two_levels()
    module = load_generated(generate_code(doc, lib_catalog, "build"), "build")
    block = module.TwoLevels(width=10)
    inputs = keras.Input((16, 16, 8))
    model = keras.Model(inputs, block(inputs))
    x = np.random.default_rng(2).normal(size=(2, 16, 16, 8)).astype("float32")
    path = tmp_path / "nested.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(block).from_config(block.get_config()).get_config() == block.get_config()


def test_init_style_refuses_clearly_when_it_cannot_know_the_channels(lib_catalog):
    doc = two_levels()
    doc.add_node(Node("flat", "Reshape", "flat", {"target_shape": (16, 16, 8)}))
    doc.remove_edge(next(e for e in doc.edges if e.dst == "b1"))
    doc.add_edge(Edge("in", "flat"))
    doc.add_edge(Edge("flat", "b1"))
    with pytest.raises(CodegenError, match="cannot tell how many channels reach down1"):
        generate_code(doc, lib_catalog, "init")
    assert "class TwoLevels(" in generate_code(doc, lib_catalog, "build")


def test_the_trace_shows_builds_nested_as_deep_as_they_happen(lib_catalog, tmp_path):
    _, kind = encoder_file(tmp_path)
    trace = run_trace(encoder(kind), lib_catalog, RunSpec(style="build"))
    parents = build_parents(trace, "stage2/res/conv1")
    assert parents[:3] == ["stage2/res", "stage2", "encoder"]
    weights = [e for e in trace.events if e.type == "weight" and e.layer == "stage2/res/conv1"]
    assert weights and weights[0].path == "encoder/stage2/res/conv1/kernel"
    lanes = {lane.layer: lane.depth for lane in layout_trace(trace).lanes}
    assert lanes["stage2"] == 1 and lanes["stage2/res"] == 2 and lanes["stage2/res/conv1"] == 3


def test_an_engine_request_carries_its_blocks_and_reads_no_file(lib_catalog, tmp_path):
    path, kind = encoder_file(tmp_path)
    doc = encoder(kind)
    blocks = blocks_payload(doc, lib_catalog)
    assert set(blocks) == {kind, "template:unet-res-block"}
    path.unlink()  # the worker has only the request
    reply = Service().handle("infer", {"document": document_to_json(doc), "blocks": blocks})
    assert reply["problems"] == [] and reply["shapes"]["out"] == [None, 12, 12, 13]


def test_the_cli_exports_a_nested_project_whole_or_one_module_per_block(tmp_path, capsys):
    from blockstudio.cli import main

    _, kind = encoder_file(tmp_path)
    project = tmp_path / "encoder.bsblock"
    save_document(encoder(kind), project)
    assert main(["export", str(project), "-o", str(tmp_path / "whole.py")]) == 0
    assert (tmp_path / "whole.py").read_text().count("class UnetResBlock(") == 1
    folder = tmp_path / "split"
    assert main(["export", str(project), "--split", "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "encoder.py",
        "stage.py",
        "unet_res_block.py",
    ]
    assert "from stage import Stage" in (folder / "encoder.py").read_text()
    for name in ("encoder.py", "stage.py"):
        assert ruff_problems((folder / name).read_text(), tmp_path) == ""
    made = output_shape_in_plain_python(folder, "encoder", "Encoder()", (1, 12, 12, 3))
    assert made == "(1, 12, 12, 13)"
    (tmp_path / "stage.json").unlink()  # the block file is gone: a clear error, exit 2
    assert main(["export", str(project)]) == 2
    assert "stage" in capsys.readouterr().err


def test_the_checkup_passes_through_nested_blocks(lib_catalog):
    from blockstudio.engine.checkup import run_checkup

    results = run_checkup(two_levels(), lib_catalog, ("build",))
    failed = [(r.scenario, r.reason) for r in results if r.status != "pass"]
    assert failed == []
    keras_file = next(r for r in results if r.scenario == "keras_file")
    assert "safe_mode=True" in keras_file.reason
    weights = next(r for r in results if r.scenario == "build")
    assert weights.reason.startswith("18 of 18 weights exist after build()")


def test_a_block_node_value_outside_the_block_parameter_choices_is_refused(lib_catalog):
    doc = two_levels()
    doc.set_param("b1", "norm_name", "weird")
    problems = [(p.node_id, p.param) for p in validate(doc, lib_catalog)]
    assert ("b1", "norm_name") in problems
