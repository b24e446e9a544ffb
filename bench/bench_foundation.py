"""Issue 2 figures: shape inference (U-Net after one change, 1,000 nodes), load + validate.

Run: python bench/bench_foundation.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tensorflow as tf  # noqa: E402
from synthetic import big_document  # noqa: E402

from blockstudio.core.catalog import load_catalog  # noqa: E402
from blockstudio.core.project import load_document, save_document  # noqa: E402
from blockstudio.core.templates import load_template  # noqa: E402
from blockstudio.core.validate import validate  # noqa: E402
from blockstudio.engine.inference import ShapeInference  # noqa: E402


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


def main() -> None:
    catalog = load_catalog()
    created: list[str] = []

    def creator(next_creator, **kwargs):
        created.append(kwargs.get("name"))
        return next_creator(**kwargs)

    unet = load_template("unet-res-block", catalog)
    big = big_document(1000)
    with tf.variable_creator_scope(creator):
        infer = ShapeInference(catalog)
        infer.run(unet)
        fresh = []
        for value in range(1, 201):  # a value never seen before: the changed nodes recompute
            t = time.perf_counter()
            infer.run(unet, {"out_channels": value})
            fresh.append(time.perf_counter() - t)
        counted = []
        for value in range(201, 251):  # then the second pass the studio asks for: Keras's counts
            infer.run(unet, {"out_channels": value})
            t = time.perf_counter()
            infer.run(unet, {"out_channels": value}, count_params=True)
            counted.append(time.perf_counter() - t)
        toggled = []
        for i in range(200):  # back and forth between two values: cached layers and shapes
            t = time.perf_counter()
            infer.run(unet, {"kernel_size": 3 if i % 2 else 5})
            toggled.append(time.perf_counter() - t)
        cold_infer = ShapeInference(catalog)
        t = time.perf_counter()
        result = cold_infer.run(big)
        cold = time.perf_counter() - t
        assert not result.problems and len(result.shapes) == len(big.nodes)
        warm = []
        for width in (8, 16, 8, 16, 8):
            t = time.perf_counter()
            cold_infer.run(big, {"width": width})
            warm.append(time.perf_counter() - t)
    print("shape inference")
    print(
        f"  U-Net, one param changed to a new value (median of 200) {ms(statistics.median(fresh))}"
    )
    print(
        f"  U-Net, then its parameter counts (median of 50)           "
        f"{ms(statistics.median(counted))}"
    )
    print(
        f"  U-Net, one param toggled (cached, median of 200)         "
        f"{ms(statistics.median(toggled))}"
    )
    print(f"  1,000-node document, first run (fresh caches)             {ms(cold)}")
    print(
        f"  1,000-node document, width changed (median of 5)         {ms(statistics.median(warm))}"
    )
    print(f"  variables created during all of the above: {len(created)}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.bsblock"
        save_document(big, path)
        times = []
        for _ in range(10):
            t = time.perf_counter()
            doc = load_document(path, catalog)
            problems = validate(doc, catalog)
            times.append(time.perf_counter() - t)
        assert not problems
        size = path.stat().st_size
    print("project files")
    print(
        f"  load + validate a 1,000-node file ({size / 1024:.0f} KiB, median of 10)  "
        f"{ms(statistics.median(times))}"
    )


if __name__ == "__main__":
    main()
