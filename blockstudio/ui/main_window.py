"""The studio window: docks, menus, files, undo, engine status and crash recovery."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from blockstudio import __version__
from blockstudio.core import commands as c
from blockstudio.core.catalog import Catalog
from blockstudio.core.document import Document, Node
from blockstudio.core.library import BlockLibrary, is_block_kind, kind_label
from blockstudio.core.project import load_document
from blockstudio.core.runs import RunModel
from blockstudio.core.templates import DEFAULT_TEMPLATE, load_template, template_names
from blockstudio.engine.pyformat import snake_case
from blockstudio.ui import storage
from blockstudio.ui.canvas_scene import BlockScene
from blockstudio.ui.canvas_view import CanvasView
from blockstudio.ui.doc_model import DocumentModel
from blockstudio.ui.edit_actions import EditActions
from blockstudio.ui.engine_bridge import STATUS_TEXT, EngineBridge
from blockstudio.ui.file_actions import FileActions
from blockstudio.ui.focus import UndoKeys
from blockstudio.ui.inspector import Inspector
from blockstudio.ui.palette import Palette
from blockstudio.ui.panels import CodePanel, ProblemsPanel

AUTOSAVE_MS = 1000


def default_node_name(kind: str) -> str:
    """conv2d for Conv2D, leaky_relu for LeakyReLU, conv2d_transpose for Conv2DTranspose,
    unet_res_block for the unet-res-block template."""
    if is_block_kind(kind):
        return snake_case(re.sub(r"\W+", "_", kind_label(kind)))
    return snake_case(re.sub(r"(\d)D", r"\1d", kind.replace("ReLU", "Relu")))


class MainWindow(FileActions, EditActions, QMainWindow):
    """Palette left, canvas centre, inspector right, problems and code below."""

    def __init__(
        self, catalog: Catalog, doc: Document, path: Path | None = None, start_engine: bool = True
    ) -> None:
        super().__init__()
        if catalog.library is None:  # blocks used as nodes: templates and saved projects
            catalog = catalog.with_library(BlockLibrary())
        self.catalog = catalog
        self.model = DocumentModel(catalog, doc, self)
        self.model.path = path
        self.engine = EngineBridge(self)
        self.model.engine = self.engine
        self.engine.sigReply.connect(self.model.on_engine_reply)
        self.engine.sigStatus.connect(self._engine_status)
        self.runs = RunModel()  # runs, the trace on show, replay: what every view draws
        self.scene = BlockScene(self.model, self.runs, self)
        self.view = CanvasView(self.scene)
        self.palette = Palette(catalog)
        for kind in catalog.library.uses(doc):  # the block files this project uses
            self.palette.add_block(kind)
        self.inspector = Inspector(self.model, self.runs)
        self.problems = ProblemsPanel(self.model, self.runs)
        self.code = CodePanel(self.model, self.runs)
        self._build_layout()
        from blockstudio.ui.block_nav import BlockNavigator

        self.nav = BlockNavigator(self)  # double-click a block node to open it
        self.centralWidget().layout().insertWidget(1, self.nav.bar)
        self._build_actions()
        self._wire()
        from blockstudio.ui.run_actions import RunUI

        self.run_ui = RunUI(self)
        self._autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._autosave.timeout.connect(self.autosave)
        self.model.sigChanged.connect(self._schedule_autosave)
        self.model.undo_stack.cleanChanged.connect(self._update_title)
        self.model.sigReset.connect(self._update_title)
        # runs belong to the project and level they ran on: views map them to what is on show
        self.model.sigReset.connect(lambda: self.runs.set_scope(self.model.scope()))
        self.runs.set_scope(self.model.scope())
        # after an undo or redo the keyboard stays in the window (its editor may be gone)
        self._focus_check = QTimer(self, singleShot=True, interval=0)
        self._focus_check.timeout.connect(self._keep_focus)
        self.model.undo_stack.indexChanged.connect(self._undo_moved)
        self._undo_keys = UndoKeys(self.model.undo_stack, self)
        QApplication.instance().installEventFilter(self._undo_keys)
        self._update_title()
        self._restore_settings()
        self._offer_recovery()
        if start_engine:
            QTimer.singleShot(0, self.engine.start)  # after the window shows: TF loads there
        QTimer.singleShot(0, self.view.fit_all)

    # -- layout -----------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.setWindowTitle("Block Studio")
        screen = QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen else None
        if avail is not None and avail.width() > 800:
            self.setGeometry(avail)  # the whole screen until the user picks a size (remembered)
        else:
            self.resize(1400, 900)
        width = avail.width() if avail is not None else 1400
        self.recovery_bar = QFrame()
        self.recovery_bar.setStyleSheet("QFrame { background: #3c3416; color: #fdd663; }")
        bar = QHBoxLayout(self.recovery_bar)
        self.recovery_label = QLabel()
        self.recover_button, self.discard_button = QPushButton("Recover"), QPushButton("Discard")
        bar.addWidget(self.recovery_label, 1)
        bar.addWidget(self.recover_button)
        bar.addWidget(self.discard_button)
        self.recovery_bar.hide()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.recovery_bar)
        layout.addWidget(self.view)
        self.setCentralWidget(central)
        self.palette_dock = self._dock("Layers", "palette", self.palette, Qt.LeftDockWidgetArea)
        self.inspector_dock = self._dock(
            "Inspector", "inspector", self.inspector, Qt.RightDockWidgetArea
        )
        self.bottom = QTabWidget()
        self.bottom.addTab(self.problems, "Problems")
        self.bottom.addTab(self.code, "Code")
        self.bottom.setCurrentWidget(self.code)
        self.bottom_dock = self._dock("Output", "bottom", self.bottom, Qt.BottomDockWidgetArea)
        # the canvas gets the most room: side docks take a share of the width, within bounds
        side = [
            min(max(int(width * f), lo), hi) for f, lo, hi in ((0.13, 170, 230), (0.22, 260, 360))
        ]
        self.resizeDocks([self.palette_dock, self.inspector_dock], side, Qt.Horizontal)
        height = avail.height() if avail is not None else 900
        self.resizeDocks([self.bottom_dock], [int(height * 0.36)], Qt.Vertical)
        self._engine_state = "stopped"
        self.engine_label = QLabel(STATUS_TEXT["stopped"])
        self.statusBar().addPermanentWidget(self.engine_label)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&New", self.new_document, QKeySequence.New)
        self._action(f, "&Open…", self.open_dialog, QKeySequence.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self.templates_menu = f.addMenu("&Templates")
        for name in template_names():
            self._action(self.templates_menu, name, lambda _=False, n=name: self.open_template(n))
        self._action(
            f,
            "Add &Block From File…",
            lambda: self.add_block_from_file(),
            "Ctrl+Shift+B",
            "Use a saved project as one node of this block",
        )
        f.addSeparator()
        self._action(f, "&Save", self.save, QKeySequence.Save)
        self._action(f, "Save &As…", self.save_as, QKeySequence.SaveAs)
        self.export_action = self._action(f, "&Export Code…", self.export_dialog, "Ctrl+E")
        f.addSeparator()
        from blockstudio.ui.user_layer_ui import UserLayerUI

        self.user_layer = UserLayerUI(self, f)  # your own Layer class, run in the engine
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.Quit)
        e = bar.addMenu("&Edit")
        undo = self.model.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.model.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        e.addActions([undo, redo])
        self.undo_action, self.redo_action = undo, redo
        e.addSeparator()
        self._action(e, "Cu&t", self.cut, QKeySequence.Cut)
        self._action(e, "&Copy", self.copy, QKeySequence.Copy)
        self._action(e, "&Paste", self.paste, QKeySequence.Paste)
        self._action(e, "&Duplicate", self.duplicate, "Ctrl+D")
        self._action(e, "De&lete", self.delete_selection, QKeySequence.Delete)
        self._action(e, "Select &All", self.select_all, QKeySequence.SelectAll)
        e.addSeparator()
        self._action(e, "&Find Layer", self.focus_search, QKeySequence.Find)
        v = bar.addMenu("&View")
        self._action(v, "Zoom &In", lambda: self.view.zoom(1), QKeySequence.ZoomIn)
        self._action(v, "Zoom &Out", lambda: self.view.zoom(-1), QKeySequence.ZoomOut)
        self._action(v, "&Fit All", self.view.fit_all, "Ctrl+0")
        self._action(v, "Auto &Layout", self.auto_layout, "Ctrl+L")
        self._action(
            v,
            "&Open Block",
            self.open_selected_block,
            "Alt+Down",
            "Show the block inside the selected block node",
        )
        self._action(
            v, "Go &Up One Block", lambda: self.nav.up(1), "Alt+Up", "Back to the enclosing block"
        )
        v.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.bottom_dock):
            v.addAction(dock.toggleViewAction())
        h = bar.addMenu("&Help")
        self._action(h, "&About Block Studio", self.about)
        self._refresh_recent()

    def _wire(self) -> None:
        self.palette.sigAddKind.connect(lambda kind: self.add_kind(kind, None))
        self.view.sigDropKind.connect(self.add_kind)
        self.scene.sigStatus.connect(lambda msg: self.statusBar().showMessage(msg, 6000))
        self.model.sigRefused.connect(lambda msg: self.statusBar().showMessage(msg, 8000))
        self.inspector.sigOpenBlock.connect(self.nav.open_node)
        self.inspector.sigOpenInstance.connect(self.nav.open_node)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.problems.sigSelectNode.connect(self.focus_node)
        self.code.sigExport.connect(self.export_dialog)
        self.recover_button.clicked.connect(self.recover)
        self.discard_button.clicked.connect(self.discard_recovery)

    # -- editing ----------------------------------------------------------------------------
    def add_kind(self, kind: str, pos: QPointF | None) -> str:
        doc = self.model.doc
        if pos is None:  # from the palette: in view, where no card is
            pos = self.scene.free_spot(self.view.mapToScene(self.view.viewport().rect().center()))
        nid = doc.new_id()
        name = doc.unique_name(default_node_name(kind))
        node = Node(nid, kind, name, position=(pos.x() - 89, pos.y() - 35))
        self.model.push_all(c.add_node_commands(doc, node))
        self.scene.select_node(nid)
        return nid

    def open_selected_block(self) -> None:
        ids = self.scene.selected_node_ids()
        if len(ids) != 1 or not self.nav.open_node(ids[0]):
            self.statusBar().showMessage("Select one block node to open it.", 5000)

    def focus_search(self) -> None:
        self.palette_dock.show()
        self.palette.search.setFocus()
        self.palette.search.selectAll()

    def focus_node(self, nid: str) -> None:
        self.scene.select_node(nid)
        item = self.scene.nodes.get(nid)
        if item is not None:
            self.view.centerOn(item)

    def _undo_moved(self, _index: int) -> None:
        self._focus_check.start()

    def _keep_focus(self) -> None:
        """The canvas takes the keyboard when the widget that had it went away."""
        if self.isActiveWindow() and QApplication.focusWidget() is None:
            self.view.setFocus(Qt.OtherFocusReason)

    def _selection_changed(self) -> None:
        ids = [nid for nid in self.scene.selected_node_ids() if nid in self.model.doc.nodes]
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)
        self.run_ui.selection_changed(ids)

    # -- files ------------------------------------------------------------------------------
    def _update_title(self, *_args) -> None:
        root = self.model.root_doc
        name = self.model.path.name if self.model.path else f"{root.name} (unsaved)"
        inside = "".join(f" › {level.node}" for level in self.nav.levels)
        self.setWindowTitle(f"{name}{inside}[*] — Block Studio")
        self.setWindowModified(self.model.dirty)

    def _engine_status(self, status: str, detail: str) -> None:
        fresh = status == "ready" and self._engine_state in (
            "stopped",
            "starting",
            "loading",
            "crashed",
        )
        self._engine_state = status
        text = STATUS_TEXT.get(status, status)
        if detail and status in ("busy", "crashed", "error"):
            text += f": {detail}"
        self.engine_label.setText(text)
        if status == "crashed":
            self.statusBar().showMessage(
                f"The engine crashed ({detail}); it is restarting. Your document is safe.", 8000
            )
        if fresh:  # a new engine knows nothing yet: ask for the shapes once
            self.model.request_inference_now()

    def _restore_settings(self) -> None:
        s = storage.settings()
        geometry, state = s.value("geometry"), s.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        s = storage.settings()
        s.setValue("geometry", self.saveGeometry())
        s.setValue("state", self.saveState())
        s.sync()
        storage.clear_recovery()
        QApplication.instance().removeEventFilter(self._undo_keys)
        self.engine.shutdown()
        event.accept()

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About Block Studio",
            f"Block Studio {__version__}\nSee what Keras does when a block is built.",
        )


def open_initial(catalog: Catalog, path: str | None) -> tuple[Document, Path | None]:
    if path:
        p = Path(path)
        return load_document(p, catalog), p
    return load_template(DEFAULT_TEMPLATE, catalog), None


__all__ = ["MainWindow", "QApplication", "open_initial"]
