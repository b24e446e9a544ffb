"""Blocks with several inputs, and node parameters that take one entry of a list parameter."""

import json

import pytest

from blockstudio.core import commands as c
from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.project import document_from_json, document_to_json
from blockstudio.core.shapes import ShapeError, format_input_shape, parse_input_shape
from blockstudio.core.validate import validate


def merge(shape=((None, 8, 8, 4), (None, 8, 8, 6)), names=("x_in", "skip")) -> Document:
    """Two inputs concatenated, then a convolution."""
    nodes = [
        Node("a", "Input", names[0], {"index": 0}),
        Node("b", "Input", names[1], {"index": 1}),
        Node("cat", "Concatenate", "cat", {"axis": -1}),
        Node("conv", "Convolution", "conv", {"filters": 5}),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("a", "cat", 0), Edge("b", "cat", 1), Edge("cat", "conv"), Edge("conv", "out")]
    return Document("Merge", shape, nodes=nodes, edges=edges)


@pytest.mark.parametrize(
    "text",
    [
        "(None, 8, 8, 4), (None, 16, 16, 6)",
        "[(None,8,8,4),(None,16,16,6)]",
        " [[None, 8, 8, 4], [None, 16, 16, 6]] ",
    ],
)
def test_several_shapes_read_as_a_list_in_input_order(text):
    shapes = parse_input_shape(text)
    assert shapes[0][1:] == (8, 8, 4) and shapes[1][1:] == (16, 16, 6)
    assert format_input_shape(shapes).count("(") == 2


def test_a_bad_second_shape_says_which_input():
    with pytest.raises(ShapeError, match=r"^Input 2: Dimension 3 is 'x'"):
        parse_input_shape("(None, 8, 8, 4), (None, 8, x, 6)")


def test_one_shape_still_reads_as_before():
    assert parse_input_shape("64x64x3") == (None, 64, 64, 3)
    assert parse_input_shape("[None, 64, 3]") == (None, 64, 3)


def test_a_valid_two_input_block_has_no_problems(catalog):
    assert validate(merge(), catalog) == []


def test_one_shape_for_two_inputs_names_them_and_shows_the_form(catalog):
    doc = merge(shape=(None, 8, 8, 4))
    (p,) = [p for p in validate(doc, catalog) if p.code == "bad_shape"]
    assert "2 Input nodes (x_in, skip)" in p.message
    assert "(None, 16, 16, 32), (None, 16, 16, 32)" in p.message and p.param == "input_shape"


def test_two_inputs_need_distinct_indexes_and_usable_names(catalog):
    doc = merge(names=("input", "skip"))
    doc.set_param("b", "index", 0)
    problems = validate(doc, catalog)
    dup = [p for p in problems if p.param == "index"]
    assert dup and "both have index 0" in dup[0].message and dup[0].node_id == "b"
    named = [p for p in problems if p.param == "name"]
    assert named and "'input'" in named[0].message and "built-in" in named[0].message


def test_input_order_follows_the_index_not_the_id(catalog):
    doc = merge()
    doc.set_param("a", "index", 1)
    doc.set_param("b", "index", 0)
    assert [n.name for n in doc.input_nodes] == ["skip", "x_in"]


def test_an_unused_input_is_a_warning(catalog):
    doc = merge()
    doc.remove_edge(Edge("b", "cat", 1))
    doc.add_edge(Edge("a", "cat", 1))
    (p,) = [p for p in validate(doc, catalog) if p.node_id == "b"]
    assert p.severity == "warning" and "does not lead to the Output" in p.message


def test_a_multi_input_project_round_trips(catalog):
    doc = merge()
    text = document_to_json(doc)
    assert json.loads(text)["document"]["input_shape"] == [[None, 8, 8, 4], [None, 8, 8, 6]]
    again = document_from_json(text, catalog)
    assert again.input_shape == doc.input_shape
    assert document_to_json(again) == text


def levels_doc() -> Document:
    params = [BlockParam("strides", "ints", (1, 2, 2)), BlockParam("width", "int", 8)]
    nodes = [
        Node("in", "Input", "input"),
        Node("c0", "Convolution", "conv0", {"strides": ParamRef("strides", 0)}),
        Node("c2", "Convolution", "conv2", {"strides": ParamRef("strides", 2)}),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("in", "c0"), Edge("c0", "c2"), Edge("c2", "out")]
    return Document("Levels", (None, 16, 16, 3), params, nodes=nodes, edges=edges)


def test_an_entry_reference_is_valid_and_round_trips(catalog):
    doc = levels_doc()
    assert validate(doc, catalog) == []
    text = document_to_json(doc)
    saved = json.loads(text)["document"]["nodes"][2]["params"]["strides"]
    assert saved == {"$param": "strides", "$index": 2}
    assert document_from_json(text, catalog).nodes["c2"].params["strides"] == ParamRef("strides", 2)


def test_an_entry_past_the_end_says_how_many_there_are(catalog):
    doc = levels_doc()
    doc.replace_block_param("strides", BlockParam("strides", "ints", (1, 2)))
    (p,) = validate(doc, catalog)
    assert p.node_id == "c2" and p.param == "strides"
    assert "strides[2] needs at least 3 entries in strides, which has 2 (1, 2)" in p.message


def test_an_entry_of_a_plain_number_is_refused(catalog):
    doc = levels_doc()
    doc.set_param("c0", "strides", ParamRef("width", 0))
    (p,) = validate(doc, catalog)
    assert "width[0] takes one entry, but block parameter 'width' is int" in p.message


def test_a_malformed_entry_reference_in_a_file_is_a_clear_error(catalog):
    data = json.loads(document_to_json(levels_doc()))
    data["document"]["nodes"][1]["params"]["strides"] = {"$param": "strides", "$index": -1}
    with pytest.raises(Exception, match=r"nodes\[1\]\.params\.strides"):
        document_from_json(json.dumps(data), catalog)


def test_renaming_and_removing_a_list_parameter_keeps_the_entries(catalog):
    doc = levels_doc()
    before = document_to_json(doc)
    rename = c.EditBlockParam(doc, "strides", BlockParam("steps", "ints", (1, 2, 2)))
    rename.redo(doc)
    assert doc.nodes["c2"].params["strides"] == ParamRef("steps", 2)
    remove = c.RemoveBlockParam(doc, "steps")
    remove.redo(doc)
    assert doc.nodes["c0"].params["strides"] == 1 and doc.nodes["c2"].params["strides"] == 2
    remove.undo(doc)
    rename.undo(doc)
    assert document_to_json(doc) == before
