"""Commands: every document edit as an undoable object with a readable name."""

from __future__ import annotations

import dataclasses
import re
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
from blockstudio.core.expressions import bound_names, rename_name
from blockstudio.core.params import block_env, resolve
from blockstudio.core.refs import Expr
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
    """Change the name, kind (a block node to a copy of its block), lifecycle, condition,
    shares or repeat of a node."""

    FIELDS = ("name", "kind", "lifecycle", "condition", "shares", "repeat")

    def __init__(self, doc: Document, node_id: str, field_name: str, value: Any) -> None:
        if field_name not in self.FIELDS:
            raise ValueError(f"unknown node field {field_name}")
        self.node_id, self.field, self.value = node_id, field_name, value
        self.old = getattr(doc.nodes[node_id], field_name)
        name = doc.nodes[node_id].name
        if field_name == "name":
            self.text = f"Rename {name} to {value}"
        elif field_name == "repeat":
            self.text = f"Set {name} repeat count to {value.count}"
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
    """Replace a block parameter. A rename also repoints every node param that refers to it
    and rewrites every expression that reads it: computed node params, indices, conditions,
    repeat counts and the other parameters' "When None"."""

    def __init__(self, doc: Document, name: str, new: BlockParam) -> None:
        self.new = new
        self.old = doc.param(name)
        if self.old is None:
            raise KeyError(f"no block parameter {name}")
        renamed = new.name != name
        self.nodes = _renamed_in_nodes(doc, name, new.name) if renamed else []
        self.others = (
            [
                (p, dataclasses.replace(p, when_none=rename_name(p.when_none, name, new.name)))
                for p in doc.params
                if p.name != name and p.when_none and name in _names(p.when_none)
            ]
            if renamed
            else []
        )
        self.text = (
            f"Rename block parameter {name} to {new.name}"
            if renamed
            else f"Edit block parameter {name}"
        )

    def redo(self, doc: Document) -> None:
        doc.replace_block_param(self.old.name, self.new)
        for old, new in self.others:
            doc.replace_block_param(old.name, new)
        for node_id, field, _old, new in self.nodes:
            _set_node_value(doc, node_id, field, new)

    def undo(self, doc: Document) -> None:
        for node_id, field, old, _new in reversed(self.nodes):
            _set_node_value(doc, node_id, field, old)
        for old, _new in self.others:
            doc.replace_block_param(old.name, old)
        doc.replace_block_param(self.new.name, self.old)


def _names(text: str) -> set[str]:
    """Every word of an expression or a condition (more than the names it reads: a cheap test
    before :func:`rename_name` rewrites just those)."""
    return set(_NAME.findall(text))


_NAME = re.compile(r"[A-Za-z_]\w*")


def _renamed_in_nodes(doc: Document, old: str, new: str) -> list[tuple[str, str, Any, Any]]:
    """Each (node id, "params:<key>" or a field, old value, new value) that reads block
    parameter ``old`` and reads ``new`` once renamed."""
    changes: list[tuple[str, str, Any, Any]] = []

    def text(value: str) -> str:
        return rename_name(value, old, new) if old in _names(value) else value

    for node in doc.nodes.values():
        for key, value in node.params.items():
            if isinstance(value, ParamRef):
                index = text(value.index) if isinstance(value.index, str) else value.index
                renamed = ParamRef(new if value.param == old else value.param, index)
            elif isinstance(value, Expr):
                renamed = Expr(text(value.text))
            else:
                continue
            if renamed != value:
                changes.append((node.id, f"params:{key}", value, renamed))
        if node.condition and text(node.condition) != node.condition:
            changes.append((node.id, "condition", node.condition, text(node.condition)))
        if node.repeat is not None and text(node.repeat.count) != node.repeat.count:
            repeat = dataclasses.replace(node.repeat, count=text(node.repeat.count))
            changes.append((node.id, "repeat", node.repeat, repeat))
    return changes


def rename_clash(doc: Document, old: str, new: str) -> str | None:
    """Why block parameter ``old`` cannot be called ``new`` where the document already uses
    ``new`` for something else (a repeat's index, a comprehension's name), or None."""
    for node in doc.nodes.values():
        if node.repeat is not None and node.repeat.index == new:
            return f"{new!r} is the index of the repeated node {node.name}; pick another name."
    texts = [p.when_none for p in doc.params if p.when_none]
    for node in doc.nodes.values():
        texts += [v.text for v in node.params.values() if isinstance(v, Expr)]
        texts += [v.index for v in node.params.values() if isinstance(v, ParamRef)]
    for text in texts:
        if isinstance(text, str) and old in _names(text) and new in bound_names(text):
            return f"{new!r} is a name that {text} makes for itself; pick another name."
    return None


def _set_node_value(doc: Document, node_id: str, field: str, value: Any) -> None:
    if field.startswith("params:"):
        doc.set_param(node_id, field.removeprefix("params:"), value)
    else:
        doc.set_node_field(node_id, field, value)


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
