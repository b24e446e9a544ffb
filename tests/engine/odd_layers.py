"""Layer classes written the way people really write them, with the shapes and objects that once
broke the engine's replies: sub-layers sized from ``input_shape`` in build(), lists and dicts of
sub-layers (Keras wraps them in its tracking types), and calls that return odd objects."""

from pathlib import Path

ODD_LAYERS = '''
import keras
from keras import layers


class FromShape(layers.Layer):
    """The issue's own example: a sub-layer sized from input_shape in build()."""

    def __init__(self, units=8, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense1 = layers.Dense(units)

    def build(self, input_shape):
        self.in_shape = input_shape
        self.dense2 = layers.Dense(input_shape[-1])

    def call(self, x):
        return self.dense2(self.dense1(x)) + x


class Collections(layers.Layer):
    """Sub-layers kept in a list and a dict (Keras tracks them as TrackedList / TrackedDict)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stack = [layers.Dense(4), layers.Dense(4)]
        self.heads = {"a": layers.Dense(3), "b": layers.Dense(3)}

    def build(self, input_shape):
        self.shapes = [input_shape, list(input_shape)]
        self.extra = [layers.Dense(input_shape[-1]) for _ in range(2)]
        self.named = {"gate": layers.Dense(input_shape[-1], activation="sigmoid")}

    def call(self, x):
        h = x
        for layer in self.stack:
            h = layer(h)
        h = self.heads["a"](h) + self.heads["b"](h)
        y = x
        for layer in self.extra:
            y = layer(y)
        return y * self.named["gate"](x) + keras.ops.sum(h, axis=-1, keepdims=True)


class Widths(layers.Layer):
    """A sub-layer that keeps its constructor's list and says it in get_config()."""

    def __init__(self, widths=(4, 8), **kwargs):
        super().__init__(**kwargs)
        self.widths = list(widths)  # a TrackedList from here on
        self.denses = [layers.Dense(w) for w in self.widths]

    def build(self, input_shape):
        for dense in self.denses:
            dense.build(input_shape)
            input_shape = (*input_shape[:-1], dense.units)

    def get_config(self):
        return {**super().get_config(), "widths": self.widths}

    def call(self, x):
        for dense in self.denses:
            x = dense(x)
        return x


class KeptShape(layers.Layer):
    """build() keeps its input shape as a list (tracked) and builds sub-layers with it."""

    def build(self, input_shape):
        self.kept = list(input_shape)
        self.widths = Widths((2, 3))
        self.widths.build(self.kept)
        self.back = layers.Dense(input_shape[-1])
        self.back.build(self.kept[:-1] + [3])
        self.add = layers.Add()
        self.add.build([self.kept, self.kept])  # a list of tracked lists

    def call(self, x):
        return self.add([x, self.back(self.widths(x))])


class OddOutputs(layers.Layer):
    """call() returns a tuple of a tensor, a dict of tensors and a plain int."""

    def build(self, input_shape):
        self.proj = layers.Dense(input_shape[-1])

    def call(self, x):
        y = self.proj(x)
        return y, {"double": y * 2, "same": x}, 7
'''


def write_odd_layers(folder: Path) -> Path:
    path = folder / "odd_layers.py"
    path.write_text(ODD_LAYERS)
    return path
