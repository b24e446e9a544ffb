"""Start the studio: ``blockstudio [FILE]``."""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from blockstudio.core.catalog import load_catalog
from blockstudio.core.project import ProjectError
from blockstudio.ui.main_window import MainWindow, open_initial


def dark_palette(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    base, text = QColor("#202124"), QColor("#e8eaed")
    for role, color in [
        (QPalette.Window, QColor("#292a2d")),
        (QPalette.WindowText, text),
        (QPalette.Base, base),
        (QPalette.AlternateBase, QColor("#2b2d31")),
        (QPalette.Text, text),
        (QPalette.Button, QColor("#35363a")),
        (QPalette.ButtonText, text),
        (QPalette.Highlight, QColor("#3d7dd8")),
        (QPalette.HighlightedText, QColor("#ffffff")),
        (QPalette.ToolTipBase, base),
        (QPalette.ToolTipText, text),
        (QPalette.PlaceholderText, QColor("#80868b")),
    ]:
        pal.setColor(role, color)
    # disabled controls must look disabled on the dark palette too
    muted = QColor("#6f7378")
    for role in (QPalette.ButtonText, QPalette.Text, QPalette.WindowText):
        pal.setColor(QPalette.Disabled, role, muted)
    app.setPalette(pal)


def run_studio(path: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Block Studio")
    app.setOrganizationName("blockstudio")
    dark_palette(app)
    catalog = load_catalog()
    try:
        doc, file_path = open_initial(catalog, path)
    except ProjectError as exc:
        QMessageBox.critical(None, "Cannot open project", f"{exc}\n\nOpening the example instead.")
        doc, file_path = open_initial(catalog, None)
    window = MainWindow(catalog, doc, file_path)
    window.show()
    return app.exec()
