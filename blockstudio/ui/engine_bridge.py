"""Qt face of the engine client: replies and status as signals on the GUI thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from blockstudio.engine.client import EngineClient, Reply

STATUS_TEXT = {
    "stopped": "Engine stopped",
    "starting": "Starting engine…",
    "loading": "Loading TensorFlow…",
    "ready": "Engine ready",
    "busy": "Engine busy",
    "crashed": "Engine crashed — restarting",
    "error": "Engine error",
}


class EngineBridge(QObject):
    """Wraps :class:`EngineClient`; its callbacks arrive on a worker thread and are re-emitted
    as Qt signals, which Qt queues onto the GUI thread."""

    sigReply = Signal(object)  # Reply
    sigStatus = Signal(str, str)  # status, detail

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = EngineClient(self.sigReply.emit, self.sigStatus.emit)

    def start(self) -> None:
        self.client.start()

    def submit(self, kind: str, payload: dict[str, Any], timeout: float | None = None) -> int:
        return self.client.submit(kind, payload, timeout)

    def cancel(self, request_id: int) -> None:
        self.client.cancel(request_id)

    @property
    def status(self) -> str:
        return self.client.status

    def shutdown(self) -> None:
        # no signals from the client thread once this object may be on its way out
        self.client.on_reply = self.client.on_status = lambda *args: None
        self.client.shutdown()


__all__ = ["EngineBridge", "Reply", "STATUS_TEXT"]
