import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from blockstudio.core import commands as c
from blockstudio.core.document import BlockParam, Edge, Node, ParamRef
from blockstudio.core.history import History
from blockstudio.core.project import document_to_json
from blockstudio.core.templates import load_template


def test_undo_redo_and_clean_flag(unet):
    h = History(unet)
    before = document_to_json(unet)
    h.push(c.SetParam(unet, "conv1", "kernel_size", 5))
    assert not h.is_clean and h.undo_text == "Set conv1.kernel_size = 5"
    h.undo()
    assert h.is_clean and document_to_json(unet) == before
    h.redo()
    assert unet.nodes["conv1"].params["kernel_size"] == 5
    h.set_clean()
    h.undo()
    assert not h.is_clean


def test_remove_node_takes_its_edges_and_undo_restores_order(unet):
    h = History(unet)
    before = document_to_json(unet)
    h.push(c.RemoveNode(unet, "norm1"))
    assert "norm1" not in unet.nodes
    assert not [e for e in unet.edges if "norm1" in (e.src, e.dst)]
    h.undo()
    assert document_to_json(unet) == before


def test_macro_is_one_step(unet):
    h = History(unet)
    before = document_to_json(unet)
    h.begin_macro("Move two")
    h.push(c.MoveNodes(unet, {"conv1": (5.0, 5.0)}))
    h.push(c.MoveNodes(unet, {"conv2": (9.0, 9.0)}))
    h.end_macro()
    h.undo()
    assert document_to_json(unet) == before and not h.can_undo


def test_renaming_a_block_param_repoints_references(unet):
    h = History(unet)
    new = copy.deepcopy(unet.param("out_channels"))
    new.name = "filters_out"
    h.push(c.EditBlockParam(unet, "out_channels", new))
    assert unet.nodes["conv1"].params["filters"] == ParamRef("filters_out")
    h.undo()
    assert unet.nodes["conv1"].params["filters"] == ParamRef("out_channels")


def test_removing_a_block_param_keeps_its_value_in_nodes(unet):
    h = History(unet)
    h.push(c.RemoveBlockParam(unet, "kernel_size"))
    assert unet.nodes["conv1"].params["kernel_size"] == 3
    h.undo()
    assert unet.nodes["conv1"].params["kernel_size"] == ParamRef("kernel_size")


def test_events_are_emitted(unet):
    seen = []
    unet.subscribe(lambda e: seen.append((e.kind, e.node_id)))
    History(unet).push(c.SetNodeField(unet, "conv1", "name", "first_conv"))
    assert seen == [("node_changed", "conv1")]


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
        new = copy.deepcopy(p)
        new.name = p.name + "_x"
        return None if doc.param(new.name) else c.EditBlockParam(doc, p.name, new)
    name = f"p{rnd.randrange(100)}"
    return None if doc.param(name) else c.AddBlockParam(BlockParam(name, "int", 1))


@settings(max_examples=150)
@given(command_sequences())
def test_any_valid_sequence_undone_gives_original_bytes_and_redone_gives_final(seeds):
    from blockstudio.core.catalog import load_catalog

    doc = load_template("unet-res-block", load_catalog())
    history = History(doc)
    original = document_to_json(doc)
    pushed = 0
    for seed in seeds:
        cmd = _make_command(doc, seed)
        if cmd is not None:
            history.push(cmd)
            pushed += 1
    final = document_to_json(doc)
    for _ in range(pushed):
        history.undo()
    assert document_to_json(doc) == original
    for _ in range(pushed):
        history.redo()
    assert document_to_json(doc) == final
