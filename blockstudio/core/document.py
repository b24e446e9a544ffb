"""The block document: nodes (layers), edges (tensors), input shape and block parameters.

The document is plain data with a tiny observer hook; it never talks to Qt or Keras. Every change a
user makes goes through a command (``core.commands``), which calls the mutators here; views listen
to the events these mutators emit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from blockstudio.core.shapes import Shape

INPUT_KIND = "Input"
OUTPUT_KIND = "Output"
LIFECYCLES = ("init", "build")
PARAM_TYPES = ("int", "float", "str", "bool")


@dataclass(frozen=True)
class ParamRef:
    """A node parameter that takes the value of a block parameter."""

    param: str


@dataclass
class BlockParam:
    """A constructor argument of the exported block class."""

    name: str
    type: str = "int"
    default: Any = 0
    optional: bool = False
    choices: tuple[Any, ...] | None = None
    doc: str = ""


@dataclass
class Node:
    """One layer of the block; ``name`` is its attribute name in generated code."""

    id: str
    kind: str
    name: str
    params: dict[str, Any] = field(default_factory=dict)
    lifecycle: str = "init"
    condition: str | None = None
    shares: str | None = None  # id of a node whose layer object this node calls again
    position: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Edge:
    """A tensor from ``src``'s output into input ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0


@dataclass(frozen=True)
class DocEvent:
    """What changed: ``kind`` is one of node_added/removed/changed, edge_added/removed, block."""

    kind: str
    node_id: str | None = None
    edge: Edge | None = None


Listener = Callable[[DocEvent], None]


class Document:
    """A graph of layers with one Input and one Output node."""

    def __init__(
        self,
        name: str = "Block",
        input_shape: Shape = (None, 64, 64, 32),
        params: Iterable[BlockParam] = (),
        description: str = "",
    ) -> None:
        self.name = name
        self.description = description
        self.input_shape: Shape = tuple(input_shape)
        self.params: list[BlockParam] = list(params)
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self._listeners: list[Listener] = []

    # -- observation -----------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every change; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: DocEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- queries ---------------------------------------------------------------------------
    def param(self, name: str) -> BlockParam | None:
        return next((p for p in self.params if p.name == name), None)

    def param_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def node_by_name(self, name: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.name == name), None)

    def nodes_of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == kind]

    @property
    def input_node(self) -> Node | None:
        found = self.nodes_of_kind(INPUT_KIND)
        return found[0] if found else None

    @property
    def output_node(self) -> Node | None:
        found = self.nodes_of_kind(OUTPUT_KIND)
        return found[0] if found else None

    def inputs_of(self, node_id: str) -> list[Edge]:
        """Edges into ``node_id``, ordered by port."""
        return sorted((e for e in self.edges if e.dst == node_id), key=lambda e: e.port)

    def outputs_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id]

    def new_id(self) -> str:
        n = len(self.nodes) + 1
        while f"n{n}" in self.nodes:
            n += 1
        return f"n{n}"

    def unique_name(self, base: str) -> str:
        """``base`` if no node has it, else ``base_2``, ``base_3`` ..."""
        taken = {n.name for n in self.nodes.values()}
        if base not in taken:
            return base
        i = 2
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def copy(self) -> Document:
        """A deep copy without listeners."""
        other = Document(self.name, self.input_shape, copy.deepcopy(self.params), self.description)
        other.nodes = copy.deepcopy(self.nodes)
        other.edges = list(self.edges)
        return other

    # -- mutators (called by commands) ------------------------------------------------------
    def insert_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self.nodes:
            raise KeyError(f"node id {node.id} already exists")
        items = list(self.nodes.items())
        items.insert(len(items) if index is None else index, (node.id, node))
        self.nodes = dict(items)
        self._emit(DocEvent("node_added", node_id=node.id))

    def pop_node(self, node_id: str) -> tuple[Node, int]:
        index = list(self.nodes).index(node_id)
        node = self.nodes.pop(node_id)
        self._emit(DocEvent("node_removed", node_id=node_id))
        return node, index

    def touch_node(self, node_id: str) -> None:
        self._emit(DocEvent("node_changed", node_id=node_id))

    def insert_edge(self, edge: Edge, index: int | None = None) -> None:
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self._emit(DocEvent("edge_added", edge=edge))

    def pop_edge(self, edge: Edge) -> int:
        index = self.edges.index(edge)
        del self.edges[index]
        self._emit(DocEvent("edge_removed", edge=edge))
        return index

    def touch_block(self) -> None:
        self._emit(DocEvent("block"))

    # -- plain data ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used by project files (tuples become lists)."""
        return {
            "name": self.name,
            "description": self.description,
            "input_shape": list(self.input_shape),
            "params": [_param_to_dict(p) for p in self.params],
            "nodes": [_node_to_dict(n) for n in self.nodes.values()],
            "edges": [[e.src, e.dst, e.port] for e in self.edges],
        }


def value_to_json(value: Any) -> Any:
    if isinstance(value, ParamRef):
        return {"$param": value.param}
    if isinstance(value, tuple | list):
        return [value_to_json(v) for v in value]
    return value


def value_from_json(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$param"} and isinstance(value["$param"], str):
        return ParamRef(value["$param"])
    if isinstance(value, list):
        return tuple(value_from_json(v) for v in value)
    return value


def _param_to_dict(p: BlockParam) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "type": p.type, "default": p.default}
    if p.optional:
        out["optional"] = True
    if p.choices is not None:
        out["choices"] = list(p.choices)
    if p.doc:
        out["doc"] = p.doc
    return out


def _node_to_dict(n: Node) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": n.id,
        "kind": n.kind,
        "name": n.name,
        "params": {k: value_to_json(v) for k, v in n.params.items()},
        "lifecycle": n.lifecycle,
        "position": [n.position[0], n.position[1]],
    }
    if n.condition is not None:
        out["condition"] = n.condition
    if n.shares is not None:
        out["shares"] = n.shares
    return out
