"""Blocks with several outputs return a list, in index order, in every style."""

import numpy as np
import pytest

from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.library import BlockLibrary
from blockstudio.core.validate import validate
from blockstudio.engine.checkup import run_checkup
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.inference import ShapeInference
from tests.engine.helpers import build_block, copy_weights, ruff_problems


def two_heads() -> Document:
    """An encoder stage that also returns its skip: [deep features, the skip]."""
    nodes = [
        Node("in", "Input", "input"),
        Node("c", "Convolution", "conv", {"filters": 8}),
        Node("p", "Pooling", "pool"),
        Node("d", "Convolution", "deep", {"filters": 16}),
        Node("skip_out", "Output", "skip", {"index": 1}),
        Node("out", "Output", "output"),
    ]
    edges = [
        Edge("in", "c"),
        Edge("c", "p"),
        Edge("p", "d"),
        Edge("d", "out"),
        Edge("c", "skip_out"),
    ]
    return Document("TwoHeads", (None, 16, 16, 3), nodes=nodes, edges=edges)


def test_shapes_of_each_output(catalog):
    doc = two_heads()
    assert validate(doc, catalog) == []
    result = ShapeInference(catalog).run(doc)
    assert result.shapes["out"] == (None, 8, 8, 16) and result.shapes["skip_out"] == (
        None,
        16,
        16,
        8,
    )


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_every_style_returns_the_list_in_index_order(catalog, tmp_path, style):
    doc = two_heads()
    source = generate_code(doc, catalog, style)
    assert ruff_problems(source, tmp_path) == ""
    assert "return [x, conv_out]" in source
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype("float32")
    ref, ref_lookup = build_block(doc, catalog, "build")
    block, lookup = build_block(doc, catalog, style)
    copy_weights(doc, ref_lookup, lookup)
    got, expected = block(x), ref(x)
    assert [tuple(t.shape) for t in got] == [(2, 8, 8, 16), (2, 16, 16, 8)]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_the_checkup_passes_with_two_outputs(catalog):
    results = run_checkup(two_heads(), catalog, ("build",))
    assert [(r.scenario, r.reason) for r in results if r.status != "pass"] == []


def test_outputs_need_their_own_index_and_a_path(catalog):
    doc = two_heads()
    doc.set_param("skip_out", "index", 0)
    assert any("both have index 0" in p.message for p in validate(doc, catalog))
    doc = two_heads()
    doc.remove_edge(Edge("c", "skip_out"))
    codes = {p.code for p in validate(doc, catalog) if p.node_id == "skip_out"}
    assert codes == {"unconnected_input", "output_unreached"}


def test_a_block_with_two_outputs_is_refused_as_a_node_with_the_reason(catalog):
    kind = "file:two.bsblock"
    lib = catalog.with_library(BlockLibrary(documents={kind: two_heads()}))
    outer = Document(
        "Outer",
        (None, 16, 16, 3),
        nodes=[Node("in", "Input", "input"), Node("b", kind, "stage"), Node("out", "Output", "o")],
        edges=[Edge("in", "b"), Edge("b", "out")],
    )
    problems = [p for p in validate(outer, lib) if p.node_id == "b"]
    assert problems and "can return 2 outputs" in problems[0].message


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_a_later_output_under_a_condition_is_returned_only_when_it_holds(catalog, style):
    from blockstudio.core.document import BlockParam

    doc = two_heads()
    doc.add_block_param(BlockParam("with_skip", "bool", False))
    doc.set_node_field("skip_out", "condition", "with_skip")
    assert validate(doc, catalog) == []
    assert ShapeInference(catalog).run(doc).present["skip_out"] is False
    source = generate_code(doc, catalog, style)
    assert "outputs.append(conv_out)" in source
    x = np.zeros((1, 16, 16, 3), "float32")
    plain, _ = build_block(doc, catalog, style, {"with_skip": False})
    assert tuple(plain(x).shape) == (1, 8, 8, 16)  # one tensor, not a list of one
    both, _ = build_block(doc, catalog, style, {"with_skip": True})
    assert [tuple(t.shape) for t in both(x)] == [(1, 8, 8, 16), (1, 16, 16, 8)]
    doc.set_node_field("out", "condition", "with_skip")  # the first output is always there
    assert any("first Output cannot be conditional" in p.message for p in validate(doc, catalog))
