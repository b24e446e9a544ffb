"""Real hands: the monkey (tests/ui/monkey) drives the real window with real Qt events.

Five seeds × 300 actions: clicks, double-clicks, drags between ports and from the palette, the
wheel, typing, shortcuts, menus, and every dialog answered. One seed runs with the engine, so
its replies land between (and inside) the gestures. Each seed must end with no exception, no Qt
warning or worse, the event loop answering, the project round-tripping through save and load,
undo-all giving back the start, and the canvas equal to the document after every action.

A failure prints the actions that led to it, and the log to replay (``python -m
tests.ui.monkey --replay LOG``) or shrink (``python tools/soak.py --minimize LOG``). A segfault
ends pytest itself: its action log is under the test's tmp_path
(``/tmp/pytest-of-$USER/pytest-current/test_monkey_seed_N_current/monkey-seedN.jsonl``), and
``python tools/soak.py --first-seed N --seeds 1 --actions 300`` runs the seed in a process of
its own.
"""

from __future__ import annotations

import pytest

import blockstudio.ui.run_panel  # noqa: F401 - pyqtgraph now, not in the window's warm-up thread
from tests.ui.helpers import wait_for_engine
from tests.ui.monkey import run_monkey
from tests.ui.monkey.driver import ENGINE_WAITS, WAITS

ACTIONS = 300
SEEDS = [1, 2, 3, 4, 5]
ENGINE_SEED = 5


@pytest.mark.parametrize("seed", SEEDS)
def test_monkey(make_window, qtbot, tmp_path, seed):
    engine = seed == ENGINE_SEED
    window = make_window(start_engine=engine)
    if engine:
        wait_for_engine(qtbot, window)  # then shapes, runs and checkups answer mid-gesture
    waits = ENGINE_WAITS if engine else WAITS
    report = run_monkey(window, seed, ACTIONS, tmp_path, wait_ms=waits)
    if not report.ok:
        pytest.fail(report.describe(), pytrace=False)
