"""What must hold after every action and after a seed."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.monkey.events import describe
from tests.ui.monkey.report import diff


class Checks:
    """The invariants :class:`Monkey` checks."""

    def check_canvas(self) -> None:
        """The canvas shows the document on show: the same nodes, edges, names and places."""
        scene, doc = self.w.scene, self.w.model.doc
        if set(scene.nodes) != set(doc.nodes):
            extra, missing = set(scene.nodes) - set(doc.nodes), set(doc.nodes) - set(scene.nodes)
            self.fail(
                "invariant",
                "canvas ≠ document: the cards are not the nodes",
                f"cards without a node {sorted(extra)}, nodes without a card {sorted(missing)}",
            )
        if set(scene.edges) != set(doc.edges):
            extra = set(scene.edges) - set(doc.edges)
            missing = set(doc.edges) - set(scene.edges)
            self.fail(
                "invariant",
                "canvas ≠ document: the edge items are not the edges",
                f"items without an edge {extra}, edges without an item {missing}",
            )
        for nid, item in sorted(scene.nodes.items()):
            node = doc.nodes.get(nid)
            if node is None:
                continue
            if item.name != node.name or item.kind != node.kind:
                self.fail(
                    "invariant",
                    "canvas ≠ document: a card shows another name or kind",
                    f"card {nid} shows {item.name}/{item.kind}, "
                    f"the node is {node.name}/{node.kind}",
                )
            pos = item.pos()
            if abs(pos.x() - node.position[0]) > 0.01 or abs(pos.y() - node.position[1]) > 0.01:
                self.fail(
                    "invariant",
                    "canvas ≠ document: a card is not where its node is",
                    f"card {nid} ({node.name}) at ({pos.x():.1f}, {pos.y():.1f}), "
                    f"the node at ({node.position[0]:.1f}, {node.position[1]:.1f})",
                )

    def _loop_answers(self) -> bool:
        answered = []
        QTimer.singleShot(0, lambda: answered.append(True))
        deadline = time.monotonic() + 1.0
        app = QApplication.instance()
        while not answered and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.001)
        return bool(answered)

    def _close_popups(self) -> None:
        for _ in range(10):
            popup = QApplication.activePopupWidget()
            if popup is None:
                break
            QTest.keyClick(popup, Qt.Key_Escape)
            self._settle()
        deadline = time.monotonic() + 3
        while QApplication.activeModalWidget() is not None and time.monotonic() < deadline:
            QTest.qWait(20)  # the answerer closes it
        if QApplication.activeModalWidget() is not None:
            self.fail("stuck", f"a modal {describe(QApplication.activeModalWidget())} stays open")

    def final_checks(self) -> None:
        from blockstudio.core.project import document_to_json, load_document, save_document

        self._close_popups()
        if not self._loop_answers():
            self.fail("stuck", "the event loop did not answer within 1 s")
            return
        window, model = self.w, self.w.model
        if window.nav.depth:
            window.nav.up(window.nav.depth)  # undo is for the whole project, seen from its root
            self._settle()
        self.check_canvas()
        end = self._json()
        path = self.workdir / "roundtrip.bsblock"
        save_document(model.root_doc, path)
        again = document_to_json(load_document(path, window.catalog))
        if again != end:
            self.fail(
                "invariant",
                "the project does not round-trip through save and load",
                diff(end, again),
            )
        stack = model.undo_stack
        count = stack.index()  # steps undone at the end are not part of the end
        stack.setIndex(0)
        self._settle()
        if self._json() != self.start_json:
            self.fail(
                "invariant",
                f"undoing all {count} steps does not give back the start",
                diff(self.start_json, self._json()),
            )
        self.check_canvas()
        stack.setIndex(count)
        self._settle()
        if self._json() != end:
            self.fail(
                "invariant",
                f"redoing the {count} steps does not give back the end",
                diff(end, self._json()),
            )
        self.check_canvas()
        if not self._loop_answers():
            self.fail("stuck", "the event loop did not answer within 1 s after undo/redo")
