"""Generate clean, runnable Keras code from a block document, in three styles.

- ``build``: a Layer subclass; sub-layers whose lifecycle is ``build`` or whose condition reads
  ``in_channels`` are created in ``build()`` (the ``UnetResBlockWithBuild`` pattern).
- ``init``: every sub-layer created in ``__init__``; ``in_channels`` becomes an argument.
- ``functional``: a function applying the block to a tensor, plus ``build_model``.

This module writes the whole module (helpers, the classes of nested blocks, then the block) and
the block's class; the forward pass, build() and the sub-layers' constructors are written by the
modules beside it.
"""

from __future__ import annotations

import re
from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.core.document import BlockParam, Document, Node
from blockstudio.core.monai_checks import ANY_DEPTH, DYNUNET_ARGS, dynunet_levels
from blockstudio.core.params import with_defaults
from blockstudio.core.problems import Problem
from blockstudio.core.runs import STYLES, WEIGHTS
from blockstudio.core.shapes import first_shape
from blockstudio.core.sources import SOURCE_KINDS, no_functional
from blockstudio.engine.codegen.build import BuildWriter
from blockstudio.engine.codegen.forward import (
    ForwardWriter,
    conjuncts,
    return_lines,
    split_summary,
)
from blockstudio.engine.codegen.helpers import HELPERS
from blockstudio.engine.codegen.layers import LayerWriter
from blockstudio.engine.codegen.loops import LoopWriter
from blockstudio.engine.codegen.nest import (
    block_in_channels,
    init_takes_in_channels,
    nested_blocks,
)
from blockstudio.engine.codegen.plan import CodegenError, Plan, layer_lists, make_plan
from blockstudio.engine.codegen.refs import HELPER_FUNCTIONS, RefRenderer, signature
from blockstudio.engine.codegen.sources import weight_lines
from blockstudio.engine.generic import (
    GENERICS,
)
from blockstudio.engine.pyformat import (
    assign_lines,
    call_lines,
    docstring_lines,
    escape_text,
    if_lines,
    literal,
    snake_case,
)

I1, I2, I3 = "    ", "        ", "            "

__all__ = ["generate_code", "generate_modules"]


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
    doc = _prepared(doc, style, values, weights)
    plan = make_plan(doc, catalog)
    gen = _Generator(plan, style, weights)
    return gen.module(nested_blocks(doc, catalog))


def generate_modules(
    doc: Document,
    catalog: Catalog,
    style: str = "build",
    values: dict[str, Any] | None = None,
    weights: str = "eager",
) -> dict[str, str]:
    """One module per block (``export --split``): file name → source, the blocks used first.

    Each module imports the classes of the blocks it uses directly from their modules (named
    after the class in snake case), so the folder runs as it is.
    """
    doc = _prepared(doc, style, values, weights)
    out: dict[str, str] = {}
    inner_style = "build" if style == "functional" else style
    library = catalog.library
    for kind, inner in [*nested_blocks(doc, catalog), ("", doc)]:
        own_style = style if not kind else inner_style
        gen = _Generator(make_plan(inner, catalog), own_style, weights)
        used = [library.document(k, catalog).name for k in library.uses(inner)] if library else []
        imports = [f"from {snake_case(name)} import {name}" for name in sorted(used)]
        out[f"{snake_case(inner.name)}.py"] = gen.module((), imports)
    return out


def _prepared(doc: Document, style: str, values: dict[str, Any] | None, weights: str) -> Document:
    """``doc`` with ``values`` as its defaults, once the style and weights option are known."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; use one of {', '.join(STYLES)}")
    if weights not in WEIGHTS:
        raise ValueError(f"unknown weights option {weights!r}; use eager or lazy")
    return with_defaults(doc, values) if values else doc


class _Generator(ForwardWriter):
    def __init__(
        self, plan: Plan, style: str, weights: str = "eager", package: str | None = None
    ) -> None:
        self.plan, self.style, self.doc = plan, style, plan.doc
        self.eager = weights == "eager"
        # Keras's registry key is package>Class: one package per exported module, so two
        # modules that both define a UnetBasicBlock do not overwrite each other's
        self.package = package or snake_case(plan.doc.name)
        self.helpers: set[str] = set()
        # init style: the channels each block node is told it receives
        self.block_in_channels = block_in_channels(plan) if style == "init" else {}
        self.in_init_args = style == "init" and init_takes_in_channels(plan, self.block_in_channels)
        functional = style == "functional"
        self.layers = LayerWriter(
            plan,
            self.helpers,
            self.block_in_channels,
            dtype="dtype" if functional else "self.dtype_policy",
            functional=functional,
        )
        self.lists: dict[str, tuple[str, int]] = {}  # node id → (list attribute, index)
        sources = [n for n in plan.order if n.kind in SOURCE_KINDS]
        if functional and sources:
            raise CodegenError(
                [Problem("functional_source", no_functional(n.kind, n.name), n.id) for n in sources]
            )

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
                package=self.package,
            )
            classes.append("\n".join(gen.layer_class()))
            self.helpers |= gen.helpers
        parts = [
            f'"""{self.doc.name}: generated by Block Studio ({self.style_label()})."""',
            "\n".join(["import keras", *imports]),
        ]
        if {"pad", "padded_shape"} & self.helpers:
            self.helpers.add("paddings")
        for key, helper in HELPER_FUNCTIONS.items():
            if any(f"{helper}(" in text for text in [*classes, *body]):
                self.helpers.add(key)
        order = ("pad", "padded_shape", "paddings", "prefix", "dynunet", *HELPER_FUNCTIONS)
        parts += [HELPERS[h] for h in order if h in self.helpers]
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
        declared = self.doc.param(IN_CHANNELS)
        if self.style == "init" and (self.in_init_args or declared is not None):
            # __init__ makes the sub-layers, so it needs the channels: the input's by default
            channels = BlockParam(
                IN_CHANNELS,
                "int",
                first_shape(self.doc.input_shape)[-1],
                doc=declared.doc if declared else "Channels of the input (the last axis).",
            )
            if declared is not None:
                params[params.index(declared)] = channels
            else:
                at = next((i for i, p in enumerate(params) if p.name == "out_channels"), 0)
                params.insert(at, channels)
        return params

    def argument_lines(self, indent: str) -> list[str]:
        """What the block does with its arguments first: a None computed from the others (as
        MONAI computes ``filters``), then each argument with a few allowed values checked, with
        a clear message (not a KeyError deep in a helper)."""
        out: list[str] = []
        for p in self.doc.params:
            if p.when_none is not None:
                out += [f"{indent}if {p.name} is None:"]
                out += assign_lines(indent + I1, p.name, p.when_none)
        for p in self.doc.params:
            if p.choices is None:
                continue
            allowed = literal(tuple(p.choices))
            out += if_lines(indent, "if", f"{p.name} not in {allowed}")
            said = ", ".join(str(c) for c in p.choices[:-1])
            said = f"{said} or {p.choices[-1]}" if said else str(p.choices[-1])
            text = escape_text(said, quote='"').replace("{", "{{").replace("}", "}}")
            message = f'f"{p.name} must be {text}, not {{{p.name}!r}}."'
            out += call_lines(indent + I1, "raise ValueError", [message])
        levels = dynunet_levels(self.doc)
        if levels is not None:  # MONAI's checks (and the depth, when the code is not looped)
            self.helpers.add("dynunet")
            args = [*DYNUNET_ARGS] if levels == ANY_DEPTH else [*DYNUNET_ARGS, str(levels)]
            out += call_lines(indent, "_check_dynunet_args", args)
        return out

    def channel_check(self, indent: str, given: str, shape: str) -> list[str]:
        """The input must have the channels the block was made for: a declared ``in_channels``
        argument (None: any), or init style's, which ``__init__`` made the sub-layers for."""
        declared = self.doc.param(IN_CHANNELS) is not None
        if declared:
            test = f"{given} is not None and {shape}[-1] != {given}"
        elif self.style == "init" and self.in_init_args:
            test = f"{shape}[-1] != {given}"
        else:
            return []
        return [
            *if_lines(indent, "if", test),
            f"{indent}{I1}raise ValueError(",
            f'{indent}{I2}f"{self.doc.name} was made for {{{given}}} input channels, "',
            f'{indent}{I2}f"not {{{shape}[-1]}}."',
            f"{indent}{I1})",
        ]

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
            f"@keras.saving.register_keras_serializable(package={literal(self.package)})",
            f"class {self.doc.name}(keras.layers.Layer):",
        ]
        summary, rest = split_summary(self.doc.description or f"The {self.doc.name} block.")
        body = [rest] if rest else []
        if params:
            body.append("Args:\n" + "\n".join(self.arg_docs(params)))
        out += docstring_lines(I1, summary, body)
        sig = ["self", *signature(params), "**kwargs"]
        out += [""] + call_lines(I1, "def __init__", sig, ":")
        out.append(f"{I2}super().__init__(**kwargs)")
        out += self.argument_lines(I2)
        out += [f"{I2}self.{p.name} = {p.name}" for p in params]
        in_build = [n for n in self.plan.own_layers() if self.created_in_build(n)]
        in_init = [n for n in self.plan.own_layers() if not self.created_in_build(n)]
        self.lists = layer_lists(self.plan, in_init)
        out += self.create_block(in_init, RefRenderer(attr=False), I2, preset_none=True)
        out += [f"{I2}self.{n.name} = None" for n in in_build]
        weights = self.plan.own_weights()
        for w in weights:  # made in __init__ where the original did, or in init style
            if not self.weight_in_build(w):
                out += weight_lines(w, RefRenderer(attr=False), I2, self.plan.param_types())
        build_weights = [w for w in weights if self.weight_in_build(w)]
        walk = BuildWriter(self.plan, self.attr, self.layers.shape_pad, builds=self.eager)
        walks = walk.any_builds()  # build() builds each sub-layer on the walk of the shapes
        check = self.channel_check(I2, "self.in_channels", self.first_input(shapes=True))
        if in_build or walks or check or build_weights:
            out += ["", f"{I1}def build(self, input_shape):"]
            out += self.unpack(I2, shapes=True) if in_build or check else []
            out += check
            if any(self.plan.needs_shape(n) for n in in_build):
                out.append(f"{I2}in_channels = {self.first_input(shapes=True)}[-1]")
            out += self.create_block(in_build, RefRenderer(attr=True), I2, preset_none=False)
            for w in build_weights:
                out += weight_lines(w, RefRenderer(attr=True), I2, self.plan.param_types())
            if walks:
                out.append(f"{I2}# Build each sub-layer on its input shape: all weights exist now.")
                out.append(f"{I2}self._walk_shapes(input_shape, build=True)")
        training = ", training=None" if any(self.plan.stacked()) else ""
        out += ["", f"{I1}def call(self, inputs{training}):"]
        out += self.unpack(I2, shapes=False)
        if any(self.plan.is_operator(n) and self.plan.needs_shape(n) for n in self.plan.order):
            out.append(f"{I2}in_channels = {self.first_input(shapes=False)}.shape[-1]")
        out += self.call_body(RefRenderer(attr=True), I2, self.attr)
        out += ["", f"{I1}def compute_output_shape(self, input_shape):"]
        if walks:
            out.append(f"{I2}return self._walk_shapes(input_shape)")
            out += ["", f"{I1}def _walk_shapes(self, input_shape, build=False):"]
            out += docstring_lines(
                I2,
                "The shapes call() gives its tensors, from the input's; with ``build``, each "
                "sub-layer is built on its input shape on the way.",
            )
        out += self.shape_lines(walk)
        out += ["", f"{I1}def get_config(self):", f"{I2}config = super().get_config()"]
        if params:
            out += call_lines(I2, "config.update", [f"{p.name}=self.{p.name}" for p in params])
        out.append(f"{I2}return config")
        return out

    def shape_lines(self, walk: BuildWriter) -> list[str]:
        """The walk of call()'s shapes from the input shape to the outputs' (a block used as a
        node, or in a Sequential, is asked for its output shape by the layer around it)."""
        out = self.unpack(I2, shapes=True)
        lines = walk.lines(I2)
        if any(re.search(r"\bin_channels\b", line) for line in lines):  # an operator's if
            out.append(f"{I2}in_channels = {self.first_input(shapes=True)}[-1]")
        out += lines
        names = self.plan.output_names(shapes=True)
        refs = RefRenderer(attr=True)
        outs = self.doc.output_nodes
        if any(self.plan.stacked()):  # what inference returns: the first output alone
            return [*out, f"{I2}return {names[0]}"]
        conditions = [refs.condition(o.condition) if o.condition else None for o in outs]
        return out + return_lines(I2, names, conditions, names)

    def attr(self, node: Node) -> str:
        """The attribute holding ``node``'s layer: ``self.conv1``, or ``self.downsamples[0]``
        for a member of a list (MONAI's ModuleList)."""
        if node.id in self.lists:
            base, index = self.lists[node.id]
            return f"self.{base}[{index}]"
        return f"self.{node.name}"

    def weight_in_build(self, node: Node) -> bool:
        """A weight of the block's own is made in build() unless made in __init__ (the
        original's choice, or init style, which makes everything there)."""
        return self.style == "build" and node.lifecycle == "build"

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
            if node.repeat is not None:
                return LoopWriter(self.plan, self).create(node, refs, at)
            if node.id not in self.lists:
                return self.layers.assign(node, refs, at, f"self.{node.name} = ")
            base, index = self.lists[node.id]
            if index:
                return []  # made with the first of its list
            members = [n for n in nodes if self.lists.get(n.id, ("",))[0] == base]
            out = [f"{at}self.{base} = ["]
            for member in members:
                made = self.layers.assign(member, refs, at + I1, "")
                out += [*made[:-1], made[-1] + ","]
            return [*out, f"{at}]"]

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
