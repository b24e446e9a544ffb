"""The monkey itself: one seed's run, its recorders, and the window it drives."""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from tests.ui.monkey.checks import Checks
from tests.ui.monkey.choose import Chooser
from tests.ui.monkey.dialogs import LAYER_BROKEN, LAYER_LISTS, LAYER_OK, Answerer
from tests.ui.monkey.events import IGNORED_QT
from tests.ui.monkey.hands import Hands
from tests.ui.monkey.paths import top_windows
from tests.ui.monkey.report import Failure, Report

# pauses after an action (ms), drawn at random: timers (debounces, autosave) fire between some
# actions; with the engine, its replies land between and inside gestures
WAITS = (0,) * 18 + (10, 50)
ENGINE_WAITS = (0, 0, 5, 20, 60)


class Monkey(Chooser, Hands, Answerer, Checks):
    """Random (or replayed) actions on ``window``; ``run`` returns a :class:`Report`."""

    def __init__(
        self,
        window,
        seed: int,
        workdir: Path,
        replay: list[dict] | None = None,
        fail_on_warnings: bool = True,
        wait_ms: tuple[int, ...] = WAITS,
        keep_going: bool = False,
        avoid: frozenset[str] = frozenset(),
    ) -> None:
        self.w, self.seed, self.workdir = window, seed, Path(workdir)
        self.rng = random.Random(seed)
        self.replay = list(replay) if replay is not None else None
        self.fail_on_warnings = fail_on_warnings
        self.wait_ms = wait_ms  # pauses after actions: engine replies land between them
        self.keep_going = keep_going  # go on after a failure (each kind reported once)
        self._seen: set[str] = set()
        self.avoid = avoid  # known failures to steer clear of while looking for others
        self.report: Report | None = None
        self.index = -1
        self.current: dict | None = None
        self._answers: list[dict] = []  # replay: this action's recorded dialog answers
        self._answer_pending = False
        self._modal: QWidget | None = None
        self._modal_tries = 0
        self._saved = 0
        self._busy = False  # an action is being done (a popup now blocks it)
        self._popup_before: QWidget | None = None  # the popup open when it began
        self._log = None

    # -- setup ------------------------------------------------------------------------------
    def _prepare_files(self) -> None:
        from blockstudio.core.project import save_document
        from blockstudio.core.templates import load_template
        from blockstudio.ui.file_actions import empty_document

        self.workdir.mkdir(parents=True, exist_ok=True)
        save_document(
            load_template("unet-res-block", self.w.catalog), self.workdir / "unet.bsblock"
        )
        save_document(empty_document(), self.workdir / "empty.bsblock")
        (self.workdir / "broken.bsblock").write_text("{not json", encoding="utf-8")
        (self.workdir / "doubler.py").write_text(LAYER_OK, encoding="utf-8")
        (self.workdir / "stack.py").write_text(LAYER_LISTS, encoding="utf-8")
        (self.workdir / "broken.py").write_text(LAYER_BROKEN, encoding="utf-8")

    def _install(self) -> None:
        QApplication.setAttribute(Qt.AA_DontUseNativeDialogs, True)  # Qt's dialog, typed into
        self._old_hook = sys.excepthook
        sys.excepthook = self._on_exception
        self._old_handler = qInstallMessageHandler(self._on_qt_message)
        self._poll = QTimer()
        self._poll.setInterval(30)
        self._poll.timeout.connect(self._poll_modal)
        self._poll.start()
        self.w.model.sigReset.connect(self._on_reset)
        self._root = self.w.model.root_doc
        self.start_json = self._json()

    def _uninstall(self) -> None:
        self._poll.stop()
        sys.excepthook = self._old_hook
        qInstallMessageHandler(self._old_handler)
        try:
            self.w.model.sigReset.disconnect(self._on_reset)
        except (RuntimeError, TypeError):
            pass

    def _on_exception(self, exc_type, exc, tb) -> None:
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        self.fail("exception", f"{exc_type.__name__}: {exc}", text)

    def _on_qt_message(self, mode, context, message: str) -> None:
        if any(part in message for part in IGNORED_QT):
            return
        level = {
            QtMsgType.QtWarningMsg: "warning",
            QtMsgType.QtCriticalMsg: "critical",
            QtMsgType.QtFatalMsg: "fatal",
        }.get(mode)
        if level is None or (level == "warning" and not self.fail_on_warnings):
            return
        self.fail("qt", f"Qt {level}: {message}")
        if level == "fatal":  # Qt aborts after this: leave the replay where it can be read
            self._flush_report()

    def _on_reset(self) -> None:
        model = self.w.model
        if model.root_doc is not self._root:  # New / Open / template / Recover / import
            self._root = model.root_doc
            self.start_json = self._json()

    def _json(self) -> str:
        from blockstudio.core.project import document_to_json

        return document_to_json(self.w.model.root_doc)

    def fail(self, kind: str, message: str, detail: str = "") -> None:
        report = self.report
        signature = kind + re.sub(r"[\d.]+", "#", message)
        if report is not None and signature not in self._seen:
            self._seen.add(signature)
            report.failures.append(Failure(kind, self.index, message, detail))
            self._write({"failure": kind, "index": self.index, "message": message})

    def _write(self, record: dict) -> None:
        if self._log is not None:
            self._log.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._log.flush()

    def _flush_report(self) -> None:
        if self._log is not None:
            self._log.flush()
            os.fsync(self._log.fileno())

    # -- the run ----------------------------------------------------------------------------
    def run(self, count: int, log_path: Path | None = None) -> Report:
        count = len(self.replay) if self.replay is not None else count
        self.report = Report(self.seed, count)
        log_path = log_path or self.workdir / f"monkey-seed{self.seed}.jsonl"
        self.report.log_path = str(log_path)
        self._prepare_files()
        self._log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        self._install()
        started = time.monotonic()
        try:
            deadline = time.monotonic() + 10  # the timeline panel is made once pyqtgraph loads:
            while self.w.run_ui._panel is None and time.monotonic() < deadline:
                QTest.qWait(20)  # wait for it, so the same seed meets the same widgets
            self._settle(10)
            for self.index in range(count):
                if not self.step():
                    break
            if self.report.ok or self.keep_going:
                self.index = -1
                self.final_checks()
        finally:
            self._cleanup()
            self._uninstall()
            self.report.seconds = time.monotonic() - started
            self._log.close()
            self._log = None
        return self.report

    def step(self) -> bool:
        """One action; False to stop (a failure, or the window is gone)."""
        if not self.w.isVisible():
            self.fail("invariant", "the main window closed")
            return False
        if self.replay is not None:
            action = self.replay[self.index]
            self._answers = list(action.get("answers", []))
            action = {**action, "answers": []}
        else:
            try:
                action = self.choose()
            except Exception:  # the monkey's own bug
                self.fail("monkey", "the monkey failed to choose an action", traceback.format_exc())
                return False
        self.current = action
        self.report.actions.append(action)
        self._write({"action": self.index, **{k: v for k, v in action.items() if k != "answers"}})
        started = time.monotonic()
        self._busy, self._popup_before = True, QApplication.activePopupWidget()
        try:
            self.execute(action)
        except Exception:  # the monkey's own bug: report it as such, with its traceback
            self.fail("monkey", "the monkey failed to do its action", traceback.format_exc())
        finally:
            self._busy = False
        self._settle(action.get("wait", 0))
        took = time.monotonic() - started
        if took > 20:
            self.fail("stuck", f"action took {took:.1f} s")
        if self.report.ok or self.keep_going:
            self.check_canvas()
        return self.report.ok or self.keep_going

    def _settle(self, wait_ms: int = 0) -> None:
        app = QApplication.instance()
        for _ in range(3):
            app.processEvents()
            # what an event loop does between events, and processEvents alone does not
            app.sendPostedEvents(None, QEvent.DeferredDelete)
        if wait_ms:
            QTest.qWait(wait_ms)

    def _cleanup(self) -> None:
        """Leave the application as found: no popups, dialogs or extra windows."""
        self._poll.stop()
        for _ in range(10):
            w = QApplication.activePopupWidget() or QApplication.activeModalWidget()
            if w is None:
                break
            if isinstance(w, QDialog):
                w.reject()
            else:
                w.close()
            self._settle()
        for _, top in top_windows(self.w)[1:]:
            top.close()
        self._settle()


def run_monkey(window, seed: int, actions: int, workdir: Path, **options) -> Report:
    """Drive ``window`` with ``actions`` random actions from ``seed``; see :class:`Monkey`."""
    return Monkey(window, seed, workdir, **options).run(actions)


def make_main_window(start_engine: bool = False, template: str = "unet-res-block"):
    """The studio window on an example (the U-Net block's), shown and active, as
    ``make_window`` makes it."""
    import blockstudio.ui.run_panel  # noqa: F401 - pyqtgraph, here rather than in the warm-up thread
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template
    from blockstudio.ui.main_window import MainWindow

    from blockstudio.core.library import BlockLibrary

    catalog = load_catalog()
    doc = load_template(template, catalog.with_library(BlockLibrary()))
    window = MainWindow(catalog, doc, None, start_engine=start_engine)
    window.show()
    QTest.qWaitForWindowExposed(window)
    window.activateWindow()
    deadline = time.monotonic() + 3
    while not window.isActiveWindow() and time.monotonic() < deadline:
        QTest.qWait(10)
    return window
