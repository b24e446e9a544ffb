"""Repeated nodes: the document form, the file form, and their expansion into instances."""

import json

import pytest

from blockstudio.core.document import (
    BlockParam,
    Document,
    Edge,
    Expr,
    Node,
    ParamRef,
    Repeat,
    SkipSource,
)
from blockstudio.core.expressions import all_one, prod_axes
from blockstudio.core.params import block_env
from blockstudio.core.project import ProjectError, document_from_json, document_to_json
from blockstudio.core.repeat import RepeatError, expand
from blockstudio.core.validate import validate


def unet(levels=4):
    """A small U-Net of Dense layers: a chain down that collects skips, a chain up that reads
    them deepest first, and one head per ``heads``."""
    params = [
        BlockParam("widths", "ints", tuple(range(2, 2 + levels))),
        BlockParam("heads", "int", 1),
    ]
    nodes = [
        Node("in", "Input", "x_in"),
        Node("first", "Dense", "first", {"units": ParamRef("widths", 0)}),
        Node(
            "down",
            "Dense",
            "down",
            {"units": ParamRef("widths", "i + 1")},
            repeat=Repeat("len(widths) - 2", collect="skips"),
        ),
        Node("bottom", "Dense", "bottom", {"units": ParamRef("widths", "len(widths) - 1")}),
        Node(
            "up",
            "Concatenate",
            "up",
            {},
            repeat=Repeat("len(widths) - 1", collect="ups", skip=SkipSource(1, True, 0)),
        ),
        Node("out", "Output", "y"),
        Node(
            "head",
            "Dense",
            "head",
            {"units": Expr("i + 1")},
            repeat=Repeat("heads", chain=False, skip=SkipSource(0, True, 1)),
        ),
        Node("heads_out", "Output", "heads_out", {"index": 1}),
    ]
    edges = [
        Edge("in", "first"),
        Edge("first", "down"),
        Edge("down", "bottom"),
        Edge("bottom", "up", 0),
        Edge("down", "up", 1),
        Edge("up", "out"),
        Edge("up", "head"),
        Edge("head", "heads_out"),
    ]
    return Document("Net", (None, 5), params, nodes=nodes, edges=edges)


def test_instances_are_chained_indexed_and_read_the_skips_deepest_first():
    doc = unet(4)
    done = expand(doc, block_env(doc))
    nodes = done.doc.nodes
    assert [n for n in nodes if n.startswith(("down", "up", "head"))] == [
        "down_0",
        "down_1",
        "up_0",
        "up_1",
        "up_2",
        "head_0",
        "heads_out_0",
    ]
    assert nodes["down_1"].params["units"] == ParamRef("widths", 2)  # i + 1 for i = 1
    assert nodes["bottom"].params["units"] == ParamRef("widths", 3)
    assert nodes["head_0"].params["units"] == 1  # Expr("i + 1")
    edges = {(e.src, e.dst, e.port) for e in done.doc.edges}
    assert {("first", "down_0", 0), ("down_0", "down_1", 0), ("down_1", "bottom", 0)} <= edges
    # skips = [first, down_0, down_1]; up_i reads skips[-(i + 1)]
    assert {("down_1", "up_0", 1), ("down_0", "up_1", 1), ("first", "up_2", 1)} <= edges
    assert {("bottom", "up_0", 0), ("up_0", "up_1", 0), ("up_2", "out", 0)} <= edges
    # ups = [bottom, up_0, up_1, up_2]; head_0 reads ups[-2], the level below the top
    assert ("up_1", "head_0", 0) in edges and ("head_0", "heads_out_0", 0) in edges
    assert done.stands == {"down": "down_1", "up": "up_2", "head": "head_0"}


def test_a_count_of_zero_passes_the_chain_s_input_on_and_drops_the_outputs():
    doc = unet(2)  # widths of 2: no level down, one up
    doc.replace_block_param("heads", BlockParam("heads", "int", 0))
    done = expand(doc, block_env(doc))
    edges = {(e.src, e.dst, e.port) for e in done.doc.edges}
    assert ("first", "bottom", 0) in edges and ("first", "up_0", 1) in edges
    assert not any(n.startswith(("down", "head", "heads_out")) for n in done.doc.nodes)


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("len(widths) -", "repeat count 'len(widths) -'"),
        ("len(nope)", "down: repeat count 'len(nope)'"),
        ("1.5", "gives 1.5, not a whole number"),
        ("-1", "gives -1; it must be 0 to 256"),
    ],
)
def test_a_bad_count_is_an_error_on_the_repeated_node(catalog, count, message):
    doc = unet(4)
    node = doc.nodes["down"]
    doc.set_node_field("down", "repeat", Repeat(count, collect=node.repeat.collect))
    problems = validate(doc, catalog)
    assert [(p.node_id, p.code) for p in problems] == [("down", "bad_repeat")]
    assert message in problems[0].message


def test_a_skip_beyond_the_collected_list_names_the_instance(catalog):
    doc = unet(4)
    doc.replace_block_param("heads", BlockParam("heads", "int", 4))
    with pytest.raises(RepeatError, match=r"head_3 needs entry -5 of ups, which holds 4"):
        expand(doc, block_env(doc))
    (problem,) = validate(doc, catalog)
    assert problem.node_id == "head" and "head_3 needs entry -5" in problem.message


def test_a_problem_of_one_instance_is_reported_on_the_repeated_node(catalog):
    doc = unet(4)
    doc.set_param("down", "units", ParamRef("widths", "i + 3"))  # down_1 reads widths[4]
    problems = validate(doc, catalog)
    assert [(p.node_id, p.message.split(":")[0]) for p in problems] == [("down", "down_1")]
    assert "widths[4] needs at least 5 entries" in problems[0].message


def test_the_file_keeps_repeats_and_is_version_2_only_when_it_has_one(catalog):
    doc = unet(4)
    text = document_to_json(doc)
    assert json.loads(text)["version"] == 2
    again = document_from_json(text, catalog)
    assert again.to_dict() == doc.to_dict()
    assert again.nodes["up"].repeat == Repeat(
        "len(widths) - 1", "i", True, "ups", SkipSource(1, True, 0)
    )
    plain = Document("Plain", (None, 4), nodes=[Node("in", "Input", "x")])
    assert json.loads(document_to_json(plain))["version"] == 1  # older studios still read it


def test_a_malformed_repeat_or_a_newer_file_is_refused_saying_where(catalog):
    data = json.loads(document_to_json(unet(4)))
    data["document"]["nodes"][2]["repeat"] = {"count": 3, "index": "1i", "chain": "yes"}
    with pytest.raises(ProjectError) as info:
        document_from_json(json.dumps(data), catalog)
    where = dict(info.value.defects)
    assert "$.document.nodes[2].repeat.count" in where
    assert "$.document.nodes[2].repeat.index" in where
    assert "$.document.nodes[2].repeat.chain" in where
    data["version"] = 3
    with pytest.raises(ProjectError, match="made by a newer Block Studio"):
        document_from_json(json.dumps(data), catalog)


def test_the_safe_functions_read_ints_and_per_axis_tuples():
    assert prod_axes([2, 2]) == 4
    assert prod_axes([(1, 2, 2), 2]) == (2, 4, 4)
    assert all_one(1) and all_one((1, 1, 1)) and all_one([1, 1])
    assert not all_one((1, 2, 1)) and not all_one(2)


def test_a_repeated_node_with_a_condition_is_told_to_put_it_in_the_count(catalog):
    doc = unet(4)
    doc.set_node_field("down", "condition", "len(widths) > 3")
    (problem,) = validate(doc, catalog)
    assert problem.node_id == "down" and problem.param == "condition"
    assert "('len(widths) - 2' if len(widths) > 3 else 0)" in problem.message


def test_a_copied_repeated_node_pastes_as_a_repeated_node():
    from blockstudio.ui.clipboard import copy_payload, paste_commands

    doc = unet(4)
    commands = paste_commands(doc, copy_payload(doc, ["down", "up"]))
    for command in commands:
        command.redo(doc)
    copies = [n for n in doc.nodes.values() if n.name in ("down_2", "up_2")]
    assert [n.repeat for n in copies] == [doc.nodes["down"].repeat, doc.nodes["up"].repeat]
    assert any(e.dst == copies[1].id and e.port == 1 for e in doc.edges)  # the skip edge too
