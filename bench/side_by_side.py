"""Steps timed on two documents side by side: interleaved rounds, medians, the ratio (and the
budget, where an issue sets one). The machine is shared and noisy, so only ratios measured in
one run are quoted."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

Step = Callable[[], object]


def timed(fn: Step) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def scene_opener(app, catalog) -> Callable[[object], Step]:
    """``open_scene(doc)``: a step opening ``doc`` on the studio's canvas, as a window does."""
    from blockstudio.core.runs import RunModel
    from blockstudio.ui.canvas_scene import BlockScene
    from blockstudio.ui.doc_model import DocumentModel

    def open_scene(doc) -> Step:
        def go() -> None:
            model = DocumentModel(catalog, doc)
            scene = BlockScene(model, RunModel())
            app.processEvents()
            scene.deleteLater()
            model.deleteLater()

        return go

    return open_scene


def compare(
    steps: dict[str, tuple[Step, Step]],
    rounds: int,
    budgets: dict[str, float] | None = None,
    after_each: Callable[[], None] = lambda: None,
) -> None:
    """Time each step's pair ``rounds`` times, interleaved, and print the medians; then
    ``after_each()`` (to put back what the step changed)."""
    for label, (big, small) in steps.items():
        a, b = [], []
        for _ in range(rounds):
            a.append(timed(big))
            b.append(timed(small))
        after_each()
        ma, mb = statistics.median(a), statistics.median(b)
        line = f"  {label:36s} {ma:8.2f} ms vs {mb:7.2f} ms  ({ma / mb:4.1f}x)"
        if budgets and label in budgets:
            verdict = "within" if ma < budgets[label] else "OVER"
            line += f"  budget {budgets[label]:g} ms: {verdict}"
        print(line)
