"""Code generation through nesting: the classes of block nodes, and their channels in init style.

A block node is an instance of its document's class, generated once in the same module before
the classes that use it. In init style a block that reads ``in_channels`` takes it as an argument,
so the outer ``__init__`` must say how many channels reach the node: an expression over its own
arguments, found by walking the graph backwards (a convolution gives its ``filters``, a norm passes
its input's, a concatenation sums).
"""

from __future__ import annotations

import ast
from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.core.document import Document, Node
from blockstudio.core.library import BlockError, kind_label
from blockstudio.core.problems import Problem
from blockstudio.core.sources import SOURCE_KINDS
from blockstudio.engine.codegen.plan import CodegenError, Plan, make_plan
from blockstudio.engine.codegen.refs import RefRenderer
from blockstudio.engine.pyformat import literal

_ARGS = RefRenderer(attr=False)  # values as __init__ arguments: block parameters by name

# the parameter that sets a kind's output channels
_WIDTH = {
    "Convolution": "filters",
    "TransposedConvolution": "filters",
    "Conv1D": "filters",
    "Conv2D": "filters",
    "Conv3D": "filters",
    "Conv1DTranspose": "filters",
    "Conv2DTranspose": "filters",
    "Conv3DTranspose": "filters",
    "SeparableConv1D": "filters",
    "SeparableConv2D": "filters",
    "Dense": "units",
}


def nested_blocks(doc: Document, catalog: Catalog) -> list[tuple[str, Document]]:
    """The blocks ``doc`` uses at any depth, dependencies first; each class name once."""
    library = catalog.library
    if library is None or not library.uses(doc):
        return []
    try:
        blocks = library.closure(doc, catalog)
    except BlockError as exc:
        raise CodegenError([Problem("bad_block", str(exc))]) from None
    seen = {doc.name: "this block"}
    for kind, inner in blocks:
        if inner.name in seen:
            raise CodegenError(
                [
                    Problem(
                        "bad_block",
                        f"{kind_label(kind)} and {seen[inner.name]} are both called "
                        f"{inner.name}; one module cannot hold two classes of one name "
                        "(rename one block).",
                    )
                ]
            )
        seen[inner.name] = kind_label(kind)
    return blocks


class Channels:
    """Channel expressions (Python source over a scope's arguments) for the nodes of a plan."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._memo: dict[str, str | None] = {}

    def of_output(self) -> str | None:
        return self.of(self.plan.output_src)

    def entering(self, node: Node) -> str | None:
        """The channels reaching ``node``; for a chained repeat, reaching instance ``i``: the
        node's input for the first, the instance before's output for the others."""
        first = self.of(self.plan.inputs[node.id][0])
        rep = node.repeat
        if rep is not None and rep.skip is not None and rep.skip.port == 0:
            return None  # each instance reads another entry of a list: not one expression
        if rep is None or not rep.chain:
            return first
        own = self._repeated_own(node)
        if own is None or first is None:
            return None
        return _either(own, rep.index, f"{rep.index} - 1", f"{rep.index} == 0", first)

    def of(self, node_id: str) -> str | None:
        if node_id not in self._memo:
            self._memo[node_id] = self._compute(node_id)
        return self._memo[node_id]

    def _compute(self, node_id: str) -> str | None:
        plan = self.plan
        node = plan.doc.nodes[node_id]
        if node_id not in plan.inputs:  # the Input node
            return IN_CHANNELS
        if node.kind in SOURCE_KINDS:  # a weight, a range: no channels of the input's
            return None
        srcs = [self.of(s) for s in plan.inputs[node_id]]
        if node.repeat is not None:  # the last instance's output (the input, if none)
            own = self._repeated_own(node)
            if not node.repeat.chain or own is None or srcs[0] is None:
                return None
            count = _ARGS.expr(node.repeat.count)
            return _either(own, node.repeat.index, f"{count} - 1", f"not {count}", srcs[0])
        owner = plan.owner(node)
        spec = plan.spec(owner)
        mine = self._own(owner, spec, srcs)
        if node.condition is None:
            return mine
        return mine if mine == srcs[0] else None  # absent passes its input on: either may hold

    def _repeated_own(self, node: Node) -> str | None:
        """The output channels of instance ``i`` of a chained repeat, over its index."""
        entering = node.repeat.index  # a stand-in: its own output must not depend on it
        mine = self._own(node, self.plan.spec(node), [entering])
        return None if mine is None or mine == entering else mine

    def _own(self, owner: Node, spec: Any, srcs: list[str | None]) -> str | None:
        if spec.block is not None:
            return self._block(owner, srcs[0])
        if spec.same_shape:
            return srcs[0]
        if owner.kind == "Concatenate":
            return None if None in srcs else " + ".join(srcs)
        if owner.kind in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
            return srcs[0]
        width = _WIDTH.get(owner.kind)
        if width is not None and width in owner.params:
            return _ARGS.value(owner.params[width])
        return None

    def _block(self, owner: Node, entering: str | None) -> str | None:
        """The inner block's output channels, its arguments replaced by this node's values."""
        catalog = self.plan.catalog
        inner_doc = catalog.library.document(owner.kind, catalog)
        inner = Channels(make_plan(inner_doc, catalog)).of_output()
        if inner is None:
            return None
        values = {p.name: literal(p.default) for p in inner_doc.params}
        values.update({k: _ARGS.value(v) for k, v in owner.params.items()})
        if entering is not None:
            values[IN_CHANNELS] = entering
        return substitute(inner, values)


def _either(own: str, index: str, at: str, first_test: str, first: str) -> str:
    """``own`` with ``index`` replaced by ``at``; when that also gives ``first`` for the case
    ``first_test`` (``filters[i - 1 + 1]`` at i = 0 is ``filters[0]``), the one expression,
    else ``first if first_test else ...``."""
    value = fold(replace_names(own, {index: at}))
    edge = fold(replace_names(value, {index: "0"})) if first_test.endswith("== 0") else None
    if first_test.startswith("not "):  # the count is 0: then index is count - 1 = -1
        edge = fold(replace_names(own, {index: "-1"}))
    if edge == fold(first):
        return value
    return f"{first} if {first_test} else {value}"


def replace_names(expr: str, names: dict[str, str]) -> str:
    """``expr`` with the given names replaced by expressions, the others left as they are."""
    tree = ast.parse(expr, mode="eval")

    class _Replace(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in names:
                return ast.parse(f"({names[node.id]})", mode="eval").body
            return node

    return ast.unparse(_Replace().visit(tree))


def fold(expr: str) -> str:
    """``expr`` with the whole numbers of each sum gathered: ``i - 1 + 1`` is ``i``."""
    tree = ast.parse(expr, mode="eval")

    def terms(node: ast.AST, sign: int) -> list[tuple[int, ast.AST]]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
            right = 1 if isinstance(node.op, ast.Add) else -1
            return terms(node.left, sign) + terms(node.right, sign * right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return terms(node.operand, -sign)
        return [(sign, node)]

    class _Fold(ast.NodeTransformer):
        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            if not isinstance(node.op, ast.Add | ast.Sub):
                return self.generic_visit(node)
            parts = [(s, self.visit(t)) for s, t in terms(node, 1)]
            number = sum(
                s * t.value
                for s, t in parts
                if isinstance(t, ast.Constant) and type(t.value) is int
            )
            rest = [
                (s, t)
                for s, t in parts
                if not (isinstance(t, ast.Constant) and type(t.value) is int)
            ]
            if not rest:
                return ast.Constant(number)
            out: ast.AST = rest[0][1] if rest[0][0] > 0 else ast.UnaryOp(ast.USub(), rest[0][1])
            for s, t in rest[1:]:
                out = ast.BinOp(out, ast.Add() if s > 0 else ast.Sub(), t)
            if number:
                out = ast.BinOp(
                    out, ast.Add() if number > 0 else ast.Sub(), ast.Constant(abs(number))
                )
            return out

    return ast.unparse(ast.fix_missing_locations(_Fold().visit(tree)))


def substitute(expr: str, names: dict[str, str]) -> str | None:
    """``expr`` with each name replaced by its expression; None if a name has no value."""
    tree = ast.parse(expr, mode="eval")
    missing: list[str] = []

    class _Replace(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            node.args = [self.visit(a) for a in node.args]  # a function's name stays
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id not in names:
                missing.append(node.id)
                return node
            return ast.parse(f"({names[node.id]})", mode="eval").body

    new = _Replace().visit(tree)
    return None if missing else ast.unparse(new)


def block_in_channels(plan: Plan) -> dict[str, str]:
    """Init style: the ``in_channels`` each block node passes its class, for the blocks whose
    init-style class takes it; a clear error where the graph cannot tell."""
    channels = Channels(plan)
    out: dict[str, str] = {}
    for node in plan.own_layers():
        if not _takes_in_channels(plan, node):
            continue
        expr = channels.entering(node)
        if expr is None:
            raise CodegenError(
                [
                    Problem(
                        "init_channels",
                        f"In init style the code cannot tell how many channels reach "
                        f"{node.name}, which needs them in __init__; use build style, where "
                        "build() reads them from the input shape.",
                        node.id,
                    )
                ]
            )
        out[node.id] = expr
    return out


def init_takes_in_channels(plan: Plan, blocks: dict[str, str]) -> bool:
    """Whether the init-style class takes ``in_channels``: a condition reads it, or a block
    node is told its channels from it (``blocks``, from :func:`block_in_channels`)."""
    return any(plan.needs_shape(n) for n in plan.order) or any(
        IN_CHANNELS in _names(expr) for expr in blocks.values()
    )


def _takes_in_channels(plan: Plan, node: Node) -> bool:
    if plan.spec(node).block is None:
        return False
    catalog = plan.catalog
    inner = make_plan(catalog.library.document(node.kind, catalog), catalog)
    return init_takes_in_channels(inner, block_in_channels(inner))


def _names(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}
