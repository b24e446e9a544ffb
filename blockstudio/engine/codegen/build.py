"""The part of generated ``build()`` that builds every sub-layer (Keras's build() contract).

After ``block.build(input_shape)`` every weight must exist, as after the first call; Keras's own
composite layers (``MultiHeadAttention``) build their children in ``build()`` for the same reason:
``load_weights`` and ``set_weights`` into a block that was only built need them. The statements
walk the forward pass with shapes instead of tensors: each sub-layer is built on its input shape,
and ``compute_output_shape`` gives the next one, up to the block's outputs. The same walk is the
block's own ``compute_output_shape``: one walk, building only when build() asks.
"""

from __future__ import annotations

from collections.abc import Callable

from blockstudio.core.document import Node
from blockstudio.core.sources import SOURCE_KINDS
from blockstudio.engine.codegen.loops import LoopWriter
from blockstudio.engine.codegen.plan import Plan
from blockstudio.engine.codegen.refs import RefRenderer
from blockstudio.engine.codegen.sources import shape_text
from blockstudio.engine.pyformat import call_lines, if_lines

I1 = "    "


def shape_var(var: str) -> str:
    return "input_shape" if var == "inputs" else f"{var.removeprefix('self.')}_shape"


class BuildWriter:
    """Writes the walk of call()'s shapes for one plan.

    ``layer_of(node)`` is the expression of a node's layer (``self.conv1``); ``pad_args(node)``
    the rendered (kernel_size, stride) of its symmetric padding, or None. With ``builds`` the
    walk builds each sub-layer on its input shape under ``if build:`` (one walk serves build()
    and compute_output_shape); without, it only computes the shapes.
    """

    def __init__(
        self,
        plan: Plan,
        layer_of: Callable[[Node], str],
        pad_args: Callable[[Node], list[str] | None],
        builds: bool = True,
    ) -> None:
        self.plan, self.layer_of, self.pad_args = plan, layer_of, pad_args
        self.builds = builds
        self.needs_out = self._needed_outputs()

    def builds_here(self, node: Node) -> bool:
        plan = self.plan
        return (
            self.builds
            and node.shares is None
            and not plan.is_operator(node)
            and plan.spec(node).builds
        )

    def any_builds(self) -> bool:
        return any(self.builds_here(n) for n in self.plan.order)

    def _needed_outputs(self) -> dict[str, bool]:
        """Whether each node's output shape is read by a later build or is an output of the
        block (walked backwards)."""
        plan = self.plan
        consumers: dict[str, list[Node]] = {}
        for node in plan.order:
            srcs = plan.inputs.get(node.id, [])
            for src in [plan.shape_src(node)] if plan.is_operator(node) else srcs:
                consumers.setdefault(src, []).append(node)
        needs_out: dict[str, bool] = {}
        needs_in: dict[str, bool] = {}
        for node in reversed(plan.order):
            needs_out[node.id] = node.id in plan.output_srcs or any(
                needs_in[c.id] for c in consumers.get(node.id, [])
            )
            needs_in[node.id] = self.builds_here(node) or needs_out[node.id]
        return needs_out

    def lines(self, indent: str) -> list[str]:
        out: list[str] = []
        plan = self.plan
        loops = LoopWriter(plan)
        for node in plan.order:
            if node.repeat is not None:
                out += loops.shapes(node, indent, self.builds_here(node), shape_var)
                continue
            var = shape_var(plan.var[node.id])
            if node.kind in SOURCE_KINDS:
                if self.needs_out[node.id]:
                    shape = shape_text(
                        node,
                        RefRenderer(attr=True),
                        plan.param_types(),
                        shape_var(plan.input_var()),
                    )
                    out.append(f"{indent}{var} = {shape}")
                continue
            srcs = [shape_var(plan.var[s]) for s in plan.inputs[node.id]]
            if plan.is_operator(node):  # x + res, x * self.gamma: x's shape
                srcs = [shape_var(plan.var[plan.shape_src(node)])]
            if node.condition is None:
                out += self.node_lines(node, var, srcs, indent)
                continue
            if node.id in plan.chain_head and self.needs_out[node.id]:
                out.append(f"{indent}{var} = {srcs[0]}")  # the value when the layer is absent
                srcs = [var, *srcs[1:]]
            body = self.node_lines(node, var, srcs, indent + I1)
            if body:
                out += if_lines(indent, "if", self.presence(node)) + body
        return out

    def presence(self, node: Node) -> str:
        """Whether a conditional node is there: its layer exists, or an operator's condition."""
        if self.plan.is_operator(node):
            return RefRenderer(attr=True).condition(node.condition or "True")
        return f"{self.layer_of(node)} is not None"

    def node_lines(self, node: Node, var: str, srcs: list[str], indent: str) -> list[str]:
        owner = self.plan.owner(node)
        if self.plan.is_operator(node):  # x + res has the shape of its operands
            needed = self.needs_out[node.id] and srcs[0] != var
            return [f"{indent}{var} = {srcs[0]}"] if needed else []
        spec = self.plan.spec(owner)
        layer = self.layer_of(owner)
        out: list[str] = []
        pad = self.pad_args(owner)
        if pad is not None:
            out += call_lines(indent, f"{var} = _padded_shape", [srcs[0], *pad])
            srcs = [var]
        if spec.call == "list":
            args = [f"[{', '.join(srcs)}]"]
        else:
            args = srcs
        if self.builds_here(node):
            out += [f"{indent}if build:", *call_lines(indent + I1, f"{layer}.build", args)]
        if self.needs_out[node.id] and not spec.same_shape:
            out += call_lines(indent, f"{var} = {layer}.compute_output_shape", args)
        elif self.needs_out[node.id] and srcs[0] != var:
            out.append(f"{indent}{var} = {srcs[0]}")
        return out
