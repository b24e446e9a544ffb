"""Your own Layer class in the studio: open, run, check, errors in place, an endless loop."""

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from blockstudio.ui.user_layer_ui import LayerDialog
from tests.ui.helpers import wait_for_engine
from tests.user_blocks import write_blocks


def answer_dialog(qtbot, class_name, fields, shape):
    """When the class dialog opens, fill it in as a user does and press Run."""
    done = []

    def poll():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LayerDialog):
            QTimer.singleShot(50, poll)
            return
        dialog.pick.setCurrentIndex(dialog.pick.findText(class_name))
        for name, text in fields.items():
            line = dialog.fields[name]
            line.selectAll()
            qtbot.keyClicks(line, text)
        dialog.shape.selectAll()
        qtbot.keyClicks(dialog.shape, shape)
        qtbot.mouseClick(dialog.findChild(QDialogButtonBox).buttons()[0], Qt.LeftButton)
        done.append(dialog)

    QTimer.singleShot(50, poll)
    return done


def open_projected(make_window, qtbot, tmp_path):
    """A window that opened blocks.py, picked Projected (16 filters) in the dialog and ran it;
    the dialog, once answered, is in the returned list."""
    path = write_blocks(tmp_path)
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    answered = answer_dialog(qtbot, "Projected", {"filters": "16"}, "(None, 8, 8, 3)")
    window.user_layer.open_path(str(path))
    qtbot.waitUntil(lambda: len(window.runs.runs) == 1, timeout=60000)
    return window, answered


def test_open_a_python_layer_and_run_it(make_window, qtbot, tmp_path):
    window, answered = open_projected(make_window, qtbot, tmp_path)
    assert answered and window.runs.subject.label == "blocks.py:Projected"
    trace = window.runs.runs[0]
    assert trace.error is None and trace.total_params == 3 * 3 * 3 * 16 + 16 + 3 * 16 + 16
    panel = window.run_ui.panel
    lanes = [ln.layer for ln in panel.timeline.layout_.lanes]
    assert lanes[0] == "projected" and {"conv2d", "conv2d_1"} <= set(lanes)
    assert "blocks.py:Projected" in panel.subject.text()
    assert len(panel.weights.rows()) == 4


def test_clicking_a_call_in_the_structure_bands_its_lane(make_window, qtbot, tmp_path):
    window, _ = open_projected(make_window, qtbot, tmp_path)
    view = window.run_ui.panel.structure
    assert view.isVisible() and set(view.cards) >= {"conv2d#0", "conv2d_1#0", "add#0"}
    with qtbot.waitSignal(view.sigLayerClicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.card_center("conv2d_1#0"))
    assert clicked.args == ["conv2d_1"]
    assert window.run_ui.panel.timeline.highlighted == "conv2d_1"


def test_a_syntax_error_in_pasted_code_shows_its_line_in_place(make_window, qtbot):
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    window.user_layer.open_source("import keras\n\nclass A(keras.layers.Layer:\n    pass\n")
    qtbot.waitUntil(lambda: window.runs.failure != "", timeout=60000)
    panel = window.run_ui.panel
    assert panel.failure.isVisible()
    assert "pasted_layer.py:3" in panel.failure.text() and "SyntaxError" in panel.failure.text()
    assert window.model.doc.name == "UnetResBlock"  # the document is untouched


def test_cancel_stops_code_that_never_returns_and_the_studio_keeps_going(
    make_window, qtbot, tmp_path
):
    path = write_blocks(tmp_path)
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    answer_dialog(qtbot, "Forever", {}, "(None, 4)")
    window.user_layer.open_path(str(path))
    qtbot.waitUntil(lambda: window.run_ui.cancel_action.isEnabled(), timeout=60000)
    time.sleep(1.0)  # the worker is now inside the endless loop
    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    qtbot.wait(300)
    assert len(ticks) >= 8  # the window keeps handling events while the worker spins
    timer.stop()
    window.activateWindow()  # the class dialog had the focus; the window gets it back
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(window, Qt.Key_Period, Qt.ControlModifier)  # Run → Cancel Run
    qtbot.waitUntil(lambda: window.runs.failure == "Run cancelled.", timeout=10000)
    # back to the drawn block: the restarted engine runs it
    window.user_layer.back_action.trigger()
    wait_for_engine(qtbot, window)
    qtbot.keyClick(window, Qt.Key_F5)
    qtbot.waitUntil(lambda: len(window.runs.runs) == 1, timeout=90000)
    assert window.runs.runs[0].total_params == 57728


def test_import_the_run_as_an_editable_block_and_undo_is_fresh(make_window, qtbot, tmp_path):
    window, _ = open_projected(make_window, qtbot, tmp_path)
    assert window.user_layer.import_action.isEnabled()
    window.model.undo_stack.setClean()  # nothing to save in the example: no question asked
    window.user_layer.import_action.trigger()
    # read-only until the engine has rebuilt it to the class's weights, then editable
    assert "checking the import" in window.model.read_only
    qtbot.waitUntil(lambda: not window.model.read_only, timeout=120000)
    assert "rebuilt to the same weights in build and init and functional style" in (
        window.statusBar().currentMessage()
    )
    names = {n.name for n in window.model.doc.nodes.values()}
    assert names == {"input", "conv", "proj", "add", "output"}
    assert set(window.scene.nodes) == set(window.model.doc.nodes)
    assert window.runs.subject is None  # runs go to the imported, drawn block now
    qtbot.waitUntil(lambda: "class Projected(keras.layers.Layer)" in window.code.source)


def test_an_exported_block_imports_back_with_what_the_run_did_not_show(
    make_window, qtbot, tmp_path
):
    from blockstudio.core.templates import load_template
    from blockstudio.engine.codegen import generate_code

    window = make_window(start_engine=True)
    unet = load_template("unet-res-block", window.catalog)
    path = tmp_path / "unet_block.py"
    path.write_text(generate_code(unet, window.catalog, "build"))
    wait_for_engine(qtbot, window)
    answer_dialog(qtbot, "UnetResBlock", {}, "(None, 16, 16, 32)")
    window.user_layer.open_path(str(path))
    qtbot.waitUntil(lambda: len(window.runs.runs) == 1, timeout=60000)
    assert window.runs.runs[0].error is None
    window.model.undo_stack.setClean()
    window.user_layer.import_action.trigger()
    qtbot.waitUntil(lambda: not window.model.read_only, timeout=120000)
    doc = window.model.doc
    assert "from its source and the run" in window.statusBar().currentMessage()
    # no dropout in the run, yet drop1 is back with its condition, linked to the argument
    drop1 = doc.node_by_name("drop1")
    assert drop1.condition == "dropout is not None" and drop1.params["rate"].param == "dropout"
    assert doc.param("norm_name").choices == ("instance", "batch", "group", "layer")
    qtbot.waitUntil(lambda: window.code.source == generate_code(doc, window.catalog, "build"))


PADDED = """import keras


class Padded(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = keras.layers.Conv2D(4, 3, name="conv")

    def call(self, x):
        return self.conv(keras.ops.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)]))
"""


def import_pasted(make_window, qtbot, name: str, source: str, shape: str):
    """A window that ran pasted ``source``'s class ``name`` and chose Import Run."""
    window = make_window(start_engine=True)
    wait_for_engine(qtbot, window)
    answer_dialog(qtbot, name, {}, shape)
    window.user_layer.open_source(source)
    qtbot.waitUntil(lambda: len(window.runs.runs) == 1, timeout=60000)
    window.model.undo_stack.setClean()
    assert window.user_layer.import_action.isEnabled()
    window.user_layer.import_action.trigger()
    return window


def test_a_run_that_cannot_all_be_imported_opens_read_only_and_says_where(
    make_window, qtbot, tmp_path
):
    window = import_pasted(make_window, qtbot, "Padded", PADDED, "(None, 8, 8, 3)")
    doc = window.model.doc
    # what maps is there (conv, and the pad as the kind it would need), read-only
    kinds = {n.name: n.kind for n in doc.nodes.values()}
    assert kinds["conv"] == "Conv2D" and "keras.ops.pad" in kinds.values()
    assert set(window.scene.nodes) == set(doc.nodes)
    note = window.findChild(QLabel, "read_only_note")
    assert note is not None and note.isVisible()
    assert (
        "pasted_layer.py:10" in note.text() and "keras.ops.pad has no catalog kind" in note.text()
    )
    qtbot.waitUntil(lambda: any("keras.ops.pad" in p.message for p in window.model.all_problems()))
    # an edit is refused and says why; so is saving; the view is as it was
    window.scene.select_node("conv")
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert "conv" in {n.name for n in window.model.doc.nodes.values()}
    assert "cannot be imported" in window.statusBar().currentMessage()
    assert window.save_to(tmp_path / "padded.bsblock") is False
    assert not (tmp_path / "padded.bsblock").exists()


HALF = """import keras


class Scaled(keras.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer="ones", dtype="float16"
        )

    def call(self, x):
        return x * self.scale
"""


def test_an_import_that_does_not_rebuild_the_class_stays_read_only_and_says_why(
    make_window, qtbot
):
    window = import_pasted(make_window, qtbot, "Scaled", HALF, "(None, 4, 3)")
    # a Weight node maps it, but a Weight is made in the block's dtype: float32, not float16
    qtbot.waitUntil(lambda: "Not the same block" in window.model.read_only, timeout=120000)
    assert "variable 3 float16 missing" in window.model.read_only

    def said() -> bool:
        note = window.findChild(QLabel, "read_only_note")
        return note is not None and note.isVisible() and "float16" in note.text()

    qtbot.waitUntil(said, timeout=3000)  # the bar above the canvas says it too
    window.scene.select_node(next(iter(window.model.doc.nodes)))
    qtbot.keyClick(window.view, Qt.Key_Delete)  # refused, with the reason
    assert len(window.model.doc.nodes) == 4
