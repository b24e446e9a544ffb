"""The forward pass of generated code: ``call()``'s body, and the functional style.

A mixin of the generator in ``codegen``: it reads the plan, the style and the sub-layer writer
from there.
"""

from __future__ import annotations

import ast

from blockstudio.core.conditions import parse_condition
from blockstudio.core.document import Node
from blockstudio.core.shapes import per_sample
from blockstudio.core.sources import RANGE_KIND, SOURCE_KINDS
from blockstudio.engine.codegen.build import shape_var
from blockstudio.engine.codegen.loops import LoopWriter
from blockstudio.engine.codegen.plan import OPERATORS
from blockstudio.engine.codegen.refs import RefRenderer, signature
from blockstudio.engine.codegen.sources import range_lines
from blockstudio.engine.pyformat import (
    LINE,
    call_lines,
    docstring_lines,
    if_lines,
    literal,
    snake_case,
)

I1 = "    "


class ForwardWriter:
    """What ``call()`` and the functional style's function do, node by node."""

    def unpack(self, indent: str, shapes: bool) -> list[str]:
        """``x_in, skip = inputs`` (or their shapes) in a block with several inputs."""
        names = self.plan.input_vars
        if not names:
            return []
        if shapes:
            return [f"{indent}{', '.join(shape_var(n) for n in names)} = input_shape"]
        return [f"{indent}{', '.join(names)} = inputs"]

    def first_input(self, shapes: bool) -> str:
        names = self.plan.input_vars
        if shapes:
            return shape_var(names[0]) if names else "input_shape"
        return names[0] if names else "inputs"

    def call_body(self, refs: RefRenderer, indent: str, layer_of) -> list[str]:
        """The forward pass: one statement per node, ``is not None`` guards for conditionals.

        In functional style, consecutive nodes under the same condition share one ``if`` (with
        ``and`` parts nested), as in build().
        """
        out: list[str] = []
        plan = self.plan
        created: set[str] = set()
        order = plan.order
        i = 0
        while i < len(order):
            node = order[i]
            if node.repeat is not None:  # a loop over its instances
                out += LoopWriter(plan, self).forward(node, refs, indent, layer_of(node))
                i += 1
                continue
            var = plan.var[node.id]
            srcs = [plan.var[s] for s in plan.inputs[node.id]]
            layer = layer_of(plan.owner(node))
            if node.kind in SOURCE_KINDS:  # a weight is self.gamma, made in build()
                if node.kind == RANGE_KIND:
                    out += range_lines(node, var, refs, indent, plan.input_var())
                i += 1
                continue
            if node.condition is not None and self.style == "functional":
                group = self._functional_run(order, i)
                j = i + len(group)
                for n in group:  # the value a chain holds when its first layer is absent
                    if n.id in plan.chain_head:
                        out.append(f"{indent}{plan.var[n.id]} = {plan.var[plan.inputs[n.id][0]]}")
                items = [(n, conjuncts(n.condition or "")) for n in group]
                out += self._functional_group(items, refs, indent, layer_of)
                i = j
                continue
            if node.condition is not None:
                if node.id in plan.chain_head:
                    out.append(f"{indent}{var} = {srcs[0]}")
                    srcs = [var, *srcs[1:]]
                there = (
                    refs.condition(node.condition)
                    if plan.is_operator(node)
                    else f"{layer} is not None"
                )
                out += if_lines(indent, "if", there)
                out += self.apply(node, layer, srcs, var, refs, indent + I1)
                i += 1
                continue
            owner = plan.owner(node)
            if (
                self.style == "functional"
                and owner.id not in created
                and not plan.is_operator(owner)
            ):
                # a shared layer is created where it is first used, which may be the sharer
                created.add(owner.id)
                out += self.layers.assign(owner, refs, indent, f"{layer} = ")
            out += self.apply(node, layer, srcs, var, refs, indent)
            i += 1
        outs = plan.doc.output_nodes
        names = plan.output_names()
        conditions = [refs.condition(o.condition) if o.condition else None for o in outs]
        stacked = plan.stacked()
        if any(stacked):
            labels = [o.name for o in outs]
            return out + stacked_return_lines(indent, names, stacked, labels)
        out += return_lines(indent, names, conditions, [o.name for o in outs])
        return out

    def _functional_run(self, order: list[Node], i: int) -> list[Node]:
        """The conditional nodes from ``order[i]`` on that can share one ``if``.

        They share the first part of their condition. A chain that starts inside the run holds,
        when its first layer is absent, the value its source had before the ``if``; that is only
        right if the source is absent whenever the chain's first layer is, so otherwise the run
        ends there and the chain starts after the source's ``if``.
        """
        plan = self.plan
        first = conjuncts(order[i].condition or "")[:1]
        parts: dict[str, set[str]] = {}
        j = i
        while j < len(order) and order[j].condition:
            node = order[j]
            mine = conjuncts(node.condition or "")
            if mine[:1] != first:
                break
            source = plan.inputs[node.id][0]
            if node.id in plan.chain_head and source in parts and not set(mine) <= parts[source]:
                break
            parts[node.id] = set(mine)
            j += 1
        return order[i:j]

    def _functional_group(
        self, items: list[tuple[Node, list[str]]], refs: RefRenderer, indent: str, layer_of
    ) -> list[str]:
        """Create and apply conditional nodes under nested ``if``s of their shared conditions."""
        plan = self.plan
        inside = {n.id for n, _ in items}

        def create_and_apply(node: Node, at: str) -> list[str]:
            var = plan.var[node.id]
            srcs = [plan.var[s] for s in plan.inputs[node.id]]
            if node.id in plan.chain_head and plan.inputs[node.id][0] not in inside:
                srcs = [var, *srcs[1:]]  # set before the if: the value when it is absent
            layer = layer_of(node)
            made = (
                [] if plan.is_operator(node) else self.layers.assign(node, refs, at, f"{layer} = ")
            )
            return made + self.apply(node, layer, srcs, var, refs, at)

        return self._nested(items, refs, indent, create_and_apply)

    def apply(
        self, node: Node, layer: str, srcs: list[str], var: str, refs: RefRenderer, indent: str
    ) -> list[str]:
        owner = self.plan.owner(node)
        spec = self.plan.spec(owner)
        out: list[str] = []
        if self.plan.is_operator(owner):
            return operator_lines(indent, var, OPERATORS[owner.kind], srcs)
        pad = self.layers.pad_args(owner, refs)
        if pad is not None:
            inline = f"_symmetric_pad({', '.join([srcs[0], *pad])})"
            one = call_lines(indent, f"{var} = {layer}", [inline])
            if len(one) == 1:
                return one
            out += call_lines(indent, f"{var} = _symmetric_pad", [srcs[0], *pad])
            srcs = [var]
        if spec.call == "list":
            out += call_lines(indent, f"{var} = {layer}", [f"[{', '.join(srcs)}]"])
        else:
            out += call_lines(indent, f"{var} = {layer}", srcs)
        return out

    def functional(self) -> list[str]:
        fname = snake_case(self.doc.name)
        params = list(self.doc.params)
        sig = ["inputs", *signature(params)]
        if any(self.plan.stacked()):  # the stacked outputs are returned in training only
            sig.append("training=None")
        out = call_lines("", f"def {fname}", [*sig, "name=None", "dtype=None"], ":")
        summary, rest = split_summary(
            self.doc.description or f"Apply the {self.doc.name} block to ``inputs``."
        )
        names = self.plan.input_vars
        what = f"The input tensors [{', '.join(names)}]" if names else "The input tensor"
        args = [
            f"    inputs: {what}, channels last.",
            *self.arg_docs(params),
            "    name: Prefix of the layers' names; None numbers each use as Keras numbers "
            "layers, so the block can be used many times in one model.",
            "    dtype: The dtype policy of every layer, e.g. mixed_bfloat16.",
        ]
        out += docstring_lines(
            I1, summary, [*([rest] if rest else []), "Args:\n" + "\n".join(args)]
        )
        refs = RefRenderer(attr=False)
        out += self.argument_lines(I1)
        out += self.unpack(I1, shapes=False)
        out += self.channel_check(I1, "in_channels", f"{self.first_input(shapes=False)}.shape")
        if any(self.plan.needs_shape(n) for n in self.plan.order):
            out.append(f"{I1}in_channels = {self.first_input(shapes=False)}.shape[-1]")
        body = self.call_body(refs, I1, lambda n: n.name)
        if any("{prefix}" in line for line in body):  # a block of ops alone names no layer
            self.helpers.add("prefix")
            out.append(f"{I1}prefix = _layer_prefix(name, {literal(fname)})")
        out += body
        shape = literal(per_sample(self.doc.input_shape))
        out += ["", ""]
        out += call_lines("", "def build_model", [f"input_shape={shape}", "**kwargs"], ":")
        out += docstring_lines(
            I1,
            f"A keras.Model applying {fname} to inputs of ``input_shape`` "
            "(without the batch axis).",
        )
        if names:
            out.append(f"{I1}inputs = [keras.Input(shape=shape) for shape in input_shape]")
        else:
            out.append(f"{I1}inputs = keras.Input(shape=input_shape)")
        out += call_lines(
            I1,
            "return keras.Model",
            ["inputs", f"{fname}(inputs, **kwargs)", f"name={literal(fname)}"],
        )
        return out


def operator_lines(indent: str, var: str, op: str, srcs: list[str]) -> list[str]:
    """``x = x + res``; split one operand a line, as ruff splits it, when it does not fit."""
    one = f"{indent}{var} = {f' {op} '.join(srcs)}"
    if len(one) <= LINE:
        return [one]
    inner = indent + I1
    rest = [f"{inner}{op} {s}" for s in srcs[1:]]
    return [f"{indent}{var} = (", f"{inner}{srcs[0]}", *rest, f"{indent})"]


def conjuncts(condition: str) -> list[str]:
    """The parts of a top-level ``and`` (one part for any other condition), normalised."""
    tree = parse_condition(condition).body
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    return [ast.unparse(p) for p in parts]


def split_summary(text: str) -> tuple[str, str]:
    """The first sentence (the docstring's summary line) and the rest."""
    text = " ".join(text.split())
    end = text.find(". ")
    if end == -1:
        return text, ""
    return text[: end + 1], text[end + 2 :]


def stacked_return_lines(
    indent: str, names: list[str], stacked: list[bool], labels: list[str] | None = None
) -> list[str]:
    """MONAI's deep supervision: in training, the first output and the stacked ones on axis 1
    (``torch.stack(out_all, dim=1)``); otherwise the first output alone."""
    if not all(stacked[1:]) or stacked[0]:
        raise ValueError("only the outputs after the first can be stacked, and then all of them")
    rest = names[1:]
    lists = [n[1:] for n in rest if n.startswith("*")]
    test = " and ".join(["training", *lists[:1]]) if len(rest) == 1 else "training"
    items = ", ".join(names)
    stack = call_lines(indent + I1, "return keras.ops.stack", [f"[{items}]", "axis=1"])
    label = labels[1] if labels and len(rest) == 1 else None
    said = f"  # {label}" if label and label != rest[0].lstrip("*") else ""
    if len(stack) == 1 and len(stack[0] + said) <= LINE:  # the Output's name, read back
        stack = [stack[0] + said]
    return [*if_lines(indent, "if", test), *stack, f"{indent}return {names[0]}"]


def return_lines(
    indent: str, names: list[str], conditions: list[str | None], labels: list[str]
) -> list[str]:
    """``return x``, or the list of several outputs (one per line when it is long); an output
    under a condition is added to the list only when it holds (its Output's name beside it)."""
    if any(conditions) or any(n.startswith("*") for n in names):
        # a repeat's list (*heads) may be empty: the block then returns its first output alone
        out = [f"{indent}outputs = [{names[0]}]"]
        for name, condition, label in zip(names[1:], conditions[1:], labels[1:], strict=True):
            said = f"  # {label}" if label.lstrip("*") != name.lstrip("*") else ""
            add = (
                f"outputs.extend({name[1:]})" if name.startswith("*") else f"outputs.append({name})"
            )
            if condition:
                out += if_lines(indent, "if", condition)
                out.append(f"{indent}{I1}{add}{said}")
            else:
                out.append(f"{indent}{add}{said}")
        # without its optional outputs the block returns one tensor, not a list of one
        return [*out, f"{indent}return outputs if len(outputs) > 1 else outputs[0]"]
    if len(names) == 1:
        return [f"{indent}return {names[0]}"]
    one = f"{indent}return [{', '.join(names)}]"
    if len(one) <= LINE:
        return [one]
    return [f"{indent}return [", *[f"{indent}{I1}{n}," for n in names], f"{indent}]"]
