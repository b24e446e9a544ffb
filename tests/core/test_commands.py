"""Commands change a document only through its mutators, and each undoes exactly what it did."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blockstudio.core import commands as c
from blockstudio.core.doc_events import (
    BlockChanged,
    BlockParamChanged,
    EdgeRemoved,
    NodeChanged,
    NodeRemoved,
)
from blockstudio.core.document import BlockParam, Edge, Node, ParamRef
from blockstudio.core.project import document_to_json
from blockstudio.core.templates import load_template


def test_set_param_undo_restores_the_document_bytes(unet):
    before = document_to_json(unet)
    cmd = c.SetParam(unet, "conv1", "kernel_size", 5)
    assert cmd.text == "Set conv1.kernel_size = 5"
    cmd.redo(unet)
    assert unet.nodes["conv1"].params["kernel_size"] == 5
    cmd.undo(unet)
    assert document_to_json(unet) == before


def test_resetting_a_param_to_default_and_undo_keeps_its_place(unet):
    before = document_to_json(unet)
    first = next(iter(unet.nodes["conv1"].params))
    cmd = c.SetParam(unet, "conv1", first, None, remove=True)
    cmd.redo(unet)
    assert first not in unet.nodes["conv1"].params
    cmd.undo(unet)
    assert document_to_json(unet) == before


def test_remove_node_takes_its_edges_and_undo_restores_order(unet):
    before = document_to_json(unet)
    cmd = c.RemoveNode(unet, "norm1")
    cmd.redo(unet)
    assert "norm1" not in unet.nodes
    assert not [e for e in unet.edges if "norm1" in (e.src, e.dst)]
    cmd.undo(unet)
    assert document_to_json(unet) == before


def test_renaming_a_block_param_repoints_references(unet):
    new = dataclasses.replace(unet.param("out_channels"), name="filters_out")
    cmd = c.EditBlockParam(unet, "out_channels", new)
    cmd.redo(unet)
    assert unet.nodes["conv1"].params["filters"] == ParamRef("filters_out")
    cmd.undo(unet)
    assert unet.nodes["conv1"].params["filters"] == ParamRef("out_channels")


def test_removing_a_block_param_keeps_its_value_in_nodes(unet):
    cmd = c.RemoveBlockParam(unet, "kernel_size")
    cmd.redo(unet)
    assert unet.nodes["conv1"].params["kernel_size"] == 3
    cmd.undo(unet)
    assert unet.nodes["conv1"].params["kernel_size"] == ParamRef("kernel_size")


def test_each_change_is_announced_as_what_changed(unet):
    seen = []
    unet.subscribe(seen.append)
    c.SetNodeField(unet, "conv1", "name", "first_conv").redo(unet)
    c.SetParam(unet, "conv1", "strides", 2).redo(unet)
    c.set_input_shape(unet, (None, 8, 8, 4)).redo(unet)
    c.RemoveBlockParam(unet, "dropout").redo(unet)
    assert seen[:3] == [
        NodeChanged("conv1", "name"),
        NodeChanged("conv1", "params", "strides"),
        BlockChanged("input_shape"),
    ]
    # the block param goes, then every node that followed it gets its default as a literal
    assert seen[3] == BlockParamChanged("dropout")
    assert seen[4:] == [NodeChanged(n, "params", "rate") for n in ("drop1", "drop2", "res_drop")]
    seen.clear()
    c.RemoveNode(unet, "lrelu_out").redo(unet)
    assert seen == [
        EdgeRemoved(Edge("lrelu_out", "output")),
        EdgeRemoved(Edge("add", "lrelu_out")),
        NodeRemoved("lrelu_out"),
    ]


def test_nothing_changes_a_document_behind_its_back(unet):
    node = unet.nodes["conv1"]
    with pytest.raises(TypeError):
        node.params["kernel_size"] = 5  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        unet.nodes["x"] = node  # type: ignore[index]
    with pytest.raises(AttributeError):
        unet.edges.append(Edge("conv1", "norm1"))  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        unet.input_shape = (None, 2, 2, 2)  # type: ignore[misc]
    assert unet.nodes["conv1"].params["kernel_size"] == ParamRef("kernel_size")


@st.composite
def command_sequences(draw):
    """Valid commands for a document, each drawn against the state the previous ones left."""
    return draw(st.lists(st.integers(0, 2**32), min_size=1, max_size=25))


def _make_command(doc, seed: int):
    rnd = __import__("random").Random(seed)
    ids = list(doc.nodes)
    kind = rnd.randrange(12)
    if kind == 0 or not ids:
        nid = doc.new_id()
        return c.AddNode(Node(nid, "ReLU", doc.unique_name("relu"), position=(rnd.random(), 1.0)))
    nid = rnd.choice(ids)
    if kind == 1:
        return c.RemoveNode(doc, nid)
    if kind == 2:
        a, b = rnd.choice(ids), rnd.choice(ids)
        edge = Edge(a, b, rnd.randrange(2))
        return None if edge in doc.edges else c.Connect(doc, edge)
    if kind == 3:
        return c.Disconnect(doc, rnd.choice(doc.edges)) if doc.edges else None
    if kind == 4:
        return c.SetParam(doc, nid, rnd.choice(["alpha", "units", "filters"]), rnd.randrange(9))
    if kind == 5:
        node = doc.nodes[nid]
        return (
            c.SetParam(doc, nid, next(iter(node.params)), None, remove=True)
            if node.params
            else None
        )
    if kind == 6:
        return c.SetNodeField(doc, nid, "name", f"n{rnd.randrange(1000)}")
    if kind == 7:
        return c.SetNodeField(doc, nid, "lifecycle", rnd.choice(["init", "build"]))
    if kind == 8:
        return c.SetNodeField(doc, nid, "condition", rnd.choice([None, "stride != 1"]))
    if kind == 9:
        return c.MoveNodes(doc, {i: (rnd.random() * 99, rnd.random()) for i in ids[:3]})
    if kind == 10:
        return c.set_input_shape(doc, (None, rnd.randrange(1, 99), 3))
    if doc.params and rnd.random() < 0.5:
        p = rnd.choice(doc.params)
        if rnd.random() < 0.5:
            return c.RemoveBlockParam(doc, p.name)
        new = dataclasses.replace(p, name=p.name + "_x")
        return None if doc.param(new.name) else c.EditBlockParam(doc, p.name, new)
    name = f"p{rnd.randrange(100)}"
    return None if doc.param(name) else c.AddBlockParam(BlockParam(name, "int", 1))


@settings(max_examples=150)
@given(command_sequences())
def test_any_valid_sequence_undone_gives_original_bytes_and_redone_gives_final(seeds):
    from blockstudio.core.catalog import load_catalog

    doc = load_template("unet-res-block", load_catalog())
    original = document_to_json(doc)
    done = []
    for seed in seeds:
        cmd = _make_command(doc, seed)
        if cmd is not None:
            cmd.redo(doc)
            done.append(cmd)
    final = document_to_json(doc)
    for cmd in reversed(done):
        cmd.undo(doc)
    assert document_to_json(doc) == original
    for cmd in done:
        cmd.redo(doc)
    assert document_to_json(doc) == final
