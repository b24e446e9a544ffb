"""Each panel on its own models, driven with real mouse and keyboard events."""

import pytest
from PySide6.QtCore import QPoint, Qt

from blockstudio.core.runs import RunModel
from blockstudio.core.templates import load_template
from tests.ui.helpers import timeline_pixel


def shown(qtbot, widget, width=None, height=None):
    """``widget`` on screen (offscreen), owned by qtbot, at the given size."""
    qtbot.addWidget(widget)
    if width:
        widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def doc_model(qtbot, catalog):
    from blockstudio.ui.doc_model import DocumentModel

    return DocumentModel(catalog, load_template("unet-res-block", catalog))


@pytest.fixture
def inspector(qtbot, doc_model):
    from blockstudio.ui.inspector import Inspector

    widget = Inspector(doc_model, RunModel())
    qtbot.addWidget(widget)
    widget.resize(360, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# -- inspector ----------------------------------------------------------------------------------
def unlink(qtbot, inspector, param):
    """Home in the link box picks its first entry, "—": the param stops following a block param."""
    qtbot.keyClick(inspector.editors[param].link, Qt.Key_Home)
    assert inspector.editors[param].link.currentIndex() == 0


def test_inspector_typing_a_value_and_enter_sets_the_param(inspector, doc_model, qtbot):
    inspector.show_node("lrelu")
    line = inspector.editors["negative_slope"].editor
    assert not line.isEnabled()  # it follows the block parameter negative_slope
    unlink(qtbot, inspector, "negative_slope")  # stop following it
    line.selectAll()
    qtbot.keyClicks(line, "0.25")
    qtbot.keyClick(line, Qt.Key_Return)
    assert doc_model.doc.nodes["lrelu"].params["negative_slope"] == 0.25
    assert doc_model.undo_stack.undoText() == "Set lrelu.negative_slope = 0.25"


def test_inspector_shows_the_value_again_after_undo(inspector, doc_model, qtbot):
    inspector.show_node("conv1")
    spin = inspector.editors["strides"].editor
    unlink(qtbot, inspector, "strides")
    spin.selectAll()
    qtbot.keyClicks(spin, "2")
    qtbot.keyClick(spin, Qt.Key_Return)
    assert doc_model.doc.nodes["conv1"].params["strides"] == 2
    doc_model.undo_stack.undo()
    doc_model.undo_stack.undo()
    qtbot.waitUntil(lambda: inspector.editors["strides"].link.currentText() == "stride")
    assert not inspector.editors["strides"].editor.isEnabled()


def test_inspector_refuses_a_bad_value_in_place(inspector, doc_model, qtbot):
    inspector.show_node("lrelu")
    unlink(qtbot, inspector, "negative_slope")
    before = doc_model.doc.nodes["lrelu"].params["negative_slope"]
    line = inspector.editors["negative_slope"].editor
    line.selectAll()
    qtbot.keyClicks(line, "steep")
    assert "negative_slope" in inspector.error.text()
    qtbot.keyClick(line, Qt.Key_Return)
    assert doc_model.doc.nodes["lrelu"].params["negative_slope"] == before


def test_inspector_refuses_a_reserved_node_name(inspector, doc_model, qtbot):
    inspector.show_node("norm1")
    name = inspector.editors["name"]
    name.selectAll()
    qtbot.keyClicks(name, "build")
    qtbot.keyClick(name, Qt.Key_Return)
    assert "build" in inspector.error.text()
    assert doc_model.doc.nodes["norm1"].name == "norm1"


def test_inspector_follows_a_rename_made_elsewhere(inspector, doc_model, qtbot):
    from blockstudio.core import commands as c

    inspector.show_node("conv2")
    doc_model.push(c.SetNodeField(doc_model.doc, "conv2", "name", "second_conv"))
    qtbot.waitUntil(lambda: inspector.editors["name"].text() == "second_conv", timeout=2000)


def test_inspector_shows_what_the_run_made_for_the_node(qtbot, doc_model, unet_trace):
    from blockstudio.ui.inspector import Inspector

    runs = RunModel()
    widget = Inspector(doc_model, runs)
    qtbot.addWidget(widget)
    widget.show_node("conv1")
    runs.add_run(unet_trace)
    qtbot.waitUntil(lambda: hasattr(widget, "run_label"), timeout=2000)
    conv1 = [w for w in unet_trace.weights if w.path.endswith("conv1/kernel")]
    assert f"1 weight(s), {conv1[0].params:,} params" in widget.run_label.text()


# -- palette ------------------------------------------------------------------------------------
@pytest.fixture
def palette(qtbot, catalog):
    from blockstudio.ui.palette import Palette

    widget = shown(qtbot, Palette(catalog))
    return widget


def test_palette_search_narrows_the_kinds(palette, qtbot):
    qtbot.keyClicks(palette.search, "conv2d")
    shown = {k for k, item in palette.items.items() if not item.isHidden()}
    assert {"Conv2D", "Conv2DTranspose", "DepthwiseConv2D"} <= shown
    assert all("conv2d" in k.lower() for k in shown)


def test_palette_enter_on_a_kind_asks_to_add_it(palette, qtbot):
    qtbot.keyClicks(palette.search, "leaky")
    palette.tree.setCurrentItem(palette.items["LeakyReLU"])
    with qtbot.waitSignal(palette.sigAddKind) as added:
        qtbot.keyClick(palette.tree, Qt.Key_Return)
    assert added.args == ["LeakyReLU"]


def test_palette_double_click_asks_to_add_the_kind(palette, qtbot):
    item = palette.items["LeakyReLU"]
    palette.tree.scrollToItem(item)
    pos = palette.tree.visualItemRect(item).center()
    with qtbot.waitSignal(palette.sigAddKind) as added:
        qtbot.mouseClick(palette.tree.viewport(), Qt.LeftButton, pos=pos)  # as a mouse does:
        qtbot.mouseDClick(palette.tree.viewport(), Qt.LeftButton, pos=pos)  # click, then double
    assert added.args == ["LeakyReLU"]


# -- timeline, weights table, run panel ----------------------------------------------------------
@pytest.fixture
def timeline(qtbot, unet_trace):
    from blockstudio.ui.timeline_view import TimelineView

    widget = shown(qtbot, TimelineView(), 1000, 420)
    widget.set_trace(unet_trace)
    return widget


def test_timeline_has_one_lane_per_layer_under_its_parent(timeline, unet_trace):
    lanes = timeline.layout_.lanes
    assert lanes[0].layer == "unet_res_block" and lanes[0].depth == 0
    layers = {e.layer for e in unet_trace.events}
    assert {ln.layer for ln in lanes} == layers
    assert all(ln.depth == 1 for ln in lanes if ln.layer.startswith("conv"))


def test_timeline_order_box_spaces_events_one_step_apart(timeline, qtbot):
    qtbot.mouseClick(timeline.order_box, Qt.LeftButton)
    assert timeline.layout_.order_mode
    assert timeline.layout_.x[:4] == [0.0, 1.0, 2.0, 3.0]


def test_timeline_click_on_a_marker_reports_its_event(timeline, qtbot, unet_trace):
    qtbot.mouseClick(timeline.order_box, Qt.LeftButton)
    i = next(k for k, e in enumerate(unet_trace.events) if e.type == "weight")
    with qtbot.waitSignal(timeline.sigEventClicked) as clicked:
        qtbot.mouseClick(timeline.plot.viewport(), Qt.LeftButton, pos=timeline_pixel(timeline, i))
    assert clicked.args == [i]


def test_timeline_click_on_empty_space_reports_nothing(timeline, qtbot):
    with qtbot.assertNotEmitted(timeline.sigEventClicked):
        qtbot.mouseClick(
            timeline.plot.viewport(), Qt.LeftButton, pos=timeline.plot.rect().topRight()
        )


@pytest.fixture
def weights_table(qtbot, unet_trace):
    from blockstudio.ui.weights_table import WeightsTable

    widget = shown(qtbot, WeightsTable(), 700, 400)
    widget.set_trace(unet_trace)
    return widget


def test_weights_table_lists_every_weight_with_the_total(weights_table, unet_trace):
    assert sorted(r[0] for r in weights_table.rows()) == sorted(w.path for w in unet_trace.weights)
    assert f"{unet_trace.total_params:,} parameters" in weights_table.totals.text()


def test_weights_table_filter_keeps_matching_rows(weights_table, qtbot, unet_trace):
    qtbot.keyClicks(weights_table.filter, "res_")
    paths = [r[0] for r in weights_table.rows()]
    assert paths and all("res_" in p for p in paths)
    assert len(paths) == sum("res_" in w.path for w in unet_trace.weights)


def test_weights_table_header_clicks_sort_by_params_both_ways(weights_table, qtbot):
    header = weights_table.view.horizontalHeader()
    x = header.sectionViewportPosition(6) + header.sectionSize(6) // 2
    where = QPoint(x, header.height() // 2)

    def params():
        return [int(r[6].replace(",", "")) for r in weights_table.rows()]

    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=where)
    first = params()
    qtbot.mouseClick(header.viewport(), Qt.LeftButton, pos=where)
    second = params()
    assert sorted(first) in (first, first[::-1]) and len(set(first)) > 1
    assert second == sorted(first, reverse=first == sorted(first))


@pytest.fixture
def run_panel(qtbot):
    from blockstudio.ui.run_panel import RunPanel

    runs = RunModel()
    widget = shown(qtbot, RunPanel(runs), 1200, 450)
    return widget


def test_run_panel_says_what_to_do_before_a_run(run_panel):
    assert run_panel.pages.currentWidget() is run_panel.empty
    assert not run_panel.play.isEnabled()


def test_run_panel_step_moves_the_replay_of_the_run_model(run_panel, qtbot, unet_trace):
    runs = run_panel.runs
    runs.add_run(unet_trace)
    n = len(unet_trace.events)
    assert run_panel.position.text() == f"{n}/{n}"
    first = next(i for i, e in enumerate(unet_trace.events) if e.type == "build" and e.node)
    runs.seek(first)
    assert runs.node_states()[0] == {}
    qtbot.mouseClick(run_panel.step, Qt.LeftButton)
    assert runs.position == first + 1 and run_panel.position.text() == f"{first + 1}/{n}"
    assert runs.node_states()[0] == {unet_trace.events[first].node: "building"}


def test_run_panel_play_runs_the_replay_to_the_end(run_panel, qtbot, unet_trace):
    runs = run_panel.runs
    runs.add_run(unet_trace)
    run_panel.speed.setCurrentText("4×")
    qtbot.mouseClick(run_panel.play, Qt.LeftButton)  # at the end: starts from the beginning
    assert run_panel.play.text() == "⏸ Pause"
    qtbot.waitUntil(lambda: run_panel.play.text() == "▶ Play", timeout=20000)
    assert runs.position == len(unet_trace.events)
