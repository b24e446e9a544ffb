"""Your own Layer classes: traced, checked and located, each against Keras itself."""

import importlib.util
import re
import textwrap

import keras
import numpy as np
import pytest

from blockstudio.cli import main
from blockstudio.engine.tracer import RunSpec
from blockstudio.engine.user_layer import (
    LayerSpec,
    UserCodeError,
    check_layer,
    layer_classes,
    load_module,
    parse_init,
    trace_layer,
)
from tests.user_blocks import BLOCKS, write_blocks


@pytest.fixture
def blocks(tmp_path):
    return write_blocks(tmp_path)


def _keras_block(path, name, shape, **init):
    """The same class, imported and run the plain way: the oracle for the trace."""
    import sys

    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"oracle_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    keras.backend.clear_session()
    block = getattr(module, name)(**init)
    block(np.zeros([1 if d is None else d for d in shape], "float32"))
    return block


@pytest.mark.parametrize(
    ("name", "shape", "init"),
    [
        ("Projected", (None, 8, 8, 3), {"filters": 16}),
        ("Projected", (None, 8, 8, 16), {"filters": 16}),
        ("Scaled", (None, 5), {}),
        ("Shared", (None, 6), {}),
    ],
)
def test_the_trace_has_the_weights_keras_makes(blocks, name, shape, init):
    trace = trace_layer(LayerSpec(name, str(blocks), init=init), shape)
    block = _keras_block(blocks, name, shape, **init)
    assert trace.error is None
    assert [(w.path.split("/", 1)[1], w.shape) for w in trace.weights] == [
        (w.path.split("/", 1)[1], tuple(w.shape)) for w in block.weights
    ]
    assert trace.total_params == block.count_params()


def test_a_projection_made_in_build_shows_as_built_in_build(blocks):
    trace = trace_layer(LayerSpec("Projected", str(blocks), init={"filters": 16}), (None, 8, 8, 3))
    born = {e.layer: e.data.get("created_in") for e in trace.of_type("construct")}
    assert born["conv2d"] == "__init__" and born["conv2d_1"] == "build"


def test_a_shared_layer_is_called_twice_and_built_once(blocks):
    trace = trace_layer(LayerSpec("Shared", str(blocks)), (None, 6), RunSpec(calls=1))
    act_calls = [e for e in trace.of_type("call") if e.layer == "re_lu"]
    # Keras builds a layer that has no build() by running its call() once before the call
    # itself, so one call of the block calls the shared ReLU four times
    assert len(act_calls) == 4
    assert [e.layer for e in trace.of_type("construct")].count("re_lu") == 1
    assert [e.layer for e in trace.of_type("build")].count("dense") == 1
    assert trace.total_params == 6 * 4 + 4


def test_an_exception_in_build_names_the_users_line(blocks):
    trace = trace_layer(LayerSpec("Broken", str(blocks)), (None, 4))
    line = BLOCKS.splitlines().index('        raise ValueError(f"cannot build on {input_shape}")')
    assert trace.error["where"] == f"blocks.py:{line + 1}"
    assert trace.error["phase"] == "build" and "cannot build on" in trace.error["message"]


@pytest.mark.parametrize(
    ("source", "where", "said"),
    [
        ("import keras\n\nclass A(keras.layers.Layer:\n    pass\n", "bad.py:3", "SyntaxError"),
        ("import keras\nimport no_such_module_here\n", "bad.py:2", "no_such_module_here"),
    ],
)
def test_code_that_cannot_be_imported_is_the_users_file_and_line(tmp_path, source, where, said):
    path = tmp_path / "bad.py"
    path.write_text(source)
    with pytest.raises(UserCodeError) as info:
        load_module(LayerSpec("A", str(path)))
    assert info.value.where == where and said in str(info.value)


def test_classes_are_listed_with_their_constructor_arguments(blocks):
    classes = layer_classes(load_module(LayerSpec("Projected", str(blocks))))
    assert [c.name for c in classes] == ["Projected", "Scaled", "Shared", "Broken", "Forever"]
    assert [(p.name, p.default) for p in classes[0].params] == [("filters", "8")]


def test_editing_the_file_and_running_again_reads_it_again(blocks):
    spec = LayerSpec("Scaled", str(blocks))
    assert trace_layer(spec, (None, 5)).total_params == 5
    blocks.write_text(BLOCKS.replace("shape=(input_shape[-1],)", "shape=(input_shape[-1], 2)"))
    assert trace_layer(spec, (None, 5)).total_params == 10


def test_pasted_code_runs_like_a_file():
    source = textwrap.dedent(
        """
        import keras

        class Tiny(keras.layers.Layer):
            def __init__(self, units=3, **kwargs):
                super().__init__(**kwargs)
                self.dense = keras.layers.Dense(units)

            def call(self, x):
                return self.dense(x)
        """
    )
    trace = trace_layer(LayerSpec("Tiny", source=source, init={"units": 4}), (None, 2))
    assert trace.total_params == 2 * 4 + 4 and trace.label == "pasted_layer.py:Tiny"


def test_init_values_are_literals_never_code():
    assert parse_init(["filters=16", "rates=(1, 2)", "name='a'"]) == {
        "filters": 16,
        "rates": (1, 2),
        "name": "a",
    }
    with pytest.raises(ValueError, match="not a Python literal"):
        parse_init(["filters=__import__('os').getcwd()"])


def test_the_checkup_finds_weights_that_only_a_call_makes(blocks):
    results = {
        r.scenario: r
        for r in check_layer(
            LayerSpec("Projected", str(blocks), init={"filters": 16}), (None, 8, 8, 3)
        )
    }
    block = _keras_block(blocks, "Projected", (None, 8, 8, 3), filters=16)
    # build() makes the projection but never builds the sub-layers: Keras's own count says so
    assert results["build"].status == "warning"
    assert results["build"].expected_weights == len(block.weights) == 4
    assert results["calls"].status == "pass" and results["keras_file"].status == "pass"


def test_cli_trace_exit_codes(blocks, capsys):
    shape = ["--input-shape", "(None, 8, 8, 3)"]
    assert main(["trace", f"{blocks}:Projected", "--init", "filters=16", *shape]) == 0
    assert "4 weights, 512 parameters" in capsys.readouterr().out
    assert main(["trace", f"{blocks}:Broken", *shape]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "blocks.py:" in err and "ValueError in broken (build)" in err
    assert main(["trace", f"{blocks}:Missing", *shape]) == 2
    assert "defines: Projected, Scaled" in capsys.readouterr().err
    assert main(["trace", f"{blocks}:Projected"]) == 2
    assert "--input-shape is needed" in capsys.readouterr().err


def test_cli_stops_code_that_never_returns(blocks, capsys):
    args = ["trace", f"{blocks}:Forever", "--input-shape", "(None, 3)", "--timeout", "3"]
    assert main(args) == 1
    assert "stopped after 3 s (--timeout)" in capsys.readouterr().err


def test_the_run_records_the_structure_keras_saw(blocks):
    trace = trace_layer(LayerSpec("Projected", str(blocks), init={"filters": 16}), (None, 8, 8, 3))
    nodes = {n["id"]: n for n in trace.structure["nodes"]}
    assert set(nodes) == {"input", "conv2d#0", "conv2d_1#0", "add#0", "output"}
    assert nodes["add#0"]["kind"] == "op" and nodes["conv2d#0"]["class"] == "Conv2D"
    assert nodes["conv2d_1#0"]["shape"] == [None, 8, 8, 16]
    edges = {(a, b, p) for a, b, p in trace.structure["edges"]}
    # the projection reads the block's input; the sum takes both branches, in order
    assert {("input", "conv2d#0", 0), ("input", "conv2d_1#0", 0)} <= edges
    assert {("conv2d#0", "add#0", 0), ("conv2d_1#0", "add#0", 1), ("add#0", "output", 0)} <= edges


def test_a_layer_called_twice_is_two_calls_of_one_layer(blocks):
    trace = trace_layer(LayerSpec("Shared", str(blocks)), (None, 6))
    calls = [n["id"] for n in trace.structure["nodes"] if n["layer"] == "re_lu"]
    assert calls == ["re_lu#0", "re_lu#1"]
    edges = {(a, b) for a, b, _ in trace.structure["edges"]}
    assert {("input", "re_lu#0"), ("re_lu#0", "dense#0"), ("dense#0", "re_lu#1")} <= edges


def test_import_gives_a_block_that_makes_the_same_weights(blocks, catalog, tmp_path):
    from blockstudio.core.import_structure import document_from_trace
    from blockstudio.engine.tracer import run_trace

    spec = LayerSpec("Projected", str(blocks), init={"filters": 16})
    original = trace_layer(spec, (None, 8, 8, 3))
    doc = document_from_trace(original, catalog)
    by_name = {n.name: n for n in doc.nodes.values()}
    # named after the block's attributes, created where the run created them
    assert by_name["conv"].lifecycle == "init" and by_name["proj"].lifecycle == "build"
    assert dict(by_name["conv"].params) == {"filters": 16, "kernel_size": (3, 3), "padding": "same"}
    assert by_name["add"].kind == "Add"
    again = run_trace(doc, catalog)
    assert again.error is None
    assert sorted(w.shape for w in again.weights) == sorted(w.shape for w in original.weights)
    assert again.total_params == original.total_params


def test_import_shares_a_layer_called_twice(blocks, catalog):
    from blockstudio.core.import_structure import document_from_trace

    doc = document_from_trace(trace_layer(LayerSpec("Shared", str(blocks)), (None, 6)), catalog)
    acts = [n for n in doc.nodes.values() if n.kind == "ReLU"]
    assert len(acts) == 2 and acts[1].shares == acts[0].id


def test_import_names_each_call_it_cannot_map(catalog, tmp_path):
    from blockstudio.core.import_structure import ImportError_, document_from_trace

    source = textwrap.dedent(
        """
        import keras

        class Padded(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.conv = keras.layers.Conv2D(4, 3)

            def call(self, x):
                return self.conv(keras.ops.pad(x, [(0, 0), (2, 2), (2, 2), (0, 0)]))
        """
    )
    trace = trace_layer(LayerSpec("Padded", source=source), (None, 8, 8, 3))
    with pytest.raises(ImportError_) as info:
        document_from_trace(trace, catalog)
    (problem,) = info.value.problems
    pattern = r"pad(_\d+)? \(call 1 at pasted_layer\.py:10\): keras\.ops\.pad has no catalog kind"
    assert re.fullmatch(pattern, problem), problem


def test_cli_import_writes_a_project(blocks, tmp_path, capsys):
    out = tmp_path / "projected.bsblock"
    args = [
        "import",
        f"{blocks}:Projected",
        "--init",
        "filters=16",
        "--input-shape",
        "(None, 8, 8, 3)",
    ]
    assert main([*args, "-o", str(out)]) == 0
    assert main(["trace", str(out)]) == 0
    assert "4 weights, 512 parameters" in capsys.readouterr().out


ROUND_TRIPS = [
    ("unet-res-block", "build", "eager"),
    ("unet-res-block", "build", "lazy"),
    ("unet-res-block", "init", "eager"),
    ("unet-res-block", "init", "lazy"),
    ("unet-res-block", "functional", "eager"),  # the same code for both weights options
    # the other MONAI templates: two inputs (up), conditional merges (level), blocks inside
    # blocks and repeated nodes written as loops (the whole DynUNet)
    *[
        (name, style, "eager")
        for name in ("unet-basic-block", "unet-up-block", "unet-level-block", "dynunet")
        for style in ("build", "init", "functional")
    ],
]


@pytest.mark.parametrize(("template", "style", "weights"), ROUND_TRIPS)
def test_a_template_goes_export_import_export_unchanged(
    catalog, tmp_path, template, style, weights
):
    _round_trip(catalog, tmp_path, template, style, weights)


# per-axis defaults: an int or a tuple per spatial axis, and for DynUNet one such per level
PER_AXIS = {
    "unet-res-block": ((None, 4, 8, 8, 3), {"kernel_size": (1, 3, 3), "stride": (1, 2, 2)}),
    "dynunet": (
        (None, 8, 32, 32, 1),
        {
            "kernel_size": ((1, 3, 3), (1, 3, 3), 3, 3, 3),
            "strides": (1, (1, 2, 2), 2, 2, 2),
            "upsample_kernel_size": ((1, 2, 2), 2, 2, 2),
        },
    ),
}


@pytest.mark.parametrize("template", PER_AXIS)
@pytest.mark.parametrize("style", ["build", "functional"])
def test_per_axis_defaults_go_export_import_export_unchanged(catalog, tmp_path, template, style):
    shape, defaults = PER_AXIS[template]
    _round_trip(catalog, tmp_path, template, style, "eager", shape, {"spatial_dims": 3, **defaults})


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_the_dynunet_with_heads_goes_export_import_export_unchanged(catalog, tmp_path, style):
    # six levels, three heads stacked in training: every repeat, its skips and the stack
    defaults = {
        "kernel_size": (3,) * 6,
        "strides": (1, 2, 2, 2, 2, 2),
        "upsample_kernel_size": (2,) * 5,
        "deep_supervision": True,
        "deep_supr_num": 3,
    }
    _round_trip(catalog, tmp_path, "dynunet", style, "eager", (None, 32, 32, 1), defaults)


def test_a_loop_the_reader_does_not_know_is_refused_saying_so(catalog):
    from blockstudio.core.import_structure import ImportError_, document_from_trace

    source = textwrap.dedent(
        """
        import keras

        class Stack(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.convs = [keras.layers.Dense(4, name=f"convs_{i}") for i in range(2)]

            def call(self, x):
                for conv in self.convs:
                    x = conv(x) + x
                return x
        """
    )
    trace = trace_layer(LayerSpec("Stack", source=source), (None, 4))
    doc = document_from_trace(trace, catalog)  # the run's two Dense and two Add: as they ran
    assert "a loop over layers (a repeated node)" in doc.description
    assert "pasted_layer.py:10" in doc.description
    assert {"convs_0", "convs_1"} <= {n.name for n in doc.nodes.values()}
    assert ImportError_  # the run alone could be imported here


def _round_trip(catalog, tmp_path, template, style, weights, shape=None, defaults=()):
    import dataclasses

    from blockstudio.core.import_source import content
    from blockstudio.core.import_structure import document_from_trace
    from blockstudio.core.library import BlockLibrary
    from blockstudio.core.names import snake_case
    from blockstudio.core.templates import load_template
    from blockstudio.engine.codegen import generate_code

    blocks = catalog.with_library(BlockLibrary())
    original = load_template(template, blocks)
    if shape is not None:
        original.set_block_field("input_shape", shape)
    for name, value in dict(defaults).items():
        original.replace_block_param(name, dataclasses.replace(original.param(name), default=value))
    code = generate_code(original, blocks, style, weights)
    path = tmp_path / "exported.py"
    path.write_text(code)
    name = snake_case(original.name) if style == "functional" else original.name
    # the run has no dropout: drop1, drop2 and res_drop are not there, yet the source says
    # under which condition each is made, so they come back with it
    ran = trace_layer(LayerSpec(name, str(path)), original.input_shape)
    assert ran.error is None and "drop1" not in {e.layer for e in ran.events}
    doc = document_from_trace(ran, catalog)
    assert "not followed" not in doc.description
    # the same document but for where its cards sit, and the same code to the character
    assert content(doc) == content(original) and doc.input_shape == original.input_shape
    assert generate_code(doc, blocks, style, weights) == code


def test_an_int_argument_is_ints_when_its_docstring_or_its_layer_says_so(catalog):
    from blockstudio.core.import_structure import document_from_trace

    source = textwrap.dedent(
        """
        import keras

        class Strided(keras.layers.Layer):
            \"\"\"Per-axis arguments.

            Args:
                size: ints.
                kernel: Kernel size.
                units: Units.
            \"\"\"

            def __init__(self, size=1, kernel=3, units=4, **kwargs):
                super().__init__(**kwargs)
                self.size = size
                self.conv = keras.layers.Conv2D(units, kernel, padding="same", name="conv")

            def call(self, x):
                return self.conv(x)
        """
    )
    ran = trace_layer(LayerSpec("Strided", source=source), (None, 8, 8, 3))
    doc = document_from_trace(ran, catalog)
    assert [(p.name, p.type) for p in doc.params] == [
        ("size", "ints"),  # the docstring says it
        ("kernel", "ints"),  # Conv2D's kernel_size is an int or one per axis
        ("units", "int"),
    ]


def test_what_the_source_does_not_say_comes_from_the_run_and_says_why(catalog, tmp_path):
    from blockstudio.core.import_structure import document_from_trace

    source = textwrap.dedent(
        """
        import keras

        class Scaled(keras.layers.Layer):
            def __init__(self, units=4, **kwargs):
                super().__init__(**kwargs)
                self.dense = keras.layers.Dense(units=units * 2, name="dense")

            def call(self, x):
                return self.dense(x)
        """
    )
    doc = document_from_trace(trace_layer(LayerSpec("Scaled", source=source), (None, 3)), catalog)
    assert doc.node_by_name("dense").params["units"] == 8  # the run's value
    said = "Its source was not followed: pasted_layer.py:7: an argument that is neither"
    assert said in doc.description


def test_cli_imports_a_functional_block(catalog, tmp_path, capsys):
    from blockstudio.core.project import load_document
    from blockstudio.core.templates import load_template
    from blockstudio.engine.codegen import generate_code

    unet = load_template("unet-res-block", catalog)
    (tmp_path / "block.py").write_text(generate_code(unet, catalog, "functional"))
    out = tmp_path / "again.bsblock"
    target = f"{tmp_path / 'block.py'}:unet_res_block"
    args = ["import", target, "--input-shape", "(None, 16, 16, 32)", "-o", str(out)]
    assert main(args) == 0
    doc = load_document(out, catalog)
    assert doc.name == "UnetResBlock" and doc.node_by_name("res_conv").condition == (
        "in_channels != out_channels or not all_one(stride)"
    )
    assert main(["check", target, "--input-shape", "(None, 16, 16, 32)"]) == 2
    assert "unet_res_block is a function" in capsys.readouterr().err


HAND_WRITTEN = '''
import keras


class ResBlock(keras.layers.Layer):
    """A residual block, written by hand.

    Args:
        filters: Output channels.
        dropout: Dropout rate, or None.
    """

    def __init__(self, filters=16, dropout=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.dropout = dropout
        self.conv1 = keras.layers.Conv2D(filters, 3, padding="same")
        self.norm1 = keras.layers.BatchNormalization()
        self.act = keras.layers.ReLU()
        self.drop = None
        if dropout is not None:
            self.drop = keras.layers.Dropout(dropout)
        self.add = keras.layers.Add()

    def build(self, input_shape):
        channels = input_shape[-1]
        self.proj = None
        if channels != self.filters:
            self.proj = keras.layers.Conv2D(self.filters, 1)

    def call(self, x):
        y = self.act(self.norm1(self.conv1(x)))
        if self.drop is not None:
            y = self.drop(y)
        skip = x
        if self.proj is not None:
            skip = self.proj(x)
        return self.add([y, skip])
'''


def test_a_hand_written_block_imports_with_its_conditions_and_links(catalog, tmp_path):
    from blockstudio.core.document import ParamRef
    from blockstudio.core.import_structure import document_from_trace
    from blockstudio.engine.tracer import RunSpec, run_trace

    path = tmp_path / "mine.py"
    path.write_text(HAND_WRITTEN)
    # one run: 3 channels in, no dropout — proj is there, drop is not
    doc = document_from_trace(
        trace_layer(LayerSpec("ResBlock", str(path)), (None, 8, 8, 3)), catalog
    )
    by_name = {n.name: n for n in doc.nodes.values()}
    assert by_name["conv1"].params == {
        "filters": ParamRef("filters"),
        "kernel_size": 3,
        "padding": "same",
    }  # Conv2D(filters, 3, ...): positional arguments by Keras's own signature
    assert (by_name["drop"].condition, by_name["drop"].params["rate"]) == (
        "dropout is not None",
        ParamRef("dropout"),
    )
    assert (by_name["proj"].condition, by_name["proj"].lifecycle) == (
        "in_channels != filters",
        "build",
    )
    assert [(p.name, p.type, p.default, p.doc) for p in doc.params] == [
        ("filters", "int", 16, "Output channels."),
        ("dropout", "float", None, "Dropout rate, or None."),
    ]
    # with other values the imported block makes what the class makes: drop, and no proj
    values = {"filters": 3, "dropout": 0.25}
    again = run_trace(doc, catalog, RunSpec(style="build", values=values))
    mine = trace_layer(LayerSpec("ResBlock", str(path), init=values), (None, 8, 8, 3))
    made = {e.layer for e in again.of_type("construct")}
    assert "drop" in made and "proj" not in made
    assert sorted(w.shape for w in again.weights) == sorted(w.shape for w in mine.weights)
    assert again.total_params == mine.total_params


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (  # a condition on something that is not an argument: it cannot be kept
            ("if dropout is not None:", "if dropout is not None or ALWAYS:"),
            "drop is made only if dropout is not None or ALWAYS: Unknown name 'ALWAYS'",
        ),
        (  # an argument changed before it is used: the defaults no longer say what is made
            ("self.dropout = dropout", "dropout = dropout or 0.1"),
            "pasted_layer.py:17: an argument given a new value: dropout = dropout or 0.1",
        ),
        (  # a layer made and never called: no node of the graph is it
            (
                "self.add = keras.layers.Add()",
                "self.add = keras.layers.Add()\n        self.spare = keras.layers.ReLU()",
            ),
            "spare is always made, yet the run did not call it",
        ),
    ],
)
def test_what_the_source_cannot_say_is_named_and_the_run_is_imported(catalog, change, said):
    from blockstudio.core.import_structure import document_from_trace

    source = "ALWAYS = False\n" + HAND_WRITTEN.replace(*change)
    doc = document_from_trace(
        trace_layer(LayerSpec("ResBlock", source=source), (None, 8, 8, 3)), catalog
    )
    assert said in doc.description
    assert doc.node_by_name("proj").condition is None  # the run's block: what it called
