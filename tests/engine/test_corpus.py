"""Real Layer classes from public Keras code (tests/corpus): traced, checked and imported, each
against plain Keras. Import is honest: exit 0 only with a block that rebuilds to the original's
weights in every style; else exit 1, every reason said, nothing written."""

import importlib.util
import sys

import keras
import numpy as np
import pytest

from blockstudio.cli import main
from blockstudio.engine.user_layer import LayerSpec, check_layer, trace_layer
from tests.corpus import CORPUS, HERE

ROUND_TRIP = {
    "TransformerBlock",
    "TokenAndPositionEmbedding",
    "PatchEncoder",
    "LayerScale",
    "SqueezeAndExcite2D",
    "TransformerEncoder",
    "TubeletEmbedding",
    "UnetResBlock",
    "UnetBasicBlock",
}
# a weight of the block's own, or a layer fed a range, needs a Layer class: no functional style
CLASS_ONLY = {"TokenAndPositionEmbedding", "PatchEncoder", "LayerScale"}
IDS = [c for _f, c, _i, _s in CORPUS]


def _plain(file, name, init, shape):
    """The class imported and called the plain way: the oracle."""
    sys.path.insert(0, str(HERE))
    spec = importlib.util.spec_from_file_location(f"plain_{name}", HERE / file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    keras.backend.clear_session()
    return getattr(module, name), _example(shape)


def _example(shape):
    dims = [2 if d is None else d for d in shape]
    if len(shape) == 2:  # token ids
        return np.random.default_rng(0).integers(0, 8, size=dims).astype("float32")
    return np.random.default_rng(0).normal(size=dims).astype("float32")


@pytest.mark.parametrize(("file", "name", "init", "shape"), CORPUS, ids=IDS)
def test_the_trace_equals_plain_keras(file, name, init, shape):
    trace = trace_layer(LayerSpec(name, str(HERE / file), init=init), shape)
    cls, x = _plain(file, name, init, shape)
    block = cls(**init)
    block(x)
    assert trace.error is None
    assert sorted((w.path.split("/", 1)[1], w.shape) for w in trace.weights) == sorted(
        (w.path.split("/", 1)[1], tuple(w.shape)) for w in block.weights
    )
    assert trace.total_params == block.count_params()


@pytest.mark.parametrize(("file", "name", "init", "shape"), CORPUS, ids=IDS)
def test_check_verdicts_are_what_plain_keras_does(file, name, init, shape):
    results = {
        r.scenario: r
        for r in check_layer(
            LayerSpec(name, str(HERE / file), init=init), shape, ["build", "symbolic", "config"]
        )
    }
    cls, x = _plain(file, name, init, shape)
    called = cls(**init)
    called(x)
    keras.backend.clear_session()
    built = cls(**init)
    built.build(shape)
    all_weights = len(built.weights) == len(called.weights)
    assert (results["build"].status == "pass") == all_weights, results["build"].reason
    keras.backend.clear_session()
    try:
        inp = keras.Input(shape[1:])
        keras.Model(inp, cls(**init)(inp))
        symbolic = True
    except Exception:
        symbolic = False
    assert (results["symbolic"].status != "fail") == symbolic, results["symbolic"].reason
    keras.backend.clear_session()
    try:
        again = cls.from_config(called.get_config())
        again(x)
        config = True
    except Exception:
        config = False
    assert (results["config"].status != "fail") == config, results["config"].reason


def _import(file, name, init, shape, out):
    args = ["import", f"{HERE / file}:{name}", "--input-shape", str(shape), "-o", str(out)]
    for k, v in init.items():
        args += ["--init", f"{k}={v!r}"]
    return main(args)


@pytest.mark.parametrize(("file", "name", "init", "shape"), CORPUS, ids=IDS)
def test_import_is_honest(file, name, init, shape, tmp_path, capsys):
    out = tmp_path / f"{name}.bsblock"
    code = _import(file, name, init, shape, out)
    said = capsys.readouterr()
    if name in ROUND_TRIP:
        assert code == 0, said.err
        styles = "build and init style" if name in CLASS_ONLY else "every style"
        assert f"rebuilt the same in {styles}" in said.out
        trace = trace_layer(LayerSpec(name, str(HERE / file), init=init), shape)
        # export → the same weights: the written block, exported and run
        assert main(["trace", str(out)]) == 0
        assert f"{trace.total_params:,} parameters" in capsys.readouterr().out
    else:
        assert code == 1 and not out.exists()
        reasons = said.err.splitlines()[1:]
        assert reasons and all(r.strip() for r in reasons)
        assert "nothing written" in said.err


def test_a_weight_of_the_block_is_a_weight_node_made_where_the_source_makes_it(tmp_path, catalog):
    from blockstudio.core.project import load_document

    out = tmp_path / "scale.bsblock"
    assert _import(*CORPUS[IDS.index("LayerScale")], out) == 0
    doc = load_document(out, catalog)
    (gamma,) = [n for n in doc.nodes.values() if n.kind == "Weight"]
    assert (gamma.name, gamma.lifecycle) == ("gamma", "build")
    assert str(gamma.params["shape"]) == "projection_dim"
    assert (gamma.params["initializer"], str(gamma.params["value"])) == ("constant", "init_values")
    (scale,) = [n for n in doc.nodes.values() if n.kind == "Multiply"]
    assert {doc.nodes[e.src].name for e in doc.edges if e.dst == scale.id} == {"input", "gamma"}
    # the source's required arguments stay required, the run's values the example's
    assert [(p.name, p.required, p.default) for p in doc.params] == [
        ("init_values", True, 1e-6),
        ("projection_dim", True, 32),
    ]


def test_positions_are_a_range_node_feeding_the_embedding(tmp_path, catalog):
    from blockstudio.core.project import load_document

    out = tmp_path / "tp.bsblock"
    assert _import(*CORPUS[IDS.index("TokenAndPositionEmbedding")], out) == 0
    doc = load_document(out, catalog)
    (rng,) = [n for n in doc.nodes.values() if n.kind == "Range"]
    from blockstudio.engine.inference import ShapeInference

    # maxlen = ops.shape(x)[-1]: as long as the input, not the run's 10
    assert rng.params["stop_axis"] == -1
    assert ShapeInference(catalog).run(doc).shapes[rng.id] == (10,)
    doc.set_block_field("input_shape", (None, 6))
    assert ShapeInference(catalog).run(doc).shapes[rng.id] == (6,)
    fed = [doc.nodes[e.dst] for e in doc.edges if e.src == rng.id]
    assert [n.kind for n in fed] == ["Embedding"]


def test_what_only_the_functional_call_accepts_is_named_with_its_line(tmp_path, capsys):
    assert _import(*CORPUS[IDS.index("Involution")], tmp_path / "i.bsblock") == 1
    err = capsys.readouterr().err
    assert "(call 1 at involution.py:91): tf.ExtractImagePatches has no catalog kind" in err


def test_configs_are_as_constructed_and_required_arguments_are_parameters(catalog):
    from blockstudio.core.import_structure import import_trace

    file, name, init, shape = CORPUS[IDS.index("TransformerBlock")]
    trace = trace_layer(LayerSpec(name, str(HERE / file), init=init), shape)
    configs = {n["class"]: n.get("config", {}) for n in trace.structure["nodes"]}
    assert "axis" not in configs["LayerNormalization"]  # built: [-1]; constructed: -1
    assert "attention_axes" not in configs["MultiHeadAttention"]  # built: (1,)
    src = trace.structure["source"]
    assert "problem" in src or [p["name"] for p in src["params"]][:3] == [
        "embed_dim",
        "num_heads",
        "ff_dim",
    ]
    doc, _why = import_trace(trace, catalog)
    assert "(." not in doc.description and "((" not in doc.description  # whole words


def test_a_required_argument_is_a_parameter_with_the_example_value():
    from blockstudio.engine.source_reader import read_block

    source = (HERE / "monai_blocks.py").read_text()
    read = read_block(source, "UnetBasicBlock", "monai_blocks.py", {"out_channels": 16})
    params = {p["name"]: p for p in read["params"]}
    assert params["out_channels"] == {"name": "out_channels", "default": 16, "required": True,
                                      "doc": ""}
    assert "no default" in read_block(source, "UnetBasicBlock", "monai_blocks.py")["problem"]


def test_a_shape_read_from_a_tensor_is_refused_plainly_with_its_line(tmp_path, capsys):
    assert _import(*CORPUS[IDS.index("PositionEmbedding")], tmp_path / "pe.bsblock") == 1
    err = capsys.readouterr().err
    assert "position_embedding.py:44): tf.Shape (a shape read from a tensor, ops.shape)" in err
    assert "(ops.broadcast_to) has no catalog kind" in err
    assert "the block's own weight embeddings (self.add_weight) (10x8, 80 parameters)" in err


def test_a_range_in_the_source_follows_the_blocks_argument(tmp_path, catalog):
    from blockstudio.core.project import load_document

    out = tmp_path / "pe.bsblock"
    assert _import(*CORPUS[IDS.index("PatchEncoder")], out) == 0
    doc = load_document(out, catalog)
    (rng,) = [n for n in doc.nodes.values() if n.kind == "Range"]
    assert str(rng.params["stop"]) == "num_patches" and rng.params["batch_axis"] is True
    assert [(p.name, p.required) for p in doc.params] == [
        ("num_patches", True),
        ("projection_dim", True),
    ]
