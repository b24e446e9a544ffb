"""Every weight of a run: path, owner, shape, dtype, trainable, initializer, parameters."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from blockstudio.core.trace import Trace

COLUMNS = ["path", "layer", "shape", "dtype", "trainable", "initializer", "params"]


class WeightsTable(QWidget):
    """Sortable and filterable; one row per weight event of the trace."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.filter = QLineEdit(placeholderText="Filter weights (path, layer, initializer…)")
        self.filter.setClearButtonEnabled(True)
        self.model = QStandardItemModel(0, len(COLUMNS), self)
        self.model.setHorizontalHeaderLabels(COLUMNS)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.proxy.setSortRole(Qt.UserRole)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setSelectionBehavior(QTableView.SelectRows)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setVisible(False)
        self.totals = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.totals)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.event_rows: dict[int, int] = {}

    def set_trace(self, trace: Trace | None) -> None:
        self.model.removeRows(0, self.model.rowCount())
        self.event_rows = {}
        if trace is None:
            self.totals.setText("")
            return
        total = trainable = 0
        for e in trace.of_type("weight"):
            d = e.data
            values = [
                e.path,
                e.layer,
                str(tuple(d["shape"])),
                d["dtype"],
                "yes" if d["trainable"] else "no",
                d["initializer"],
                f"{d['params']:,}",
            ]
            sort_keys = [
                e.path,
                e.layer,
                d["params"],
                d["dtype"],
                d["trainable"],
                d["initializer"],
                d["params"],
            ]
            row = []
            for text, key in zip(values, sort_keys, strict=True):
                item = QStandardItem(text)
                item.setData(key, Qt.UserRole)
                item.setData(e.id, Qt.UserRole + 1)
                item.setEditable(False)
                row.append(item)
            self.event_rows[e.id] = self.model.rowCount()
            self.model.appendRow(row)
            total += d["params"]
            trainable += d["params"] if d["trainable"] else 0
        self.view.resizeColumnsToContents()
        self.totals.setText(
            f"{self.model.rowCount()} weights · {total:,} parameters "
            f"({trainable:,} trainable, {total - trainable:,} non-trainable)"
        )

    def rows(self) -> list[list[str]]:
        """The table as shown (after sorting and filtering)."""
        return [
            [self.proxy.index(r, c).data() for c in range(len(COLUMNS))]
            for r in range(self.proxy.rowCount())
        ]

    def select_event(self, event_id: int) -> None:
        row = self.event_rows.get(event_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.view.selectRow(index.row())
            self.view.scrollTo(index)

    def select_layer(self, layer: str) -> None:
        for r in range(self.proxy.rowCount()):
            if self.proxy.index(r, 1).data() == layer:
                self.view.selectRow(r)
                self.view.scrollTo(self.proxy.index(r, 0))
                return
