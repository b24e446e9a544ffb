"""Project files: JSON with a format name and version, written atomically, read defensively."""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.doc_json import repeat_from_dict, value_from_json
from blockstudio.core.document import (
    LIFECYCLES,
    PARAM_TYPES,
    BlockParam,
    Document,
    Edge,
    Expr,
    Node,
    ParamRef,
)
from blockstudio.core.library import is_block_kind
from blockstudio.core.shapes import as_input_shape

FORMAT_NAME = "blockstudio.block"
FORMAT_VERSION = 2  # 2: nodes may repeat (``repeat``); a file without one is still written as 1
SUFFIX = ".bsblock"


@dataclass
class ProjectError(Exception):
    """A project file that cannot be read; ``defects`` are (JSON path, message) pairs."""

    message: str
    defects: list[tuple[str, str]] = field(default_factory=list)
    path: str | None = None

    def __str__(self) -> str:
        head = f"{self.path}: {self.message}" if self.path else self.message
        if not self.defects:
            return head
        head += f" (first: {self.defects[0][0]}: {self.defects[0][1]})"
        lines = [f"  {where}: {what}" for where, what in self.defects[:20]]
        more = len(self.defects) - 20
        if more > 0:
            lines.append(f"  ... and {more} more")
        return head + "\n" + "\n".join(lines)


def document_to_json(doc: Document) -> str:
    """Deterministic text: the same document always gives the same bytes."""
    # a file that repeats no node stays version 1, readable by Block Studios before repeats
    version = FORMAT_VERSION if any(n.repeat for n in doc.nodes.values()) else 1
    payload = {"format": FORMAT_NAME, "version": version, "document": doc.to_dict()}
    return json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_document(doc: Document, path: str | os.PathLike[str]) -> None:
    """Write the project file atomically (see :func:`write_atomic`)."""
    write_atomic(Path(path), document_to_json(doc).encode("utf-8"))


def write_atomic(target: Path, data: bytes) -> None:
    """A temp file beside the target, fsync, then rename over it: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def load_document(path: str | os.PathLike[str], catalog: Catalog) -> Document:
    """Read a project file; any defect raises :class:`ProjectError` naming the file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ProjectError(f"cannot read file: {exc.strerror or exc}", path=str(p)) from None
    try:
        return document_from_json(raw, catalog)
    except ProjectError as exc:
        exc.path = str(p)
        raise


def document_from_json(text: str | bytes, catalog: Catalog) -> Document:
    """Parse project text into a document, or raise :class:`ProjectError` with every defect."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise ProjectError("not a text file (invalid UTF-8)") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        msg = "file ends too early (truncated?)" if exc.pos >= len(text.rstrip()) else exc.msg
        raise ProjectError(f"not valid JSON at {where}: {msg}") from None
    except ValueError as exc:
        raise ProjectError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ProjectError("not a project file: JSON nested far too deeply") from None
    return document_from_data(data, catalog)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a project file")


class _Reader:
    """Collects defects with JSON paths while reading untrusted data."""

    def __init__(self) -> None:
        self.defects: list[tuple[str, str]] = []

    def fail(self, where: str, message: str) -> None:
        self.defects.append((where, message))

    def get(self, obj: dict, key: str, where: str, types: Any, required: bool = True) -> Any:
        if key not in obj:
            if required:
                self.fail(f"{where}.{key}", "missing")
            return None
        value = obj[key]
        if not _is_type(value, types):
            self.fail(f"{where}.{key}", f"expected {_type_name(types)}, got {_json_type(value)}")
            return None
        return value


def _is_type(value: Any, types: Any) -> bool:
    if types is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if types is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, types)


def _type_name(types: Any) -> str:
    names = {
        str: "text",
        int: "integer",
        float: "number",
        list: "list",
        dict: "object",
        bool: "true/false",
    }
    if isinstance(types, tuple):
        return " or ".join(names.get(t, t.__name__) for t in types)
    return names.get(types, types.__name__)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return _type_name(type(value))


def document_from_data(data: Any, catalog: Catalog) -> Document:
    """Build a document from parsed JSON, checking every field."""
    if not isinstance(data, dict):
        raise ProjectError(f"expected a JSON object at the top, got {_json_type(data)}")
    fmt = data.get("format")
    if fmt != FORMAT_NAME:
        raise ProjectError(
            f"not a Block Studio project (format is {fmt!r}, expected {FORMAT_NAME!r})",
            [("$.format", "wrong format name")],
        )
    version = data.get("version")
    if not _is_type(version, int):
        raise ProjectError("missing or invalid version", [("$.version", "expected an integer")])
    if version > FORMAT_VERSION:
        raise ProjectError(
            f"made by a newer Block Studio (file version {version}, this version "
            f"reads up to {FORMAT_VERSION}); update Block Studio to open it"
        )
    if version < 1:
        raise ProjectError(f"invalid version {version}", [("$.version", "must be 1 or more")])
    r = _Reader()
    body = r.get(data, "document", "$", dict)
    if body is None:
        raise ProjectError("the file has no valid document", r.defects)
    doc = _read_document(r, body, catalog)
    if r.defects:
        n = len(r.defects)
        raise ProjectError(f"{n} problem{'s' if n > 1 else ''} in the project file", r.defects)
    return doc


def _read_document(r: _Reader, body: dict, catalog: Catalog) -> Document:
    w = "$.document"
    name = r.get(body, "name", w, str) or "Block"
    description = r.get(body, "description", w, str, required=False) or ""
    input_shape: tuple = (None, 64, 64, 32)
    shape = r.get(body, "input_shape", w, list)
    if shape is not None:
        multi = bool(shape) and all(isinstance(s, list) for s in shape)
        if not multi and any(isinstance(s, list) for s in shape):
            r.fail(f"{w}.input_shape", "expected sizes, or one list of sizes per input")
            shape = None
        for j, one in enumerate([] if shape is None else shape if multi else [shape]):
            at = f"{w}.input_shape[{j}]" if multi else f"{w}.input_shape"
            if len(one) < 2:
                r.fail(at, "needs a batch and at least one size")
            for i, d in enumerate(one):
                if not (d is None and i == 0) and not (_is_type(d, int) and d > 0):
                    r.fail(f"{at}[{i}]", f"expected a positive integer, got {d!r}")
        if shape is not None:
            input_shape = as_input_shape(shape)
    params = []
    for i, p in enumerate(r.get(body, "params", w, list) or []):
        param = _read_param(r, p, f"{w}.params[{i}]")
        if param is not None:
            params.append(param)
    nodes: dict[str, Node] = {}
    for i, n in enumerate(r.get(body, "nodes", w, list) or []):
        node = _read_node(r, n, f"{w}.nodes[{i}]", catalog)
        if node is None:
            continue
        if node.id in nodes:
            r.fail(f"{w}.nodes[{i}].id", f"duplicate node id {node.id!r}")
            continue
        nodes[node.id] = node
    edges = []
    for i, e in enumerate(r.get(body, "edges", w, list) or []):
        where = f"{w}.edges[{i}]"
        if not (
            isinstance(e, list)
            and len(e) == 3
            and _is_type(e[0], str)
            and _is_type(e[1], str)
            and _is_type(e[2], int)
            and e[2] >= 0
        ):
            r.fail(where, "expected [source id, target id, port]")
            continue
        for j, nid in enumerate(e[:2]):
            if nid not in nodes:
                r.fail(f"{where}[{j}]", f"no node with id {nid!r}")
        edges.append(Edge(e[0], e[1], e[2]))
    return Document(name, input_shape, params, description, nodes.values(), edges)


def _read_param(r: _Reader, p: Any, where: str) -> BlockParam | None:
    if not isinstance(p, dict):
        r.fail(where, f"expected an object, got {_json_type(p)}")
        return None
    name = r.get(p, "name", where, str)
    ptype = r.get(p, "type", where, str)
    if ptype is not None and ptype not in PARAM_TYPES:
        r.fail(f"{where}.type", f"unknown type {ptype!r}; expected one of {', '.join(PARAM_TYPES)}")
    if "default" not in p:
        r.fail(f"{where}.default", "missing")
    elif not _plain_value(p["default"]) or isinstance(p["default"], dict):
        r.fail(f"{where}.default", "expected a literal (finite numbers, at most 8 levels deep)")
        return None
    optional = r.get(p, "optional", where, bool, required=False) or False
    choices = r.get(p, "choices", where, list, required=False)
    doc = r.get(p, "doc", where, str, required=False) or ""
    when_none = r.get(p, "when_none", where, str, required=False)
    required = r.get(p, "required", where, bool, required=False) or False
    if name is None or ptype is None:
        return None
    return BlockParam(
        name,
        ptype,
        value_from_json(p.get("default")),
        optional,
        tuple(choices) if choices is not None else None,
        doc,
        when_none,
        required,
    )


def _read_node(r: _Reader, n: Any, where: str, catalog: Catalog) -> Node | None:
    if not isinstance(n, dict):
        r.fail(where, f"expected an object, got {_json_type(n)}")
        return None
    nid = r.get(n, "id", where, str)
    kind = r.get(n, "kind", where, str)
    name = r.get(n, "name", where, str)
    # a block kind names another file: it is resolved (and reported) when used, not read here
    if kind is not None and not is_block_kind(kind) and catalog.get(kind) is None:
        r.fail(f"{where}.kind", f"unknown layer kind {kind!r}")
    params = r.get(n, "params", where, dict, required=False) or {}
    for key, value in params.items():
        if not _plain_value(value):
            r.fail(
                f"{where}.params.{key}",
                "expected a literal (finite numbers, at most 8 levels deep), "
                '{"$param": name} or {"$param": name, "$index": entry}',
            )
    lifecycle = r.get(n, "lifecycle", where, str, required=False) or "init"
    if lifecycle not in LIFECYCLES:
        r.fail(f"{where}.lifecycle", f"expected 'init' or 'build', got {lifecycle!r}")
    condition = r.get(n, "condition", where, str, required=False)
    shares = r.get(n, "shares", where, str, required=False)
    repeat = None
    if "repeat" in n:
        repeat, defects = repeat_from_dict(n["repeat"])
        for at, what in defects:
            r.fail(f"{where}.repeat{at}", what)
    pos = r.get(n, "position", where, list, required=False) or [0.0, 0.0]
    if len(pos) != 2 or not all(_is_type(v, float) for v in pos):
        r.fail(f"{where}.position", "expected [x, y] numbers")
        pos = [0.0, 0.0]
    if nid is None or kind is None or name is None:
        return None
    return Node(
        nid,
        kind,
        name,
        {k: value_from_json(v) for k, v in params.items()},
        lifecycle,
        condition,
        shares,
        (float(pos[0]), float(pos[1])),
        repeat,
    )


MAX_VALUE_DEPTH = 8  # a parameter value is a literal or a tuple of them, never deep


def _plain_value(value: Any, depth: int = 0) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return depth < MAX_VALUE_DEPTH and all(_plain_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return isinstance(value_from_json(value), ParamRef | Expr)
    return False
