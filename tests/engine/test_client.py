"""The engine worker process: round trips, a crash mid-request, a cancel, a hang."""

import os
import signal
import threading
import time

import pytest

from blockstudio.core.project import document_to_json
from blockstudio.core.trace import trace_from_dict
from blockstudio.engine.client import EngineClient


class Collector:
    def __init__(self):
        self.replies = {}
        self.statuses = []
        self.event = threading.Condition()

    def on_reply(self, reply):
        with self.event:
            self.replies[reply.id] = reply
            self.event.notify_all()

    def on_status(self, status, detail):
        with self.event:
            self.statuses.append(status)
            self.event.notify_all()

    def wait_for(self, predicate, timeout=90):
        with self.event:
            assert self.event.wait_for(predicate, timeout), "timed out"

    def reply(self, rid, timeout=90):
        self.wait_for(lambda: rid in self.replies, timeout)
        return self.replies[rid]


@pytest.fixture
def engine():
    got = Collector()
    client = EngineClient(got.on_reply, got.on_status)
    client.start()
    yield client, got
    client.shutdown()


def slow_payload(unet):
    # a 3-D block on a large input: its first call takes seconds on this machine
    unet.set_block_field("input_shape", (None, 96, 96, 96, 32))
    return {"document": document_to_json(unet), "values": {"spatial_dims": 3}}


def test_requests_answer_with_plain_data(engine, unet):
    client, got = engine
    doc = document_to_json(unet)
    infer = client.submit("infer", {"document": doc})
    code = client.submit("code", {"document": doc, "style": "init"})
    trace = client.submit("trace", {"document": doc, "values": {"stride": 2}})
    bad = client.submit("code", {"document": "{not json"})
    assert got.reply(infer).result["shapes"]["output"] == [None, 64, 64, 64]
    assert "class UnetResBlock" in got.reply(code).result
    t = trace_from_dict(got.reply(trace).result)
    assert t.total_params > 0 and len(t.top_calls()) == 2
    assert not got.reply(bad).ok and "ProjectError" in got.reply(bad).error
    assert client.status == "ready"


def test_a_worker_killed_mid_request_is_reported_and_restarted(engine, unet):
    client, got = engine
    rid = client.submit("trace", slow_payload(unet))
    queued = client.submit("ping", {})
    got.wait_for(lambda: "busy" in got.statuses)
    pid = client.pid
    time.sleep(0.5)
    os.kill(pid, signal.SIGKILL)
    reply = got.reply(rid)
    assert not reply.ok and "stopped unexpectedly" in reply.error and "-9" in reply.error
    assert got.reply(queued).ok  # the queued request survives on the new worker
    assert client.pid != pid and client.restarts == 1 and "crashed" in got.statuses


def test_cancel_a_running_and_a_queued_request(engine, unet):
    client, got = engine
    running = client.submit("trace", slow_payload(unet))
    queued = client.submit("trace", slow_payload(unet))
    got.wait_for(lambda: "busy" in got.statuses)
    client.cancel(queued)
    client.cancel(running)
    assert got.reply(queued).cancelled and got.reply(running).cancelled
    assert got.reply(client.submit("ping", {})).ok


def test_a_hung_request_times_out_and_the_engine_goes_on(engine, unet):
    client, got = engine
    got.wait_for(lambda: "ready" in got.statuses)
    rid = client.submit("trace", slow_payload(unet), timeout=0.5)
    reply = got.reply(rid)
    assert not reply.ok and "longer than 0.5 s" in reply.error
    assert got.reply(client.submit("ping", {})).ok


# -- the user's own classes, the way people write them ------------------------------------------
ODD_CLASSES = ("FromShape", "Collections", "KeptShape", "OddOutputs")
PLAIN_TYPES = (dict, list, str, int, float, bool, type(None))


def strictly_plain(value, path="result"):
    """Where ``value`` holds anything but dicts, lists, str, int, float, bool and None."""
    if type(value) not in PLAIN_TYPES:
        return [f"{path} is a {type(value).__name__}"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in strictly_plain(v, f"{path}[{k!r}]")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in strictly_plain(v, f"{path}[{i}]")]
    return []


def test_user_layers_that_keras_tracks_answer_with_plain_data(engine, tmp_path):
    from tests.engine.odd_layers import write_odd_layers

    client, got = engine
    path = str(write_odd_layers(tmp_path))
    asked = {}
    for name in ODD_CLASSES:
        layer = {"class_name": name, "path": path}
        base = {"layer": layer, "input_shape": [None, 5]}
        asked[name, "trace"] = client.submit("user_trace", {**base, "calls": 2})
        asked[name, "check"] = client.submit("user_check", {**base, "scenario": "build"})
    for (name, kind), rid in asked.items():
        reply = got.reply(rid)
        assert reply.ok, (name, kind, reply.error)
        assert strictly_plain(reply.result) == [], (name, kind)
        if kind == "trace":
            trace = trace_from_dict(reply.result)
            assert trace.error is None and len(trace.top_calls()) == 2, name
        else:
            assert reply.result["status"] in ("pass", "warning"), (name, reply.result)
    kept = trace_from_dict(got.reply(asked["KeptShape", "trace"]).result)
    add_build = next(e for e in kept.of_type("build") if e.cls == "Add")
    assert [shape[-1] for shape in add_build.data["shapes"]["input_shape"]] == [5, 5]
    widths = next(n for n in kept.structure["nodes"] if n.get("class") == "Widths")
    assert widths["config"]["widths"] == [2, 3]
    assert client.status == "ready"


WINDOW_PROCESS = """
import json, sys, threading
from blockstudio.engine.client import EngineClient

replies, done = [], threading.Event()
def on_reply(reply):
    replies.append(reply)
    if len(replies) == len(ask):
        done.set()

client = EngineClient(on_reply)
client.start()
path = sys.argv[1]
ask = []
for name in %r:
    base = {"layer": {"class_name": name, "path": path}, "input_shape": [None, 5]}
    ask.append(client.submit("user_trace", base))
    ask.append(client.submit("user_check", {**base, "scenario": "build"}))
done.wait(240)
client.shutdown()
print(json.dumps({
    "ok": [r.ok for r in replies],
    "errors": [r.error for r in replies if not r.ok],
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("keras", "tensorflow")),
}))
"""


def test_the_window_process_never_imports_keras_or_tensorflow(tmp_path):
    """A fresh process drives the engine as the window does: replies of the user's classes
    arrive, and neither Keras nor TensorFlow was ever imported there to read them."""
    import json
    import subprocess
    import sys

    from tests.engine.odd_layers import write_odd_layers

    path = write_odd_layers(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", WINDOW_PROCESS % (ODD_CLASSES,), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["ok"] == [True] * 2 * len(ODD_CLASSES), seen["errors"]
    assert seen["loaded"] == []
