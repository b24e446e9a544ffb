"""The UI's side of the engine: a worker process talked to with plain data.

TensorFlow loads in the worker, never in the UI process. Requests run one at a time in order; a
request can be cancelled; a crash or a hang of the worker is noticed, the request in flight gets an
error reply, the worker restarts and the queued requests go on. No request ends without a reply.
This module imports neither Keras nor Qt; replies arrive on a background thread through the
callback (the UI forwards them to its own thread).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import threading
import time
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


class EngineClient:
    """Runs the engine worker and routes requests and replies."""

    def __init__(
        self,
        on_reply: Callable[[Reply], None] | None = None,
        on_status: Callable[[str, str], None] | None = None,
        default_timeout: float | None = 120.0,
    ) -> None:
        self.on_reply = on_reply or (lambda reply: None)
        self.on_status = on_status or (lambda status, detail: None)
        self.default_timeout = default_timeout
        self.status = "stopped"
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
        from blockstudio.engine.service import worker_main

        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=worker_main, args=(child,), name="blockstudio-engine", daemon=True
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
                conn.send(None)
            except (OSError, BrokenPipeError):
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
        self.status = status
        self.on_status(status, detail)

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"")
        except OSError:
            pass

    # -- the loop --------------------------------------------------------------------------
    def _loop(self) -> None:
        while self._running:
            self._handle_cancels()
            self._send_next()
            waitables = [self._wake_r]
            if self._conn is not None:
                waitables += [self._conn, self._proc.sentinel]
            timeout = self._time_left()
            ready = wait(waitables, timeout)
            if self._wake_r in ready:
                while self._wake_r.poll():
                    self._wake_r.recv()
            if self._conn is not None and self._conn in ready:
                try:
                    msg = self._conn.recv()
                except (EOFError, OSError):
                    msg = None
                if msg is not None:
                    self._handle(msg)
                    continue
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
        if self._inflight is not None or self.status not in ("ready",) or self._conn is None:
            return
        with self._lock:
            if not self._queue:
                return
            req = self._queue.popleft()
        req.sent_at, req.attempts = time.perf_counter(), req.attempts + 1
        self._inflight = req
        self._set_status("busy", req.kind)
        try:
            self._conn.send({"id": req.id, "kind": req.kind, "payload": req.payload})
        except (OSError, BrokenPipeError):
            pass  # the loop sees the dead process and replies

    def _handle(self, msg: dict[str, Any]) -> None:
        if "status" in msg:
            if msg["status"] == "ready":
                self._failed_starts = 0
            self._set_status(msg["status"], msg.get("message", ""))
            return
        req = self._inflight
        if req is None or msg.get("id") != req.id:
            return  # a late answer to a cancelled request
        self._inflight = None
        self._reply(req, ok=msg["ok"], result=msg.get("result"), error=msg.get("error", ""))
        self._set_status("ready")

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
            import traceback

            traceback.print_exc()
