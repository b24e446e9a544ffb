"""The block document: nodes (layers), edges (tensors), input shape and block parameters.

The document is plain data with a tiny observer hook; it never talks to Qt or Keras. Its state is
private and its nodes immutable: the mutators here are the only way to change it, and each one
announces one typed event (``NodeChanged(node_id, field, key)``...). Every change a user makes goes
through a command (``core.commands``), which calls the mutators; views listen to the events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from blockstudio.core.doc_events import (
    BlockChanged,
    BlockParamChanged,
    DocEvent,
    EdgeAdded,
    EdgeRemoved,
    NodeAdded,
    NodeChanged,
    NodeRemoved,
)
from blockstudio.core.observable import Observable
from blockstudio.core.refs import Expr, ParamRef, Repeat, SkipSource
from blockstudio.core.shapes import InputShape, as_input_shape

INPUT_KIND = "Input"
OUTPUT_KIND = "Output"
LIFECYCLES = ("init", "build")
PARAM_TYPES = ("int", "float", "str", "bool", "ints")

# the values a node holds besides literals, defined in ``core.refs`` and named here too
__all__ = [
    "BLOCK_FIELDS",
    "INPUT_KIND",
    "LIFECYCLES",
    "NODE_FIELDS",
    "OUTPUT_KIND",
    "PARAM_TYPES",
    "BlockParam",
    "Document",
    "Edge",
    "Expr",
    "Node",
    "ParamRef",
    "Repeat",
    "SkipSource",
    "port_order",
]


@dataclass(frozen=True)
class BlockParam:
    """A constructor argument of the exported block class (immutable: edits replace it)."""

    name: str
    type: str = "int"
    default: Any = 0
    optional: bool = False
    choices: tuple[Any, ...] | None = None
    doc: str = ""
    # computes the value from the other parameters when it is None (MONAI's filters=None)
    when_none: str | None = None
    # no default in the exported class (a required constructor argument): ``default`` is then
    # only the example's value, the one the studio runs the block with
    required: bool = False


@dataclass(frozen=True, eq=True)
class Node:
    """One layer of the block; ``name`` is its attribute name in generated code.

    Immutable: the document replaces a node to change it, so nothing can edit a node behind the
    document's back (``params`` is a read-only mapping).
    """

    id: str
    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    lifecycle: str = "init"
    condition: str | None = None
    shares: str | None = None  # id of a node whose layer object this node calls again
    position: tuple[float, float] = (0.0, 0.0)
    repeat: Repeat | None = None  # made once per repeat index (core.repeat expands it)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "position", (float(self.position[0]), float(self.position[1])))

    __hash__ = None  # type: ignore[assignment]  # params are a mapping

    def __deepcopy__(self, memo: dict) -> Node:
        return self  # immutable

    def __reduce__(self) -> tuple:
        fields = (self.id, self.kind, self.name, dict(self.params), self.lifecycle)
        return (_make_node, (*fields, self.condition, self.shares, self.position, self.repeat))

    def with_changes(self, **changes: Any) -> Node:
        return dataclasses.replace(self, **changes)


def _make_node(*args: Any) -> Node:
    return Node(*args)


NODE_FIELDS = ("name", "kind", "lifecycle", "condition", "shares", "position", "repeat")
BLOCK_FIELDS = ("name", "description", "input_shape")


@dataclass(frozen=True)
class Edge:
    """A tensor from ``src``'s output into input ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0


Listener = Callable[[DocEvent], None]


class Document(Observable[DocEvent]):
    """A graph of layers with one Input and one Output node.

    The state is private: read it through the properties (read-only views), change it only
    through the mutators, each of which announces one typed event.
    """

    def __init__(
        self,
        name: str = "Block",
        input_shape: InputShape = (None, 64, 64, 32),
        params: Iterable[BlockParam] = (),
        description: str = "",
        nodes: Iterable[Node] = (),
        edges: Iterable[Edge] = (),
    ) -> None:
        super().__init__()
        self._name = name
        self._description = description
        self._input_shape: InputShape = as_input_shape(input_shape)
        self._params: list[BlockParam] = list(params)
        self._nodes: dict[str, Node] = {}
        for node in nodes:
            if node.id in self._nodes:
                raise KeyError(f"node id {node.id} already exists")
            self._nodes[node.id] = node
        self._edges: list[Edge] = list(edges)
        # read-only views, made once: readers ask for them in inner loops
        self._nodes_view = MappingProxyType(self._nodes)
        self._edges_view: tuple[Edge, ...] | None = None

    # -- state (read-only views) -----------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def description(self) -> str:
        return self._description

    @property
    def input_shape(self) -> InputShape:
        """One shape, or one per Input node (in :attr:`input_nodes` order)."""
        return self._input_shape

    @property
    def params(self) -> tuple[BlockParam, ...]:
        return tuple(self._params)

    @property
    def nodes(self) -> Mapping[str, Node]:
        return self._nodes_view

    @property
    def edges(self) -> tuple[Edge, ...]:
        if self._edges_view is None:
            self._edges_view = tuple(self._edges)
        return self._edges_view

    # -- queries ---------------------------------------------------------------------------
    def param(self, name: str) -> BlockParam | None:
        return next((p for p in self._params if p.name == name), None)

    def param_defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self._params}

    def node_by_name(self, name: str) -> Node | None:
        return next((n for n in self._nodes.values() if n.name == name), None)

    def nodes_of_kind(self, kind: str) -> list[Node]:
        return [n for n in self._nodes.values() if n.kind == kind]

    def layer_nodes(self) -> list[Node]:
        """The nodes that are layer calls: all but the Inputs and Outputs."""
        return [n for n in self._nodes.values() if n.kind not in (INPUT_KIND, OUTPUT_KIND)]

    @property
    def input_nodes(self) -> list[Node]:
        """The Input nodes in the order the block takes them (their ``index``, then id)."""
        return sorted(self.nodes_of_kind(INPUT_KIND), key=port_order)

    @property
    def input_node(self) -> Node | None:
        found = self.input_nodes
        return found[0] if found else None

    @property
    def output_nodes(self) -> list[Node]:
        """The Output nodes in the order the block returns them (their ``index``, then id)."""
        return sorted(self.nodes_of_kind(OUTPUT_KIND), key=port_order)

    @property
    def output_node(self) -> Node | None:
        found = self.output_nodes
        return found[0] if found else None

    def inputs_of(self, node_id: str) -> list[Edge]:
        """Edges into ``node_id``, ordered by port."""
        return sorted((e for e in self._edges if e.dst == node_id), key=lambda e: e.port)

    def outputs_of(self, node_id: str) -> list[Edge]:
        return [e for e in self._edges if e.src == node_id]

    def new_id(self) -> str:
        n = len(self._nodes) + 1
        while f"n{n}" in self._nodes:
            n += 1
        return f"n{n}"

    def unique_name(self, base: str) -> str:
        """``base`` if no node has it, else ``base_2``, ``base_3`` ..."""
        taken = {n.name for n in self._nodes.values()}
        if base not in taken:
            return base
        i = 2
        while f"{base}_{i}" in taken:
            i += 1
        return f"{base}_{i}"

    def copy(self) -> Document:
        """A copy without listeners (nodes and params are immutable, so they are shared)."""
        return Document(
            self._name,
            self._input_shape,
            self._params,
            self._description,
            self._nodes.values(),
            self._edges,
        )

    # -- mutators: the only way a document changes ------------------------------------------
    def add_node(self, node: Node, index: int | None = None) -> None:
        if node.id in self._nodes:
            raise KeyError(f"node id {node.id} already exists")
        if index is None or index >= len(self._nodes):
            self._nodes[node.id] = node
        else:
            items = list(self._nodes.items())
            items.insert(index, (node.id, node))
            self._nodes = dict(items)
            self._nodes_view = MappingProxyType(self._nodes)
        self._emit(NodeAdded(node.id))

    def remove_node(self, node_id: str) -> tuple[Node, int]:
        """Remove a node (its edges stay: remove them first); returns it and its index."""
        index = list(self._nodes).index(node_id)
        node = self._nodes.pop(node_id)
        self._emit(NodeRemoved(node_id))
        return node, index

    def set_node_field(self, node_id: str, field_name: str, value: Any) -> Any:
        """Set one of NODE_FIELDS; returns the old value."""
        if field_name not in NODE_FIELDS:
            raise ValueError(f"unknown node field {field_name!r}")
        node = self._nodes[node_id]
        old = getattr(node, field_name)
        self._nodes[node_id] = node.with_changes(**{field_name: value})
        self._emit(NodeChanged(node_id, field_name))
        return old

    def set_param(self, node_id: str, key: str, value: Any, index: int | None = None) -> None:
        """Set one node parameter (at ``index`` in the order, if it is new and one is given)."""
        node = self._nodes[node_id]
        items = list(node.params.items())
        keys = [k for k, _ in items]
        if key in keys:
            items[keys.index(key)] = (key, value)
        else:
            items.insert(len(items) if index is None else index, (key, value))
        self._nodes[node_id] = node.with_changes(params=dict(items))
        self._emit(NodeChanged(node_id, "params", key))

    def remove_param(self, node_id: str, key: str) -> tuple[Any, int] | None:
        """Reset a node parameter to its default; returns (old value, index) if it was set."""
        node = self._nodes[node_id]
        keys = list(node.params)
        if key not in keys:
            return None
        old = node.params[key]
        self._nodes[node_id] = node.with_changes(
            params={k: v for k, v in node.params.items() if k != key}
        )
        self._emit(NodeChanged(node_id, "params", key))
        return old, keys.index(key)

    def add_edge(self, edge: Edge, index: int | None = None) -> None:
        self._edges.insert(len(self._edges) if index is None else index, edge)
        self._edges_view = None
        self._emit(EdgeAdded(edge))

    def remove_edge(self, edge: Edge) -> int:
        """Remove ``edge``; returns where it was (for an undo that puts it back)."""
        index = self._edges.index(edge)
        del self._edges[index]
        self._edges_view = None
        self._emit(EdgeRemoved(edge))
        return index

    def set_block_field(self, field_name: str, value: Any) -> Any:
        """Set the name, description or input shape; returns the old value."""
        if field_name not in BLOCK_FIELDS:
            raise ValueError(f"unknown block field {field_name!r}")
        attr = f"_{field_name}"
        old = getattr(self, attr)
        setattr(self, attr, as_input_shape(value) if field_name == "input_shape" else value)
        self._emit(BlockChanged(field_name))
        return old

    def add_block_param(self, param: BlockParam, index: int | None = None) -> None:
        if self.param(param.name) is not None:
            raise KeyError(f"block parameter {param.name} already exists")
        self._params.insert(len(self._params) if index is None else index, param)
        self._emit(BlockParamChanged(param.name))

    def replace_block_param(self, name: str, param: BlockParam) -> BlockParam:
        """Replace block parameter ``name`` in place; returns the old one."""
        index = self._param_index(name)
        old, self._params[index] = self._params[index], param
        self._emit(BlockParamChanged(name))
        return old

    def remove_block_param(self, name: str) -> tuple[BlockParam, int]:
        index = self._param_index(name)
        param = self._params.pop(index)
        self._emit(BlockParamChanged(name))
        return param, index

    def _param_index(self, name: str) -> int:
        for i, p in enumerate(self._params):
            if p.name == name:
                return i
        raise KeyError(f"no block parameter {name}")

    # -- plain data ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form used by project files (tuples become lists)."""
        from blockstudio.core.doc_json import node_to_dict, param_to_dict, value_to_json

        return {
            "name": self._name,
            "description": self._description,
            "input_shape": value_to_json(self._input_shape),
            "params": [param_to_dict(p) for p in self._params],
            "nodes": [node_to_dict(n) for n in self._nodes.values()],
            "edges": [[e.src, e.dst, e.port] for e in self._edges],
        }


def port_order(node: Node) -> tuple[int, str]:
    """Sort key of Input and Output nodes: the position the user gave (``index``), then the
    id."""
    index = node.params.get("index", 0)
    return (index if isinstance(index, int) else 0, node.id)
