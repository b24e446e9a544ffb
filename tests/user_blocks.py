"""Small Layer classes written the way people write them, for the tests of "your own class"."""

from pathlib import Path

BLOCKS = '''
import keras
from helpers import double  # a sibling module: the file's folder is on sys.path


class Projected(keras.layers.Layer):
    """A 1x1 projection made in build() only when the channels differ."""

    def __init__(self, filters=8, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = keras.layers.Conv2D(filters, 3, padding="same")

    def build(self, input_shape):
        self.proj = None
        if input_shape[-1] != self.filters:
            self.proj = keras.layers.Conv2D(self.filters, 1)

    def call(self, x):
        skip = x if self.proj is None else self.proj(x)
        return self.conv(x) + skip


class Scaled(keras.layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.scale


class Shared(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(double(2))
        self.act = keras.layers.ReLU()

    def call(self, x):
        return self.act(self.dense(self.act(x)))


class Broken(keras.layers.Layer):
    def build(self, input_shape):
        raise ValueError(f"cannot build on {input_shape}")

    def call(self, x):
        return x


class Forever(keras.layers.Layer):
    def call(self, x):
        while True:
            pass
'''


def write_blocks(folder: Path) -> Path:
    """``blocks.py`` (and the sibling module it imports) in ``folder``."""
    (folder / "helpers.py").write_text("def double(n):\n    return 2 * n\n")
    path = folder / "blocks.py"
    path.write_text(BLOCKS)
    return path
