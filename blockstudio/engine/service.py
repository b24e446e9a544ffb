"""Engine requests as plain data: what the worker process does for each kind of request.

Requests and replies are JSON-like dicts so they cross a process boundary unchanged. This module
runs inside the worker (it imports Keras through the engine modules); the client never imports it.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from blockstudio.core.catalog import Catalog, load_catalog
from blockstudio.core.library import library_from_payload
from blockstudio.core.project import document_from_json
from blockstudio.core.shapes import Shape, as_input_shape
from blockstudio.core.trace import trace_to_dict
from blockstudio.engine.client import WireError, check_request, decode, encode


class Service:
    """Answers requests; keeps the shape-inference cache warm between them."""

    def __init__(self) -> None:
        from blockstudio.engine.inference import ShapeInference

        self.catalog = load_catalog()
        self.inference = ShapeInference(self.catalog)
        self._blocks_key: tuple = ()
        self._blocks_catalog = self.catalog

    def handle(self, kind: str, payload: dict[str, Any]) -> Any:
        if kind == "ping":
            return {"pong": True}
        if kind.startswith("user_"):
            return self.handle_user(kind, payload)
        catalog = self.catalog_for(payload.get("blocks") or {})
        doc = document_from_json(payload["document"], catalog)
        values = payload.get("values") or {}
        if kind == "infer":
            self.inference.catalog = catalog
            shape = payload.get("input_shape")
            result = self.inference.run(
                doc,
                values,
                bool(payload.get("param_counts")),
                input_shape=as_input_shape(shape) if shape else None,
            )
            return {
                "shapes": {k: list(v) for k, v in result.shapes.items()},
                "present": result.present,
                "absent_reason": result.absent_reason,
                "problems": [asdict(p) for p in result.problems],
                "param_counts": result.param_counts,
            }
        if kind == "verify_import":  # the studio's import: is it the user's class?
            from blockstudio.core.sources import styles_for
            from blockstudio.core.trace import trace_from_dict
            from blockstudio.engine.import_verify import verify_import

            trace = trace_from_dict(payload["trace"])
            return {
                "reasons": verify_import(doc, catalog, trace),
                "styles": list(styles_for(doc)),
            }
        if kind == "code":
            from blockstudio.engine.codegen import generate_code

            return generate_code(
                doc,
                catalog,
                payload.get("style", "build"),
                values,
                weights=payload.get("weights", "eager"),
            )
        if kind == "trace":
            from blockstudio.engine.tracer import RunSpec, run_trace

            call_shape: Shape | None = payload.get("call_shape")
            spec = RunSpec(
                style=payload.get("style", "build"),
                values=values,
                calls=payload.get("calls", 2),
                weights=payload.get("weights", "eager"),
                call_shape=as_input_shape(call_shape) if call_shape else None,
            )
            return trace_to_dict(run_trace(doc, catalog, spec))
        if kind == "check":
            from blockstudio.engine.checkup import run_scenario

            result = run_scenario(
                doc,
                catalog,
                payload["scenario"],
                payload.get("style", "build"),
                payload.get("weights", "eager"),
                values,
            )
            return result.to_dict()
        raise ValueError(f"unknown request kind {kind!r}")

    def catalog_for(self, blocks: dict[str, str]) -> Catalog:
        """The catalog with the blocks a request carries (parsed once per distinct text)."""
        if not blocks:
            return self.catalog
        key = tuple(sorted(blocks.items()))
        if key != self._blocks_key:
            self._blocks_key = key
            self._blocks_catalog = self.catalog.with_library(
                library_from_payload(blocks, self.catalog)
            )
        return self._blocks_catalog

    def handle_user(self, kind: str, payload: dict[str, Any]) -> Any:
        """The user's own Layer class: ``payload["layer"]`` holds path or source, class, init."""
        from dataclasses import asdict

        from blockstudio.engine.user_layer import (
            LayerSpec,
            check_layer,
            layer_classes,
            load_module,
            trace_layer,
        )

        layer = LayerSpec(**payload["layer"])
        if kind == "user_classes":
            return [asdict(c) for c in layer_classes(load_module(layer))]
        shape = tuple(payload["input_shape"])
        if kind == "user_trace":
            from blockstudio.engine.tracer import RunSpec

            call_shape = payload.get("call_shape")
            run = RunSpec(
                calls=payload.get("calls", 2),
                call_shape=tuple(call_shape) if call_shape else None,
            )
            return trace_to_dict(trace_layer(layer, shape, run))
        if kind == "user_check":
            (result,) = check_layer(layer, shape, [payload["scenario"]])
            return result.to_dict()
        raise ValueError(f"unknown request kind {kind!r}")


def _error_text(exc: Exception) -> str:
    # the user's code: its file and line say it all; anything else: the exception type
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - an exception of the user's that cannot say itself
        text = "(its message cannot be shown)"
    return text if type(exc).__name__ == "UserCodeError" else f"{type(exc).__name__}: {text}"


def answer(service: Service, data: bytes) -> bytes:
    """The reply, as JSON bytes, to one request as the client sent it (JSON bytes): every
    failure, and a result that is not plain data, is an error reply, never a dead worker."""
    rid = None
    try:
        request = decode(data)
        check_request(request)
        rid = request["id"]
        result = service.handle(request["kind"], request["payload"])
    except WireError as exc:
        return encode({"id": rid, "ok": False, "error": f"the engine cannot read a request: {exc}"})
    except Exception as exc:  # noqa: BLE001 - the user's code can raise anything
        return encode({"id": rid, "ok": False, "error": _error_text(exc)})
    try:
        return encode({"id": rid, "ok": True, "result": result}, "reply")
    except WireError as exc:
        return encode(
            {"id": rid, "ok": False, "error": f"the engine cannot send its answer: {exc}"}
        )
    except Exception as exc:  # noqa: BLE001 - a user object that fails while it is read
        return encode({"id": rid, "ok": False, "error": _error_text(exc)})


def worker_main(conn: Any) -> None:
    """The worker process: load Keras, say ready, then answer requests until told to stop.

    Messages both ways are JSON bytes (``send_bytes``/``recv_bytes``), never pickles."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        conn.send_bytes(encode({"status": "loading"}))
        import keras  # noqa: F401  - the slow part, done once before saying ready

        service = Service()
    except (BrokenPipeError, EOFError, OSError):
        return  # the studio went away while TensorFlow loaded
    except Exception as exc:  # a broken install: say so instead of dying silently
        conn.send_bytes(encode({"status": "error", "message": f"cannot load Keras: {exc}"}))
        return
    try:
        conn.send_bytes(encode({"status": "ready"}))
    except OSError:
        return
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if data.strip() == b"null":
            return
        try:
            conn.send_bytes(answer(service, data))
        except OSError:
            return
