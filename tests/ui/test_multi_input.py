"""Blocks with several inputs and list parameters in the studio: a second Input, two input
shapes, an up block's two ports, and a level's parameter following one entry of a list."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from blockstudio.core.document import Edge, ParamRef
from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from blockstudio.ui.file_actions import empty_document
from tests.ui.helpers import (
    double_click,
    drag,
    drop_kind,
    run_and_wait,
    type_value,
    view_point,
    wait_for_engine,
)

UP = "template:unet-up-block"


def _connect(qtbot, window, src_id: str, dst_id: str, port: int) -> None:
    scene, view = window.scene, window.view
    src, dst = scene.nodes[src_id].output, scene.nodes[dst_id].inputs[port]
    view.resetTransform()
    view.centerOn((src.scenePos() + dst.scenePos()) / 2)
    drag(qtbot, view, src.scenePos(), dst.scenePos())
    assert Edge(src_id, dst_id, port) in window.model.doc.edges


def test_an_up_block_on_two_inputs_from_palette_to_run(make_window, qtbot):
    window = make_window(doc=empty_document(), start_engine=True)
    doc = window.model.doc
    window.scene.clearSelection()
    next(iter(window.scene.edges.values())).setSelected(True)
    qtbot.keyClick(window.view, Qt.Key_Delete)
    # a second Input from the palette is the next input: index 1, named skip, with a shape
    # to edit; the first, still called 'input' (a Python built-in), becomes x_in; one undo step
    one = doc.input_shape
    window.palette.sigAddKind.emit("Input")
    skip = next(n for n in doc.input_nodes if n.id != "input")
    assert (skip.name, skip.params) == ("skip", {"index": 1})
    assert doc.nodes["input"].name == "x_in" and doc.input_shape == (one, one)
    assert window.model.undo_stack.undoText() == "Add skip"
    window.model.undo_stack.undo()
    assert len(doc.input_nodes) == 1 and doc.input_shape == one
    assert doc.nodes["input"].name == "input"
    window.model.undo_stack.redo()
    skip = doc.nodes[skip.id]
    assert doc.nodes["input"].name == "x_in"
    window.view.resetTransform()
    window.view.centerOn(QPointF(300, 250))
    drop_kind(window.view, UP, view_point(window.view, QPointF(300, 250)))
    up = next(n.id for n in doc.nodes.values() if n.kind == UP)
    ports = window.scene.nodes[up].inputs
    assert [p.toolTip() for p in ports] == ["input 0: inp", "input 1: skip"]  # one per Input
    _connect(qtbot, window, "input", up, 0)
    _connect(qtbot, window, skip.id, up, 1)
    _connect(qtbot, window, up, "output", 0)
    # one shape per input, typed in the inspector; a bad second one says which
    window.scene.clearSelection()
    shape = window.inspector.editors["input_shape"]
    qtbot.mouseClick(shape, Qt.LeftButton, pos=shape.rect().center())
    qtbot.keyClick(shape, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(shape, "(None, 8, 8, 32), (None, 16, x, 16)")
    assert "Input 2: Dimension 3 is 'x'" in window.inspector.error.text()  # shown in place
    two = "(None, 8, 8, 32), (None, 16, 16, 16)"
    type_value(qtbot, window.inspector.editors["input_shape"], two)
    assert doc.input_shape == ((None, 8, 8, 32), (None, 16, 16, 16))
    window.scene.select_node(up)
    window.inspector.editors["out_channels"].editor.setValue(16)
    wait_for_engine(qtbot, window)
    qtbot.waitUntil(lambda: window.model.shapes.get(up) == (None, 16, 16, 16), timeout=30000)
    assert window.model.all_problems() == []
    trace = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    assert trace.error is None and "unet_up_block/transp_conv" in {e.layer for e in trace.events}
    window.model.undo_stack.undo()  # out_channels back to 64: the skip of 16 no longer fits
    assert "out_channels" not in doc.nodes[up].params


def test_a_level_follows_one_entry_of_a_list_parameter(make_window, qtbot, catalog):
    doc = load_template("dynunet", catalog.with_library(BlockLibrary()))
    window = make_window(doc=doc)
    window.scene.select_node("input_block")
    editor = window.inspector.editors["stride"]
    assert editor.link.currentText() == "strides[0]" and not editor.editor.isEnabled()
    choices = [editor.link.itemText(i) for i in range(editor.link.count())]
    assert {"filters[0]", "strides[4]", "kernel_size[3]"} <= set(choices)
    editor.link.setCurrentText("strides[1]")
    assert doc.nodes["input_block"].params["stride"] == ParamRef("strides", 1)
    window.model.undo_stack.undo()
    assert doc.nodes["input_block"].params["stride"] == ParamRef("strides", 0)
    # a repeated level follows the entry of its instance: shown as the expression
    window.scene.select_node("downsamples")
    assert window.inspector.editors["stride"].link.currentText() == "strides[i + 1]"
    # each instance's value, read-only beside the link: filters[1] to filters[3]
    assert window.inspector.editors["out_channels"].editor.text() == "64, 128, 256"
    assert window.inspector.editors["stride"].editor.text() == "2, 2, 2"
    said = [w.text() for w in window.inspector.findChildren(QLabel)]
    assert "3 instances now; index i; chained; outputs kept in skips" in said
    assert window.inspector.editors["repeat_count"].text() == "len(strides) - 2"
    # the list itself is a block parameter, edited as a tuple in the table
    window.scene.clearSelection()
    table = window.inspector.editors["params"]
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "strides")
    table.item(row, 2).setText("(1, 2, 2, 2)")
    assert doc.param("strides").default == (1, 2, 2, 2)
    qtbot.waitUntil(
        lambda: any(
            p.param == "params.strides" and p.message.startswith("length of kernel_size and")
            for p in window.model.all_problems()
        )
    )


def test_a_repeated_node_is_one_card_counting_its_instances_and_opens_the_first(
    make_window, qtbot, catalog
):
    doc = load_template("dynunet", catalog.with_library(BlockLibrary()))
    window = make_window(doc=doc, start_engine=True)
    scene = window.scene
    qtbot.waitUntil(lambda: scene.nodes["downsamples"].repeat_text == "  ×3")
    assert "downsamples_0" not in scene.nodes  # one card, not one per level
    assert scene.nodes["upsamples"].repeat_text == "  ×4"
    assert scene.nodes["deep_supervision_heads"].repeat_text == "  ×0"
    assert "×3" in scene.nodes["downsamples"].toolTip()
    # six levels: the count follows the values
    window.scene.clearSelection()
    table = window.inspector.editors["params"]
    for name, text in (
        ("kernel_size", "(3, 3, 3, 3, 3, 3)"),
        ("upsample_kernel_size", "(2, 2, 2, 2, 2)"),
        ("strides", "(1, 2, 2, 2, 2, 2)"),
    ):
        table = window.inspector.editors["params"]
        row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == name)
        table.item(row, 2).setText(text)
    qtbot.waitUntil(lambda: scene.nodes["downsamples"].repeat_text == "  ×4")
    assert scene.nodes["upsamples"].repeat_text == "  ×5"
    wait_for_engine(qtbot, window)  # the shapes: a block opens with what reaches it
    qtbot.waitUntil(
        lambda: window.model.shapes.get("downsamples") == (None, 4, 4, 512), timeout=20000
    )
    item = scene.nodes["downsamples"]
    window.view.resetTransform()
    window.view.centerOn(item)
    pos = view_point(window.view, item.sceneBoundingRect().center())
    double_click(qtbot, window.view.viewport(), pos)
    # four instances: a menu at the pointer says which, each with what reaches it
    qtbot.waitUntil(lambda: window.nav.menu is not None and window.nav.menu.isVisible())
    menu = window.nav.menu
    said = [a.text() for a in menu.actions()]
    assert said[0] == "Open downsamples_0 ← (None, 64, 64, 32)" and len(said) == 4
    assert said[3] == "Open downsamples_3 ← (None, 8, 8, 256)"
    qtbot.keyClick(menu, Qt.Key_Escape)  # nothing opens
    qtbot.waitUntil(lambda: not menu.isVisible())
    assert window.model.doc.name == "DynUNet"
    double_click(qtbot, window.view.viewport(), pos)
    qtbot.waitUntil(lambda: window.nav.menu is not menu and window.nav.menu.isVisible())
    menu = window.nav.menu
    qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(menu.actions()[0]).center())
    qtbot.waitUntil(lambda: window.model.doc.name == "UnetLevelBlock")
    assert "showing instance downsamples_0" in window.statusBar().currentMessage()
    crumbs = [label.text() for label in window.nav.bar.findChildren(QLabel)]
    assert any("<b>downsamples_0</b>" in c for c in crumbs)  # the instance, by its own name
    qtbot.waitUntil(lambda: "input_here" in window.inspector.editors)  # the page is made later
    assert window.inspector.editors["input_here"].text() == "(None, 64, 64, 32) at downsamples_0"
    table = window.inspector.editors["params"]
    here = {table.item(r, 0).text(): table.item(r, 3).text() for r in range(table.rowCount())}
    assert table.horizontalHeaderItem(3).text() == "here"
    assert (here["out_channels"], here["stride"]) == ("64", "2")  # filters[1], strides[1]
    # the first instance's values: filters[1], strides[1]
    assert window.model.context[1]["stride"] == 2 and window.model.context[1]["out_channels"] == 64
    assert window.model.context[0] == (None, 64, 64, 32)  # what input_block gives it
    # another instance from the inspector: the last one down, downsamples_3 (filters[4])
    window.nav.up()
    qtbot.waitUntil(lambda: window.model.shapes.get("downsamples") == (None, 4, 4, 512))
    window.scene.select_node("downsamples")
    which = window.inspector.editors["instance"]
    assert which.maximum() == 3
    which.setValue(3)
    qtbot.mouseClick(window.inspector.editors["open_block"], Qt.LeftButton)
    qtbot.waitUntil(lambda: window.model.doc.name == "UnetLevelBlock")
    assert window.model.context[1]["out_channels"] == 512
    assert window.model.context[0] == (None, 8, 8, 256)  # what downsamples_2 gives it
    assert "showing instance downsamples_3" in window.statusBar().currentMessage()


def test_a_new_block_parameter_can_become_a_list(make_window, qtbot):
    window = make_window(doc=empty_document())
    doc = window.model.doc
    window.scene.clearSelection()
    qtbot.mouseClick(
        next(b for b in window.inspector.findChildren(QPushButton) if b.text() == "Add"),
        Qt.LeftButton,
    )
    assert doc.param("param1").type == "int"
    qtbot.waitUntil(lambda: "param_type:param1" in window.inspector.editors)
    kind = window.inspector.editors["param_type:param1"]
    kind.setCurrentText("ints")
    kind.activated.emit(kind.currentIndex())
    assert (doc.param("param1").type, doc.param("param1").default) == ("ints", (1,))
    qtbot.waitUntil(lambda: window.inspector.editors.get("params") is not None)
    table = window.inspector.editors["params"]
    table.item(0, 2).setText("(1, 2, 2)")
    assert doc.param("param1").default == (1, 2, 2)
    nid = window.add_kind("Convolution", QPointF(200, 200))
    link = window.inspector.editors["strides"].link
    assert [link.itemText(i) for i in range(link.count())][-3:] == [
        "param1[0]",
        "param1[1]",
        "param1[2]",
    ]
    link.setCurrentText("param1[2]")
    assert doc.nodes[nid].params["strides"] == ParamRef("param1", 2)
    for _ in range(4):  # the link, the node, the list's values, the type
        window.model.undo_stack.undo()
    assert (doc.param("param1").type, doc.param("param1").default) == ("int", 1)


def test_a_second_output_from_the_palette_makes_the_block_return_a_list(make_window, qtbot):
    window = make_window(doc=empty_document())
    doc = window.model.doc
    window.palette.sigAddKind.emit("Output")
    second = next(n for n in doc.output_nodes if n.id != "output")
    assert second.params == {"index": 1} and [n.id for n in doc.output_nodes][0] == "output"
    _connect(qtbot, window, "input", second.id, 0)
    assert window.model.all_problems() == []
    qtbot.waitUntil(lambda: "return [inputs, inputs]" in window.code.source, timeout=20000)


def _click_param_row(qtbot, window, name: str) -> int:
    """Click the name cell of block parameter ``name`` in the inspector; its row."""
    table = window.inspector.editors["params"]
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == name)
    window.inspector.ensureWidgetVisible(table)
    table.scrollToItem(table.item(row, 0))
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert table.currentRow() == row
    return row


def test_a_list_parameter_computed_when_none_is_edited_in_the_inspector(
    make_window, qtbot, catalog
):
    doc = load_template("dynunet", catalog.with_library(BlockLibrary()))
    window = make_window(doc=doc, start_engine=True)
    window.scene.clearSelection()
    table, when = window.inspector.editors["params"], window.inspector.editors["when_none"]
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "filters")
    assert table.item(row, 2).text() == "None" and not when.isEnabled()
    # the row is selected while the engine starts: its shapes and counts land afterwards
    _click_param_row(qtbot, window, "filters")
    assert when.isEnabled() and "2 ** (5 + i)" in when.text()
    wait_for_engine(qtbot, window)
    qtbot.waitUntil(lambda: window.model.shapes.get("bottleneck", (0,))[-1] == 512, timeout=20000)
    qtbot.waitUntil(lambda: bool(window.model.param_counts), timeout=20000)
    qtbot.wait(20)  # the inspector's deferred refresh, had it one
    # the engine's replies landed while the row was selected: it still is, the field with it
    when = window.inspector.editors["when_none"]
    assert window.inspector.editors["params"].currentRow() == row
    assert when.isEnabled() and "2 ** (5 + i)" in when.text()
    type_value(qtbot, when, "[16 * 2 ** i for i in range(len(strides))]")
    assert doc.param("filters").when_none == "[16 * 2 ** i for i in range(len(strides))]"
    qtbot.waitUntil(lambda: window.model.shapes.get("bottleneck", (0,))[-1] == 256)
    # a bad one is refused where it was typed, and the document keeps the last good one
    when = window.inspector.editors["when_none"]
    assert window.inspector.editors["params"].currentRow() == row  # still the same parameter
    type_value(qtbot, when, "[w for w in widths]")
    assert "unknown name 'widths'" in window.inspector.error.text()
    assert doc.param("filters").when_none.startswith("[16 * 2 ** i")
    qtbot.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    assert doc.param("filters").when_none.startswith("[min(2 ** (5 + i)")
    qtbot.waitUntil(lambda: window.model.shapes.get("bottleneck", (0,))[-1] == 512)


def _rename_param_row(qtbot, window, old: str, new: str) -> None:
    """Double-click the name cell of block parameter ``old``, type ``new``, Enter."""
    table = window.inspector.editors["params"]
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == old)
    window.inspector.ensureWidgetVisible(table)
    rect = table.visualItemRect(table.item(row, 0))
    double_click(qtbot, table.viewport(), rect.center())
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not table, timeout=2000)
    editor = QApplication.focusWidget()
    qtbot.keyClick(editor, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(editor, new)
    qtbot.keyClick(editor, Qt.Key_Return)


def test_renaming_a_list_parameter_keeps_the_repeats_that_count_with_it(
    make_window, qtbot, catalog
):
    doc = load_template("dynunet", catalog.with_library(BlockLibrary()))
    window = make_window(doc=doc)
    window.scene.clearSelection()
    badge = window.scene.nodes["downsamples"].repeat_text.strip()
    assert badge == "×3" and window.model.all_problems() == []
    table = window.inspector.editors["params"]
    _rename_param_row(qtbot, window, "strides", "i")  # the repeats' own index: refused, in place
    qtbot.waitUntil(lambda: window.inspector.editors["params"] is not table)
    # the table shows the name again, and says why below it until the next edit
    assert window.inspector.editors["params"].item(4, 0).text() == "strides"
    assert "index of the repeated node downsamples" in window.inspector.error.text()
    assert doc.param("strides") is not None
    _rename_param_row(qtbot, window, "strides", "steps")
    qtbot.waitUntil(lambda: doc.param("steps") is not None)
    assert (
        doc.param("steps") is not None and doc.nodes["downsamples"].repeat.count == "len(steps) - 2"
    )
    assert window.model.undo_stack.undoText() == "Rename block parameter strides to steps"
    window.model.flush()
    assert (
        window.model.all_problems() == []
        and window.scene.nodes["downsamples"].repeat_text.strip() == "×3"
    )
    qtbot.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)  # one step puts every one back
    assert doc.nodes["downsamples"].repeat.count == "len(strides) - 2"
    assert doc.nodes["bottleneck"].params["stride"].index == "len(strides) - 1"


def test_a_repeat_count_is_edited_in_the_inspector_checked_as_typed_and_undone(
    make_window, qtbot, catalog
):
    doc = load_template("dynunet", catalog.with_library(BlockLibrary()))
    window = make_window(doc=doc)
    window.scene.select_node("downsamples")
    qtbot.waitUntil(lambda: window.inspector.node_id == "downsamples")
    count = window.inspector.editors["repeat_count"]
    assert count.text() == "len(strides) - 2"
    assert not window.inspector.editors["condition"].isEnabled()  # the count says it
    # a mistake is said where it is typed, and Enter does not take it
    qtbot.mouseClick(count, Qt.LeftButton, pos=count.rect().center())
    qtbot.keyClick(count, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(count, "len(widths) - 2")
    error = window.inspector.error
    assert "widths" in error.text()
    # said in a strip below the page, seen however far the page scrolls
    viewport = window.inspector.viewport().geometry()
    assert error.isVisible() and error.geometry().top() >= viewport.bottom()
    assert window.inspector.rect().contains(error.geometry())
    qtbot.keyClick(count, Qt.Key_Return)
    assert doc.nodes["downsamples"].repeat.count == "len(strides) - 2"
    # one level fewer on the way down: the card says ×2 and the way up, one skip short, says so
    type_value(qtbot, window.inspector.editors["repeat_count"], "len(strides) - 3")
    assert doc.nodes["downsamples"].repeat.count == "len(strides) - 3"
    assert window.model.undo_stack.undoText() == "Set downsamples repeat count to len(strides) - 3"
    qtbot.waitUntil(lambda: window.scene.nodes["downsamples"].repeat_text.strip() == "×2")
    window.model.flush()
    assert any(p.node_id == "upsamples" for p in window.model.all_problems())
    qtbot.keyClick(window.inspector.editors["repeat_count"], Qt.Key_Tab)  # the field is left
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: window.scene.nodes["downsamples"].repeat_text.strip() == "×3")
    window.model.flush()
    assert window.model.all_problems() == []
    assert window.inspector.editors["repeat_count"].text() == "len(strides) - 2"
    assert not error.isVisible()  # nothing to say: the strip is gone, the page takes its room
