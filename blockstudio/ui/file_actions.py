"""File work of the studio window: new, open, save, export, recent files, autosave, recovery.

A mixin of :class:`MainWindow`, which provides ``model``, ``view``, ``code`` and the widgets these
methods use; split out so each module owns one thing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.library import BlockError, file_kind
from blockstudio.core.project import SUFFIX, ProjectError, load_document, save_document
from blockstudio.core.templates import load_template
from blockstudio.engine.pyformat import snake_case
from blockstudio.ui import storage

FILE_FILTER = f"Block Studio projects (*{SUFFIX});;All files (*)"


def empty_document() -> Document:
    """A new block: an Input wired to an Output."""
    return Document(
        "MyBlock",
        (None, 64, 64, 32),
        nodes=[
            Node("input", "Input", "input", position=(0.0, 0.0)),
            Node("output", "Output", "output", position=(420.0, 0.0)),
        ],
        edges=[Edge("input", "output")],
    )


class FileActions:
    """New / Open / Save / Export and the recovery file, for the main window."""

    def maybe_save(self) -> bool:
        """Ask before losing edits; True when it is fine to go on."""
        if not self.model.dirty:
            return True
        box = QMessageBox(
            QMessageBox.Warning,
            "Unsaved changes",
            f"Save changes to {self.model.root_doc.name} before closing it?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            self,
        )
        box.setObjectName("unsaved_prompt")
        answer = box.exec()
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def new_document(self) -> None:
        if self.maybe_save():
            self.model.set_document(empty_document())
            self.view.fit_all()

    def open_template(self, name: str) -> None:
        if self.maybe_save():
            self.model.set_document(load_template(name, self.catalog))
            self.view.fit_all()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open block", "", FILE_FILTER)
        if path:
            self.open_path(Path(path), ask=False)

    def open_path(self, path: Path, ask: bool = True) -> bool:
        if ask and not self.maybe_save():
            return False
        try:
            doc = load_document(path, self.catalog)
        except ProjectError as exc:
            QMessageBox.critical(self, "Cannot open project", str(exc))
            return False
        self.model.set_document(doc, path)
        for kind in self.catalog.library.uses(doc):
            self.palette.add_block(kind)
        storage.add_recent(path)
        self._refresh_recent()
        self.view.fit_all()
        return True

    def add_block_from_file(self, path: Path | None = None) -> str | None:
        """Use a saved project as a node kind: listed under Blocks and placed on the canvas."""
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, "Add block from file", "", FILE_FILTER)
            if not name:
                return None
            path = Path(name)
        base = self.model.path.parent if self.model.path is not None else None
        kind = file_kind(path, base)
        library = self.catalog.library
        library.forget(kind)  # read it as it is now
        probe = Document(nodes=[Node("probe", kind, "probe")])
        try:
            library.closure(probe, self.catalog)
        except BlockError as exc:
            QMessageBox.critical(self, "Cannot add block", f"{path.name}: {exc}.")
            return None
        self.palette.add_block(kind)
        return self.add_kind(kind, None)

    def save(self) -> bool:
        if self.model.path is None:
            return self.save_as()
        return self.save_to(self.model.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save block", f"{snake_case(self.model.root_doc.name)}{SUFFIX}", FILE_FILTER
        )
        return bool(path) and self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        if self.model.read_only and self.model.kind is None:
            self.statusBar().showMessage(f"Cannot save a read-only view: {self.model.read_only}")
            return False
        library = self.catalog.library
        try:
            save_document(self.model.root_doc, path)
            for kind in sorted(self.model.edited_kinds):  # edits inside blocks from files
                save_document(library.document(kind, self.catalog), library.path_of(kind))
        except OSError as exc:
            QMessageBox.critical(self, "Cannot save", f"{path}: {exc.strerror or exc}")
            return False
        self.model.edited_kinds.clear()
        self.model.path = path
        self.model.undo_stack.setClean()
        storage.add_recent(path)
        storage.clear_recovery()
        self._refresh_recent()
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def export_dialog(self) -> None:
        default = f"{snake_case(self.model.doc.name)}.py"
        path, _ = QFileDialog.getSaveFileName(self, "Export Keras code", default, "Python (*.py)")
        if path:
            self.export_code(Path(path))

    def export_code(self, path: Path) -> bool:
        if (
            not self.code.source
            or self.model.problems
            and any(p.severity == "error" for p in self.model.problems)
        ):
            self.statusBar().showMessage("Cannot export: fix the problems first.", 6000)
            self.bottom.setCurrentWidget(self.problems)
            return False
        project = self.model.path
        if project is not None and Path(path).resolve() == Path(project).resolve():
            QMessageBox.warning(
                self,
                "Cannot export",
                f"{path} is this block's project file; exporting there would destroy it. "
                "Choose a .py file.",
            )
            return False
        try:
            path.write_text(self.code.source, encoding="utf-8")
        except OSError as exc:
            QMessageBox.critical(self, "Cannot export", f"{path}: {exc.strerror or exc}")
            return False
        self.statusBar().showMessage(f"Exported {self.runs.settings.style} style to {path}", 5000)
        return True

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in storage.recent_files():
            self._action(self.recent_menu, p, lambda _=False, q=p: self.open_path(Path(q)))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    # -- autosave and recovery ---------------------------------------------------------------
    def _schedule_autosave(self) -> None:
        if self.model.dirty and not self._autosave.isActive():
            self._autosave.start()  # a throttle, not a debounce: never more than 1 s behind

    def autosave(self) -> None:
        if self.model.dirty:
            storage.write_recovery(self.model.root_doc, self.model.path)

    def _offer_recovery(self) -> None:
        found = storage.read_recovery(self.catalog)
        if found is None:
            return
        self._recovered = found
        doc, path = found
        where = path.name if path else "an unsaved block"
        self.recovery_label.setText(
            f"Block Studio did not close properly. Unsaved edits to {where} ({doc.name}) were kept."
        )
        self.recovery_bar.show()

    def recover(self) -> None:
        doc, path = self._recovered
        self.model.set_document(doc, path, clean=False)
        self.recovery_bar.hide()
        self.view.fit_all()
        self.statusBar().showMessage("Recovered the unsaved edits.", 5000)

    def discard_recovery(self) -> None:
        storage.clear_recovery()
        self.recovery_bar.hide()

    # -- engine and settings ----------------------------------------------------------------
