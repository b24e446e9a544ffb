"""The DynUNet template and blocks with several inputs, through every part of the engine."""

import re
import warnings

import keras
import numpy as np
import pytest

from blockstudio.core.library import BlockLibrary
from blockstudio.core.templates import load_template
from blockstudio.core.timeline import layout_trace
from blockstudio.engine.checkup import run_checkup
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.inference import ShapeInference
from blockstudio.engine.loader import load_generated
from blockstudio.engine.tracer import RunSpec, run_trace
from tests.engine.helpers import build_parents, output_shape_in_plain_python, ruff_problems
from tools.make_dynunet import levels

SMALL = {"filters": (4, 8, 12)}  # a 3-level DynUNet with small widths: quick to build


@pytest.fixture
def blocks(catalog):
    return catalog.with_library(BlockLibrary())


def small(dims=2, size=16):
    return levels(3, dims, size=size, in_channels=3)


def test_the_shipped_template_is_monai_s_dynunet_with_its_levels_repeated(blocks):
    doc = load_template("dynunet", blocks)
    layers = [n for n in doc.nodes.values() if n.kind not in ("Input", "Output")]
    assert [n.name for n in layers] == [
        "input_block",
        "downsamples",
        "bottleneck",
        "upsamples",
        "output_block",
        "deep_supervision_heads",
        "head_upsamples",
    ]
    repeats = {n.name: n.repeat.count for n in layers if n.repeat is not None}
    assert repeats == {  # as MONAI's ModuleLists: one level per entry of strides
        "downsamples": "len(strides) - 2",
        "upsamples": "len(strides) - 1",
        "deep_supervision_heads": "deep_supr_num if deep_supervision else 0",
        "head_upsamples": "deep_supr_num if deep_supervision else 0",
    }
    assert [p.name for p in doc.params][:7] == [  # MONAI's order: positional calls port
        "spatial_dims",
        "in_channels",
        "out_channels",
        "kernel_size",
        "strides",
        "upsample_kernel_size",
        "filters",
    ]
    result = ShapeInference(blocks).run(doc, count_params=True)
    assert result.problems == [] and result.shapes["output"] == (None, 64, 64, 2)
    # the up blocks see [below, skip]: the deepest takes the bottleneck and downsamples_2
    assert result.inner["upsamples_0"].shapes["skip"] == (None, 8, 8, 256)
    assert result.shapes["downsamples"] == (None, 8, 8, 256)  # the card shows the last level's


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_one_ruff_clean_module_with_each_class_once_in_dependency_order(blocks, tmp_path, style):
    source = generate_code(small(), blocks, style)
    assert ruff_problems(source, tmp_path) == ""
    classes = ["UnetBasicBlock", "UnetLevelBlock", "UnetUpBlock", "UnetOutBlock"]
    assert all(source.count(f"class {name}(") == 1 for name in classes)
    at = {name: source.index(f"class {name}(") for name in classes}
    outer = source.index("def dyn_u_net(" if style == "functional" else "class DynUNet(")
    assert at["UnetBasicBlock"] < at["UnetUpBlock"] and max(at.values()) < outer
    # MONAI's ModuleLists and loops: no level written out, the instance names stay
    assert 'name=f"downsamples_{i}"' in source or 'name=f"{prefix}downsamples_{i}"' in source
    assert "downsamples_0" not in source and "upsamples_1" not in source
    if style != "functional":
        assert "self.downsamples = [" in source and "self.upsamples = [" in source
        assert "for i in range(len(strides) - 2)" in source
        assert "for downsample in self.downsamples:" in source
        assert "zip(self.upsamples, reversed(skips), strict=False)" in source
    else:
        assert "zip(range(len(strides) - 1), reversed(skips), strict=False)" in source


def test_init_style_takes_in_channels_like_monai(blocks):
    source = generate_code(small(), blocks, "init")
    head = source[source.index("class DynUNet(") :]
    signature = head[head.index("def __init__(") : head.index("**kwargs")]
    assert "in_channels=3" in signature and "kernel_size=(3, 3, 3)" in signature


def test_the_trace_matches_keras_and_nests_to_the_deepest_layer(blocks):
    trace = run_trace(small(), blocks, RunSpec(style="build", values=SMALL))
    assert trace.error is None
    module = load_generated(generate_code(small(), blocks, "build"), "build")
    keras.backend.clear_session()  # the same auto-names as the traced run
    block = module.DynUNet(**SMALL)
    block(np.zeros((1, 16, 16, 3), "float32"))
    assert [w.path for w in trace.weights] == [w.path for w in block.weights]
    assert trace.total_params == block.count_params()
    chain = build_parents(trace, "upsamples_1/conv_block/conv1")
    assert chain[:3] == ["upsamples_1/conv_block", "upsamples_1", "dyn_u_net"]
    lanes = {lane.layer: lane.depth for lane in layout_trace(trace).lanes}
    assert lanes["upsamples_1"] == 1 and lanes["upsamples_1/conv_block/conv1"] == 3
    # one lane per instance of a repeated node, each run's event on the repeated node's card
    assert {"downsamples_0", "upsamples_0", "upsamples_1"} <= set(lanes)
    tagged = {e.layer.split("/")[0]: e.node for e in trace.events if e.layer}
    assert tagged["downsamples_0"] == "downsamples" and tagged["upsamples_1"] == "upsamples"


def test_a_size_the_strides_do_not_divide_is_named_where_the_skip_does_not_fit(blocks):
    doc = small(size=15)
    result = ShapeInference(blocks).run(doc)
    (problem,) = result.problems
    # 15 → 8 → 4 and back up: 8 fits its skip, 16 does not meet the 15 of input_block
    assert problem.node_id == "upsamples_1"
    assert problem.message.startswith("upsamples_1 › cat:")


def test_list_values_of_the_wrong_length_are_refused_with_monai_s_words_or_the_level(blocks):
    import dataclasses

    from blockstudio.core.validate import validate

    def with_values(**values):
        doc = small()
        for name, value in values.items():
            doc.replace_block_param(name, dataclasses.replace(doc.param(name), default=value))
        return validate(doc, blocks)

    (problem,) = with_values(strides=(1, 2))
    assert problem.message == (
        "length of kernel_size and strides should be the same, and no less than 3."
    )
    problems = with_values(upsample_kernel_size=(2,))
    # the repeated node, naming the instance that lacks its entry
    assert any(
        p.node_id == "upsamples"
        and p.message.startswith("upsamples_0: upsample_kernel_size: upsample_kernel_size[1]")
        for p in problems
    )


def test_the_checkup_passes_in_the_build_style(blocks):
    results = run_checkup(small(size=8), blocks, ("build",))
    failed = [(r.scenario, r.reason) for r in results if r.status != "pass"]
    assert failed == []


def test_saves_and_loads_in_safe_mode_and_runs_from_a_plain_script(blocks, tmp_path):
    source = generate_code(small(), blocks, "build")
    (tmp_path / "dynunet_block.py").write_text(source)
    module = load_generated(source, "build")
    block = module.DynUNet(**SMALL)
    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, block(inputs))
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3)).astype("float32")
    model.save(tmp_path / "dyn.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.saving.load_model(tmp_path / "dyn.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5)
    make = "DynUNet(filters=(4, 8, 12), out_channels=5)"
    made = output_shape_in_plain_python(tmp_path, "dynunet_block", make, (1, 16, 16, 3))
    assert made == "(1, 16, 16, 5)"


def _chain(names, condition=None):
    from blockstudio.core.document import Document, Edge, Node

    nodes = [Node("in", "Input", "input")]
    for i, name in enumerate(names):
        cond = condition if i == 1 else None
        nodes.append(Node(f"n{i}", "Dense", name, {"units": 4}, condition=cond))
    nodes.append(Node("out", "Output", "output"))
    edges = [Edge(a.id, b.id) for a, b in zip(nodes, nodes[1:], strict=False)]
    return Document("Chain", (None, 4), nodes=nodes, edges=edges)


@pytest.mark.parametrize(
    ("names", "condition", "listed"),
    [
        (["dense_0", "dense_1", "head"], None, True),
        (["dense_1", "dense_2"], None, False),  # not numbered from 0
        (["dense_0", "dense", "dense_1"], None, False),  # the list's name is a node's
        (["dense_0", "dense_1"], "units_on", False),  # a conditional member stays an attribute
        (["dense_0", "head", "dense_1"], None, False),  # not made one after another
    ],
)
def test_numbered_layers_become_one_list_only_when_that_is_safe(catalog, names, condition, listed):
    from blockstudio.core.document import BlockParam

    doc = _chain(names, condition)
    if condition:
        doc.add_block_param(BlockParam("units_on", "bool", True))
    source = generate_code(doc, catalog, "init")
    assert ("self.dense = [" in source) == listed
    module = load_generated(source, "init")
    block = module.Chain()
    out = block(np.zeros((2, 4), "float32"))
    assert tuple(out.shape) == (2, 4) and len(block.weights) == 2 * len(names)


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_monai_s_positional_arguments_work_in_every_style_and_in_channels_is_checked(blocks, style):
    source = generate_code(small(size=8), blocks, style)
    module = load_generated(source, style)
    # DynUNet(spatial_dims, in_channels, out_channels, kernel_size, strides, upsample_kernel_size)
    args = (2, 3, 5, (3, 3, 3), (1, 2, 2), (2, 2))
    x = np.zeros((1, 8, 8, 3), "float32")
    if style == "functional":
        out = module.dyn_u_net(keras.Input((8, 8, 3)), *args, filters=(4, 8, 12))
        assert tuple(out.shape) == (None, 8, 8, 5)
        with pytest.raises(ValueError, match="DynUNet was made for 4 input channels, not 3"):
            module.dyn_u_net(keras.Input((8, 8, 3)), 2, 4, 5, (3, 3, 3), (1, 2, 2), (2, 2))
        return
    net = module.DynUNet(*args, filters=(4, 8, 12))
    assert tuple(net(x).shape) == (1, 8, 8, 5)
    wrong = module.DynUNet(2, 4, 5, (3, 3, 3), (1, 2, 2), (2, 2), filters=(4, 8, 12))
    with pytest.raises(Exception, match="made for 4 input channels, not 3|expected axis -1"):
        wrong(x)


def test_in_channels_as_a_block_parameter_is_the_input_s_and_only_checked(blocks):
    from blockstudio.core.document import BlockParam, ParamRef
    from blockstudio.core.validate import validate

    doc = small()
    doc.replace_block_param("in_channels", BlockParam("in_channels", "int", 3))
    (p,) = validate(doc, blocks)
    assert "optional int with default None" in p.message
    doc = small()
    doc.set_param("input_block", "out_channels", ParamRef("in_channels"))
    (p,) = validate(doc, blocks)
    assert p.node_id == "input_block" and "cannot follow in_channels" in p.message
    assert blocks.get("template:dynunet").param("in_channels") is None  # a node's is its input


def test_with_deep_supervision_the_checkup_passes_and_trains_every_head(blocks):
    import dataclasses

    doc = small(size=8)
    flag = dataclasses.replace(doc.param("deep_supervision"), default=True)
    doc.replace_block_param("deep_supervision", flag)
    results = run_checkup(doc, blocks, ("build",))
    assert [(r.scenario, r.reason) for r in results if r.status != "pass"] == []
    train = next(r for r in results if r.scenario == "train")
    assert "trainable weights changed" in train.reason


def test_res_block_is_a_constructor_argument_as_in_monai(blocks):
    module = load_generated(generate_code(small(size=8), blocks, "build"), "build")
    x = np.zeros((1, 8, 8, 3), "float32")
    residual = module.DynUNet(filters=(4, 8, 12))
    plain = module.DynUNet(filters=(4, 8, 12), res_block=False)
    residual(x), plain(x)
    paths = {w.path.split("/", 1)[1] for w in residual.weights}
    assert "input_block/res_conv/kernel" in paths  # 3 → 4 channels: the projection
    assert not any("res_" in w.path for w in plain.weights)
    assert len(residual.weights) - len(plain.weights) == 3 * 3  # conv3, norm3 (γ, β) a level


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_filters_none_gives_monai_s_widths_in_the_class_and_in_the_studio(blocks, style):
    # 3-D, five levels: MONAI's widths 32, 64, 128, 256 and then 320 (512 is its 2-D cap)
    doc = levels(5, 3, size=16, in_channels=1)
    assert doc.param("filters").default is None
    result = ShapeInference(blocks).run(doc)
    assert result.problems == [] and result.shapes["bottleneck"] == (None, 1, 1, 1, 320)
    module = load_generated(generate_code(doc, blocks, style), style)
    keras.backend.clear_session()
    if style == "functional":
        model = module.build_model()
        kernel = model.get_layer("bottleneck").conv1.kernel
    else:
        block = module.DynUNet(in_channels=1) if style == "init" else module.DynUNet()
        block.build((None, 16, 16, 16, 1))
        assert list(block.get_config()["filters"]) == [32, 64, 128, 256, 320]
        kernel = block.bottleneck.conv1.kernel
        again = module.DynUNet.from_config(block.get_config())
        assert list(again.filters) == [32, 64, 128, 256, 320]
    assert tuple(kernel.shape) == (3, 3, 3, 256, 320)


def test_filters_none_follows_the_number_of_strides_in_plain_python(blocks, tmp_path):
    # the widths are computed from the arguments given, as MONAI computes them
    (tmp_path / "dynunet_block.py").write_text(generate_code(small(), blocks, "build"))
    make = "DynUNet(spatial_dims=1, strides=(1, 2, 2), kernel_size=(3, 3, 3)).bottleneck"
    shape = output_shape_in_plain_python(tmp_path, "dynunet_block", make, (1, 8, 64))
    # the bottleneck alone on (1, 8, 64): stride 2 halves the size; its width is the third
    # level's, 2 ** (5 + 2)
    assert shape == "(1, 4, 128)"


def _around_a_dynunet(params, block_params=()):
    from blockstudio.core.document import Document, Edge, Node

    nodes = [
        Node("in", "Input", "x_in"),
        Node("net", "template:dynunet", "net", params),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("in", "net"), Edge("net", "out")]
    return Document("Outer", (None, 16, 16, 3), list(block_params), nodes=nodes, edges=edges)


def test_a_dynunet_is_a_node_with_its_heads_off_or_on(blocks):
    from blockstudio.core.document import BlockParam, ParamRef
    from blockstudio.core.validate import validate

    small = {"filters": (4, 8, 12, 16, 20)}
    doc = _around_a_dynunet(small)
    assert validate(doc, blocks) == []
    assert ShapeInference(blocks).run(doc).shapes["net"] == (None, 16, 16, 2)
    module = load_generated(generate_code(doc, blocks, "build"), "build")
    out = module.Outer()(np.zeros((1, 16, 16, 3), "float32"))
    assert tuple(out.shape) == (1, 16, 16, 2)  # one tensor, as the node's one port says
    # heads on: still one tensor outside training (MONAI stacks them in training only)
    on = _around_a_dynunet({**small, "deep_supervision": True, "deep_supr_num": 2})
    assert validate(on, blocks) == []
    follows = _around_a_dynunet(
        {**small, "deep_supervision": ParamRef("heads")}, [BlockParam("heads", "bool", False)]
    )
    assert validate(follows, blocks) == []


def test_what_a_loop_does_not_write_yet_is_refused_naming_the_node(catalog):
    from blockstudio.core.document import Document, Edge, Node, Repeat
    from blockstudio.engine.codegen import CodegenError

    conv = {"filters": 4, "kernel_size": 3, "padding": "symmetric", "strides": 1}
    nodes = [
        Node("in", "Input", "x_in"),
        Node("convs", "Convolution", "convs", conv, repeat=Repeat("2")),
        Node("out", "Output", "y"),
    ]
    doc = Document(
        "Convs", (None, 8, 8, 4), nodes=nodes, edges=[Edge("in", "convs"), Edge("convs", "out")]
    )
    with pytest.raises(CodegenError, match="convs is repeated and a convolution with symmetric"):
        generate_code(doc, catalog, "build")
    plain = Document(
        "Convs",
        (None, 8, 8, 4),
        nodes=[*nodes[:1], nodes[1].with_changes(params={**conv, "padding": "same"}), nodes[2]],
        edges=[Edge("in", "convs"), Edge("convs", "out")],
    )
    module = load_generated(generate_code(plain, catalog, "build"), "build")
    block = module.Convs()
    assert tuple(block(np.zeros((1, 8, 8, 4), "float32")).shape) == (1, 8, 8, 4)
    assert [w.path.split("/")[1] for w in block.weights] == ["convs_0", "convs_1"]


@pytest.mark.parametrize("style", ["build", "init"])
def test_a_renamed_strides_exports_the_same_network_under_the_new_name(blocks, style):
    import dataclasses

    from blockstudio.core import commands as c

    doc = small()
    c.EditBlockParam(doc, "strides", dataclasses.replace(doc.param("strides"), name="steps")).redo(
        doc
    )
    source = generate_code(doc, blocks, style)
    assert "for i in range(len(steps) - 2)" in source and "steps=(" in source
    outer = source.index("class DynUNet(")  # the inner blocks' Convs keep strides=, the
    outer = source[source.index("def __init__(", outer) :]  # docstring's prose its words
    assert not re.search(r"self\.strides|strides\[|len\(strides\)|\bstrides=", outer)
    renamed = load_generated(source, style).DynUNet(**SMALL)
    original = load_generated(generate_code(small(), blocks, style), style).DynUNet(**SMALL)
    x = np.zeros((1, 16, 16, 3), "float32")
    renamed(x), original(x)
    assert renamed.count_params() == original.count_params() > 0
    assert [w.shape for w in renamed.weights] == [w.shape for w in original.weights]
