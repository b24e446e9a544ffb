"""Commands: every document edit as an undoable object with a readable name."""

from __future__ import annotations

import dataclasses
from typing import Any

from blockstudio.core.document import (
    BLOCK_FIELDS,
    INPUT_KIND,
    OUTPUT_KIND,
    BlockParam,
    Document,
    Edge,
    Node,
    ParamRef,
)
from blockstudio.core.params import block_env, resolve
from blockstudio.core.shapes import InputShape, input_shapes


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
        doc.add_node(self.node)

    def undo(self, doc: Document) -> None:
        doc.remove_node(self.node.id)


class RemoveNode(Command):
    """Remove a node and every edge touching it."""

    def __init__(self, doc: Document, node_id: str) -> None:
        self.node_id = node_id
        self.text = f"Delete {doc.nodes[node_id].name}"
        self._saved: tuple[Node, int, list[tuple[int, Edge]]] | None = None

    def redo(self, doc: Document) -> None:
        edges = [(i, e) for i, e in enumerate(doc.edges) if self.node_id in (e.src, e.dst)]
        for _, e in reversed(edges):
            doc.remove_edge(e)
        node, index = doc.remove_node(self.node_id)
        self._saved = (node, index, edges)

    def undo(self, doc: Document) -> None:
        assert self._saved is not None
        node, index, edges = self._saved
        doc.add_node(node, index)
        for i, e in edges:
            doc.add_edge(e, i)


class Connect(Command):
    def __init__(self, doc: Document, edge: Edge) -> None:
        self.edge = edge
        self.text = f"Connect {doc.nodes[edge.src].name} → {doc.nodes[edge.dst].name}"

    def redo(self, doc: Document) -> None:
        doc.add_edge(self.edge)

    def undo(self, doc: Document) -> None:
        doc.remove_edge(self.edge)


class Disconnect(Command):
    def __init__(self, doc: Document, edge: Edge) -> None:
        self.edge = edge
        self.index = doc.edges.index(edge)
        self.text = f"Disconnect {doc.nodes[edge.src].name} → {doc.nodes[edge.dst].name}"

    def redo(self, doc: Document) -> None:
        self.index = doc.remove_edge(self.edge)

    def undo(self, doc: Document) -> None:
        doc.add_edge(self.edge, self.index)


class SetParam(Command):
    """Set (or, with ``remove=True``, reset to default) one node param."""

    def __init__(
        self, doc: Document, node_id: str, name: str, value: Any, remove: bool = False
    ) -> None:
        self.node_id, self.name, self.value, self.remove = node_id, name, value, remove
        self.old: tuple[Any, int] | None = None
        node = doc.nodes[node_id]
        shown = "default" if remove else _show(value)
        self.text = f"Set {node.name}.{name} = {shown}"

    def redo(self, doc: Document) -> None:
        params = doc.nodes[self.node_id].params
        if self.name in params:
            self.old = (params[self.name], list(params).index(self.name))
        else:
            self.old = None
        if self.remove:
            doc.remove_param(self.node_id, self.name)
        else:
            doc.set_param(self.node_id, self.name, self.value)

    def undo(self, doc: Document) -> None:
        if self.old is None:
            doc.remove_param(self.node_id, self.name)
            return
        value, index = self.old
        if self.remove:
            doc.set_param(self.node_id, self.name, value, index)
        else:
            doc.set_param(self.node_id, self.name, value)


class SetNodeField(Command):
    """Change the name, kind (a block node to a copy of its block), lifecycle, condition or
    shares of a node."""

    FIELDS = ("name", "kind", "lifecycle", "condition", "shares")

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
        doc.set_node_field(self.node_id, self.field, self.value)

    def undo(self, doc: Document) -> None:
        doc.set_node_field(self.node_id, self.field, self.old)


class MoveNodes(Command):
    """Move several nodes at once (one undo step for one drag)."""

    def __init__(self, doc: Document, positions: dict[str, tuple[float, float]]) -> None:
        self.new = {nid: (float(x), float(y)) for nid, (x, y) in positions.items()}
        self.old = {nid: doc.nodes[nid].position for nid in positions}
        if len(positions) == 1:
            self.text = f"Move {doc.nodes[next(iter(positions))].name}"
        else:
            self.text = f"Move {len(positions)} nodes"

    def redo(self, doc: Document) -> None:
        for nid, pos in self.new.items():
            doc.set_node_field(nid, "position", pos)

    def undo(self, doc: Document) -> None:
        for nid, pos in self.old.items():
            doc.set_node_field(nid, "position", pos)


class SetBlockField(Command):
    """Set the input shape, class name or description of the block."""

    def __init__(self, doc: Document, field_name: str, value: Any) -> None:
        if field_name not in BLOCK_FIELDS:
            raise ValueError(f"unknown block field {field_name}")
        self.field, self.value = field_name, value
        self.old = getattr(doc, field_name)
        label = {"input_shape": "input shape", "name": "block name"}.get(field_name, field_name)
        self.text = f"Set {label} to {_show(value)}"

    def redo(self, doc: Document) -> None:
        doc.set_block_field(self.field, self.value)

    def undo(self, doc: Document) -> None:
        doc.set_block_field(self.field, self.old)


def set_input_shape(doc: Document, shape: InputShape) -> SetBlockField:
    return SetBlockField(doc, "input_shape", shape)


class AddBlockParam(Command):
    def __init__(self, param: BlockParam, index: int | None = None) -> None:
        self.param, self.index = param, index
        self.text = f"Add block parameter {param.name}"

    def redo(self, doc: Document) -> None:
        doc.add_block_param(self.param, self.index)

    def undo(self, doc: Document) -> None:
        doc.remove_block_param(self.param.name)


def _ref_sites(doc: Document, name: str) -> list[tuple[str, str, int | None]]:
    """Every (node id, param, index) that follows block parameter ``name`` (or an entry)."""
    return [
        (n.id, k, v.index)
        for n in doc.nodes.values()
        for k, v in n.params.items()
        if isinstance(v, ParamRef) and v.param == name
    ]


class EditBlockParam(Command):
    """Replace a block parameter; a rename also repoints every node param that refers to it."""

    def __init__(self, doc: Document, name: str, new: BlockParam) -> None:
        self.new = new
        self.old = doc.param(name)
        if self.old is None:
            raise KeyError(f"no block parameter {name}")
        self.sites = _ref_sites(doc, name)
        self.text = (
            f"Rename block parameter {name} to {new.name}"
            if new.name != name
            else f"Edit block parameter {name}"
        )

    def _apply(self, doc: Document, current: str, param: BlockParam) -> None:
        doc.replace_block_param(current, param)
        for node_id, key, index in self.sites:
            doc.set_param(node_id, key, ParamRef(param.name, index))

    def redo(self, doc: Document) -> None:
        self._apply(doc, self.old.name, self.new)

    def undo(self, doc: Document) -> None:
        self._apply(doc, self.new.name, self.old)


class RemoveBlockParam(Command):
    """Remove a block parameter; node params that referred to it keep its default as a literal."""

    def __init__(self, doc: Document, name: str) -> None:
        self.name = name
        self.index = -1
        self.param = doc.param(name)
        if self.param is None:
            raise KeyError(f"no block parameter {name}")
        self.sites = _ref_sites(doc, name)
        self._defaults = {name: block_env(doc)[name]}  # a computed None too
        self.text = f"Remove block parameter {name}"

    def redo(self, doc: Document) -> None:
        _, self.index = doc.remove_block_param(self.name)
        for node_id, key, index in self.sites:
            doc.set_param(node_id, key, resolve(ParamRef(self.name, index), self._defaults))

    def undo(self, doc: Document) -> None:
        doc.add_block_param(self.param, self.index)
        for node_id, key, index in self.sites:
            doc.set_param(node_id, key, ParamRef(self.name, index))


def _show(value: Any) -> str:
    if isinstance(value, ParamRef):
        return str(value)
    if isinstance(value, tuple) and len(value) > 1 and value[0] is None:
        return "(" + ", ".join("None" if v is None else str(v) for v in value) + ")"
    return repr(value)


def add_node_commands(doc: Document, node: Node) -> list[Command]:
    """The commands that add ``node``. Another Input is the block's next input: the next free
    index, named ``skip`` (the usual second input of a U-Net block) while that name is free,
    a shape for it (the first input's, to edit), and the first input, if it is still called
    ``input`` (a Python built-in, and with several inputs each name is a variable), ``x_in``."""
    ends = {INPUT_KIND: doc.input_nodes, OUTPUT_KIND: doc.output_nodes}.get(node.kind)
    if not ends:
        return [AddNode(node)]
    index = max(n.params.get("index", 0) for n in ends) + 1
    node = dataclasses.replace(node, params={**node.params, "index": index})
    if node.kind == OUTPUT_KIND:  # the block's next output
        return [AddNode(node)]
    out: list[Command] = [AddNode(dataclasses.replace(node, name=doc.unique_name("skip")))]
    shapes = input_shapes(doc.input_shape)
    if len(shapes) == len(doc.input_nodes):
        out.append(set_input_shape(doc, (*shapes, shapes[0])))
    first = doc.input_nodes[0]
    if first.name == "input" and doc.node_by_name("x_in") is None:
        out.append(SetNodeField(doc, first.id, "name", "x_in"))
    return out
