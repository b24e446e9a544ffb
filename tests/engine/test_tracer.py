"""The trace tells the truth: checked against Keras itself."""

import json

import pytest

from blockstudio.core.trace import trace_from_dict, trace_to_chrome, trace_to_dict
from blockstudio.core.trace_text import trace_text
from blockstudio.engine.tracer import RunSpec, run_trace
from tests.engine.helpers import build_block


def created_in(trace, layer):
    (event,) = [e for e in trace.of_type("construct") if e.layer == layer]
    return event.data["created_in"]


def layers_built(trace, span=None):
    events = trace.within(span) if span else trace.events
    return [e.layer for e in events if e.type == "build"]


@pytest.mark.parametrize("style", ["build", "init", "functional"])
def test_weights_are_exactly_the_blocks_weights(unet, catalog, style):
    trace = run_trace(
        unet, catalog, RunSpec(style=style, values={"stride": 2, "norm_name": "batch"})
    )
    assert trace.error is None
    traced = [(e.path, tuple(e.data["shape"]), e.data["dtype"]) for e in trace.of_type("weight")]
    assert sorted(traced) == sorted((w.path, w.shape, w.dtype) for w in trace.weights)
    block, _ = build_block(unet, catalog, style, {"stride": 2, "norm_name": "batch"})
    actual = [(w.path, tuple(w.shape), str(w.dtype)) for w in block.weights]
    assert sorted(traced) == sorted(actual)
    assert sum(e.data["params"] for e in trace.of_type("weight")) == block.count_params()
    assert trace.total_params == block.count_params()
    trainable = {e.path: e.data["trainable"] for e in trace.of_type("weight")}
    assert (
        trainable[
            "unet_res_block/norm1/moving_mean" if style != "functional" else "norm1/moving_mean"
        ]
        is False
    )


@pytest.mark.parametrize("style", ["build", "init"])
def test_every_layer_builds_once_and_second_call_builds_nothing(unet, catalog, style):
    trace = run_trace(unet, catalog, RunSpec(style=style))
    first, second = trace.top_calls()
    built = layers_built(trace)
    assert len(built) == len(set(built))
    assert set(built) == {
        "unet_res_block",
        "conv1",
        "norm1",
        "conv2",
        "norm2",
        "res_conv",
        "res_norm",
    }  # x + res: no Add layer to build
    assert first.data["built"] == len(built)
    assert second.data["built"] == 0
    assert not [e for e in trace.within(second) if e.type in ("build", "weight")]
    assert "no build: already built" in trace_text(trace)


def test_build_style_creates_projection_in_build_only_when_needed(unet, catalog):
    trace = run_trace(unet, catalog, RunSpec(style="build"))
    assert created_in(trace, "conv1") == "__init__"
    assert created_in(trace, "res_conv") == "build"
    assert created_in(trace, "res_norm") == "build"
    build = next(e for e in trace.of_type("build") if e.layer == "unet_res_block")
    assert {e.layer for e in trace.within(build) if e.type == "construct"} == {
        "res_conv",
        "res_norm",
    }
    unet.set_block_field("input_shape", (None, 64, 64, 64))
    same = run_trace(unet, catalog, RunSpec(style="build"))
    assert not [e for e in same.events if e.layer.startswith("res_")]


def test_init_style_constructs_everything_in_init_but_weights_come_on_first_call(unet, catalog):
    trace = run_trace(unet, catalog, RunSpec(style="init"))
    assert created_in(trace, "res_conv") == "__init__"
    construct, first, _ = trace.of_type("construct")[0], *trace.top_calls()
    assert not [e for e in trace.within(construct) if e.type == "weight"]
    weights = [e for e in trace.within(first) if e.type == "weight"]
    assert {e.layer for e in weights} >= {"res_conv", "res_norm", "conv1"}


def test_children_built_while_keras_traces_the_parents_call_nest_under_it(unet, catalog):
    # init style does not override build(), so Keras builds children by tracing call()
    trace = run_trace(unet, catalog, RunSpec(style="init"))
    first = trace.top_calls()[0]
    conv1_build = next(e for e in trace.of_type("build") if e.layer == "conv1")
    assert conv1_build.id in {e.id for e in trace.within(first)}
    assert conv1_build.path.startswith(first.path + "/")


def test_third_call_with_other_channels_records_keras_error_on_the_layer(unet, catalog):
    trace = run_trace(unet, catalog, RunSpec(style="build", call_shape=(None, 64, 64, 16)))
    (error,) = trace.of_type("error")
    assert error.layer == "conv1"
    assert "expected axis -1 of input shape to have value 32" in error.data["message"]
    assert trace.error["layer"] == "conv1"
    assert len(trace.top_calls()) == 3 and trace.weights  # the trace up to the error is kept


def test_functional_style_builds_while_constructing_the_model(unet, catalog):
    trace = run_trace(unet, catalog, RunSpec(style="functional"))
    construct = trace.of_type("construct")[0]
    built_during_construct = layers_built(trace, construct)
    assert {"conv1", "norm1", "conv2", "norm2"} <= set(built_during_construct)
    assert all(e.data["built"] == 0 for e in trace.top_calls())


def test_json_round_trip_and_chrome_structure(unet, catalog, tmp_path):
    trace = run_trace(unet, catalog)
    data = json.loads(json.dumps(trace_to_dict(trace)))
    assert data["format"] == "blockstudio.trace" and data["version"] == 1
    again = trace_from_dict(data)
    assert [e.type for e in again.events] == [e.type for e in trace.events]
    chrome = json.loads(json.dumps(trace_to_chrome(trace)))
    events = chrome["traceEvents"]
    assert {e["ph"] for e in events} == {"M", "X", "i"}
    for e in events:
        assert {"name", "ph", "pid", "tid"} <= set(e)
        if e["ph"] == "X":
            assert isinstance(e["ts"], float | int) and e["dur"] >= 0
        if e["ph"] == "i":
            assert e["s"] == "t"
            if e["cat"] == "weight":
                assert e["args"]["shape"] and e["args"]["params"] > 0
    spans = [e for e in events if e["ph"] == "X"]
    # children lie inside their parents, which is how the viewers nest them
    by_id = {e.id: e for e in trace.events}
    for e in trace.events:
        if e.parent is not None and e.dur is not None:
            parent = by_id[e.parent]
            assert parent.ts <= e.ts + 1e-6 and e.end <= parent.end + 1e-6
    assert len(spans) == len([e for e in trace.events if e.dur is not None])


def test_a_padding_error_is_blamed_on_the_sublayer_and_weights_are_kept(unet, catalog):
    unet.set_block_field("input_shape", (None, 8, 8, 4))
    # stride 3 with the 1x1 projection: MONAI's padding (1 - 3 + 1) // 2 is negative
    trace = run_trace(unet, catalog, RunSpec(values={"stride": 3}, calls=1))
    assert trace.error is not None and trace.error["layer"] == "res_conv"
    assert "Paddings must be non-negative" in trace.error["message"]
    built = {w.path.split("/")[1] for w in trace.weights}
    assert {"conv1", "res_conv"} <= built  # eager build() made them before the call failed
    assert f"{len(trace.weights)} weights" in trace_text(trace) and len(trace.weights) > 0
