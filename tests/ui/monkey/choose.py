"""Choosing what the hands do next: a widget, a card, a port, a key, a palette item."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QMenuBar,
    QScrollBar,
    QSlider,
    QTabBar,
    QWidget,
)

from tests.ui.monkey.events import (
    KEYS,
    POPUP_KEYS,
    QUIT_TEXTS,
    SHORTCUTS,
    TEXTS,
    describe,
    qt_class,
)
from tests.ui.monkey.paths import top_windows, widget_path


class Chooser:
    """The ``choose_*`` half of :class:`Monkey`: each returns an action (a dict with ``desc``)."""

    def choose(self) -> dict:
        rng = self.rng
        popup = QApplication.activePopupWidget()
        if popup is not None and rng.random() < 0.9:
            action = self.choose_popup(popup)
        else:
            kind = rng.choices(
                ["canvas", "widget", "key", "type", "palette", "wheel"],
                weights=[34, 26, 16, 10, 8, 6],
            )[0]
            action = getattr(self, f"choose_{kind}")()
        action["wait"] = rng.choice(self.wait_ms)
        return action

    def choose_popup(self, popup: QWidget) -> dict:
        rng = self.rng
        if isinstance(popup, QMenu):
            items = [
                a
                for a in popup.actions()
                if a.isVisible()
                and a.isEnabled()
                and not a.isSeparator()
                and a.text().replace("&", "").strip().lower() not in QUIT_TEXTS
            ]
            if items and rng.random() < 0.7:
                a = rng.choice(items)
                text = a.text()
                return {"op": "menu", "item": text, "desc": f"menu: click '{text}'"}
        else:
            view = popup.findChild(QAbstractItemView)
            model = qt_class(view).model(view) if view is not None else None
            if model is not None and rng.random() < 0.7:
                rows = model.rowCount(qt_class(view).rootIndex(view))
                if rows:
                    row = rng.randrange(rows)
                    return {
                        "op": "popup_row",
                        "row": row,
                        "desc": f"popup {describe(popup)}: click row {row}",
                    }
        key = rng.choice(POPUP_KEYS)
        return {"op": "popup_key", "key": key, "desc": f"popup {describe(popup)}: key {key}"}

    def _targets(self) -> list[QWidget]:
        found = []
        canvas = self.w.view
        # known: an edit refused in a read-only block can delete the editor under the hand
        spare = self.w.inspector if "read-only" in self.avoid and self.w.model.read_only else None
        for _, root in top_windows(self.w):
            for w in root.findChildren(QWidget):
                if w is canvas or not w.isVisible() or not w.isEnabled():
                    continue
                if spare is not None and spare.isAncestorOf(w):
                    continue
                if w.width() < 3 or w.height() < 3 or w.visibleRegion().isEmpty():
                    continue
                if isinstance(
                    w,
                    QAbstractButton
                    | QLineEdit
                    | QAbstractSpinBox
                    | QComboBox
                    | QTabBar
                    | QSlider
                    | QScrollBar
                    | QMenuBar
                    | QAbstractScrollArea,
                ):
                    if isinstance(w, QLineEdit) and isinstance(w.parent(), QAbstractSpinBox):
                        continue  # the spin box itself is the target
                    found.append(w)
        found.sort(
            key=lambda w: widget_path(self.w, w)
        )  # an order that does not depend on the heap
        return found

    def choose_widget(self) -> dict:
        rng = self.rng
        targets = self._targets()
        if not targets:
            return self.choose_key()
        w = rng.choice(targets)
        target, point = w, None
        if isinstance(w, QTabBar) and w.count():
            point = w.tabRect(rng.randrange(w.count())).center()
        elif isinstance(w, QMenuBar):
            acts = [a for a in w.actions() if a.isVisible() and a.menu() is not None]
            if acts:
                point = w.actionGeometry(rng.choice(acts)).center()
        elif isinstance(w, QAbstractScrollArea):
            target = w.viewport()
            if isinstance(w, QAbstractItemView) and rng.random() < 0.7:
                point = self._item_point(w)
        if point is None:
            r = target.rect()
            point = QPoint(rng.randrange(max(1, r.width())), rng.randrange(max(1, r.height())))
        how = rng.choices(["click", "dclick", "rclick"], weights=[70, 22, 8])[0]
        mods = rng.choices(["", "Ctrl", "Shift"], weights=[90, 6, 4])[0]
        return {
            "op": how,
            "w": widget_path(self.w, target),
            "x": point.x(),
            "y": point.y(),
            "mods": mods,
            "desc": f"{how} {describe(w)} at ({point.x()},{point.y()})"
            + (f" with {mods}" if mods else "")
            + f" [{widget_path(self.w, target)}]",
        }

    def _item_point(self, view: QAbstractItemView) -> QPoint | None:
        qt = qt_class(view)
        model, vp = qt.model(view), view.viewport().rect()
        if model is None:
            return None
        rects, stack = [], [qt.rootIndex(view)]
        while stack and len(rects) < 400:
            parent = stack.pop()
            for row in range(min(model.rowCount(parent), 200)):
                index = model.index(row, 0, parent)
                rect = qt.visualRect(view, index)
                if rect.isValid() and vp.intersects(rect):
                    rects.append(rect)
                if model.rowCount(index) > 0:
                    stack.append(index)
        if not rects:
            return None
        rect = self.rng.choice(rects)
        return QPoint(rect.left() + min(rect.width() // 2, 30), rect.center().y())

    def choose_key(self) -> dict:
        if self._spare_focus():
            return self.choose_canvas()
        rng = self.rng
        if rng.random() < 0.6:
            key = rng.choice(SHORTCUTS)
        else:
            key = rng.choice(KEYS)
        return {"op": "key", "key": key, "desc": f"key {key} to the focus widget"}

    def _spare_focus(self) -> bool:
        focus = QApplication.focusWidget()
        return bool(
            "read-only" in self.avoid
            and self.w.model.read_only
            and focus is not None
            and self.w.inspector.isAncestorOf(focus)
        )

    def choose_type(self) -> dict:
        if self._spare_focus():
            return self.choose_canvas()
        text = self.rng.choice(TEXTS)
        enter = self.rng.random() < 0.5
        return {
            "op": "type",
            "text": text,
            "enter": enter,
            "desc": f"type {text!r}{' + Return' if enter else ''} into the focus widget",
        }

    def _visible_nodes(self) -> list:
        view = self.w.view
        rect = view.viewport().rect()
        return [
            item
            for _nid, item in sorted(self.w.scene.nodes.items())
            if item.isVisible()
            and rect.contains(view.mapFromScene(item.sceneBoundingRect().center()))
        ]

    def _node_target(self, item) -> dict:
        dx, dy = self.rng.uniform(10, 170), self.rng.uniform(5, 65)  # somewhere on the card
        pos = item.scenePos()
        return {
            "node": item.name,
            "dx": round(dx, 1),
            "dy": round(dy, 1),
            "scene": [round(pos.x() + dx, 1), round(pos.y() + dy, 1)],
        }

    def _port_target(self, port) -> dict:
        pos = port.scenePos()
        return {
            "node": port.node_item.name,
            "port": port.index,
            "scene": [round(pos.x(), 1), round(pos.y(), 1)],
        }

    def _free_target(self) -> dict:
        view = self.w.view
        r = view.viewport().rect()
        p = view.mapToScene(QPoint(self.rng.randrange(r.width()), self.rng.randrange(r.height())))
        return {"scene": [round(p.x(), 1), round(p.y(), 1)]}

    @staticmethod
    def _where(target: dict) -> str:
        if "port" in target:
            port = target["port"]
            return f"{target['node']}.{'out' if port < 0 else f'in{port}'}"
        if "node" in target:
            return f"card {target['node']}"
        return f"canvas ({target['scene'][0]:.0f},{target['scene'][1]:.0f})"

    def choose_canvas(self) -> dict:
        rng = self.rng
        nodes = self._visible_nodes()
        detailed = self.w.scene.detailed
        kind = rng.choices(
            ["click", "dclick", "move", "connect", "band", "pan", "cancel"],
            weights=[30, 10, 14, 26, 8, 4, 8],
        )[0]
        mods = rng.choices(["", "Ctrl", "Shift"], weights=[85, 10, 5])[0]
        if kind in ("click", "dclick"):
            blocks = [n for n in nodes if n.category == "blocks"]
            pool = blocks if kind == "dclick" and blocks and rng.random() < 0.5 else nodes
            at = (
                self._node_target(rng.choice(pool))
                if pool and rng.random() < 0.85
                else self._free_target()
            )
            op = "canvas_click" if kind == "click" else "canvas_dclick"
            return {
                "op": op,
                "at": at,
                "mods": mods,
                "desc": f"{kind} {self._where(at)}" + (f" with {mods}" if mods else ""),
            }
        if kind == "connect" and nodes and detailed:
            outs = [n.output for n in nodes if n.output is not None and n.output.isVisible()]
            ins = [p for n in nodes for p in n.inputs if p.isVisible()]
            if outs and ins:
                src = self._port_target(rng.choice(outs))
                dst = (
                    self._port_target(rng.choice(ins))
                    if rng.random() < 0.85
                    else self._free_target()
                )
                return self._drag(
                    src, dst, "left", f"connect {self._where(src)} → {self._where(dst)}"
                )
        if kind in ("move", "connect", "cancel") and nodes:
            src = self._node_target(rng.choice(nodes))
            dst = self._free_target()
            escape = kind == "cancel"
            desc = (
                f"{'drag-then-Esc' if escape else 'move'} {self._where(src)} → {self._where(dst)}"
            )
            return self._drag(src, dst, "left", desc, escape=escape, mods=mods)
        src, dst = self._free_target(), self._free_target()
        button = "middle" if kind == "pan" else "left"
        what = "pan" if kind == "pan" else "rubber band"
        return self._drag(
            src,
            dst,
            button,
            f"{what} {self._where(src)} → {self._where(dst)}",
            escape=rng.random() < 0.15,
            mods=mods,
        )

    def _drag(self, src, dst, button, desc, escape=False, mods="") -> dict:
        if mods == "Ctrl" and "ctrl-drag" in self.avoid:
            mods = ""
        steps = self.rng.randint(2, 8)
        if escape:
            desc += " (Esc before release)"
        return {
            "op": "canvas_drag",
            "from": src,
            "to": dst,
            "button": button,
            "steps": steps,
            "escape": escape,
            "mods": mods,
            "desc": desc + (f" with {mods}" if mods else ""),
        }

    def choose_palette(self) -> dict:
        rng = self.rng
        tree = self.w.palette.tree
        vp = tree.viewport().rect()
        kinds = [
            kind
            for kind, item in sorted(self.w.palette.items.items())
            if not item.isHidden() and vp.intersects(tree.visualItemRect(item))
        ]
        if not kinds:
            return self.choose_widget()
        kind = rng.choice(kinds)
        how = rng.choices(["drop", "dclick", "enter"], weights=[50, 35, 15])[0]
        if how == "drop":
            at = self._free_target()
            return {
                "op": "palette_drop",
                "kind": kind,
                "to": at,
                "desc": f"drag {kind} from the palette to {self._where(at)}",
            }
        return {"op": f"palette_{how}", "kind": kind, "desc": f"palette: {how} {kind}"}

    def choose_wheel(self) -> dict:
        rng = self.rng
        delta = rng.choice([-240, -120, 120, 240, 360])
        if rng.random() < 0.6:
            at = self._free_target()
            return {
                "op": "canvas_wheel",
                "at": at,
                "delta": delta,
                "desc": f"wheel {delta:+d} on {self._where(at)}",
            }
        targets = [t for t in self._targets() if not isinstance(t, QMenuBar)]
        if not targets:
            return self.choose_key()
        w = rng.choice(targets)
        target = w.viewport() if isinstance(w, QAbstractScrollArea) else w
        r = target.rect()
        x, y = rng.randrange(max(1, r.width())), rng.randrange(max(1, r.height()))
        return {
            "op": "wheel",
            "w": widget_path(self.w, target),
            "x": x,
            "y": y,
            "delta": delta,
            "desc": f"wheel {delta:+d} on {describe(w)} [{widget_path(self.w, target)}]",
        }
