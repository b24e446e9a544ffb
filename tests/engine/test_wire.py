"""The engine's wire: JSON both ways, never pickles, and a client loop that outlives any message.

The faults here cannot be caused with the real engine (it never sends garbage), so a stand-in
worker sends them; everything else is tested against the real engine in test_client.py.
"""

import json
import threading

import numpy as np
import pytest

from blockstudio.engine.client import (
    EngineClient,
    WireError,
    check_reply,
    decode,
    encode,
    not_plain,
)
from blockstudio.engine.service import answer
from tests.engine.test_client import Collector


def test_encode_names_the_value_that_is_not_plain_data():
    import keras

    reply = {"result": {"events": [{}, {}, {}, {"shape": [1, np.int64(3)]}]}}
    with pytest.raises(WireError) as err:
        encode(reply, "reply")
    assert str(err.value) == "reply['result']['events'][3]['shape'][1] is a int64, not plain data"
    assert not_plain({"a": (1, [2.5, None, "x", True])}, "r") is None
    assert not_plain({1: object()}, "r") == "r[1] is a object, not plain data"
    assert "is a KerasTensor" in not_plain({"t": keras.KerasTensor((1, 2))}, "r")
    tracked = keras.src.utils.tracking.TrackedList([None, 4])
    assert decode(encode({"shape": tracked})) == {"shape": [None, 4]}
    assert type(decode(encode({"shape": tracked}))["shape"]) is list


def test_decode_and_check_refuse_what_is_not_a_message():
    for data in (b"\x80garbage", b"{", b"\xff\xfe"):
        with pytest.raises(WireError, match="not a JSON message"):
            decode(data)
    for message in ([], {"id": 1}, {"id": "1", "ok": True}, {"id": 1, "ok": False, "error": 3}):
        with pytest.raises(WireError):
            check_reply(message)
    check_reply({"status": "ready"})
    check_reply({"id": 1, "ok": True, "result": [1]})


class FakeService:
    def handle(self, kind, payload):
        if kind == "numpy":
            return {"events": [{"shape": np.zeros(2)}]}
        if kind == "raise":
            raise KeyError("input_shape")
        return {"echo": payload}


def test_the_worker_answers_a_result_that_is_not_plain_with_an_error_naming_it():
    def ask(data):
        reply = json.loads(answer(FakeService(), data))
        assert set(reply) <= {"id", "ok", "result", "error"}
        return reply

    reply = ask(encode({"id": 4, "kind": "numpy", "payload": {}}))
    assert reply == {
        "id": 4,
        "ok": False,
        "error": "the engine cannot send its answer: "
        "reply['result']['events'][0]['shape'] is a ndarray, not plain data",
    }
    assert (
        ask(encode({"id": 5, "kind": "raise", "payload": {}}))["error"] == "KeyError: 'input_shape'"
    )
    assert ask(encode({"id": 6, "kind": "echo", "payload": {"a": [1]}}))["result"] == {
        "echo": {"a": [1]}
    }
    bad = ask(b"\x80 not json")
    assert bad["id"] is None and "cannot read a request" in bad["error"]
    bad = ask(encode({"id": 7, "kind": "echo"}))
    assert bad["id"] is None and "'payload' is missing" in bad["error"]


# -- a stand-in worker that misbehaves on request ------------------------------------------------
def misbehaving_worker(conn):
    """Ready at once; answers ``ping``, and for the other kinds sends what the kind names."""
    import pickle

    conn.send_bytes(encode({"status": "ready"}))
    while True:
        try:
            request = decode(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if request is None:
            return
        rid, kind = request["id"], request["kind"]
        if kind == "garbage":
            conn.send_bytes(b"\x80\x04 not json at all")
        elif kind == "pickle":
            conn.send({"id": rid, "ok": True, "result": {"shape": (1, 2)}})  # what it once sent
            conn.send_bytes(pickle.dumps({"id": rid, "ok": True}))
        elif kind == "shapeless":
            conn.send_bytes(encode({"id": rid, "result": 1}))
        elif kind == "array":
            conn.send_bytes(encode([rid, True]))
        else:
            conn.send_bytes(encode({"id": rid, "ok": True, "result": {"pong": True}}))


@pytest.fixture
def fake_engine():
    got = Collector()
    client = EngineClient(got.on_reply, got.on_status, worker=misbehaving_worker)
    client.start()
    yield client, got
    client.shutdown()


@pytest.mark.parametrize("kind", ["garbage", "pickle", "shapeless", "array"])
def test_a_message_the_client_cannot_read_fails_its_request_and_busy_ends(fake_engine, kind):
    client, got = fake_engine
    rid = client.submit(kind, {})
    reply = got.reply(rid, timeout=30)
    assert not reply.ok and "the engine sent a message the studio cannot read" in reply.error
    assert "the engine was restarted" in reply.error
    after = got.reply(client.submit("ping", {}), timeout=30)
    assert after.ok and after.result == {"pong": True}
    assert client.restarts == 1 and client.status == "ready"
    assert client._thread.is_alive()


def test_a_request_that_is_not_plain_data_fails_before_it_is_sent(fake_engine):
    client, got = fake_engine
    rid = client.submit("ping", {"layer": {"path": threading.Lock()}})
    reply = got.reply(rid, timeout=30)
    assert not reply.ok
    assert reply.error == "ping: request['payload']['layer']['path'] is a lock, not plain data"
    assert got.reply(client.submit("ping", {}), timeout=30).ok
    assert client.restarts == 0 and client.status == "ready"


def test_callbacks_that_raise_do_not_stop_the_loop():
    got = Collector()

    def on_reply(reply):
        got.on_reply(reply)
        raise RuntimeError("the window is gone")

    def on_status(status, detail):
        got.on_status(status, detail)
        raise RuntimeError("the status bar is gone")

    client = EngineClient(on_reply, on_status, worker=misbehaving_worker)
    client.start()
    try:
        first, second = client.submit("ping", {}), client.submit("garbage", {})
        third = client.submit("ping", {})
        assert got.reply(first, timeout=30).ok and not got.reply(second, timeout=30).ok
        assert got.reply(third, timeout=30).ok
        got.wait_for(lambda: got.statuses[-1] == "ready", timeout=30)
        assert client._thread.is_alive()
    finally:
        client.shutdown()
