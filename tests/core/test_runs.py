"""The run model: what every view of a run draws, as plain data."""

import pytest

from blockstudio.core.runs import (
    PairAdded,
    RunAdded,
    RunModel,
    RunSettings,
    SettingsChanged,
    ShownChanged,
)
from blockstudio.core.trace import Trace, TraceEvent


def _trace(error_node=None) -> Trace:
    events = [
        TraceEvent(0, "build", "blk", 0.0, 10.0),
        TraceEvent(1, "build", "conv1", 1.0, 5.0, parent=0, node="n1"),
        TraceEvent(2, "weight", "conv1", 2.0, parent=1, path="blk/conv1/kernel", node="n1"),
        TraceEvent(3, "weight", "conv1", 3.0, parent=1, path="blk/conv1/bias", node="n1"),
    ]
    error = {"node": error_node, "layer": "conv1", "message": "bad"} if error_node else None
    return Trace("Blk", "build", (None, 4), events=events, error=error)


def test_adding_a_run_labels_shows_and_announces_it():
    runs, seen = RunModel(), []
    runs.subscribe(seen.append)
    trace = _trace()
    runs.add_run(trace)
    assert trace.label == "run 1 · build" and runs.shown is trace
    assert seen == [RunAdded(0), ShownChanged()]
    assert runs.position == 4 and not runs.replaying


def test_replay_gives_build_states_and_weights_by_node_id():
    runs = RunModel()
    runs.add_run(_trace())
    assert runs.node_states() == ({}, {})  # no replay going on: nothing lit
    runs.seek(3)
    assert runs.node_states() == ({"n1": "building"}, {"n1": 1})
    runs.seek(99)
    assert runs.position == 4


def test_errors_come_from_runs_not_from_checkup_traces():
    runs = RunModel()
    runs.show(_trace(error_node="n1"))  # a checkup cell's trace
    assert runs.errors() == {}
    runs.add_run(_trace(error_node="n1"))
    assert runs.errors() == {"n1": "Keras: bad"}
    runs.reset()
    assert runs.errors() == {} and runs.shown is None


def test_settings_are_checked_and_announced():
    runs, seen = RunModel(), []
    runs.subscribe(seen.append)
    runs.set_setting("style", "init")
    runs.set_setting("style", "init")  # no change, no event
    assert runs.settings == RunSettings("init", "eager") and seen == [SettingsChanged("style")]
    with pytest.raises(ValueError):
        runs.set_setting("weights", "sometimes")


def test_a_comparison_is_a_pair_of_traces():
    runs, seen = RunModel(), []
    runs.subscribe(seen.append)
    a, b = _trace(), _trace()
    runs.add_run(a, show=False)
    runs.add_run(b, show=False)
    runs.add_pair(a, b)
    assert runs.pairs == ((a, b),) and seen[-1] == PairAdded(0) and runs.shown is None


def test_seek_without_a_trace_does_nothing():
    runs, seen = RunModel(), []
    runs.subscribe(seen.append)
    runs.seek(3)
    assert seen == [] and runs.position == 0


def test_a_checkup_trace_on_show_is_not_a_run():
    runs = RunModel()
    runs.add_run(_trace())
    assert len(runs.weight_events("n1")) == 2
    runs.show(_trace())  # a checkup cell: it may hold several blocks, so no per-node figures
    assert runs.shown_run is None and runs.weight_events("n1") == []
