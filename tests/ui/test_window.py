"""The studio driven like a user: mouse, keyboard and real widgets (offscreen)."""

import re

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from blockstudio.core.project import document_to_json, load_document
from tests.ui.helpers import drag, drop_kind, view_point, wait_for_engine


def test_opens_on_the_unet_example(make_window):
    window = make_window()
    assert window.model.doc.name == "UnetResBlock"
    assert set(window.scene.nodes) == set(window.model.doc.nodes)
    assert len(window.scene.edges) == len(window.model.doc.edges)
    assert "class UnetResBlock(keras.layers.Layer)" in window.code.text.toPlainText()
    assert window.windowTitle().startswith("UnetResBlock (unsaved)")


def test_drag_a_kind_from_the_palette_onto_the_canvas(make_window, qtbot):
    window = make_window()
    vp = window.view.viewport()
    where = QPointF(vp.rect().center())
    before = len(window.model.doc.nodes)
    drop_kind(window.view, "Dense", where.toPoint())  # as a drop from the palette would be
    assert len(window.model.doc.nodes) == before + 1
    node = list(window.model.doc.nodes.values())[-1]
    assert node.kind == "Dense" and node.name == "dense"
    dropped = window.scene.nodes[node.id].sceneBoundingRect()
    assert dropped.contains(window.view.mapToScene(where.toPoint()))
    assert window.undo_action.text() == "&Undo Add dense"


def test_palette_search_and_double_click_adds_at_centre(make_window, qtbot):
    window = make_window()
    qtbot.keyClick(window, Qt.Key_F, Qt.ControlModifier)
    qtbot.keyClicks(window.palette.search, "leaky")
    visible = [k for k, item in window.palette.items.items() if not item.isHidden()]
    assert visible == ["LeakyReLU"]
    qtbot.keyClick(window.palette.search, Qt.Key_Down)  # into the results
    window.palette.tree.setCurrentItem(window.palette.items["LeakyReLU"])
    qtbot.keyClick(window.palette.tree, Qt.Key_Return)
    assert any(n.name == "leaky_relu" for n in window.model.doc.nodes.values())


def test_connect_two_ports_with_the_mouse_and_undo(make_window, qtbot):
    window = make_window()
    dense_id = window.add_kind("ReLU", QPointF(400, 400))
    item = window.scene.nodes[dense_id]
    window.view.resetTransform()  # 1:1, where ports are shown and can be aimed at
    src = window.scene.nodes["norm2"].output
    window.view.centerOn(QPointF((src.scenePos().x() + item.scenePos().x()) / 2, 300))
    drag(qtbot, window.view, src.scenePos(), item.inputs[0].scenePos())
    assert any(e.src == "norm2" and e.dst == dense_id for e in window.model.doc.edges)
    assert window.undo_action.text() == "&Undo Connect norm2 → relu"
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier)
    assert not any(e.dst == dense_id for e in window.model.doc.edges)
    qtbot.keyClick(window, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert any(e.dst == dense_id for e in window.model.doc.edges)


def test_invalid_connection_is_refused_with_a_reason(make_window, qtbot):
    window = make_window()
    window.view.resetTransform()
    window.view.centerOn(window.scene.nodes["conv2"])
    src = window.scene.nodes["conv2"].output
    target = window.scene.nodes["norm1"].inputs[0]  # would be a cycle and the port is taken
    before = window.model.doc.edges
    drag(qtbot, window.view, src.scenePos(), target.scenePos())
    assert window.model.doc.edges == before
    assert "Cannot connect" in window.statusBar().currentMessage()


def test_moving_nodes_is_one_undo_step(make_window, qtbot):
    window = make_window()
    window.view.resetTransform()
    item = window.scene.nodes["conv1"]
    window.view.centerOn(item)
    start = item.scenePos() + QPointF(60, 12)
    drag(qtbot, window.view, start, start + QPointF(90, 70))
    moved = window.model.doc.nodes["conv1"].position
    assert moved != (200.0, 0.0)
    assert window.undo_action.text() == "&Undo Move conv1"
    window.model.undo_stack.undo()
    assert window.model.doc.nodes["conv1"].position == (200.0, 0.0)
    assert item.pos() == QPointF(200.0, 0.0)


def test_edit_param_updates_edge_shape_and_code(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.scene.select_node("conv1")
    editor = window.inspector.editors["filters"]
    editor.link.setCurrentText("—")  # stop following out_channels
    spin = window.inspector.editors["filters"].editor
    spin.setValue(16)
    assert window.model.doc.nodes["conv1"].params["filters"] == 16
    qtbot.waitUntil(lambda: window.model.shapes.get("conv1") == (None, 64, 64, 16), timeout=20000)
    edge = next(e for key, e in window.scene.edges.items() if key.src == "conv1")
    assert edge.label == "(None, 64, 64, 16)"
    conv1 = re.compile(r"self\.conv1 = _conv\(\s*spatial_dims,\s*16,")
    qtbot.waitUntil(lambda: conv1.search(window.code.source) is not None)


def test_shape_error_shows_on_the_node_and_in_problems(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.scene.select_node("conv2")
    window.inspector.editors["filters"].link.setCurrentText("—")
    window.inspector.editors["filters"].editor.setValue(16)
    qtbot.waitUntil(lambda: window.scene.nodes["add"].problem_text != "", timeout=20000)
    assert "Add" in window.scene.nodes["add"].problem_text
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    assert any(t.startswith("✖  add:") for t in texts)
    add_row = next(i for i, t in enumerate(texts) if t.startswith("✖  add:"))
    rect = window.problems.visualItemRect(window.problems.item(add_row))
    window.bottom.setCurrentWidget(window.problems)
    qtbot.mouseClick(window.problems.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["add"]


def test_bad_input_shape_text_is_refused_in_place(make_window, qtbot):
    window = make_window()
    window.scene.clearSelection()
    line = window.inspector.editors["input_shape"]
    line.clear()
    qtbot.keyClicks(line, "(None, 0, 3)")
    assert "sizes must be positive" in window.inspector.error.text()
    qtbot.keyClick(line, Qt.Key_Return)
    assert window.model.doc.input_shape == (None, 64, 64, 32)
    line.clear()
    qtbot.keyClicks(line, "32x32x8")
    qtbot.keyClick(line, Qt.Key_Return)
    assert window.model.doc.input_shape == (None, 32, 32, 8)


def test_delete_copy_paste_duplicate(make_window, qtbot):
    window = make_window()
    window.scene.select_node("norm1")
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier)
    names = [n.name for n in window.model.doc.nodes.values()]
    assert "norm1_2" in names
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert "norm1_2" not in [n.name for n in window.model.doc.nodes.values()]
    window.scene.select_node("conv2")
    window.view.setFocus()  # as after clicking the canvas; a text field would take Ctrl+C
    qtbot.keyClick(window.view, Qt.Key_C, Qt.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key_V, Qt.ControlModifier)
    assert "conv2_2" in [n.name for n in window.model.doc.nodes.values()]


def test_save_reopen_identical(make_window, qtbot, tmp_path, catalog):
    window = make_window()
    window.scene.select_node("norm1")
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier)
    path = tmp_path / "edited.bsblock"
    assert window.save_to(path)
    assert not window.isWindowModified()
    saved = document_to_json(window.model.doc)
    other = make_window()
    assert other.open_path(path, ask=False)
    assert document_to_json(other.model.doc) == saved == path.read_text()
    assert document_to_json(load_document(path, catalog)) == saved


def test_recovery_after_a_crash_gives_back_the_edits(make_window, qtbot, home):
    window = make_window()
    window.scene.select_node("lrelu")
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier)
    edited = document_to_json(window.model.doc)
    qtbot.waitUntil(lambda: (home / "recovery.json").exists(), timeout=3000)
    # the "crash": the window goes away without closing, so the recovery file stays behind
    window.engine.shutdown()
    window.hide()
    again = make_window()
    assert again.recovery_bar.isVisible()
    qtbot.mouseClick(again.recover_button, Qt.LeftButton)
    assert document_to_json(again.model.doc) == edited
    assert again.isWindowModified()


def test_closing_with_unsaved_changes_asks_first(make_window, qtbot):
    window = make_window()
    window.scene.select_node("lrelu")
    qtbot.keyClick(window, Qt.Key_D, Qt.ControlModifier)
    answers = []

    def answer(button):
        def click():
            box = QApplication.activeModalWidget()
            assert isinstance(box, QMessageBox)
            answers.append(box.text())
            box.button(button).click()

        QTimer.singleShot(50, click)

    answer(QMessageBox.Cancel)
    window.close()
    assert window.isVisible() and answers and "Save changes" in answers[0]
    answer(QMessageBox.Discard)
    window.close()
    assert not window.isVisible()


def test_a_thousand_nodes_open_and_zoom_between_overview_and_detail(make_window, qtbot):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from synthetic import big_document

    window = make_window(big_document(1000))
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier)  # auto layout, then fit all
    assert len(window.scene.nodes) == 1000
    assert window.undo_action.text() == "&Undo Auto layout"
    assert window.scene.overview and not window.scene.nodes["n10"].isVisible()
    window.view.resetTransform()
    assert not window.scene.overview and window.scene.nodes["n10"].isVisible()
    assert window.scene.nodes["n10"].inputs[0].isVisible()


def test_export_never_overwrites_the_project_file(make_window, qtbot, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    window = make_window()
    path = tmp_path / "block.bsblock"
    assert window.save_to(path)
    before = path.read_bytes()
    seen = []

    def close_warning():
        box = QApplication.activeModalWidget()
        seen.append(box.text() if box else "")
        if box:
            box.accept()

    QTimer.singleShot(200, close_warning)
    assert window.export_code(path) is False
    assert "would destroy it" in seen[0]
    assert path.read_bytes() == before
    assert window.export_code(tmp_path / "block.py")
    assert "class UnetResBlock" in (tmp_path / "block.py").read_text()


def test_esc_cancels_a_connection_being_dragged(make_window, qtbot):
    window = make_window()
    relu = window.add_kind("ReLU", QPointF(400, 400))
    window.view.resetTransform()
    src = window.scene.nodes["norm2"].output
    target = window.scene.nodes[relu].inputs[0]
    window.view.centerOn(QPointF((src.scenePos().x() + target.scenePos().x()) / 2, 300))
    window.view.setFocus()
    drag(qtbot, window.view, src.scenePos(), target.scenePos(), release=False)
    assert target.highlight == "valid"  # the ports it may go to light up while dragging
    qtbot.keyClick(window.view, Qt.Key_Escape)
    qtbot.mouseRelease(
        window.view.viewport(), Qt.LeftButton, pos=view_point(window.view, target.scenePos())
    )
    assert not any(e.dst == relu for e in window.model.doc.edges)
    assert target.highlight is None and window.scene.gesture is None
    assert window.statusBar().currentMessage() == "Cancelled."


def test_esc_puts_cards_being_moved_back(make_window, qtbot):
    window = make_window()
    window.view.resetTransform()
    item = window.scene.nodes["conv1"]
    window.view.centerOn(item)
    window.view.setFocus()
    undo_before = window.undo_action.text()
    start = item.scenePos() + QPointF(60, 12)
    drag(qtbot, window.view, start, start + QPointF(90, 70), release=False)
    assert item.pos() != QPointF(200.0, 0.0)  # the card follows the mouse
    qtbot.keyClick(window.view, Qt.Key_Escape)
    qtbot.mouseMove(window.view.viewport(), view_point(window.view, start + QPointF(150, 90)))
    qtbot.mouseRelease(window.view.viewport(), Qt.LeftButton)
    assert item.pos() == QPointF(200.0, 0.0)
    assert window.model.doc.nodes["conv1"].position == (200.0, 0.0)
    assert window.undo_action.text() == undo_before  # nothing to undo: nothing happened


def test_rubber_band_selects_the_cards_it_touches(make_window, qtbot):
    window = make_window()
    window.view.resetTransform()
    conv1, drop1 = window.scene.nodes["conv1"], window.scene.nodes["drop1"]
    window.view.centerOn(conv1)
    start = conv1.sceneBoundingRect().topLeft() - QPointF(10, 30)  # empty canvas above them
    end = drop1.sceneBoundingRect().center()
    drag(qtbot, window.view, start, end)
    assert set(window.scene.selected_node_ids()) == {"conv1", "drop1"}


def test_esc_during_a_rubber_band_keeps_the_old_selection(make_window, qtbot):
    window = make_window()
    window.view.resetTransform()
    window.scene.select_node("lrelu")
    conv1 = window.scene.nodes["conv1"]
    window.view.centerOn(conv1)
    window.view.setFocus()
    start = conv1.sceneBoundingRect().topLeft() - QPointF(10, 30)
    drag(qtbot, window.view, start, conv1.sceneBoundingRect().center(), release=False)
    assert window.scene.selected_node_ids() == ["conv1"]
    qtbot.keyClick(window.view, Qt.Key_Escape)
    qtbot.mouseRelease(window.view.viewport(), Qt.LeftButton)
    assert window.scene.selected_node_ids() == ["lrelu"]


def test_cards_show_keras_own_parameter_counts(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    # conv1: 3×3 kernel, 32 → 64 channels, no bias (MONAI's convolution)
    qtbot.waitUntil(
        lambda: window.scene.nodes["conv1"].params_text == "18,432 params", timeout=30000
    )
    assert window.scene.nodes["norm1"].params_text == "128 params"  # instance norm: γ and β
    assert window.scene.nodes["lrelu"].params_text == "no weights"
    assert window.scene.nodes["lrelu_out"].params_text == ""  # shares lrelu's layer
