"""Naming a widget so that a replay finds it again: a path of class names and indexes.

``main/QDockWidget:inspector/Inspector#0/QWidget:qt_scrollarea_viewport/QWidget#0/QLineEdit#1``:
from the main window (or ``top:Class:title``, another top-level window), each step the child's
object name when it is unique among its kin of the same class, else its index among them. A
page that is rebuilt gives the same path to the same place.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMenu, QWidget


def top_windows(main: QWidget) -> list[tuple[str, QWidget]]:
    """The main window and the other visible, non-modal top-level windows (compare views)."""
    found = [("main", main)]
    for top in QApplication.topLevelWidgets():
        if top is main or not top.isVisible() or top.isModal() or isinstance(top, QMenu):
            continue
        if top.windowType() in (Qt.Window, Qt.Dialog):
            found.append((f"top:{type(top).__name__}:{top.windowTitle()}", top))
    return found


def widget_path(main: QWidget, w: QWidget) -> str:
    parts = []
    while w is not main and w.parentWidget() is not None:
        parts.append(_segment(w, w.parentWidget()))
        w = w.parentWidget()
    root = "main" if w is main else f"top:{type(w).__name__}:{w.windowTitle()}"
    return "/".join([root, *reversed(parts)])


def _segment(w: QWidget, parent: QWidget) -> str:
    kin = [c for c in parent.children() if isinstance(c, QWidget) and type(c) is type(w)]
    name = w.objectName()
    if name and sum(c.objectName() == name for c in kin) == 1:
        return f"{type(w).__name__}:{name}"
    return f"{type(w).__name__}#{kin.index(w)}"


def resolve(main: QWidget, path: str) -> QWidget | None:
    """The widget at ``path`` now, or None."""
    root, *parts = path.split("/")
    w = dict(top_windows(main)).get(root)
    for part in parts:
        if w is None:
            return None
        kin = [c for c in w.children() if isinstance(c, QWidget)]
        if ":" in part:
            cls, name = part.split(":", 1)
            kin = [c for c in kin if type(c).__name__ == cls and c.objectName() == name]
            w = kin[0] if kin else None
        else:
            cls, index = part.split("#")
            kin = [c for c in kin if type(c).__name__ == cls]
            w = kin[int(index)] if int(index) < len(kin) else None
    return w
