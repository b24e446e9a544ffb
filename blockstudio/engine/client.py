"""The UI's side of the engine: a worker process talked to with plain data.

TensorFlow loads in the worker, never in the UI process. Requests run one at a time in order; a
request can be cancelled; a crash or a hang of the worker is noticed, the request in flight gets an
error reply, the worker restarts and the queued requests go on. No request ends without a reply.
This module imports neither Keras nor Qt; replies arrive on a background thread through the
callback (the UI forwards them to its own thread).

The wire carries JSON text both ways (:func:`encode`, :func:`decode`), never pickles: a reply is
dicts, lists, strings, numbers, booleans and None, so reading one cannot import Keras or run
anything the user's code shaped. A message that is not plain data, or not the shape a message
has, fails its request with a clear error; the loop itself survives anything.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing as mp
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any


@dataclass
class Reply:
    """The outcome of one request: ``ok`` with ``result``, or an ``error`` message."""

    id: int
    kind: str
    ok: bool
    result: Any = None
    error: str = ""
    cancelled: bool = False
    seconds: float = 0.0


@dataclass
class _Request:
    id: int
    kind: str
    payload: dict[str, Any]
    timeout: float | None
    sent_at: float = 0.0
    attempts: int = 0
    submitted: float = field(default_factory=time.perf_counter)


MAX_FAILED_STARTS = 3


class WireError(ValueError):
    """A message that is not plain data, or not shaped as a message of the engine."""


def encode(message: Any, what: str = "message") -> bytes:
    """``message`` as JSON bytes; a value that is not plain data raises :class:`WireError`
    naming where it is (``result['events'][3]['shape'] is a TrackedList, not plain data``)."""
    try:
        return json.dumps(message, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise WireError(not_plain(message, what) or f"{what} is not plain data: {exc}") from None


def decode(data: bytes) -> Any:
    """The message in ``data`` (JSON bytes); anything else raises :class:`WireError`."""
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"not a JSON message ({len(data)} bytes): {exc}") from None


_SCALARS = (str, int, float, bool, type(None))


def not_plain(value: Any, path: str) -> str | None:
    """Where ``value`` holds something JSON cannot carry, said in a sentence; None: nowhere."""
    stack = [(value, path, 0)]
    while stack:
        item, at, depth = stack.pop()
        if depth > 200:
            return f"{at} is nested too deeply"
        if isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                if not isinstance(key, _SCALARS):
                    return f"{at} has a key that is a {type(key).__name__}, not plain data"
                stack.append((sub, f"{at}[{key!r}]", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend(
                (sub, f"{at}[{i}]", depth + 1) for i, sub in reversed(list(enumerate(item)))
            )
        elif not isinstance(item, _SCALARS):
            return f"{at} is a {type(item).__name__}, not plain data"
    return None


def _check(message: Any, fields: dict[str, Any]) -> None:
    if not isinstance(message, dict):
        raise WireError(f"a message is a JSON object, not {type(message).__name__}")
    for name, kind in fields.items():
        if not isinstance(message.get(name), kind):
            raise WireError(f"the message's {name!r} is missing or not {_type_name(kind)}")


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or str(kind)


def check_request(message: Any) -> None:
    """A request as the worker expects it (None, the stop message, is checked by the caller)."""
    _check(message, {"id": int, "kind": str, "payload": dict})


def check_reply(message: Any) -> None:
    """A status message or a reply as the client expects it."""
    if isinstance(message, dict) and "status" in message:
        _check(message, {"status": str, "message": str | None})
    else:
        _check(message, {"id": int | None, "ok": bool, "error": str | None})


class EngineClient:
    """Runs the engine worker and routes requests and replies."""

    def __init__(
        self,
        on_reply: Callable[[Reply], None] | None = None,
        on_status: Callable[[str, str], None] | None = None,
        default_timeout: float | None = 120.0,
        worker: Callable[[Any], None] | None = None,
    ) -> None:
        """``worker`` runs in the child process on its end of the pipe (default: the engine's
        ``worker_main``; tests give a stand-in that misbehaves)."""
        self.on_reply = on_reply or (lambda reply: None)
        self.on_status = on_status or (lambda status, detail: None)
        self.default_timeout = default_timeout
        self._worker = worker
        self.status = "stopped"
        self._detail = ""
        self.restarts = 0
        self._failed_starts = 0  # deaths before "ready" in a row: a broken install, not a crash
        self._ctx = mp.get_context("spawn")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._queue: deque[_Request] = deque()
        self._inflight: _Request | None = None
        self._cancel: set[int] = set()
        self._proc: Any = None
        self._conn: Any = None
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._thread: threading.Thread | None = None
        self._running = False

    # -- public ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._spawn()
        self._thread = threading.Thread(target=self._loop, name="engine-client", daemon=True)
        self._thread.start()

    def submit(self, kind: str, payload: dict[str, Any], timeout: float | None = None) -> int:
        """Queue a request; its reply comes through ``on_reply``. Returns the request id."""
        req = _Request(
            next(self._ids), kind, payload, self.default_timeout if timeout is None else timeout
        )
        with self._lock:
            self._queue.append(req)
        self._wake()
        return req.id

    def cancel(self, request_id: int) -> None:
        """Cancel a queued or running request (a running one costs a worker restart)."""
        with self._lock:
            self._cancel.add(request_id)
        self._wake()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def shutdown(self, timeout: float = 5.0) -> None:
        self._running = False
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
        self._stop_process()
        self._set_status("stopped")

    # -- worker process --------------------------------------------------------------------
    def _spawn(self) -> None:
        if self._worker is None:
            from blockstudio.engine.service import worker_main

            self._worker = worker_main
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=self._worker, args=(child,), name="blockstudio-engine", daemon=True
        )
        self._set_status("starting")
        self._proc.start()
        child.close()
        self._conn = parent

    def _stop_process(self) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            try:
                conn.send_bytes(encode(None))
            except OSError:
                pass
        if proc is not None:
            proc.join(1.0)
            if proc.is_alive():
                proc.kill()
                proc.join(2.0)
        if conn is not None:
            conn.close()

    def _restart(self, why: str) -> None:
        if self.status in ("starting", "loading"):
            self._failed_starts += 1
        proc = self._proc
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(2.0)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None
        self.restarts += 1
        if self._failed_starts >= MAX_FAILED_STARTS:
            self._set_status("error", f"the engine cannot start: {why}")
            self._fail_queue(f"the engine cannot start: {why}")
            return
        self._set_status("crashed", why)
        if self._running:
            self._spawn()

    def _fail_queue(self, why: str) -> None:
        with self._lock:
            queued, self._queue = list(self._queue), deque()
        for req in queued:
            self._reply(req, ok=False, error=why)

    def _set_status(self, status: str, detail: str = "") -> None:
        self.status, self._detail = status, detail
        try:
            self.on_status(status, detail)
        except Exception:  # a faulty callback must not stop the engine loop
            traceback.print_exc()

    def _wake(self) -> None:
        try:
            self._wake_w.send_bytes(b"")
        except OSError:
            pass

    # -- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        while self._running:
            try:
                self._step()
            except Exception as exc:  # the loop outlives anything: the request fails, not it
                traceback.print_exc()
                self._fault(f"the engine link failed ({type(exc).__name__}: {exc})")

    def _fault(self, why: str) -> None:
        """Fail the request in flight and restart the worker (its stream may be out of step)."""
        try:
            self._crashed(f"{why}; the engine was restarted")
        except Exception:  # cannot even restart: stop trying, answer every request
            traceback.print_exc()
            self._proc = self._conn = None
            self._failed_starts = MAX_FAILED_STARTS
            self._set_status("error", why)
            self._fail_queue(why)

    def _step(self) -> None:
        self._handle_cancels()
        self._send_next()
        waitables = [self._wake_r]
        if self._conn is not None:
            waitables += [self._conn, self._proc.sentinel]
        timeout = self._time_left()
        ready = wait(waitables, timeout)
        if self._wake_r in ready:
            while self._wake_r.poll():
                self._wake_r.recv_bytes()
        if self._conn is not None and self._conn in ready:
            try:
                data = self._conn.recv_bytes()
            except (EOFError, OSError):
                data = None
            if data is not None:
                self._receive(data)
                return
        if self._proc is not None and not self._proc.is_alive():
            self._crashed(f"the engine stopped unexpectedly (exit code {self._proc.exitcode})")
        elif self._overdue():
            req = self._inflight
            assert req is not None
            self._crashed(
                f"{req.kind} took longer than {req.timeout:g} s; the engine was restarted"
            )

    def _time_left(self) -> float | None:
        req = self._inflight
        if req is None or req.timeout is None:
            return None
        return max(0.0, req.sent_at + req.timeout - time.perf_counter())

    def _overdue(self) -> bool:
        req = self._inflight
        return (
            req is not None
            and req.timeout is not None
            and time.perf_counter() - req.sent_at >= req.timeout
        )

    def _handle_cancels(self) -> None:
        with self._lock:
            cancels, self._cancel = self._cancel, set()
            dropped = [r for r in self._queue if r.id in cancels]
            self._queue = deque(r for r in self._queue if r.id not in cancels)
            running = self._inflight if self._inflight and self._inflight.id in cancels else None
        for req in dropped:
            self._reply(req, ok=False, error="cancelled", cancelled=True)
        if running is not None:
            self._inflight = None
            self._reply(running, ok=False, error="cancelled", cancelled=True)
            self._restart("restarting after a cancelled request")

    def _send_next(self) -> None:
        if self._inflight is not None:
            return
        if self.status == "error" and self._conn is None:
            self._fail_queue(self._detail or "the engine cannot start")
            return
        if self.status != "ready" or self._conn is None:
            return
        with self._lock:
            if not self._queue:
                return
            req = self._queue.popleft()
        try:
            data = encode({"id": req.id, "kind": req.kind, "payload": req.payload}, "request")
        except WireError as exc:  # the worker never sees it; the engine stays ready
            self._reply(req, ok=False, error=f"{req.kind}: {exc}")
            return
        req.sent_at, req.attempts = time.perf_counter(), req.attempts + 1
        self._inflight = req
        self._set_status("busy", req.kind)
        try:
            self._conn.send_bytes(data)
        except OSError:
            pass  # the loop sees the dead process and replies

    def _receive(self, data: bytes) -> None:
        try:
            msg = decode(data)
            check_reply(msg)
        except WireError as exc:
            self._fault(f"the engine sent a message the studio cannot read: {exc}")
            return
        if "status" in msg:
            if msg["status"] == "ready":
                self._failed_starts = 0
            self._set_status(msg["status"], msg.get("message") or "")
            return
        req = self._inflight
        if req is None or msg["id"] not in (req.id, None):
            return  # a late answer to a cancelled request
        self._inflight = None
        # ready before the reply is handed on: whoever the reply wakes sees the engine free,
        # and a request it sends at once is not then marked ready while it runs
        self._set_status("ready")
        self._reply(req, ok=msg["ok"], result=msg.get("result"), error=msg.get("error") or "")

    def _crashed(self, why: str) -> None:
        req, self._inflight = self._inflight, None
        if req is not None:
            self._reply(req, ok=False, error=why)
        self._restart(why)

    def _reply(self, req: _Request, **kw: Any) -> None:
        seconds = time.perf_counter() - req.submitted
        try:
            self.on_reply(Reply(req.id, req.kind, seconds=seconds, **kw))
        except Exception:  # a faulty callback must not stop the engine loop
            traceback.print_exc()
