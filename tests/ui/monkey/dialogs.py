"""Answering what blocks the hands: modal dialogs, and menus that run their own loop."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from shiboken6 import isValid

from tests.ui.monkey.events import describe, type_text

LAYER_OK = '''import keras
from keras import layers


class Doubler(keras.layers.Layer):
    """Two dense layers."""

    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense1 = layers.Dense(units)

    def build(self, input_shape):
        self.dense2 = layers.Dense(input_shape[-1])

    def call(self, x):
        return self.dense2(self.dense1(x))
'''
LAYER_LISTS = """import keras
from keras import layers


class Stack(keras.layers.Layer):
    def __init__(self, depth=2, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [layers.Dense(4) for _ in range(depth)]
        self.named = {"a": layers.Dense(4)}

    def call(self, x):
        for block in self.blocks:
            x = block(x)
        return self.named["a"](x)
"""
LAYER_BROKEN = "import keras\n\nclass Broken(keras.layers.Layer:\n    pass\n"


class Answerer:
    """Polls for a modal dialog (or a blocking menu) and answers it, as a user would."""

    def _poll_modal(self) -> None:
        if self._answer_pending:
            return
        w = QApplication.activeModalWidget()
        if w is None and self._busy:  # a menu that blocks the action (QMenu.exec) is answered too
            w = self._blocking_popup()
        if w is None:
            self._modal = None
            return
        if w is not self._modal:
            self._modal, self._modal_tries = w, 0
        self._answer_pending = True
        QTimer.singleShot(0, lambda: self._answer(w))  # not from this timer: it may nest

    def _blocking_popup(self) -> QWidget | None:
        popup = QApplication.activePopupWidget()
        return popup if popup is not None and popup is not self._popup_before else None

    def _answer(self, w: QWidget) -> None:
        self._answer_pending = False
        if not isValid(w) or not w.isVisible():
            return
        if w is not (QApplication.activeModalWidget() or self._busy and self._blocking_popup()):
            return
        self._modal_tries += 1
        if self._modal_tries > 8:  # it does not go away: say so and shut it
            self.fail("stuck", f"a modal {describe(w)} does not close when answered")
            if isinstance(w, QDialog):
                w.reject()
            else:
                w.close()
            return
        if self.replay is not None:
            answer = self._answers.pop(0) if self._answers else {"escape": True}
        elif w.windowType() == Qt.Popup:
            answer = {"popup": self.choose_popup(w)}
        else:
            answer = self.choose_answer(w)
        answer = {**answer, "dialog": describe(w)}
        answer["desc"] = f"dialog {answer['dialog']}: {self._answer_text(answer)}"
        if self.current is not None:
            self.current.setdefault("answers", []).append(answer)
        self._write({"answer": self.index, **answer})
        self.apply_answer(w, answer)

    @staticmethod
    def _answer_text(answer: dict) -> str:
        if "popup" in answer:
            return answer["popup"]["desc"]
        if answer.get("escape"):
            return "Esc"
        parts = []
        if "text" in answer:
            parts.append(f"type {answer['text']!r}")
        if "index" in answer:
            parts.append(f"pick item {answer['index']}")
        if "button" in answer:
            parts.append(f"click '{answer['button']}'")
        elif answer.get("enter"):
            parts.append("Return")
        return ", ".join(parts)

    def choose_answer(self, w: QWidget) -> dict:
        rng = self.rng
        if rng.random() < 0.12:
            return {"escape": True}
        if isinstance(w, QFileDialog):
            if rng.random() < 0.25:
                return {"escape": True}
            return {"text": self._file_name(w), "enter": True}
        if isinstance(w, QMessageBox):
            buttons = [b.text() for b in w.buttons() if b.isVisible()]
            return {"button": rng.choice(buttons)} if buttons else {"escape": True}
        answer: dict[str, Any] = {}
        if isinstance(w, QInputDialog):
            if w.inputMode() == QInputDialog.TextInput and rng.random() < 0.7:
                answer["text"] = rng.choice(
                    ["(1, 64, 64, 16)", "(2, 8, 8, 32)", "(1, 64, 64, 32)", "64x64x8", "((", ""]
                )
            elif w.inputMode() != QInputDialog.TextInput and w.comboBoxItems():
                answer["index"] = rng.randrange(len(w.comboBoxItems()))
            elif w.inputMode() != QInputDialog.TextInput and rng.random() < 0.7:
                answer["text"] = rng.choice(["5", "0.5", "3600", "abc", "120"])
        elif w.findChild(QPlainTextEdit) is not None and rng.random() < 0.6:
            answer["text"] = rng.choice([LAYER_OK, LAYER_LISTS, LAYER_BROKEN, "x = 1", ""])
        elif w.findChild(QLineEdit) is not None and rng.random() < 0.3:
            answer["text"] = rng.choice(["(None, 8, 8, 4)", "4", "", "'a'"])
        box = w.findChild(QDialogButtonBox)
        buttons = [b.text() for b in box.buttons() if b.isVisible()] if box is not None else []
        if buttons and rng.random() < 0.8:
            answer["button"] = rng.choice(buttons)
        else:
            answer["enter"] = True
        return answer

    def _file_name(self, dialog: QFileDialog) -> str:
        rng = self.rng
        ext = ".bsblock"
        for pattern in dialog.selectedNameFilter().replace("(", " ").replace(")", " ").split():
            if pattern.startswith("*."):
                ext = pattern[1:]
                break
        here = "{workdir}"  # the seed's folder, put in when typed: a replay gets a fresh one
        if dialog.acceptMode() == QFileDialog.AcceptSave:
            self._saved += 1
            choices = [
                f"{here}/saved{self._saved}{ext}",
                f"{here}/saved{max(1, self._saved - 1)}{ext}",  # overwrite
                f"{here}/no-such-dir/x{ext}",
            ]
            if self.w.model.path is not None:  # export over the project file
                choices.append(str(self.w.model.path).replace(str(self.workdir), here))
            return rng.choices(choices, weights=[6, 2, 1, 1][: len(choices)])[0]
        existing = sorted(f"{here}/{p.name}" for p in self.workdir.glob(f"*{ext}"))
        return rng.choice([*existing, f"{here}/missing{ext}"])

    def apply_answer(self, w: QWidget, answer: dict) -> None:
        if "popup" in answer:
            self.execute(answer["popup"])
            return
        if QApplication.activeWindow() is not w:  # back from a message box it opened: as a
            w.activateWindow()  # window manager would, the dialog has the focus again
            QApplication.processEvents()
        if answer.get("escape"):
            QTest.keyClick(w, Qt.Key_Escape)
            return
        if "text" in answer:
            edit = None
            if isinstance(w, QFileDialog):
                edit = w.findChild(QLineEdit, "fileNameEdit")
            if edit is None:
                edit = (
                    w.findChild(QPlainTextEdit)
                    or w.findChild(QAbstractSpinBox)
                    or w.findChild(QLineEdit)
                )
            if edit is not None and self._live(edit):
                edit.setFocus()
                QTest.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
                QTest.keyClick(edit, Qt.Key_Backspace)
                if answer["text"]:
                    type_text(edit, answer["text"].replace("{workdir}", str(self.workdir)))
        if "index" in answer:
            combo = w.findChild(QComboBox)
            if combo is not None and self._live(combo):
                combo.setFocus()
                QTest.keyClick(combo, Qt.Key_Home)
                for _ in range(answer["index"]):
                    QTest.keyClick(combo, Qt.Key_Down)
        if not self._live(w):
            return
        if "button" in answer:
            for b in w.findChildren(QAbstractButton):
                if b.text() == answer["button"] and self._live(b):
                    QTest.mouseClick(b, Qt.LeftButton)
                    return
        focus = QApplication.focusWidget()
        target = focus if focus is not None and focus.window() is w else w
        if isinstance(target, QPlainTextEdit | QTextEdit):
            target = w  # Return there is a new line, not OK
            box = w.findChild(QDialogButtonBox)
            ok = box.button(QDialogButtonBox.Ok) if box is not None else None
            if ok is not None:
                QTest.mouseClick(ok, Qt.LeftButton)
                return
        QTest.keyClick(target, Qt.Key_Return)
