"""Issue 3 figures: code generation for the U-Net block and a 1,000-node document.

Runs in a process that never imports TensorFlow (checked at the end). Run:
python bench/bench_export.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import big_document  # noqa: E402

from blockstudio.core.catalog import load_catalog  # noqa: E402
from blockstudio.core.templates import load_template  # noqa: E402
from blockstudio.engine.codegen import STYLES, generate_code  # noqa: E402


def main() -> None:
    catalog = load_catalog()
    unet = load_template("unet-res-block", catalog)
    big = big_document(1000)
    print("code generation (median of 50 / 5 runs)")
    for style in STYLES:
        times = []
        for _ in range(50):
            t = time.perf_counter()
            generate_code(unet, catalog, style)
            times.append(time.perf_counter() - t)
        big_times = []
        for _ in range(5):
            t = time.perf_counter()
            source = generate_code(big, catalog, style)
            big_times.append(time.perf_counter() - t)
        print(
            f"  {style:10s} U-Net {statistics.median(times) * 1000:7.2f} ms   "
            f"1,000 nodes {statistics.median(big_times) * 1000:8.1f} ms "
            f"({source.count(chr(10))} lines)"
        )
    loaded = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
    print(f"  modules of TensorFlow/Keras imported: {loaded or 'none'}")


if __name__ == "__main__":
    main()
