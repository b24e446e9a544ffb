"""Press Run and watch Keras build the block: timeline, weights, replay, compare, exports."""

import json

from PySide6.QtCore import Qt

from tests.ui.helpers import wait_for_engine


def run_and_wait(qtbot, window, action):
    before = len(window.run_ui.runs.runs)
    action()
    qtbot.waitUntil(lambda: len(window.run_ui.runs.runs) > before, timeout=90000)
    return window.run_ui.runs.runs[-1]


def test_run_call_again_wrong_shape_replay_compare_export(make_window, qtbot, tmp_path):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    panel = window.run_ui.panel

    # Run (F5): lanes, markers and the weights table match the trace
    trace = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    lanes = [ln.layer for ln in panel.timeline.layout_.lanes]
    assert lanes[0] == "unet_res_block" and {"conv1", "res_conv", "res_norm"} <= set(lanes)
    weight_events = trace.of_type("weight")
    markers = panel.timeline.items["mark_weight"]
    assert len(markers.data) == len(weight_events) == 9
    rows = panel.weights.rows()
    assert sorted(r[0] for r in rows) == sorted(w.path for w in trace.weights)
    assert sum(int(r[6].replace(",", "")) for r in rows) == trace.total_params == 57728
    assert "57,728 parameters" in panel.weights.totals.text()

    # event order: equal steps instead of milliseconds
    panel.timeline.order_box.setChecked(True)
    assert panel.timeline.layout_.x[:4] == [0.0, 1.0, 2.0, 3.0]
    panel.timeline.order_box.setChecked(False)

    # Call again (F6): one more call, and it builds nothing
    again = run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F6))
    calls = again.top_calls()
    assert len(calls) == 3 and calls[-1].data["built"] == 0

    # Call with a wrong shape: Keras's message lands on the node that raised it
    bad = run_and_wait(qtbot, window, lambda: window.run_ui.call_shape_text("(1, 64, 64, 16)"))
    assert bad.error["layer"] == "conv1"
    qtbot.waitUntil(lambda: "Keras:" in window.scene.nodes["conv1"].problem_text)
    assert "expected axis -1" in window.scene.nodes["conv1"].problem_text
    assert "mark_error" in panel.timeline.items

    # Replay: stepping lights nodes up in build order
    run_and_wait(qtbot, window, lambda: qtbot.keyClick(window, Qt.Key_F5))
    panel.slider.setValue(0)
    seen_built: list[str] = []
    for _ in range(len(panel.trace.events)):
        qtbot.mouseClick(panel.step, Qt.LeftButton)
        for nid, item in window.scene.nodes.items():
            name = window.model.doc.nodes[nid].name
            if item.build_state == "built" and name not in seen_built:
                seen_built.append(name)
    order = [e.layer for e in panel.trace.of_type("build")]
    expected = [name for name in order if window.model.doc.node_by_name(name)]
    assert seen_built == expected[: len(seen_built)] and len(seen_built) >= 6
    assert window.scene.nodes["conv1"].weight_count == 1

    # Clicking a weight marker selects the node and the weights row
    timeline = panel.timeline
    i = next(
        k for k, e in enumerate(panel.trace.events) if e.type == "weight" and e.layer == "conv2"
    )
    assert timeline.event_at(timeline.layout_.x[i], timeline.layout_.lane[i]) == i
    timeline.sigEventClicked.emit(i)
    assert window.scene.selected_node_ids() == ["conv2"]

    # Exports
    for name in ("t.json", "t.trace.json", "t.png", "t.svg"):
        panel.export(tmp_path / name)
    assert json.loads((tmp_path / "t.json").read_text())["format"] == "blockstudio.trace"
    assert "traceEvents" in json.loads((tmp_path / "t.trace.json").read_text())
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (tmp_path / "t.svg").read_text()

    # Compare: res_conv is created in build() only when the channels differ
    window.run_ui.compare_channels()
    qtbot.waitUntil(lambda: len(window.run_ui.compare_windows) == 1, timeout=90000)
    view = window.run_ui.compare_windows[-1]
    summary = view.summary.toPlainText()
    assert (
        "res_conv exists only in compare: in_channels 32 ≠ out_channels 64 (created in build)"
        in summary
    )
    window.run_ui.compare_styles()
    qtbot.waitUntil(lambda: len(window.run_ui.compare_windows) == 2, timeout=90000)
    summary = window.run_ui.compare_windows[-1].summary.toPlainText()
    assert (
        "res_conv: created in build in compare: build style, in __init__ in compare: init"
        in summary
    )
    picked = window.run_ui.compare_runs(window.run_ui.runs.runs[0], window.run_ui.runs.runs[1])
    assert "weights: 9 vs 9" in picked.summary.toPlainText()
    for v in window.run_ui.compare_windows:
        v.close()


def test_compare_eager_and_lazy_weights_shows_where_weights_are_made(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.run_ui.compare_weights()
    qtbot.waitUntil(lambda: len(window.run_ui.compare_windows) == 1, timeout=90000)
    by_label = {t.label: t for t in window.run_ui.runs.runs}
    eager, lazy = by_label["compare: eager weights"], by_label["compare: lazy weights"]

    def parent_of_conv1_build(trace):
        events = {e.id: e for e in trace.events}
        build = next(e for e in trace.events if e.type == "build" and e.layer == "conv1")
        parent = events[build.parent]
        return parent.type, parent.layer

    # eager: the block's build() builds conv1; lazy: conv1 builds when the block's call reaches it
    assert parent_of_conv1_build(eager) == ("build", "unet_res_block")
    assert parent_of_conv1_build(lazy) == ("call", "conv1")
    assert len(eager.weights) == len(lazy.weights) == 9
    for v in window.run_ui.compare_windows:
        v.close()


def test_renaming_a_node_after_a_run_keeps_its_run(make_window, qtbot):
    from blockstudio.core import commands as c

    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    trace = run_and_wait(qtbot, window, lambda: window.run_ui.call_shape_text("(1, 64, 64, 16)"))
    assert trace.error["node"] == "conv1"
    assert {e.node for e in trace.of_type("weight")} >= {"conv1", "norm1", "res_conv"}
    window.model.push(c.SetNodeField(window.model.doc, "conv1", "name", "first_conv"))
    # the Keras error stays on the renamed node
    window.run_ui._show_run(trace)
    qtbot.waitUntil(lambda: "Keras:" in window.scene.nodes["conv1"].problem_text)
    # replay lights up the renamed node, by id
    panel = window.run_ui.panel
    panel.slider.setValue(0)
    panel.slider.setValue(len(trace.events))
    assert window.scene.nodes["conv1"].build_state == "built"
    assert window.scene.nodes["conv1"].weight_count == 1
    # selecting it highlights the lane of the layer as it was named in that run
    window.scene.select_node("conv1")
    qtbot.waitUntil(lambda: panel.timeline.highlighted == "conv1", timeout=3000)
