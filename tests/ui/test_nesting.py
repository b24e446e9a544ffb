"""Blocks as nodes in the studio: drop, chain, set, open, edit inside, undo, export, run."""

from __future__ import annotations

import re

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QToolButton

from blockstudio.core.document import Edge, Node, ParamRef
from blockstudio.core.project import load_document, save_document
from blockstudio.core.templates import load_template
from blockstudio.ui.file_actions import empty_document
from tests.ui.helpers import (
    double_click,
    drag,
    drop_kind,
    run_and_wait,
    timeline_pixel,
    type_value,
    view_point,
    wait_for_engine,
)

RES = "template:unet-res-block"


def _connect(qtbot, window, src_id: str, dst_id: str) -> None:
    """Drag from ``src_id``'s output port to ``dst_id``'s first input port at 1:1."""
    scene, view = window.scene, window.view
    src, dst = scene.nodes[src_id].output, scene.nodes[dst_id].inputs[0]
    view.resetTransform()
    view.centerOn((src.scenePos() + dst.scenePos()) / 2)
    drag(qtbot, view, src.scenePos(), dst.scenePos())
    assert any(e.src == src_id and e.dst == dst_id for e in window.model.doc.edges)


def _double_click(qtbot, window, node_id: str) -> None:
    item = window.scene.nodes[node_id]
    window.view.resetTransform()
    window.view.centerOn(item)
    pos = view_point(window.view, item.sceneBoundingRect().center())
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton, pos=pos)
    qtbot.wait(20)  # the block opens once the double-click is handled


def test_compose_two_unet_blocks_and_run_them(make_window, qtbot, tmp_path):
    window = make_window(doc=empty_document(), start_engine=True)
    assert RES in window.palette.items  # listed under Blocks
    window.view.resetTransform()
    for x in (150.0, 500.0):
        window.view.centerOn(QPointF(x, 250))
        drop_kind(window.view, RES, view_point(window.view, QPointF(x, 250)))
    blocks = [n for n in window.model.doc.nodes.values() if n.kind == RES]
    assert [n.name for n in blocks] == ["unet_res_block", "unet_res_block_2"]
    first, second = blocks[0].id, blocks[1].id
    assert window.scene.nodes[first].kind == RES
    # chain input → first → second → output (the old input → output edge goes first)
    window.scene.clearSelection()
    edge = next(iter(window.scene.edges.values()))
    edge.setSelected(True)
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert window.model.doc.edges == ()
    _connect(qtbot, window, "input", first)
    _connect(qtbot, window, first, second)
    _connect(qtbot, window, second, "output")
    # its parameters are the block's: a stride of 2 and 48 channels on the second
    window.scene.select_node(second)
    type_value(qtbot, window.inspector.editors["stride"].editor, "2")
    window.inspector.editors["out_channels"].editor.setValue(48)
    assert window.model.doc.nodes[second].params == {"stride": 2, "out_channels": 48}
    wait_for_engine(qtbot, window)
    qtbot.waitUntil(lambda: window.model.shapes.get(second) == (None, 32, 32, 48), timeout=30000)
    label = next(e.label for key, e in window.scene.edges.items() if key.src == second)
    assert label == "(None, 32, 32, 48)"
    assert window.model.all_problems() == []
    # export: one module, the inner class once, before the block that uses it
    qtbot.waitUntil(lambda: "class MyBlock(" in window.code.source, timeout=10000)
    path = tmp_path / "my_block.py"
    assert window.export_code(path)
    source = path.read_text()
    assert source.count("class UnetResBlock(") == 1
    assert source.index("class UnetResBlock(") < source.index("class MyBlock(")
    # run: each block starts folded onto one lane; unfolded, its layers have lanes under it
    trace = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    assert trace.error is None
    timeline = window.run_ui.panel.timeline
    window.bottom.setCurrentWidget(window.run_ui.panel)
    lanes = [lane.layer for lane in timeline.layout_.lanes]
    assert lanes == ["my_block", "unet_res_block", "unet_res_block_2"]
    assert timeline.fold_box.isVisible() and timeline.fold_box.isChecked()
    qtbot.mouseClick(timeline.fold_box, Qt.LeftButton)
    lanes = {lane.layer: lane.depth for lane in timeline.layout_.lanes}
    assert lanes["unet_res_block_2/conv1"] == lanes["unet_res_block_2"] + 1
    assert "unet_res_block_2/res_conv" in lanes  # 64 → 48 channels: the projection exists
    # opened, a block shows the shapes it has at its node
    _double_click(qtbot, window, second)
    assert window.nav.bar.isVisible()
    qtbot.waitUntil(lambda: window.model.shapes.get("conv1") == (None, 32, 32, 48), timeout=30000)
    assert window.model.shapes["input"] == (None, 64, 64, 64)
    # and runs as it is there: 64 channels in, stride 2, 48 out
    inside = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    assert inside.error is None and inside.input_shape == (None, 64, 64, 64)
    kernel = next(w for w in inside.weights if w.path.endswith("conv1/kernel"))
    assert tuple(kernel.shape) == (3, 3, 64, 48)


def test_open_a_block_from_a_file_edit_inside_undo_and_save(make_window, qtbot, tmp_path, catalog):
    inner_path = tmp_path / "res.json"
    save_document(load_template("unet-res-block", catalog), inner_path)
    project = tmp_path / "outer.json"
    doc = empty_document()
    doc.remove_edge(doc.edges[0])
    doc.add_node(Node("blk", "file:res.json", "res", position=(200.0, 0.0)))
    for edge in (Edge("input", "blk"), Edge("blk", "output")):
        doc.add_edge(edge)
    save_document(doc, project)
    window = make_window(doc=empty_document())
    assert window.open_path(project, ask=False)
    assert "file:res.json" in window.palette.items  # the blocks a project uses are listed
    added = window.add_block_from_file(inner_path)  # File → Add Block From File…, chosen
    assert window.model.doc.nodes[added].kind == "file:res.json"
    assert window.model.doc.nodes[added].name == "res_2"
    qtbot.keyClick(window.view, Qt.Key_Delete)  # not wanted after all: the new node goes
    assert added not in window.model.doc.nodes
    nid = "blk"
    _double_click(qtbot, window, nid)
    assert window.nav.bar.isVisible() and window.model.doc.name == "UnetResBlock"
    assert "outer.json › res" in window.windowTitle()
    # edit inside: conv1 no longer follows out_channels
    window.scene.select_node("conv1")
    window.inspector.editors["filters"].link.setCurrentText("—")
    window.inspector.editors["filters"].editor.setValue(8)
    assert window.model.doc.nodes["conv1"].params["filters"] == 8
    qtbot.keyClick(window, Qt.Key_Up, Qt.AltModifier)  # back to the outer block
    assert window.model.doc is window.model.root_doc and not window.nav.bar.isVisible()
    # the outer block's code has the inner class as edited
    conv1 = re.compile(r"self\.conv1 = _conv\(\s*spatial_dims,\s*8,")
    qtbot.waitUntil(lambda: conv1.search(window.code.source) is not None)
    assert window.isWindowModified()
    # offscreen Qt drops the active window when the focused editor is rebuilt; a user's
    # window stays active, and shortcuts need it
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    assert load_document(inner_path, catalog).nodes["conv1"].params["filters"] == 8
    # one history for the project: undo reaches the edit made inside
    for _ in range(window.model.undo_stack.index()):
        qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert not window.model.undo_stack.canUndo()
    library = window.catalog.library
    conv1 = library.document("file:res.json", catalog).nodes["conv1"]
    assert conv1.params["filters"] == ParamRef("out_channels")
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    saved = load_document(inner_path, catalog).nodes["conv1"].params["filters"]
    assert saved != 8


def test_a_template_opens_read_only_and_says_why(make_window, qtbot):
    window = make_window(doc=empty_document())
    nid = window.add_kind(RES, QPointF(200, 200))
    qtbot.mouseClick(window.inspector.editors["open_block"], Qt.LeftButton)  # "Open UnetResBlock"
    assert window.model.read_only and window.model.doc.name == "UnetResBlock"
    before = window.model.doc.nodes["conv1"].params
    window.scene.select_node("conv1")
    window.inspector.editors["kernel_size"].link.setCurrentText("—")
    assert window.model.doc.nodes["conv1"].params == before
    assert "read-only" in window.statusBar().currentMessage()
    window.nav.up()
    assert window.model.doc is window.model.root_doc
    assert window.scene.selected_node_ids() == [nid]


def test_an_editable_copy_of_a_template_is_this_nodes_own_file(make_window, qtbot, tmp_path):
    project = tmp_path / "outer.bsblock"
    window = make_window(doc=empty_document())
    nid = window.add_kind(RES, QPointF(200, 200))
    qtbot.mouseClick(window.inspector.editors["open_block"], Qt.LeftButton)
    copy = window.nav.bar.findChild(QToolButton, "make_copy")
    qtbot.mouseClick(copy, Qt.LeftButton)  # the project has no folder yet: it says so
    assert "Save the project first" in window.statusBar().currentMessage()
    assert window.model.read_only
    window.nav.up()
    assert window.save_to(project)
    qtbot.mouseClick(window.inspector.editors["open_block"], Qt.LeftButton)
    qtbot.mouseClick(window.nav.bar.findChild(QToolButton, "make_copy"), Qt.LeftButton)
    assert (tmp_path / "unet-res-block.bsblock").is_file()
    assert not window.model.read_only and window.model.kind == "file:unet-res-block.bsblock"
    window.scene.select_node("conv1")
    window.inspector.editors["kernel_size"].link.setCurrentText("—")
    type_value(qtbot, window.inspector.editors["kernel_size"].editor, "5")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key_S, Qt.ControlModifier)
    saved = load_document(tmp_path / "unet-res-block.bsblock", window.catalog)
    assert saved.nodes["conv1"].params["kernel_size"] == 5
    window.nav.up()
    assert window.model.root_doc.nodes[nid].kind == "file:unet-res-block.bsblock"
    while window.model.root_doc.nodes[nid].kind != RES:  # the edits inside, then the copy
        assert window.model.undo_stack.canUndo()
        window.model.undo_stack.undo()
    assert window.model.undo_stack.undoText().startswith("Add ")  # nothing else was undone


def test_a_double_click_on_a_block_lane_folds_just_that_block(qtbot, catalog):
    from blockstudio.core.library import BlockLibrary
    from blockstudio.engine.tracer import run_trace
    from blockstudio.ui.timeline_view import TimelineView
    from tests.nesting import two_levels

    trace = run_trace(two_levels(), catalog.with_library(BlockLibrary()))
    timeline = TimelineView()
    qtbot.addWidget(timeline)
    timeline.resize(1000, 600)
    timeline.show()
    qtbot.waitExposed(timeline)
    timeline.set_trace(trace)
    assert [lane.layer for lane in timeline.layout_.lanes] == ["two_levels", "down1", "down2"]
    qtbot.mouseClick(timeline.fold_box, Qt.LeftButton)  # unfold every block
    assert "down1/conv1" in [lane.layer for lane in timeline.layout_.lanes]
    qtbot.mouseClick(timeline.order_box, Qt.LeftButton)  # one step per event: wide bars
    build = next(i for i, e in enumerate(trace.events) if e.type == "build" and e.layer == "down1")
    qtbot.wait(50)  # the view settles its range
    double_click(qtbot, timeline.plot.viewport(), timeline_pixel(timeline, build))
    lanes = [lane.layer for lane in timeline.layout_.lanes]
    assert "down1/conv1" not in lanes and "down2/conv1" in lanes
    assert not timeline.fold_box.isChecked()  # some blocks are open
    weights = [i for i, e in enumerate(trace.events) if e.layer == "down1/conv1"]
    assert {timeline.layout_.lane[i] for i in weights} == {lanes.index("down1")}
