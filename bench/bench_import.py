"""`blockstudio import` on the real corpus (tests/corpus) against `blockstudio trace` of the same
class, side by side in one run: interleaved fresh processes, medians per class, and the ratio of
the sums. Import does more than trace: the structure, the source, and its own verification
(validate, export in three styles, rebuild and compare weights in each).

    python bench/bench_import.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.corpus import CORPUS, HERE  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    code = subprocess.run(cmd, capture_output=True).returncode
    return time.perf_counter() - t, code


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    out = Path(tempfile.mkdtemp(prefix="blockstudio-bench-import-"))
    total_i, total_t = 0.0, 0.0
    print(f"blockstudio import vs trace, {rounds} interleaved fresh processes each (medians)")
    for file, name, init, shape in CORPUS:
        base = [f"{HERE / file}:{name}", "--input-shape", str(shape)]
        for k, v in init.items():
            base += ["--init", f"{k}={v!r}"]
        cli = [sys.executable, "-m", "blockstudio.cli"]
        imp = [*cli, "import", *base, "-o", str(out / f"{name}.bsblock")]
        tr = [*cli, "trace", *base]
        a, b, code = [], [], 0
        for _ in range(rounds):
            s, code = timed(imp)
            a.append(s)
            b.append(timed(tr)[0])
        mi, mt = statistics.median(a), statistics.median(b)
        total_i, total_t = total_i + mi, total_t + mt
        print(f"  {name:28s} import {mi:5.2f} s (exit {code})  trace {mt:5.2f} s  {mi / mt:4.2f}x")
    print(f"  {'all':28s} import {total_i:5.2f} s           trace {total_t:5.2f} s  "
          f"{total_i / total_t:4.2f}x")


if __name__ == "__main__":
    main()
