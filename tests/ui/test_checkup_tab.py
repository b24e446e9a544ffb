"""The Checkup tab: run from the tab, watch the matrix fill, click a cell."""

from PySide6.QtCore import Qt

from blockstudio.core.checkup import SCENARIOS
from tests.ui.helpers import wait_for_engine


def _cell_center(table, row, column):
    return table.visualItemRect(table.item(row, column)).center()


def test_check_style_fills_the_matrix_and_a_click_shows_the_trace(make_window, qtbot):
    window = make_window(start_engine=True)
    window.model.doc.set_block_field("input_shape", (None, 8, 8, 4))
    window.model.sigChanged.emit()
    wait_for_engine(qtbot, window)
    panel = window.run_ui.checkup
    window.bottom.setCurrentWidget(panel)
    window.code.weights.setCurrentText("lazy")
    qtbot.mouseClick(panel.check_style, Qt.LeftButton)
    assert panel.progress.isVisible() and panel.cancel.isEnabled()
    assert panel.table.item(0, 0).text() == "queued…"
    qtbot.waitUntil(lambda: not panel._pending, timeout=180000)
    statuses = [panel.table.item(r, 0).data(Qt.UserRole) for r in range(len(SCENARIOS))]
    # lazy build style: build() and a symbolic call leave no weights (Keras asks the block's
    # compute_output_shape instead of running call()), so summary, weights, .keras and fit fail
    assert statuses.count("pass") == 9
    assert statuses[1] == "warning" and statuses[7] == "fail"
    assert "9 passed, 2 warned, 4 failed" in panel.summary.text()
    assert not panel.progress.isVisible()

    # click "set/load weights": Keras's message below, the scenario's trace on the timeline
    table = panel.table
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=_cell_center(table, 7, 0))
    assert "expecting 0 weights" in panel.details.toPlainText()
    shown = window.runs.shown
    assert shown.label == "checkup: set/load weights · build"
    assert window.run_ui.panel.timeline.trace is shown
    assert window.bottom.currentWidget() is panel  # the matrix stays in front


def test_cancel_stops_the_checkup_and_the_studio_keeps_running(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    panel = window.run_ui.checkup
    qtbot.mouseClick(panel.check_all, Qt.LeftButton)
    assert len(panel._pending) == 3 * len(SCENARIOS)
    qtbot.mouseClick(panel.cancel, Qt.LeftButton)
    qtbot.waitUntil(lambda: not panel._pending, timeout=60000)
    texts = [panel.table.item(r, c).text() for r in range(len(SCENARIOS)) for c in range(3)]
    assert texts.count("cancelled") >= 3 * len(SCENARIOS) - 2  # at most one was running
    assert not panel.cancel.isEnabled()
