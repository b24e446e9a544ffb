"""Driving widgets the way a user does: real mouse and keyboard events at real pixels."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def wait_for_engine(qtbot, window, timeout=60000):
    qtbot.waitUntil(lambda: window.engine.status == "ready", timeout=timeout)


def run_and_wait(qtbot, window, action, timeout=90000):
    """Do ``action`` (a key press, a menu action) and wait for the run it starts."""
    before = len(window.runs.runs)
    action()
    qtbot.waitUntil(lambda: len(window.runs.runs) > before, timeout=timeout)
    return window.runs.runs[-1]


def view_point(view, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def drag(qtbot, view, start: QPointF, end: QPointF, steps: int = 5, release: bool = True) -> None:
    """Press at ``start`` (scene coordinates), move in steps to ``end``, release there."""
    vp = view.viewport()
    a, b = view_point(view, start), view_point(view, end)
    qtbot.mousePress(vp, Qt.LeftButton, pos=a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(vp, a + (b - a) * i / steps)
    if release:
        qtbot.mouseRelease(vp, Qt.LeftButton, pos=b)


def timeline_pixel(timeline, index: int) -> QPoint:
    """Where event ``index`` is drawn in the timeline's plot viewport."""
    lay = timeline.layout_
    scene_pos = timeline.plot.getViewBox().mapViewToScene(QPointF(lay.x[index], lay.lane[index]))
    return timeline.plot.mapFromScene(scene_pos)


def drop_kind(view, kind: str, where: QPoint) -> None:
    """Deliver to the canvas the drag events a drag from the palette ends with, at ``where``
    (viewport pixels): enter, move, drop, each of which the canvas must accept."""
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from blockstudio.ui.palette import kind_mime

    mime = kind_mime(kind)
    for event in (
        QDragEnterEvent(where, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
        QDragMoveEvent(where, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
        QDropEvent(QPointF(where), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
    ):
        QApplication.sendEvent(view.viewport(), event)
        assert event.isAccepted()


def double_click(qtbot, widget, pos: QPoint) -> None:
    """A double click as the system delivers it: press, release, double-click, release
    (``qtbot.mouseDClick`` alone sends no first release, which pyqtgraph waits for)."""
    qtbot.mouseClick(widget, Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.LeftButton, pos=pos)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=pos)


def wheel(widget, pos: QPoint, delta: int) -> None:
    """One notch of the mouse wheel at ``pos`` (positive: away from the user, zooms in)."""
    event = QWheelEvent(
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        QPoint(),
        QPoint(0, delta),
        Qt.NoButton,
        Qt.NoModifier,
        Qt.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def type_value(qtbot, line, text: str) -> None:
    """Replace a field's text as a user does (click, select all, type, Enter)."""
    qtbot.mouseClick(line, Qt.LeftButton, pos=line.rect().center())
    qtbot.keyClick(line, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key_Return)
