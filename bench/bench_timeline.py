"""Issue 6 figures: a synthetic 10,000-event trace on the timeline, and a zoom step.

Run: python bench/bench_timeline.py
"""

from __future__ import annotations

import os
import statistics
import time

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from blockstudio.core.trace import Trace, TraceEvent  # noqa: E402
from blockstudio.ui.timeline_view import TimelineView  # noqa: E402


def synthetic_trace(n_events: int = 10_000, layers: int = 200) -> Trace:
    """Calls of ``layers`` sub-layers, each with a build and two weights, repeated."""
    events: list[TraceEvent] = []
    t = 0.0
    top = TraceEvent(
        0,
        "call",
        "block",
        0.0,
        0.0,
        None,
        0,
        "block",
        "Block",
        {"index": 1, "top": True, "built": layers},
    )
    events.append(top)
    i = 0
    while len(events) < n_events:
        name = f"layer{i % layers}"
        call = TraceEvent(
            len(events),
            "call",
            name,
            t,
            40.0,
            0,
            1,
            f"block/{name}",
            "Dense",
            {"index": i // layers + 1, "input_shape": [1, 8], "built": 1},
        )
        events.append(call)
        build = TraceEvent(len(events), "build", name, t + 2, 20.0, call.id, 2, "", "Dense", {})
        events.append(build)
        for w in ("kernel", "bias"):
            events.append(
                TraceEvent(
                    len(events),
                    "weight",
                    name,
                    t + 5,
                    None,
                    build.id,
                    3,
                    f"block/{name}/{w}",
                    "Dense",
                    {
                        "shape": [8, 8],
                        "dtype": "float32",
                        "trainable": True,
                        "initializer": "GlorotUniform",
                        "params": 64,
                    },
                )
            )
        t += 50.0
        i += 1
    top.dur = t
    return Trace("Synthetic", "build", (None, 8), events=events[:n_events])


def main() -> None:
    app = QApplication.instance() or QApplication([])
    view = TimelineView()
    view.resize(1400, 600)
    view.show()
    app.processEvents()
    trace = synthetic_trace()
    renders = []
    for _ in range(5):
        t = time.perf_counter()
        view.set_trace(trace)
        view.plot.viewport().repaint()
        view.params_plot.viewport().repaint()
        renders.append(time.perf_counter() - t)
    zooms = []
    box = view.plot.getViewBox()
    for i in range(20):
        t = time.perf_counter()
        box.scaleBy((0.8 if i % 2 else 1.25, 1))
        view.plot.viewport().repaint()
        view.params_plot.viewport().repaint()
        zooms.append(time.perf_counter() - t)
    print(
        f"timeline, synthetic trace of {len(trace.events):,} events on "
        f"{len(view.layout_.lanes)} lanes"
    )
    print(f"  lay out + draw (median of 5)      {statistics.median(renders) * 1000:7.1f} ms")
    print(
        f"  zoom step incl. repaint (median)  {statistics.median(zooms) * 1000:7.1f} ms   "
        f"max {max(zooms) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
