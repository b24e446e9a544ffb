"""Issue 5 figures: start-up against a bare window, event-loop stalls, 1,000-node scale.

Run: python bench/bench_studio.py   (uses QT_QPA_PLATFORM=offscreen unless DISPLAY is set)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BARE = """
import os
from PySide6.QtWidgets import QApplication, QMainWindow
import pyqtgraph as pg
app = QApplication([])
w = QMainWindow(); w.setCentralWidget(pg.PlotWidget()); w.resize(1400, 900)
w.show(); app.processEvents(); w.repaint()  # the whole window painted once, synchronously
os._exit(0)
"""
STUDIO = """
import os, sys
from blockstudio.ui import app as studio
from blockstudio.ui.main_window import MainWindow
from PySide6.QtWidgets import QApplication
qapp = QApplication([])
studio.dark_palette(qapp)
from blockstudio.core.catalog import load_catalog
from blockstudio.ui.main_window import open_initial
cat = load_catalog(); doc, path = open_initial(cat, None)
w = MainWindow(cat, doc, path)
w.show(); qapp.processEvents(); w.repaint()
assert 'tensorflow' not in sys.modules  # the engine loads it in its own process
os._exit(0)
"""


def startup(rounds: int = 7) -> None:
    env = dict(os.environ, BLOCKSTUDIO_HOME=str(Path("/tmp/blockstudio-bench-home")))
    bare, studio = [], []
    for i in range(rounds):
        for name, code, out in (("bare", BARE, bare), ("studio", STUDIO, studio))[
            :: 1 - 2 * (i % 2)
        ]:
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            out.append(time.perf_counter() - t)
            del name
    b, s = statistics.median(bare), statistics.median(studio)
    print(f"start-up to first paint, {rounds} interleaved runs each (process start included)")
    print(
        f"  bare PySide6 + pyqtgraph {b * 1000:7.0f} ms   studio with the U-Net example "
        f"{s * 1000:7.0f} ms   ratio {s / b:.2f}x"
    )


def in_process() -> None:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication
    from synthetic import big_document

    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template
    from blockstudio.ui.main_window import MainWindow

    os.environ["BLOCKSTUDIO_HOME"] = "/tmp/blockstudio-bench-home"
    app = QApplication.instance() or QApplication([])
    catalog = load_catalog()
    clock = QElapsedTimer()
    clock.start()
    gaps: list[float] = []
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    ticker = QTimer(interval=5)
    ticker.timeout.connect(tick)
    ticker.start()
    window = MainWindow(catalog, load_template("unet-res-block", catalog))
    window.show()
    # the user's path: Run as soon as the engine is ready; the reply builds the timeline panel
    window.engine.sigStatus.connect(
        lambda status, _d: (
            status == "ready"
            and not window.runs.runs
            and not window.run_ui.controller._pending
            and window.run_ui.run()
        )
    )
    t0 = time.perf_counter()
    while not window.runs.runs and time.perf_counter() - t0 < 120:
        app.processEvents()
        time.sleep(0.001)
    window.run_ui.panel.repaint()  # the timeline drawn, as the user then sees it
    app.processEvents()
    ticker.stop()
    elapsed = time.perf_counter() - t0
    print(
        f"event loop from window shown to first U-Net trace done ({elapsed:.1f} s, TensorFlow "
        "loading in the worker)"
    )
    print(
        f"  longest stall {max(gaps) - 5:.1f} ms beyond the 5 ms tick; "
        f"99th percentile gap {statistics.quantiles(gaps, n=100)[98]:.1f} ms"
    )

    big = big_document(1000)
    t = time.perf_counter()
    window.model.set_document(big)
    window.auto_layout()
    window.view.viewport().repaint()
    app.processEvents()
    print("1,000-node document")
    print(f"  open + auto-layout + first paint {(time.perf_counter() - t) * 1000:7.1f} ms")
    undos: list[float] = []
    settles: list[float] = []
    for i in range(10):
        item = window.scene.nodes[f"n{i * 10}"]
        item.setPos(item.pos().x() + 5, item.pos().y())
        from blockstudio.core import commands as c

        window.model.push(c.MoveNodes(big, {f"n{i * 10}": (item.pos().x(), item.pos().y())}))
        t = time.perf_counter()
        window.model.undo_stack.undo()
        undos.append(time.perf_counter() - t)
        t = time.perf_counter()
        window.model.flush()  # validation + problems + code, run once after the event batch
        settles.append(time.perf_counter() - t)
    print(
        f"  one undo (median of 10)           {statistics.median(undos) * 1000:7.2f} ms   "
        f"then revalidation + code refresh {statistics.median(settles) * 1000:.1f} ms"
    )
    for label, place in (
        ("fit all", window.view.fit_all),
        (
            "1:1",
            lambda: (
                window.view.resetTransform(),
                window.view.zoom(0),
                window.view.centerOn(window.scene.nodes["n500"]),
            ),
        ),
    ):
        place()
        zoom_steps(app, window, label)
    window.model.undo_stack.setClean()
    window.close()


def zoom_steps(app, window, label: str) -> None:
    zooms = []
    for i in range(10):
        t = time.perf_counter()
        window.view.zoom(1 if i % 2 else -1)
        window.view.viewport().repaint()
        zooms.append(time.perf_counter() - t)
    print(
        f"  zoom step incl. repaint, {label:7s} {statistics.median(zooms) * 1000:7.2f} ms median"
        f"   max {max(zooms) * 1000:.2f} ms"
    )


if __name__ == "__main__":
    startup()
    in_process()
