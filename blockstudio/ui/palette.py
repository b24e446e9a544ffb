"""The palette: every catalog kind by category, and the blocks (templates, saved projects)
usable as nodes; searchable, dragged onto the canvas."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND
from blockstudio.core.library import kind_label, template_kind
from blockstudio.core.templates import template_names
from blockstudio.ui.canvas_view import KIND_MIME

CATEGORY_ORDER = [
    "generic",
    "convolution",
    "normalization",
    "activation",
    "merge",
    "pooling",
    "reshaping",
    "regularization",
    "core",
    "attention",
    "recurrent",
    "preprocessing",
    "other",
]
CATEGORY_TITLES = {"generic": "Generic (follow spatial_dims)", "merge": "Merge"}


class _KindTree(QTreeWidget):
    sigChosen = Signal(str)

    def keyPressEvent(self, event) -> None:
        item = self.currentItem()
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and item and item.data(0, Qt.UserRole):
            self.sigChosen.emit(item.data(0, Qt.UserRole))
            return
        super().keyPressEvent(event)

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        kind = item.data(0, Qt.UserRole) if item else None
        if not kind:
            return
        drag = QDrag(self)
        drag.setMimeData(kind_mime(kind))
        drag.exec(Qt.CopyAction)


def kind_mime(kind: str) -> QMimeData:
    """What a drag from the palette carries: the kind, for the canvas (and as plain text)."""
    mime = QMimeData()
    mime.setData(KIND_MIME, kind.encode("utf-8"))
    mime.setText(kind)
    return mime


class Palette(QWidget):
    """Search box over a category tree; double-click adds a kind at the canvas centre."""

    sigAddKind = Signal(str)

    def __init__(self, catalog: Catalog, parent=None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search layers (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.tree = _KindTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        cats = catalog.categories()
        self.items: dict[str, QTreeWidgetItem] = {}
        for cat in sorted(
            cats, key=lambda c: CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99
        ):
            parent_item = QTreeWidgetItem([CATEGORY_TITLES.get(cat, cat.capitalize())])
            parent_item.setFlags(Qt.ItemIsEnabled)
            self.tree.addTopLevelItem(parent_item)
            for spec in sorted(cats[cat], key=lambda s: s.kind):
                child = QTreeWidgetItem([spec.kind])
                child.setData(0, Qt.UserRole, spec.kind)
                child.setToolTip(0, f"<b>{spec.kind}</b><br>{spec.doc}")
                parent_item.addChild(child)
                self.items[spec.kind] = child
            parent_item.setExpanded(
                cat in ("generic", "convolution", "normalization", "activation", "merge")
            )
        self.catalog = catalog
        ends = QTreeWidgetItem(["Inputs and outputs"])
        ends.setFlags(Qt.ItemIsEnabled)
        self.tree.addTopLevelItem(ends)
        for kind, tip in (
            (
                INPUT_KIND,
                "Another input of the block (a U-Net up block's skip): the block is then "
                "called on a list, one tensor per Input, in index order.",
            ),
            (
                OUTPUT_KIND,
                "Another output of the block (an encoder's skips, a second head): the block "
                "then returns a list, one tensor per Output, in index order.",
            ),
        ):
            child = QTreeWidgetItem([kind])
            child.setData(0, Qt.UserRole, kind)
            child.setToolTip(0, f"<b>{kind}</b><br>{tip}")
            ends.addChild(child)
            self.items[kind] = child
        self.blocks_item = QTreeWidgetItem(["Blocks"])
        self.blocks_item.setFlags(Qt.ItemIsEnabled)
        self.tree.insertTopLevelItem(0, self.blocks_item)
        if catalog.library is not None:
            for name in template_names():
                self.add_block(template_kind(name))
        self.blocks_item.setExpanded(True)
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.tree.sigChosen.connect(self.sigAddKind.emit)

    def add_block(self, kind: str) -> QTreeWidgetItem:
        """List a block kind (once) under Blocks."""
        if kind in self.items:
            return self.items[kind]
        spec = self.catalog.get(kind)
        child = QTreeWidgetItem([kind_label(kind)])
        child.setData(0, Qt.UserRole, kind)
        summary = spec.doc if spec is not None else "cannot be read"
        child.setToolTip(0, f"<b>{kind_label(kind)}</b> (block)<br>{summary}")
        self.blocks_item.addChild(child)
        self.items[kind] = child
        return child

    def filter(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                child = top.child(j)
                hit = not needle or needle in child.text(0).lower()
                child.setHidden(not hit)
                shown += hit
            top.setHidden(shown == 0)
            if needle:
                top.setExpanded(shown > 0)

    def _activated(self, item: QTreeWidgetItem) -> None:
        kind = item.data(0, Qt.UserRole)
        if kind:
            self.sigAddKind.emit(kind)
