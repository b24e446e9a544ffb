"""Generate clean, runnable Keras code from a block document, in three styles.

- ``build``: a Layer subclass; sub-layers whose lifecycle is ``build`` or whose condition reads
  ``in_channels`` are created in ``build()`` (the ``UnetResBlockWithBuild`` pattern).
- ``init``: every sub-layer created in ``__init__``; ``in_channels`` becomes an argument.
- ``functional``: a function applying the block to a tensor, plus ``build_model``.

This module imports no Keras: code generation is text work and must stay fast in the UI.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.conditions import IN_CHANNELS, parse_condition
from blockstudio.core.document import BlockParam, Document, Node, ParamRef
from blockstudio.core.problems import Problem
from blockstudio.core.runs import STYLES, WEIGHTS
from blockstudio.engine.codegen_build import BuildWriter, shape_var
from blockstudio.engine.codegen_helpers import HELPERS
from blockstudio.engine.codegen_nest import Channels, nested_blocks
from blockstudio.engine.codegen_plan import CodegenError, Plan, RefRenderer, make_plan
from blockstudio.engine.generic import (
    GENERICS,
    keras_layer_for,
    symmetric_padding,
    uses_spatial_dims,
)
from blockstudio.engine.pyformat import (
    call_lines,
    docstring_lines,
    if_lines,
    literal,
    snake_case,
)

I1, I2, I3 = "    ", "        ", "            "

__all__ = ["STYLES", "WEIGHTS", "CodegenError", "generate_code"]


def generate_code(
    doc: Document,
    catalog: Catalog,
    style: str = "build",
    values: dict[str, Any] | None = None,
    weights: str = "eager",
) -> str:
    """The Python module for ``doc``; ``values`` override block parameter defaults.

    ``weights="eager"`` (the default) keeps Keras's build() contract: build() builds every
    sub-layer, so all weights exist after ``build(input_shape)``. ``"lazy"`` is the seed's
    version: sub-layers get their weights on the first call. Functional code is the same in both.
    """
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; use one of {', '.join(STYLES)}")
    if weights not in WEIGHTS:
        raise ValueError(f"unknown weights option {weights!r}; use eager or lazy")
    if values:
        doc = with_values(doc, values)
    plan = make_plan(doc, catalog)
    gen = _Generator(plan, style, weights)
    return gen.module(nested_blocks(doc, catalog))


def with_values(doc: Document, values: dict[str, Any]) -> Document:
    """A copy of ``doc`` whose block parameters default to ``values``."""
    doc = doc.copy()
    for p in doc.params:
        if p.name in values:
            doc.replace_block_param(p.name, dataclasses.replace(p, default=values[p.name]))
    return doc


class _Generator:
    def __init__(
        self, plan: Plan, style: str, weights: str = "eager", nested: bool = False
    ) -> None:
        self.plan, self.style, self.doc = plan, style, plan.doc
        self.eager = weights == "eager"
        self.nested = nested  # a block node's class: also compute_output_shape()
        self.helpers: set[str] = set()
        self.channels = Channels(plan)
        self.block_in_channels = {  # init style: what each block node is told it receives
            n.id: self.channels.entering(n)
            for n in plan.own_layers()
            if style == "init" and self.takes_in_channels(n)
        }
        for nid, expr in self.block_in_channels.items():
            if expr is None:
                name = plan.doc.nodes[nid].name
                raise CodegenError(
                    [
                        Problem(
                            "init_channels",
                            f"In init style the code cannot tell how many channels reach "
                            f"{name}, which needs them in __init__; use build style, where "
                            "build() reads them from the input shape.",
                            nid,
                        )
                    ]
                )
        self.in_init_args = style == "init" and (
            any(plan.needs_shape(n) for n in plan.order)
            or any(IN_CHANNELS in (e or "") for e in self.block_in_channels.values())
        )

    def takes_in_channels(self, node: Node) -> bool:
        """A block node whose init-style class takes ``in_channels``."""
        spec = self.plan.spec(node)
        if spec.block is None:
            return False
        catalog = self.plan.catalog
        inner = catalog.library.document(node.kind, catalog)
        return _Generator(make_plan(inner, catalog), "init").in_init_args

    # -- module ---------------------------------------------------------------------------
    def module(self, blocks: list[tuple[str, Document]] = (), imports: list[str] = ()) -> str:
        """The module: helpers, the classes of ``blocks`` (dependencies first), then this
        block; ``imports`` are extra import lines (the blocks' own modules, with ``--split``)."""
        body = self.functional() if self.style == "functional" else self.layer_class()
        classes: list[str] = []
        inner_style = "build" if self.style == "functional" else self.style
        for _kind, inner in blocks:
            gen = _Generator(
                make_plan(inner, self.plan.catalog),
                inner_style,
                "eager" if self.eager else "lazy",
                nested=True,
            )
            classes.append("\n".join(gen.layer_class()))
            self.helpers |= gen.helpers
        parts = [
            f'"""{self.doc.name}: generated by Block Studio ({self.style_label()})."""',
            "\n".join(["import keras", *imports]),
        ]
        parts += [HELPERS[h] for h in ("pad", "padded_shape") if h in self.helpers]
        parts += [g.source for kind, g in GENERICS.items() if kind in self.helpers]
        parts += classes
        parts.append("\n".join(body))
        return "\n\n\n".join(parts[:1]) + "\n\n" + "\n\n\n".join(parts[1:]) + "\n"

    def style_label(self) -> str:
        if self.style == "functional":
            return "functional style"
        return f"{self.style} style, {'eager' if self.eager else 'lazy'} weights"

    def args(self) -> list[BlockParam]:
        params = list(self.doc.params)
        if self.in_init_args:
            at = next((i for i, p in enumerate(params) if p.name == "out_channels"), 0)
            params.insert(
                at,
                BlockParam(
                    IN_CHANNELS,
                    "int",
                    self.doc.input_shape[-1],
                    doc="Channels of the input (the last axis).",
                ),
            )
        return params

    def arg_docs(self, params: list[BlockParam]) -> list[str]:
        lines = []
        for p in params:
            text = " ".join(p.doc.split()) or f"{p.type}{' or None' if p.optional else ''}."
            lines.append(f"    {p.name}: {text}")
        return lines

    # -- class styles ---------------------------------------------------------------------
    def layer_class(self) -> list[str]:
        params = self.args()
        out = [
            '@keras.saving.register_keras_serializable(package="blockstudio")',
            f"class {self.doc.name}(keras.layers.Layer):",
        ]
        summary, rest = _split_summary(self.doc.description or f"The {self.doc.name} block.")
        body = [rest] if rest else []
        if params:
            body.append("Args:\n" + "\n".join(self.arg_docs(params)))
        out += docstring_lines(I1, summary, body)
        sig = ["self", *[f"{p.name}={literal(p.default)}" for p in params], "**kwargs"]
        out += [""] + call_lines(I1, "def __init__", sig, ":")
        out.append(f"{I2}super().__init__(**kwargs)")
        out += [f"{I2}self.{p.name} = {p.name}" for p in params]
        in_build = [n for n in self.plan.own_layers() if self.created_in_build(n)]
        in_init = [n for n in self.plan.own_layers() if not self.created_in_build(n)]
        out += self.create_block(in_init, RefRenderer(attr=False), I2, preset_none=True)
        out += [f"{I2}self.{n.name} = None" for n in in_build]
        builds = self.build_lines() if self.eager else []
        if in_build or builds:
            out += ["", f"{I1}def build(self, input_shape):"]
            if any(self.plan.needs_shape(n) for n in in_build):
                out.append(f"{I2}in_channels = input_shape[-1]")
            out += self.create_block(in_build, RefRenderer(attr=True), I2, preset_none=False)
            if builds:
                out.append(f"{I2}# Build each sub-layer on its input shape: all weights exist now.")
            out += builds
        out += ["", f"{I1}def call(self, inputs, training=None):"]
        out += self.call_body(RefRenderer(attr=True), I2, lambda n: f"self.{n.name}")
        if self.nested:
            out += ["", f"{I1}def compute_output_shape(self, input_shape):"]
            out += self.shape_lines()
        out += ["", f"{I1}def get_config(self):", f"{I2}config = super().get_config()"]
        if params:
            out += call_lines(I2, "config.update", [f"{p.name}=self.{p.name}" for p in params])
        out.append(f"{I2}return config")
        return out

    def shape_lines(self) -> list[str]:
        """The output shape from the input shape, as build() walks it (a block used as a node
        is built, then asked for its output shape, by the block around it)."""

        def pad(node: Node) -> list[str] | None:
            args = self.pad_args(node, RefRenderer(attr=True))
            if args is not None:
                self.helpers.add("padded_shape")
            return args

        writer = BuildWriter(self.plan, lambda n: f"self.{n.name}", pad, build=False)
        out = writer.lines(I2)
        return [*out, f"{I2}return {shape_var(self.plan.var[self.plan.output_src])}"]

    def build_lines(self) -> list[str]:
        """Statements building every sub-layer on its input shape (eager weights)."""

        def pad(node: Node) -> list[str] | None:
            args = self.pad_args(node, RefRenderer(attr=True))
            if args is not None:
                self.helpers.add("padded_shape")
            return args

        return BuildWriter(self.plan, lambda n: f"self.{n.name}", pad).lines(I2)

    def created_in_build(self, node: Node) -> bool:
        return self.style == "build" and (node.lifecycle == "build" or self.plan.needs_shape(node))

    def create_block(
        self, nodes: list[Node], refs: RefRenderer, indent: str, preset_none: bool
    ) -> list[str]:
        """Statements creating ``nodes``; consecutive ones under a shared condition share an if.

        A condition ``A and B`` nests ``if B:`` inside the ``if A:`` that its neighbours need,
        as a person would write it, instead of repeating ``A`` per layer.
        """
        items = [(n, conjuncts(n.condition) if n.condition else []) for n in nodes]

        def create(node: Node, at: str) -> list[str]:
            return self.assign_layer(node, refs, at, f"self.{node.name} = ")

        return self._nested(items, refs, indent, create, preset_none)

    def _nested(self, items, refs: RefRenderer, indent: str, leaf, preset: bool = False):
        """``leaf(node, indent)`` for each node, consecutive nodes whose conditions start alike
        under one ``if`` of that part, the rest of each condition nested inside.

        ``preset`` sets each guarded attribute to None first (``__init__``: absent is None).
        """
        out: list[str] = []
        i = 0
        while i < len(items):
            node, conds = items[i]
            if not conds:
                out += leaf(node, indent)
                i += 1
                continue
            j = i + 1
            while j < len(items) and items[j][1][:1] == conds[:1]:
                j += 1
            group = items[i:j]
            if preset:
                out += [f"{indent}self.{n.name} = None" for n, _ in group]
            out += if_lines(indent, "if", refs.condition(conds[0]))
            out += self._nested([(n, c[1:]) for n, c in group], refs, indent + I1, leaf)
            i = j
        return out

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
            var = plan.var[node.id]
            srcs = [plan.var[s] for s in plan.inputs[node.id]]
            layer = layer_of(plan.owner(node))
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
                    srcs = [var]
                out += if_lines(indent, "if", f"{layer} is not None")
                out += self.apply(node, layer, srcs, var, refs, indent + I1)
                i += 1
                continue
            owner = plan.owner(node)
            if self.style == "functional" and owner.id not in created:
                # a shared layer is created where it is first used, which may be the sharer
                created.add(owner.id)
                out += self.assign_layer(owner, refs, indent, f"{layer} = ")
            out += self.apply(node, layer, srcs, var, refs, indent)
            i += 1
        out.append(f"{indent}return {plan.var[plan.output_src]}")
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
                srcs = [var]  # set before the if: the value when the layer is absent
            layer = layer_of(node)
            return self.assign_layer(node, refs, at, f"{layer} = ") + self.apply(
                node, layer, srcs, var, refs, at
            )

        return self._nested(items, refs, indent, create_and_apply)

    def apply(
        self, node: Node, layer: str, srcs: list[str], var: str, refs: RefRenderer, indent: str
    ) -> list[str]:
        spec = self.plan.spec(self.plan.owner(node))
        out: list[str] = []
        pad = self.pad_args(self.plan.owner(node), refs)
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

    def pad_args(self, node: Node, refs: RefRenderer) -> list[str] | None:
        if node.kind != "Convolution":
            return None
        params = {**GENERICS["Convolution"].defaults, **node.params}
        if params["padding"] != "symmetric":
            return None
        k, s = params["kernel_size"], params["strides"]
        if not isinstance(k, ParamRef) and not isinstance(s, ParamRef):
            if symmetric_padding(k, s) == 0:
                return None
        self.helpers.add("pad")
        return [refs.value(k), refs.value(s)]

    # -- layer construction ---------------------------------------------------------------
    def assign_layer(self, node: Node, refs: RefRenderer, indent: str, target: str) -> list[str]:
        head, args = self.constructor(node, refs)
        return call_lines(indent, f"{target}{head}", args)

    def constructor(self, node: Node, refs: RefRenderer) -> tuple[str, list[str]]:
        spec = self.plan.spec(node)
        name_arg = f"name={literal(node.name)}"
        if spec.block is not None:
            args = [f"{k}={refs.value(v)}" for k, v in node.params.items()]
            entering = self.block_in_channels.get(node.id)
            if entering is not None:
                args.insert(0, f"{IN_CHANNELS}={entering}")  # init style: in __init__
            return spec.block, [*args, name_arg]
        if not spec.generic:
            args = [
                f"{p.name}={refs.value(node.params[p.name])}"
                for p in spec.params
                if p.name in node.params
            ]
            return f"keras.layers.{node.kind}", [*args, name_arg]
        generic = GENERICS[node.kind]
        params = {**generic.defaults, **node.params}
        selector = params[generic.selector]
        spatial_ref = self.plan.spatial_dims_ref()
        dims_static = spatial_ref is None or not uses_spatial_dims(node.kind, params)
        if not isinstance(selector, ParamRef) and dims_static:
            cls, kwargs = keras_layer_for(node.kind, params, self.plan.static_spatial_dims())
            args = [f"{k}={refs.value(v)}" for k, v in kwargs.items() if v is not None]
            return f"keras.layers.{cls}", [*args, name_arg]
        self.helpers.add(node.kind)
        dims = refs.name(spatial_ref) if spatial_ref else str(self.plan.static_spatial_dims())
        positional = generic.positional
        args = [dims] if generic.takes_dims else []
        args += [refs.value(params[n]) for n in positional]
        for key, value in node.params.items():
            if key in positional or (key == "padding" and value == "symmetric"):
                continue
            args.append(f"{key}={refs.value(value)}")
        return generic.helper, [*args, name_arg]

    # -- functional style -----------------------------------------------------------------
    def functional(self) -> list[str]:
        fname = snake_case(self.doc.name)
        params = list(self.doc.params)
        sig = ["inputs", *[f"{p.name}={literal(p.default)}" for p in params]]
        out = call_lines("", f"def {fname}", sig, ":")
        summary, rest = _split_summary(
            self.doc.description or f"Apply the {self.doc.name} block to ``inputs``."
        )
        args = ["    inputs: The input tensor, channels last.", *self.arg_docs(params)]
        out += docstring_lines(
            I1, summary, [*([rest] if rest else []), "Args:\n" + "\n".join(args)]
        )
        refs = RefRenderer(attr=False)
        if any(self.plan.needs_shape(n) for n in self.plan.order):
            out.append(f"{I1}in_channels = inputs.shape[-1]")
        out += self.call_body(refs, I1, lambda n: n.name)
        shape = literal(tuple(self.doc.input_shape[1:]))
        out += ["", ""]
        out += call_lines("", "def build_model", [f"input_shape={shape}", "**kwargs"], ":")
        out += docstring_lines(
            I1,
            f"A keras.Model applying {fname} to inputs of ``input_shape`` "
            "(without the batch axis).",
        )
        out.append(f"{I1}inputs = keras.Input(shape=input_shape)")
        out += call_lines(
            I1,
            "return keras.Model",
            ["inputs", f"{fname}(inputs, **kwargs)", f"name={literal(fname)}"],
        )
        return out


def conjuncts(condition: str) -> list[str]:
    """The parts of a top-level ``and`` (one part for any other condition), normalised."""
    tree = parse_condition(condition).body
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    return [ast.unparse(p) for p in parts]


def _split_summary(text: str) -> tuple[str, str]:
    """The first sentence (the docstring's summary line) and the rest."""
    text = " ".join(text.split())
    end = text.find(". ")
    if end == -1:
        return text, ""
    return text[: end + 1], text[end + 2 :]
