"""Issue 9 figures: the full checkup of the U-Net block (build and init style, eager weights),
wall time and time per scenario, and the ratio to the same scenarios as a plain Keras script.

Both sides are fresh processes that import TensorFlow once; they run interleaved, and the ratio
is the median of the per-round ratios. Run: python bench/bench_checkup.py [rounds]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHAPE = "(None, 16, 16, 32)"
HERE = Path(__file__).resolve().parent

CHECKUP = f"""
import json, sys, time
from blockstudio.core.catalog import load_catalog
from blockstudio.core.shapes import parse_shape
from blockstudio.core.templates import load_template
from blockstudio.engine.checkup import run_checkup
cat = load_catalog()
doc = load_template("unet-res-block", cat)
doc.set_block_field("input_shape", parse_shape("{SHAPE}"))
t = time.perf_counter()
results = run_checkup(doc, cat, ("build", "init"), "eager")
json.dump({{"wall": time.perf_counter() - t,
           "cells": [[r.style, r.scenario, r.status, r.seconds] for r in results]}}, sys.stdout)
"""


def timed(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run(argv, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, run.stdout


def main() -> None:
    import json

    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template
    from blockstudio.engine.codegen import generate_code

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    catalog = load_catalog()
    doc = load_template("unet-res-block", catalog)
    folder = Path(tempfile.mkdtemp())
    modules = {}
    for style in ("build", "init"):
        modules[style] = folder / f"unet_{style}.py"
        modules[style].write_text(generate_code(doc, catalog, style))
    plain_argv = [
        sys.executable,
        str(HERE / "checkup_plain.py"),
        str(modules["build"]),
        str(modules["init"]),
        "UnetResBlock",
        SHAPE,
    ]
    ratios, ours_walls, plain_walls, cells = [], [], [], None
    for i in range(rounds):
        order = ("ours", "plain") if i % 2 == 0 else ("plain", "ours")
        got: dict[str, float] = {}
        for side in order:
            if side == "ours":
                got[side], out = timed([sys.executable, "-c", CHECKUP])
                cells = json.loads(out)["cells"]
            else:
                got[side] = timed(plain_argv)[0]
        ratios.append(got["ours"] / got["plain"])
        ours_walls.append(got["ours"])
        plain_walls.append(got["plain"])
    print(f"U-Net block {SHAPE}, build + init style, eager weights, {rounds} interleaved rounds")
    print(f"  checkup process wall time (median)        {statistics.median(ours_walls):6.2f} s")
    print(f"  plain Keras script, one process (median)   {statistics.median(plain_walls):6.2f} s")
    print(
        f"  ratio checkup / plain (median of rounds)   {statistics.median(ratios):6.2f}x"
        "  (budget 1.5x)"
    )
    print("  time per scenario in the last round (build / init):")
    per = {}
    for style, scenario, status, seconds in cells:
        per.setdefault(scenario, {})[style] = (seconds, status)
    for scenario, by_style in per.items():
        b, i = by_style["build"], by_style["init"]
        print(f"    {scenario:<16} {b[0]:6.2f} s {b[1]:<8} {i[0]:6.2f} s {i[1]}")


if __name__ == "__main__":
    main()
