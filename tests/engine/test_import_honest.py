"""Import never claims success for a block that loses anything: a sub-layer argument that no
node parameter can hold is named with its line, and the command writes nothing."""

import numpy as np
import pytest

from blockstudio.cli import main

HEAD = """import keras


class Head(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(8, kernel_initializer=keras.initializers.{init})
        self.out = keras.layers.Dense(8, kernel_initializer="he_normal", use_bias=False)

    def call(self, x):
        return self.out(self.proj(x))
"""


def import_class(tmp_path, source: str, name: str, shape: str = "(None, 4)"):
    """``blockstudio import`` of class ``name`` written in ``source``: (exit code, out path)."""
    path = tmp_path / f"{name.lower()}.py"
    path.write_text(source)
    out = tmp_path / f"{name.lower()}.bsblock"
    return main(["import", f"{path}:{name}", "--input-shape", shape, "-o", str(out)]), out


def _import(tmp_path, init: str):
    return import_class(tmp_path, HEAD.format(init=init), "Head")


def test_an_initializer_with_its_own_arguments_is_named_not_dropped(tmp_path, capsys):
    code, out = _import(tmp_path, "RandomNormal(stddev=0.02)")
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "head.py:11: proj's kernel_initializer is RandomNormal(mean=0.0, stddev=0.02)" in err
    assert "it would be lost" in err


@pytest.mark.parametrize(
    ("init", "name"), [("RandomNormal()", "random_normal"), ("HeUniform()", "he_uniform")]
)
def test_an_initializer_made_with_no_arguments_is_its_name(tmp_path, capsys, catalog, init, name):
    from blockstudio.core.project import load_document

    code, out = _import(tmp_path, init)
    assert code == 0, capsys.readouterr().err
    doc = load_document(out, catalog)
    assert doc.node_by_name("proj").params["kernel_initializer"] == name
    assert doc.node_by_name("out").params["kernel_initializer"] == "he_normal"


DROP = """import keras


class Drop(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(4)
        self.drop = keras.layers.Dropout(0.1, seed=7)

    def call(self, x):
        return self.drop(self.dense(x))
"""


def test_an_argument_the_kind_has_no_parameter_for_is_named_not_dropped(tmp_path, capsys):
    code, out = import_class(tmp_path, DROP, "Drop")
    assert code == 1
    assert "drop's seed=7: Dropout here has no parameter seed; it would be lost" in (
        capsys.readouterr().err
    )
    assert not out.exists()


FROZEN = """import keras


class Frozen(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = keras.layers.Dense(4, trainable=False)
        self.head = keras.layers.Dense(2)

    def call(self, x):
        return self.head(self.stem(x))
"""


def test_a_frozen_sub_layer_is_not_imported_as_a_trained_one(tmp_path, capsys):
    code, out = import_class(tmp_path, FROZEN, "Frozen")
    assert code == 1
    err = capsys.readouterr().err
    assert "the original's stem/kernel 4x4 float32 (frozen), stem/bias 4 float32 (frozen)" in err
    assert not out.exists()


CAUSAL = """import keras


class Causal(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.att = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)

    def call(self, x):
        return self.att(x, x{more})
"""


@pytest.mark.parametrize(
    ("more", "code"), [(", use_causal_mask=True", 1), ("", 0), (", training=False", 0)]
)
def test_what_a_call_passes_besides_tensors_is_named_not_dropped(tmp_path, capsys, more, code):
    got, out = import_class(tmp_path, CAUSAL.format(more=more), "Causal", "(None, 5, 8)")
    assert got == code
    if code:
        err = capsys.readouterr().err
        assert "causal.py:10: att is called with use_causal_mask=True" in err
        assert not out.exists()


def test_a_constant_operand_is_named_not_a_one_input_multiply(tmp_path, capsys):
    code, _out = import_class(
        tmp_path,
        "import keras\n\n\nclass Half(keras.layers.Layer):\n"
        "    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n"
        "        self.dense = keras.layers.Dense(4)\n\n"
        "    def call(self, x):\n        return self.dense(x) * 0.5\n",
        "Half",
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "half.py:10: multiply is called with argument 2 = 0.5" in err
    assert "needs at least 2 inputs" not in err


TWEAK = """import keras


class Tweak(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = keras.layers.Dense(8)
        self.proj.activation = keras.activations.relu  # changed after it was made
        self.out = keras.layers.Dense(4)

    def call(self, x):
        return self.out(self.proj(x))
"""


def test_a_block_with_the_same_weights_that_computes_otherwise_is_refused(tmp_path, capsys):
    """The import records each sub-layer as constructed; a change made afterwards gives the
    same weights and other outputs: the outputs say so."""
    code, out = import_class(tmp_path, TWEAK, "Tweak")
    err = capsys.readouterr().err
    assert code == 1 and not out.exists()
    assert "rebuilt in build style: computes other values than the original" in err
    assert "with the same weights" in err


LENGTH = """import keras
from keras import layers, ops


class Positions(layers.Layer):
    def __init__(self, maxlen=10, dim=8, **kwargs):
        super().__init__(**kwargs)
        self.pos = layers.Embedding(maxlen, dim)

    def call(self, x):
        positions = ops.arange(0, {length}, 1)
        return x + self.pos(positions)
"""


def test_a_length_read_from_the_input_that_became_a_number_is_refused(tmp_path, capsys):
    """Traced at length 10, the original takes any length up to maxlen. Where its source
    cannot be followed the run's range is arange(0, 10): fixed at 10, the block would not take
    another length, and the import says so with the input it fails on."""
    source = LENGTH.format(length="min(ops.shape(x)[1], 100)")
    code, out = import_class(tmp_path, source, "Positions", "(None, 10, 8)")
    err = capsys.readouterr().err
    assert code == 1 and not out.exists(), err
    assert "on a (2, 5, 8) input (the original takes it)" in err
    assert "Incompatible shapes" in err and "{{function_node" not in err


@pytest.mark.parametrize("length", ["ops.shape(x)[1]", "x.shape[1]", "ops.shape(x)[-2]"])
def test_a_range_as_long_as_the_input_follows_its_axis(tmp_path, capsys, catalog, length):
    from blockstudio.core.project import load_document
    from blockstudio.engine.codegen import generate_code
    from blockstudio.engine.loader import load_generated

    code, out = import_class(tmp_path, LENGTH.format(length=length), "Positions", "(None, 10, 8)")
    assert code == 0, capsys.readouterr().err
    doc = load_document(out, catalog)
    (positions,) = [n for n in doc.nodes.values() if n.kind == "Range"]
    assert positions.params["stop_axis"] in (1, -2) and "stop" not in positions.params
    block = load_generated(generate_code(doc, catalog, "build"), "build").Positions()
    for n in (10, 7, 3):  # any length up to maxlen, as the original
        assert tuple(block(np.zeros((2, n, 8), "float32")).shape) == (2, n, 8)
