"""Issue 4 figures: tracer overhead on the first call, and the worker round trip.

Run: python bench/bench_tracer.py [pairs]
"""

from __future__ import annotations

import statistics
import sys
import threading
import time

import keras
import numpy as np

from blockstudio.core.catalog import load_catalog
from blockstudio.core.project import document_to_json
from blockstudio.core.templates import load_template
from blockstudio.engine.client import EngineClient
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.hooks import Recorder
from blockstudio.engine.loader import load_generated
from blockstudio.engine.tracer import RunSpec, run_trace


def first_call(module, x, traced: bool) -> float:
    keras.backend.clear_session()
    if traced:
        with Recorder():
            block = module.UnetResBlock()
            t = time.perf_counter()
            block(x)
            return time.perf_counter() - t
    block = module.UnetResBlock()
    t = time.perf_counter()
    block(x)
    return time.perf_counter() - t


def overhead(pairs: int) -> None:
    catalog = load_catalog()
    unet = load_template("unet-res-block", catalog)
    module = load_generated(generate_code(unet, catalog, "build"))
    x = np.random.default_rng(0).normal(size=(1, 64, 64, 32)).astype("float32")
    for traced in (False, True):  # warm TensorFlow's kernels before measuring
        first_call(module, x, traced)
    plain, traced = [], []
    for i in range(pairs):
        order = (False, True) if i % 2 == 0 else (True, False)
        for flag in order:
            (traced if flag else plain).append(first_call(module, x, flag))
    ratio = statistics.median(traced) / statistics.median(plain)
    ratios = [t / p for t, p in zip(traced, plain, strict=True)]
    print(f"tracer overhead, first call of the U-Net block, {pairs} interleaved pairs")
    print(
        f"  untraced median {statistics.median(plain) * 1000:7.2f} ms   "
        f"traced median {statistics.median(traced) * 1000:7.2f} ms"
    )
    print(
        f"  ratio of medians {ratio:.3f}x   median of pair ratios {statistics.median(ratios):.3f}x"
    )


def round_trip(n: int) -> None:
    catalog = load_catalog()
    unet = load_template("unet-res-block", catalog)
    payload = {"document": document_to_json(unet)}
    done = threading.Event()
    client = EngineClient(lambda reply: done.set())
    client.start()
    try:
        for _ in range(2):  # start-up and warm-up
            done.clear()
            client.submit("trace", payload, timeout=300)
            done.wait(300)
        worker, local = [], []
        for _ in range(n):
            done.clear()
            t = time.perf_counter()
            client.submit("trace", payload)
            done.wait(300)
            worker.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_trace(unet, catalog, RunSpec())
            local.append(time.perf_counter() - t)
    finally:
        client.shutdown()
    w, loc = statistics.median(worker), statistics.median(local)
    print(f"trace of the U-Net block (2 calls), {n} interleaved runs")
    print(
        f"  in-process {loc * 1000:7.1f} ms   through the worker {w * 1000:7.1f} ms   "
        f"ratio {w / loc:.3f}x"
    )


if __name__ == "__main__":
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    overhead(pairs)
    round_trip(10)
