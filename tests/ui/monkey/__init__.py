"""A monkey for the studio: random sequences of real Qt events at real widget positions.

It drives a live :class:`MainWindow` the way hands do: clicks, double-clicks and right-clicks on
whatever widget is visible and enabled, drags between ports and of cards on the canvas, drags
from the palette, the wheel, typing into whatever has focus, shortcuts, menus and popups, and it
answers every modal dialog the studio opens (message boxes, input dialogs, Qt's own file dialog
typed into, the layer dialogs). Every action is a JSON-able dict with a ``desc`` line; the list
is written to a file as it goes, so a run that kills the process still leaves its replay.

Events are QTest's (synthesised Qt events delivered to the widget under the point), with two
exceptions. The palette's drag: on an X server (``QT_QPA_PLATFORM=xcb``) it is real X input
(``xdotool`` moves the pointer, so ``QDrag`` runs its own loop and drops); offscreen
``QDrag.exec`` returns at once, so the drag is started for real (press and move on the item) and
the canvas gets the enter/move/drop events a drop ends with, as ``drop_kind`` in ``helpers.py``
does. And a main window that lost activation (to a compare window) is activated again before a
shortcut is sent, as a click on its title would.

Checks: an exception anywhere (``sys.excepthook``), a Qt critical or fatal message, and Qt
warnings (the tests fail on them, see ``qt_log_level_fail``) fail the run at the action that
caused them; after every action the canvas must mirror the document; at the end the event loop
must answer within a second, the project must round-trip through save and load, undoing the
whole history must give back the document as it was at the start (or when it was last replaced:
New, Open, a template, Recover) and redoing it the end.

Run one seed from the command line (what ``tools/soak.py`` does, one process per seed):
``python -m tests.ui.monkey --seed 3 --actions 300 [--engine] [--replay LOG]``; ``--avoid
ctrl-drag,read-only`` steers clear of known failures to look for others, ``--keep-going`` goes
on after a failure.
"""

from __future__ import annotations

from tests.ui.monkey.driver import Monkey, make_main_window, run_monkey
from tests.ui.monkey.report import Failure, Report, read_log

__all__ = ["Failure", "Monkey", "Report", "make_main_window", "read_log", "run_monkey"]
