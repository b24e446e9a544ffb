"""The checkup's fifteen scenarios as one plain Keras script: no tracer, no Block Studio.

bench_checkup.py runs this in a fresh process beside `blockstudio check` to measure what the
checkup's harness (fresh sessions, tracing, warning capture) costs. Usage:
    python bench/checkup_plain.py BUILD_STYLE.py INIT_STYLE.py ClassName "(None, 16, 16, 32)"
"""

from __future__ import annotations

import ast
import importlib.util
import io
import sys
import tempfile
from contextlib import redirect_stdout
from pathlib import Path

import keras
import numpy as np


class Parent(keras.Model):
    def __init__(self, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block

    def build(self, input_shape):
        self.block.build(input_shape)

    def call(self, inputs):
        return self.block(inputs)


def main() -> None:
    build_path, init_path, name, shape_text = sys.argv[1:5]
    check(build_path, name, shape_text, init_style=False)
    check(init_path, name, shape_text, init_style=True)


def check(path: str, name: str, shape_text: str, init_style: bool) -> None:
    spec = importlib.util.spec_from_file_location("block", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shape = ast.literal_eval(shape_text)
    kwargs = {"in_channels": shape[-1]} if init_style else {}

    def make(**more):
        return getattr(module, name)(**{**kwargs, **more})

    x = np.random.default_rng(0).normal(size=(2, *shape[1:])).astype("float32")
    tmp = Path(tempfile.mkdtemp())
    # 1 construct, 2 build, 3 symbolic, 4 calls, 5 other channels
    keras.backend.clear_session()
    assert not make().weights
    keras.backend.clear_session()
    b = make()
    b.build(shape)
    keras.backend.clear_session()
    inp = keras.Input(shape[1:])
    keras.Model(inp, make()(inp))
    keras.backend.clear_session()
    b = make()
    b(x)
    b(x)
    keras.backend.clear_session()
    b = make()
    b(x)
    try:
        b(np.zeros((*x.shape[:-1], x.shape[-1] + 3), "float32"))
    except Exception:
        pass
    # 6 summary
    keras.backend.clear_session()
    m = keras.Sequential([make()])
    with redirect_stdout(io.StringIO()):
        m.summary()
        m.build(shape)
        m.summary()
    # 7 config
    keras.backend.clear_session()
    a = make()
    a(x)
    c = type(a).from_config(a.get_config())
    c(x)
    c.set_weights(a.get_weights())
    np.testing.assert_allclose(a(x), c(x), atol=1e-5)
    # 8 set/load weights
    keras.backend.clear_session()
    a = make()
    y = a(x)
    d = make()
    d.build(shape)
    d.set_weights(a.get_weights())
    np.testing.assert_allclose(d(x), y, atol=1e-5)
    p = Parent(make())
    y = p(x)
    p.save_weights(tmp / "w.weights.h5")
    q = Parent(make())
    q.build(shape)
    q.load_weights(tmp / "w.weights.h5")
    np.testing.assert_allclose(q(x), y, atol=1e-5)
    # 9 .keras
    keras.backend.clear_session()
    inp = keras.Input(shape[1:])
    m = keras.Model(inp, make()(inp))
    y = m(x)
    m.save(tmp / "m.keras")
    loaded = keras.saving.load_model(tmp / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(x), y, atol=1e-5)
    # 10 training step
    keras.backend.clear_session()
    inp = keras.Input(shape[1:])
    m = keras.Model(inp, make()(inp))
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    before = [np.array(w) for w in m.trainable_weights]
    m.fit(x, np.ones(tuple(m(x).shape), "float32"), batch_size=2, epochs=1, verbose=0)
    assert all(
        not np.array_equal(a, np.array(w)) for a, w in zip(before, m.trainable_weights, strict=True)
    )
    # 11 compiled call
    keras.backend.clear_session()
    inp = keras.Input(shape[1:])
    m = keras.Model(inp, make()(inp))
    eager = m(x)
    m.compile(jit_compile=True)
    np.testing.assert_allclose(m.predict(x, verbose=0), eager, atol=1e-4)
    # 12 dtype policy
    keras.backend.clear_session()
    b = make(dtype="mixed_bfloat16")
    assert b(x).dtype == "bfloat16"
    assert {s.dtype_policy.name for s in b._flatten_layers(include_self=False)} == {
        "mixed_bfloat16"
    }
    # 13 compute_output_shape
    keras.backend.clear_session()
    b = make()
    said = b.compute_output_shape((None, *shape[1:]))
    assert tuple(said)[1:] == tuple(b(x).shape)[1:]
    # 14 used twice
    keras.backend.clear_session()
    inp = keras.Input(shape[1:])
    keras.Model(inp, [make()(inp), make()(inp)])
    b = make()
    one, two = keras.Input(shape[1:]), keras.Input(shape[1:])
    m = keras.Model([one, two], [b(one), b(two)])
    m.predict([x, x], verbose=0)
    # 15 declared channels
    if init_style:
        keras.backend.clear_session()
        try:
            make(in_channels=shape[-1] + 3)(x)
        except ValueError:
            pass


if __name__ == "__main__":
    main()
