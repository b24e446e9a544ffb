"""Doing an action: real mouse, wheel and key events at real widget and canvas positions."""

from __future__ import annotations

import shutil
import subprocess
import time

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QWidget
from shiboken6 import isValid

from tests.ui.helpers import wheel
from tests.ui.monkey.events import QUIT_TEXTS, key_of, qt_class, type_text
from tests.ui.monkey.paths import resolve


class Hands:
    """The ``do_*`` half of :class:`Monkey`: an action dict becomes Qt events."""

    def execute(self, action: dict) -> None:
        op = action["op"]
        getattr(self, f"do_{op}")(action)

    def _mods(self, text: str):
        return {"": Qt.NoModifier, "Ctrl": Qt.ControlModifier, "Shift": Qt.ShiftModifier}[text]

    def _live(self, *widgets) -> bool:
        return all(w is not None and isValid(w) and w.isVisible() for w in widgets)

    def _gone(self) -> None:
        self.current["gone"] = True  # the target was not there (replay or a rebuilt widget)

    def do_click(self, a: dict, button=Qt.LeftButton) -> None:
        w = resolve(self.w, a["w"])
        if not self._live(w):
            return self._gone()
        QTest.mouseClick(w, button, self._mods(a.get("mods", "")), QPoint(a["x"], a["y"]))

    def do_rclick(self, a: dict) -> None:
        w = resolve(self.w, a["w"])
        if not self._live(w):
            return self._gone()
        pos = QPoint(a["x"], a["y"])
        QTest.mouseClick(w, Qt.RightButton, Qt.NoModifier, pos)
        if self._live(w):  # a context menu comes from the event Qt sends after a right click
            from PySide6.QtGui import QContextMenuEvent

            event = QContextMenuEvent(QContextMenuEvent.Mouse, pos, w.mapToGlobal(pos))
            QApplication.sendEvent(w, event)

    def do_dclick(self, a: dict) -> None:
        w = resolve(self.w, a["w"])
        if not self._live(w):
            return self._gone()
        self._double_click(w, QPoint(a["x"], a["y"]), self._mods(a.get("mods", "")))

    def _double_click(self, w: QWidget, pos: QPoint, mods=Qt.NoModifier) -> None:
        """Press, release, double-click, release: what the system delivers (see helpers.py)."""
        QTest.mouseClick(w, Qt.LeftButton, mods, pos)
        if self._live(w):
            QTest.mouseDClick(w, Qt.LeftButton, mods, pos)
        if self._live(w):
            QTest.mouseRelease(w, Qt.LeftButton, mods, pos)

    def _focus_target(self) -> QWidget:
        focus = QApplication.focusWidget()
        if focus is not None and self._live(focus):
            return focus
        active = QApplication.activeWindow()
        return active if active is not None and self._live(active) else self.w

    def _activate(self) -> None:
        active = QApplication.activeWindow()
        if active is None or not isValid(active) or not active.isVisible():
            self.w.activateWindow()
            self._settle()

    def do_key(self, a: dict) -> None:
        self._activate()
        key, mods = key_of(a["key"])
        QTest.keyClick(self._focus_target(), key, mods)

    def do_type(self, a: dict) -> None:
        self._activate()
        target = self._focus_target()
        if a["text"]:
            type_text(target, a["text"])
        if a.get("enter") and self._live(target):
            QTest.keyClick(target, Qt.Key_Return)

    def do_menu(self, a: dict) -> None:
        popup = QApplication.activePopupWidget()
        if not isinstance(popup, QMenu):
            return self._gone()
        for act in popup.actions():
            if act.text() == a["item"] and act.isVisible():
                QTest.mouseClick(
                    popup, Qt.LeftButton, Qt.NoModifier, popup.actionGeometry(act).center()
                )
                return None
        return self._gone()

    def do_popup_row(self, a: dict) -> None:
        popup = QApplication.activePopupWidget()
        view = popup.findChild(QAbstractItemView) if popup is not None else None
        qt = qt_class(view) if view is not None else None
        model = qt.model(view) if qt is not None else None
        if model is None:
            return self._gone()
        index = model.index(a["row"], 0, qt.rootIndex(view))
        rect = qt.visualRect(view, index)
        if not index.isValid() or not rect.isValid():
            return self._gone()
        # the hand moves to the row first (a combo box ignores a release too soon, too near)
        QTest.mouseMove(view.viewport(), rect.center())
        if self._live(view):
            QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
        return None

    def do_popup_key(self, a: dict) -> None:
        popup = QApplication.activePopupWidget()
        if popup is None:
            return self._gone()
        key = a["key"]
        if key == "Return" and isinstance(popup, QMenu):
            active = popup.activeAction()
            if active is not None and active.text().replace("&", "").strip().lower() in QUIT_TEXTS:
                key = "Escape"  # never Quit
        QTest.keyClick(popup, key_of(key)[0])

    def _scene_point(self, target: dict) -> QPoint:
        scene = self.w.scene
        item = None
        if "node" in target:
            item = next((i for i in scene.nodes.values() if i.name == target["node"]), None)
        if item is not None and "port" in target:
            ports = [item.output] if target["port"] < 0 else item.inputs
            index = max(target["port"], 0)
            if index < len(ports) and ports[index] is not None:
                return self.w.view.mapFromScene(ports[index].scenePos())
        elif item is not None:
            return self.w.view.mapFromScene(item.scenePos() + QPointF(target["dx"], target["dy"]))
        return self.w.view.mapFromScene(QPointF(*target["scene"]))

    def do_canvas_click(self, a: dict) -> None:
        vp = self.w.view.viewport()
        QTest.mouseClick(
            vp, Qt.LeftButton, self._mods(a.get("mods", "")), self._scene_point(a["at"])
        )

    def do_canvas_dclick(self, a: dict) -> None:
        vp = self.w.view.viewport()
        self._double_click(vp, self._scene_point(a["at"]), self._mods(a.get("mods", "")))

    def do_canvas_drag(self, a: dict) -> None:
        vp = self.w.view.viewport()
        button = Qt.MiddleButton if a["button"] == "middle" else Qt.LeftButton
        mods = self._mods(a.get("mods", ""))
        start = self._scene_point(a["from"])
        QTest.mousePress(vp, button, mods, start)
        end = self._scene_point(a["to"])  # after the press: a click may have moved the view
        steps = a["steps"]
        for i in range(1, steps + 1):
            if not self._live(vp):
                return None
            p = start + (end - start) * (i / steps)
            QTest.mouseMove(vp, QPoint(round(p.x()), round(p.y())))
        if a.get("escape") and self._live(vp):
            QTest.keyClick(vp, Qt.Key_Escape)
        if self._live(vp):
            QTest.mouseRelease(vp, button, mods, end)
        return None

    def do_canvas_wheel(self, a: dict) -> None:
        vp = self.w.view.viewport()
        wheel(vp, self._scene_point(a["at"]), a["delta"])

    def do_wheel(self, a: dict) -> None:
        w = resolve(self.w, a["w"])
        if not self._live(w):
            return self._gone()
        wheel(w, QPoint(a["x"], a["y"]), a["delta"])
        return None

    def _palette_item(self, kind: str):
        item = self.w.palette.items.get(kind)
        tree = self.w.palette.tree
        if item is None or item.isHidden():
            return None, None
        rect = tree.visualItemRect(item)
        if not rect.isValid() or not tree.viewport().rect().intersects(rect):
            return None, None
        return tree, QPoint(rect.left() + min(rect.width() // 2, 30), rect.center().y())

    def do_palette_dclick(self, a: dict) -> None:
        tree, pos = self._palette_item(a["kind"])
        if tree is None:
            return self._gone()
        self._double_click(tree.viewport(), pos)
        return None

    def do_palette_enter(self, a: dict) -> None:
        tree, pos = self._palette_item(a["kind"])
        if tree is None:
            return self._gone()
        QTest.mouseClick(tree.viewport(), Qt.LeftButton, Qt.NoModifier, pos)
        if self._live(tree):
            QTest.keyClick(tree, Qt.Key_Return)
        return None

    def do_palette_drop(self, a: dict) -> None:
        """On an X server, a real drag with X input (xdotool): the palette's QDrag runs its
        loop and drops on the canvas. Offscreen ``QDrag.exec`` returns at once: the drag is
        started for real (press, move), and the canvas gets the events a drop ends with (as
        it does on X when a window covers either end)."""
        tree, pos = self._palette_item(a["kind"])
        if tree is None:
            return self._gone()
        vp, canvas = tree.viewport(), self.w.view.viewport()
        where = self._scene_point(a["to"])
        if self._x_drag(vp, pos, canvas, where):
            return None
        if QApplication.platformName() == "offscreen":  # elsewhere the QDrag would wait for X
            QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, pos)
            for dx in (6, 14, 30):  # beyond startDragDistance: the tree starts its QDrag
                if self._live(vp):
                    QTest.mouseMove(vp, pos + QPoint(dx, 2))
            if self._live(vp):
                QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, pos + QPoint(30, 2))
        self._drop(canvas, where, a["kind"])
        return None

    def _drop(self, canvas: QWidget, where: QPoint, kind: str) -> None:
        from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

        from blockstudio.ui.palette import kind_mime

        mime = kind_mime(kind)
        for event in (
            QDragEnterEvent(where, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
            QDragMoveEvent(where, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
            QDropEvent(QPointF(where), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier),
        ):
            if not self._live(canvas):
                return
            QApplication.sendEvent(canvas, event)
            if not event.isAccepted():
                return

    def _x_drag(self, source: QWidget, start: QPoint, target: QWidget, end: QPoint) -> bool:
        """Drag with the X server's own pointer, when there is one and nothing covers either
        end; False if not done."""
        if QApplication.platformName() != "xcb" or shutil.which("xdotool") is None:
            return False
        a, b = source.mapToGlobal(start), target.mapToGlobal(end)
        if QApplication.widgetAt(a) is not source or QApplication.widgetAt(b) is not target:
            return False
        cmd = ["xdotool", "mousemove", str(a.x()), str(a.y()), "mousedown", "1", "sleep", "0.05"]
        for i in range(1, 9):
            p = a + (b - a) * (i / 8)
            cmd += ["mousemove", str(p.x()), str(p.y()), "sleep", "0.02"]
        cmd += ["mouseup", "1"]
        done = []

        def rescue() -> None:  # the drag's loop still waits (the release went elsewhere)
            if not done:
                subprocess.run(["xdotool", "mouseup", "1", "key", "Escape"], check=False)

        QTimer.singleShot(4000, rescue)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 3
        while proc.poll() is None and time.monotonic() < deadline:
            QTest.qWait(10)  # the drag's own loop runs in here once the pointer moves
        if proc.poll() is None:
            proc.kill()
        QTest.qWait(50)
        done.append(True)
        return True
