"""First launch: the U-Net example reads without zooming at common screen sizes."""

import pytest

from blockstudio.ui.canvas_items import COMPACT, FAR
from tests.ui.helpers import wait_for_engine


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)])
def test_every_name_and_shape_is_at_least_10_px_after_fit(make_window, qtbot, size):
    window = make_window(start_engine=True)
    window.resize(*size)
    wait_for_engine(qtbot, window)
    qtbot.waitUntil(lambda: "conv1" in window.model.shapes, timeout=60000)
    window.view.fit_all()
    scale = window.view.transform().m11()
    assert FAR <= scale
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    for nid, item in window.scene.nodes.items():
        assert visible.contains(item.sceneBoundingRect()), nid  # every node on screen
        if scale < COMPACT:
            (title, name), (small, shape), _pad, _w = item.compact_text(scale)
            name_px, shape_px = title.pixelSize() * scale, small.pixelSize() * scale
        else:
            name_px = shape_px = 10.7 * scale  # detailed cards: 8 pt and larger
        assert name_px >= 10 and shape_px >= 10, (nid, name, shape, name_px, shape_px)
        assert "×" in shape or "unknown" not in shape


def test_timeline_says_what_to_do_before_the_first_run(make_window, qtbot):
    window = make_window()
    panel = window.run_ui.panel
    assert panel.pages.currentWidget() is panel.empty
    assert "Press Run (F5)" in panel.empty.text()
    assert "No problems" in window.problems.item(0).text()
