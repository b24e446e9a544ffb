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
