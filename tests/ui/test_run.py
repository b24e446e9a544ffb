"""Press Run and watch Keras build the block: each test one thing a user does with a run."""

from PySide6.QtCore import Qt

from blockstudio.core import commands as c
from tests.ui.helpers import run_and_wait, timeline_pixel, wait_for_engine


def test_f5_draws_every_build_and_weight_of_the_run(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    trace = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    panel = window.run_ui.panel
    assert window.bottom.currentWidget() is panel
    lanes = [ln.layer for ln in panel.timeline.layout_.lanes]
    assert lanes[0] == "unet_res_block" and {"conv1", "res_conv", "res_norm"} <= set(lanes)
    assert len(panel.timeline.items["mark_weight"].data) == len(trace.of_type("weight")) == 9
    rows = panel.weights.rows()
    assert sorted(r[0] for r in rows) == sorted(w.path for w in trace.weights)
    assert sum(int(r[6].replace(",", "")) for r in rows) == trace.total_params == 57728


def test_f6_calls_again_and_builds_nothing(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    again = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F6))
    calls = again.top_calls()
    assert len(calls) == 3 and calls[-1].data["built"] == 0


def test_a_call_with_a_wrong_shape_puts_keras_error_on_the_node(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    bad = run_and_wait(qtbot, window, lambda: window.run_ui.call_shape_text("(1, 64, 64, 16)"))
    assert bad.error["layer"] == "conv1"
    assert "expected axis -1" in window.scene.nodes["conv1"].problem_text
    assert "mark_error" in window.run_ui.panel.timeline.items
    window.scene.select_node("conv1")
    qtbot.waitUntil(lambda: "expected axis -1" in window.inspector.run_label.text(), timeout=3000)


def test_compare_channels_shows_res_conv_only_when_they_differ(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.run_ui.compare_channels()
    qtbot.waitUntil(lambda: len(window.runs.pairs) == 1, timeout=90000)
    view = window.run_ui.compare_windows[-1]
    assert (
        "res_conv exists only with in_channels 32 ≠ out_channels 64 (made in build())"
        in view.summary.toPlainText()
    )
    view.close()


def test_compare_styles_shows_where_each_sub_layer_is_made(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.run_ui.compare_styles()
    qtbot.waitUntil(lambda: len(window.runs.pairs) == 1, timeout=90000)
    view = window.run_ui.compare_windows[-1]
    assert (
        "res_conv is made in build() with build style, in __init__ with init style"
        in view.summary.toPlainText()
    )
    view.close()


def test_compare_eager_and_lazy_weights_shows_where_weights_are_made(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.run_ui.compare_weights()
    qtbot.waitUntil(lambda: len(window.runs.pairs) == 1, timeout=90000)
    eager, lazy = window.runs.pairs[0]

    def parent_of_conv1_build(trace):
        events = {e.id: e for e in trace.events}
        build = next(e for e in trace.events if e.type == "build" and e.layer == "conv1")
        parent = events[build.parent]
        return parent.type, parent.layer

    # eager: the block's build() builds conv1; lazy: conv1 builds when the block's call reaches it
    assert parent_of_conv1_build(eager) == ("build", "unet_res_block")
    assert parent_of_conv1_build(lazy) == ("call", "conv1")
    assert len(eager.weights) == len(lazy.weights) == 9
    window.run_ui.compare_windows[-1].close()


# -- without the engine: a run traced in this process, put into the window's run model ----------
def test_stepping_the_replay_lights_nodes_up_in_build_order(make_window, qtbot, unet_trace):
    window = make_window()
    window.runs.add_run(unet_trace)
    panel = window.run_ui.panel
    window.runs.seek(0)
    seen_built: list[str] = []
    for _ in range(len(unet_trace.events)):
        qtbot.mouseClick(panel.step, Qt.LeftButton)
        for nid, item in window.scene.nodes.items():
            name = window.model.doc.nodes[nid].name
            if item.build_state == "built" and name not in seen_built:
                seen_built.append(name)
    order = [e.layer for e in unet_trace.of_type("build")]
    expected = [name for name in order if window.model.doc.node_by_name(name)]
    assert seen_built == expected[: len(seen_built)] and len(seen_built) >= 6
    assert window.scene.nodes["conv1"].weight_count == 1
    assert panel.position.text() == f"{len(unet_trace.events)}/{len(unet_trace.events)}"


def test_clicking_a_weight_marker_selects_its_node_and_row(make_window, qtbot, unet_trace):
    window = make_window()
    window.runs.add_run(unet_trace)
    panel = window.run_ui.panel
    timeline = panel.timeline
    qtbot.mouseClick(timeline.order_box, Qt.LeftButton)  # one step per event: markers apart
    i = next(k for k, e in enumerate(unet_trace.events) if e.type == "weight" and e.node == "conv2")
    with qtbot.waitSignal(timeline.sigEventClicked) as clicked:
        qtbot.mouseClick(timeline.plot.viewport(), Qt.LeftButton, pos=timeline_pixel(timeline, i))
    assert clicked.args == [i]
    assert window.scene.selected_node_ids() == ["conv2"]
    selected = panel.weights.view.selectionModel().selectedRows()
    assert [panel.weights.proxy.index(r.row(), 0).data() for r in selected] == [
        unet_trace.events[i].path
    ]


def test_renaming_a_node_after_a_run_keeps_its_run(make_window, qtbot, bad_call_trace):
    window = make_window()
    window.runs.add_run(bad_call_trace)
    window.model.push(c.SetNodeField(window.model.doc, "conv1", "name", "first_conv"))
    # the Keras error stays on the renamed node, which the run knew by id
    assert "Keras:" in window.scene.nodes["conv1"].problem_text
    window.runs.seek(0)
    window.runs.seek(len(bad_call_trace.events))
    assert window.scene.nodes["conv1"].build_state == "built"
    # selecting it bands the lane of the layer as it was named in that run
    window.scene.select_node("conv1")
    qtbot.waitUntil(lambda: window.run_ui.panel.timeline.highlighted == "conv1", timeout=3000)


def test_reset_clears_the_run_from_canvas_and_timeline(make_window, qtbot, bad_call_trace):
    window = make_window()
    window.runs.add_run(bad_call_trace)
    window.run_ui.reset_action.trigger()
    assert window.scene.nodes["conv1"].problem_text == ""
    assert window.run_ui.panel.pages.currentWidget() is window.run_ui.panel.empty
