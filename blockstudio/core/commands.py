"""Commands: every document edit as an undoable object with a readable name."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from blockstudio.core.document import BlockParam, Document, Edge, Node, ParamRef
from blockstudio.core.shapes import Shape

_ABSENT = object()


class Command:
    """An edit that can be applied and reverted; ``text`` names it for the Edit menu."""

    text = "Edit"

    def redo(self, doc: Document) -> None:
        raise NotImplementedError

    def undo(self, doc: Document) -> None:
        raise NotImplementedError


class AddNode(Command):
    def __init__(self, node: Node) -> None:
        self.node = node
        self.text = f"Add {node.name}"

    def redo(self, doc: Document) -> None:
        doc.insert_node(copy.deepcopy(self.node))

    def undo(self, doc: Document) -> None:
        doc.pop_node(self.node.id)


class RemoveNode(Command):
    """Remove a node and every edge touching it."""

    def __init__(self, doc: Document, node_id: str) -> None:
        self.node_id = node_id
        self.text = f"Delete {doc.nodes[node_id].name}"
        self._saved: tuple[Node, int, list[tuple[int, Edge]]] | None = None

    def redo(self, doc: Document) -> None:
        edges = [(i, e) for i, e in enumerate(doc.edges) if self.node_id in (e.src, e.dst)]
        for _, e in reversed(edges):
            doc.pop_edge(e)
        node, index = doc.pop_node(self.node_id)
        self._saved = (node, index, edges)

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        node, index, edges = self._saved
        doc.insert_node(node, index)
        for i, e in edges:
            doc.insert_edge(e, i)


class Connect(Command):
    def __init__(self, doc: Document, edge: Edge) -> None:
        self.edge = edge
        self.text = f"Connect {doc.nodes[edge.src].name} → {doc.nodes[edge.dst].name}"

    def redo(self, doc: Document) -> None:
        doc.insert_edge(self.edge)

    def undo(self, doc: Document) -> None:
        doc.pop_edge(self.edge)


class Disconnect(Command):
    def __init__(self, doc: Document, edge: Edge) -> None:
        self.edge = edge
        self.index = doc.edges.index(edge)
        self.text = f"Disconnect {doc.nodes[edge.src].name} → {doc.nodes[edge.dst].name}"

    def redo(self, doc: Document) -> None:
        self.index = doc.pop_edge(self.edge)

    def undo(self, doc: Document) -> None:
        doc.insert_edge(self.edge, self.index)


class SetParam(Command):
    """Set (or, with ``value=None`` and ``remove=True``, reset to default) one node param."""

    def __init__(
        self, doc: Document, node_id: str, name: str, value: Any, remove: bool = False
    ) -> None:
        self.node_id, self.name, self.value, self.remove = node_id, name, value, remove
        self.old: Any = _ABSENT
        self.old_index = -1
        node = doc.nodes[node_id]
        shown = "default" if remove else _show(value)
        self.text = f"Set {node.name}.{name} = {shown}"

    def redo(self, doc: Document) -> None:
        node = doc.nodes[self.node_id]
        keys = list(node.params)
        self.old_index = keys.index(self.name) if self.name in node.params else -1
        self.old = node.params.get(self.name, _ABSENT)
        if self.remove:
            node.params.pop(self.name, None)
        else:
            node.params[self.name] = self.value
        doc.touch_node(self.node_id)

    def undo(self, doc: Document) -> None:
        node = doc.nodes[self.node_id]
        items = [(k, v) for k, v in node.params.items() if k != self.name]
        if self.old is not _ABSENT:
            items.insert(self.old_index, (self.name, self.old))
        node.params = dict(items)
        doc.touch_node(self.node_id)


class SetNodeField(Command):
    """Change name, lifecycle, condition, shares or kind-independent fields of a node."""

    FIELDS = ("name", "lifecycle", "condition", "shares")

    def __init__(self, doc: Document, node_id: str, field_name: str, value: Any) -> None:
        if field_name not in self.FIELDS:
            raise ValueError(f"unknown node field {field_name}")
        self.node_id, self.field, self.value = node_id, field_name, value
        self.old = getattr(doc.nodes[node_id], field_name)
        name = doc.nodes[node_id].name
        if field_name == "name":
            self.text = f"Rename {name} to {value}"
        else:
            self.text = f"Set {name} {field_name} to {_show(value)}"

    def redo(self, doc: Document) -> None:
        setattr(doc.nodes[self.node_id], self.field, self.value)
        doc.touch_node(self.node_id)

    def undo(self, doc: Document) -> None:
        setattr(doc.nodes[self.node_id], self.field, self.old)
        doc.touch_node(self.node_id)


class MoveNodes(Command):
    """Move several nodes at once (one undo step for one drag)."""

    def __init__(self, doc: Document, positions: dict[str, tuple[float, float]]) -> None:
        self.new = dict(positions)
        self.old = {nid: doc.nodes[nid].position for nid in positions}
        if len(positions) == 1:
            self.text = f"Move {doc.nodes[next(iter(positions))].name}"
        else:
            self.text = f"Move {len(positions)} nodes"

    def _apply(self, doc: Document, where: dict[str, tuple[float, float]]) -> None:
        for nid, pos in where.items():
            doc.nodes[nid].position = (float(pos[0]), float(pos[1]))
            doc.touch_node(nid)

    def redo(self, doc: Document) -> None:
        self._apply(doc, self.new)

    def undo(self, doc: Document) -> None:
        self._apply(doc, self.old)


class SetBlockField(Command):
    """Set the input shape, class name or description of the block."""

    FIELDS = ("input_shape", "name", "description")

    def __init__(self, doc: Document, field_name: str, value: Any) -> None:
        if field_name not in self.FIELDS:
            raise ValueError(f"unknown block field {field_name}")
        self.field, self.value = field_name, value
        self.old = getattr(doc, field_name)
        label = {"input_shape": "input shape", "name": "block name"}.get(field_name, field_name)
        self.text = f"Set {label} to {_show(value)}"

    def redo(self, doc: Document) -> None:
        setattr(doc, self.field, self.value)
        doc.touch_block()

    def undo(self, doc: Document) -> None:
        setattr(doc, self.field, self.old)
        doc.touch_block()


def set_input_shape(doc: Document, shape: Shape) -> SetBlockField:
    return SetBlockField(doc, "input_shape", tuple(shape))


class AddBlockParam(Command):
    def __init__(self, param: BlockParam, index: int | None = None) -> None:
        self.param, self.index = param, index
        self.text = f"Add block parameter {param.name}"

    def redo(self, doc: Document) -> None:
        index = len(doc.params) if self.index is None else self.index
        doc.params.insert(index, copy.deepcopy(self.param))
        doc.touch_block()

    def undo(self, doc: Document) -> None:
        doc.params = [p for p in doc.params if p.name != self.param.name]
        doc.touch_block()


@dataclass
class _RefSite:
    node_id: str
    key: str


def _ref_sites(doc: Document, name: str) -> list[_RefSite]:
    """Every node param that follows block parameter ``name``."""
    return [
        _RefSite(n.id, k)
        for n in doc.nodes.values()
        for k, v in n.params.items()
        if isinstance(v, ParamRef) and v.param == name
    ]


class EditBlockParam(Command):
    """Replace a block parameter; a rename also repoints every node param that refers to it."""

    def __init__(self, doc: Document, name: str, new: BlockParam) -> None:
        self.name, self.new = name, new
        self.index = next(i for i, p in enumerate(doc.params) if p.name == name)
        self.old = copy.deepcopy(doc.params[self.index])
        self.sites = _ref_sites(doc, name)
        self.text = (
            f"Rename block parameter {name} to {new.name}"
            if new.name != name
            else f"Edit block parameter {name}"
        )

    def _apply(self, doc: Document, param: BlockParam, ref_to: str) -> None:
        doc.params[self.index] = copy.deepcopy(param)
        for site in self.sites:
            doc.nodes[site.node_id].params[site.key] = ParamRef(ref_to)
            doc.touch_node(site.node_id)
        doc.touch_block()

    def redo(self, doc: Document) -> None:
        self._apply(doc, self.new, self.new.name)

    def undo(self, doc: Document) -> None:
        self._apply(doc, self.old, self.old.name)


class RemoveBlockParam(Command):
    """Remove a block parameter; node params that referred to it keep its default as a literal."""

    def __init__(self, doc: Document, name: str) -> None:
        self.name = name
        self.index = next(i for i, p in enumerate(doc.params) if p.name == name)
        self.param = copy.deepcopy(doc.params[self.index])
        self.sites = _ref_sites(doc, name)
        self.text = f"Remove block parameter {name}"

    def redo(self, doc: Document) -> None:
        del doc.params[self.index]
        for site in self.sites:
            doc.nodes[site.node_id].params[site.key] = self.param.default
            doc.touch_node(site.node_id)
        doc.touch_block()

    def undo(self, doc: Document) -> None:
        doc.params.insert(self.index, copy.deepcopy(self.param))
        for site in self.sites:
            doc.nodes[site.node_id].params[site.key] = ParamRef(self.name)
            doc.touch_node(site.node_id)
        doc.touch_block()


@dataclass
class Macro(Command):
    """Several commands as one undo step."""

    text: str = "Edit"
    children: list[Command] = field(default_factory=list)

    def redo(self, doc: Document) -> None:
        for c in self.children:
            c.redo(doc)

    def undo(self, doc: Document) -> None:
        for c in reversed(self.children):
            c.undo(doc)


def _show(value: Any) -> str:
    if isinstance(value, ParamRef):
        return value.param
    if isinstance(value, tuple) and len(value) > 1 and value[0] is None:
        return "(" + ", ".join("None" if v is None else str(v) for v in value) + ")"
    return repr(value)
