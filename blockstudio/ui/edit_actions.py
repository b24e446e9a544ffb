"""Edit work of the studio window: delete, copy, cut, paste, duplicate, select all, layout.

A mixin of :class:`MainWindow`, which provides ``model``, ``scene`` and ``view``; split out so
each module owns one thing. Every edit is a command on the model (one undo step per gesture); in
a read-only block the model refuses it and says why.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QGuiApplication

from blockstudio.core import commands as c
from blockstudio.core.layout import layered_layout
from blockstudio.ui.clipboard import NODES_MIME, copy_payload, paste_commands


class EditActions:
    """Edit menu actions for the main window."""

    def delete_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        edges = [e for e in self.scene.selected_edges() if e.src not in ids and e.dst not in ids]
        if not ids and not edges:
            return
        self.model.begin_macro("Delete selection")
        for edge in edges:
            self.model.push(c.Disconnect(self.model.doc, edge))
        for nid in ids:
            self.model.push(c.RemoveNode(self.model.doc, nid))
        self.model.end_macro()

    def copy(self) -> None:
        ids = self.scene.selected_node_ids()
        if not ids:
            return
        mime = QMimeData()
        mime.setData(NODES_MIME, QByteArray(copy_payload(self.model.doc, ids).encode("utf-8")))
        QGuiApplication.clipboard().setMimeData(mime)

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasFormat(NODES_MIME):
            self.paste_text(bytes(mime.data(NODES_MIME)).decode("utf-8"))

    def paste_text(self, text: str) -> None:
        if self.model.refused():
            return
        cmds = paste_commands(self.model.doc, text)
        if not cmds:
            return
        self.model.begin_macro(f"Paste {sum(isinstance(x, c.AddNode) for x in cmds)} node(s)")
        for cmd in cmds:
            self.model.push(cmd)
        self.model.end_macro()
        self.scene.clearSelection()
        for cmd in cmds:
            item = self.scene.nodes.get(cmd.node.id) if isinstance(cmd, c.AddNode) else None
            if item is not None:
                item.setSelected(True)

    def duplicate(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self.paste_text(copy_payload(self.model.doc, ids))

    def select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def auto_layout(self) -> None:
        positions = layered_layout(self.model.doc)
        changed = {
            nid: pos for nid, pos in positions.items() if self.model.doc.nodes[nid].position != pos
        }
        if changed:
            cmd = c.MoveNodes(self.model.doc, changed)
            cmd.text = "Auto layout"
            self.model.push(cmd)
        self.view.fit_all()
