"""Tracing your own Layer class from its file vs running it in a plain Keras script.

Both are fresh processes that import TensorFlow once: ``blockstudio trace FILE.py:Class`` (import
the file, construct, two calls, recording every event, print the trace) against a script that
imports the same file, constructs the class and calls it twice. Interleaved runs; medians.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 5
SHAPE = "(None, 64, 64, 32)"

BLOCK = '''
import keras


class ResBlock(keras.layers.Layer):
    """Two convolutions and a projection made in build() when the channels differ."""

    def __init__(self, filters=64, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv1 = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.norm1 = keras.layers.GroupNormalization(groups=-1)
        self.conv2 = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.norm2 = keras.layers.GroupNormalization(groups=-1)
        self.act = keras.layers.LeakyReLU(0.01)

    def build(self, input_shape):
        self.proj = None
        if input_shape[-1] != self.filters:
            self.proj = keras.layers.Conv2D(self.filters, 1, use_bias=False)

    def call(self, x):
        y = self.act(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return self.act(y + (x if self.proj is None else self.proj(x)))
'''

PLAIN = """
import sys
import numpy as np
sys.path.insert(0, {folder!r})
import keras
from block import ResBlock
block = ResBlock(filters=64)
x = np.random.default_rng(0).normal(size=(1, 64, 64, 32)).astype("float32")
block(x, training=False)
block(x, training=False)
print(len(block.weights), "weights")
"""


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="blockstudio-bench-"))
    (folder / "block.py").write_text(BLOCK)
    (folder / "plain.py").write_text(PLAIN.format(folder=str(folder)))
    studio = [
        sys.executable,
        "-m",
        "blockstudio.cli",
        "trace",
        f"{folder / 'block.py'}:ResBlock",
        "--init",
        "filters=64",
        "--input-shape",
        SHAPE,
    ]
    plain = [sys.executable, str(folder / "plain.py")]
    timed(plain)  # warm the file cache once
    a, b = [], []
    for _ in range(ROUNDS):
        a.append(timed(studio))
        b.append(timed(plain))
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    print(f"your own Layer class from its file, {ROUNDS} interleaved fresh processes each")
    print(f"  blockstudio trace FILE.py:ResBlock   {statistics.median(a):6.2f} s (median)")
    print(f"  plain Keras script                   {statistics.median(b):6.2f} s (median)")
    ratio = statistics.median(ratios)
    print(f"  ratio (median of pair ratios)        {ratio:6.3f}x  (budget 1.1x)")


if __name__ == "__main__":
    main()
