"""What the hands send: keys, text, names of widgets, and the Qt class behind a widget."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import isValid

# shortcuts of the studio and of Qt, all but Quit (the monkey must not leave)
SHORTCUTS = [
    "Ctrl+Z",
    "Ctrl+Z",
    "Ctrl+Z",
    "Ctrl+Shift+Z",
    "Ctrl+Y",
    "Ctrl+C",
    "Ctrl+V",
    "Ctrl+X",
    "Ctrl+D",
    "Delete",
    "Ctrl+A",
    "Ctrl+F",
    "Ctrl+0",
    "Ctrl+L",
    "Ctrl++",
    "Ctrl+-",
    "Alt+Down",
    "Alt+Up",
    "Ctrl+N",
    "Ctrl+O",
    "Ctrl+S",
    "Ctrl+Shift+S",
    "Ctrl+E",
    "Ctrl+Shift+E",
    "Ctrl+Shift+B",
    "Ctrl+Shift+O",
    "F5",
    "F6",
    "F7",
    "Ctrl+.",
    "Ctrl+W",
    "Escape",
    "Alt+F",
    "Alt+E",
    "Alt+V",
    "Alt+R",
    "Alt+H",
]
KEYS = [
    "Return",
    "Escape",
    "Tab",
    "Backtab",
    "Backspace",
    "Delete",
    "Up",
    "Down",
    "Left",
    "Right",
    "Home",
    "End",
    "PgUp",
    "PgDown",
    "Space",
    "F2",
]
TEXTS = [
    "z",
    "x",
    "conv",
    "64",
    "0",
    "-1",
    "3.5",
    "1e9",
    "",
    "(None, 32, 32, 16)",
    "(1, 8, 8, 4)",
    "32x32x3",
    "out_channels",
    "in_channels != out_channels",
    "True",
    "[1, 2]",
    "'same'",
    "é ü",
    "a" * 40,
    "relu",
    "kernel_size",
    "((",
    "None",
    "stride == 1",
    "import os",
]
POPUP_KEYS = ["Escape", "Down", "Down", "Up", "Right", "Left", "Return"]
QUIT_TEXTS = {"quit", "exit"}
IGNORED_QT = ("This plugin does not support",)  # the offscreen platform: raise, grabs, ...


def key_of(text: str) -> tuple[Qt.Key, Qt.KeyboardModifier]:
    combo = QKeySequence(text)[0]
    return combo.key(), combo.keyboardModifiers()


def type_text(widget: QWidget, text: str) -> None:
    """Key presses for ``text``; QTest's own only knows ASCII, other characters arrive as a
    key event carrying the text, as an input method delivers them."""
    from PySide6.QtGui import QKeyEvent

    for ch in text:
        if not isValid(widget):
            return
        if ch in "\n\t":
            QTest.keyClick(widget, Qt.Key_Return if ch == "\n" else Qt.Key_Tab)
            continue
        if ch.isascii() and ch.isprintable():
            QTest.keyClicks(widget, ch)
            continue
        for kind in (QEvent.KeyPress, QEvent.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key_unknown, Qt.NoModifier, ch))


def qt_class(obj) -> type:
    """The Qt class of ``obj``: its methods, not the ones a Python subclass may shadow (the
    problems list keeps its document model in ``self.model``)."""
    return next(c for c in type(obj).__mro__ if c.__module__.startswith("PySide6"))


def describe(w: QWidget) -> str:
    """A widget as a person would name it: its class and its text or title."""
    text = ""
    for attr in ("text", "windowTitle", "placeholderText", "objectName"):
        getter = getattr(w, attr, None)
        if callable(getter):
            try:
                text = getter()
            except TypeError:
                continue
            if text:
                break
    text = " ".join(str(text).split())[:40]
    return f"{type(w).__name__} '{text}'" if text else type(w).__name__
