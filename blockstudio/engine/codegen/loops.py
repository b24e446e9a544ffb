"""Repeated nodes as loops, as MONAI writes them: a list of layers made by a comprehension,
called in a ``for`` loop that keeps the skips, and read back in reverse on the way up::

    self.downsamples = [UnetLevelBlock(..., name=f"downsamples_{i}") for i in range(n)]
    ...
    skips = [x]
    for downsample in self.downsamples:
        x = downsample(x)
        skips.append(x)
    for upsample, skip in zip(self.upsamples, reversed(skips)):
        x = upsample([x, skip])

The layer names stay ``downsamples_0``, ``downsamples_1``, ...: Keras's weight paths are MONAI's
module paths with the ModuleList index after an underscore, so checkpoints map one to one.
"""

from __future__ import annotations

from blockstudio.core.document import Node
from blockstudio.core.problems import Problem
from blockstudio.engine.codegen.plan import CodegenError, Plan, _taken
from blockstudio.engine.codegen.refs import RefRenderer
from blockstudio.engine.pyformat import LINE, call_lines, if_lines

I1 = "    "


def collections(plan: Plan) -> dict[str, str]:
    """The list each repeated node's outputs are kept in, by node id: its ``collect`` name, or
    ``<name>_outs`` for one that is not chained (its outputs are a list)."""
    out: dict[str, str] = {}
    for node in plan.order:
        rep = node.repeat
        if rep is not None and (rep.collect or not rep.chain):
            out[node.id] = rep.collect or f"{node.name}_outs"
    return out


def loop_name(plan: Plan, node: Node) -> str:
    """The loop variable of one instance: ``downsample`` for ``downsamples``."""
    base = node.name[:-1] if node.name.endswith("s") and len(node.name) > 1 else node.name
    taken = _taken(plan.doc) | set(plan.var.values()) | set(collections(plan).values())
    name = base if base != node.name else f"{base}_layer"
    while name in taken:
        name += "_layer"
    return name


def count_source(refs: RefRenderer, node: Node) -> str:
    assert node.repeat is not None
    return refs.expr(node.repeat.count)


def skip_source(plan: Plan, node: Node, shapes: bool) -> tuple[int, str] | None:
    """The port a repeat reads as a skip, and the iterable giving one entry per instance."""
    rep = node.repeat
    if rep is None or rep.skip is None:
        return None
    src = plan.inputs[node.id][rep.skip.port]
    coll = collections(plan)[src]
    if shapes:
        coll = f"{coll}_shapes"
    k = rep.skip.offset
    if rep.skip.reverse:
        return rep.skip.port, f"reversed({coll}[:-{k}])" if k else f"reversed({coll})"
    return rep.skip.port, f"{coll}[{k}:]" if k else coll


def comprehension_lines(indent: str, target: str, head: str, args: list[str], loop: str):
    """``target[head(args) for loop]`` as ruff lays it out: one line if it fits, else the call
    and the ``for`` on lines of their own."""
    call = call_lines("", head, args)
    if len(call) == 1:
        one = f"{indent}{target}[{call[0]} {loop}]"
        if len(one) <= LINE:
            return [one]
    inner = call_lines(indent + I1, head, args)
    return [f"{indent}{target}[", *inner, f"{indent}{I1}{loop}", f"{indent}]"]


class LoopWriter:
    """Writes a repeated node's creation, forward loop and shape walk for one generator."""

    def __init__(self, plan: Plan, gen=None) -> None:
        self.gen = gen  # the generator (its sub-layer writer and style), for create and forward
        self.plan = plan

    def index(self, node: Node) -> str:
        assert node.repeat is not None
        return node.repeat.index

    def refuse_unwritable(self, node: Node) -> None:
        """What a loop does not write yet is refused, never written wrong."""
        why = None
        if self.plan.is_operator(node):
            why = f"{node.kind} is written as an operator (a + b), not a layer a loop can call"
        elif self.gen is not None and self.gen.layers.pad_args(node, RefRenderer(True)):
            why = "a convolution with symmetric padding is not written as a loop yet"
        if why:
            message = f"{node.name} is repeated and {why}: wrap it in a block and repeat that."
            raise CodegenError([Problem("bad_repeat", message, node.id)])

    # -- creation -------------------------------------------------------------------------
    def create(self, node: Node, refs: RefRenderer, indent: str) -> list[str]:
        """``self.<name> = [Kind(..., name=f"<name>_{i}") for i in range(count)]``."""
        self.refuse_unwritable(node)
        i = self.index(node)
        inner = refs.with_local(i)
        head, args = self.gen.layers.constructor(node, inner)
        loop = f"for {i} in range({count_source(refs, node)})"
        return comprehension_lines(indent, f"self.{node.name} = ", head, args, loop)

    # -- forward --------------------------------------------------------------------------
    def forward(self, node: Node, refs: RefRenderer, indent: str, layer: str) -> list[str]:
        """The loop calling each instance (functional style: creating it there too)."""
        self.refuse_unwritable(node)
        plan = self.plan
        rep = node.repeat
        assert rep is not None
        var = plan.var[node.id]
        coll = collections(plan).get(node.id)
        one = loop_name(plan, node)
        functional = self.gen.style == "functional"
        i = self.index(node)
        layers = f"range({count_source(refs, node)})" if functional else layer
        out, srcs = self._open(node, indent, var, str, coll, "", i if functional else one, layers)
        body = indent + I1
        if functional:
            ctor, args = self.gen.layers.constructor(node, refs.with_local(i))
            out += call_lines(body, f"{one} = {ctor}", args)
        arg = [f"[{', '.join(srcs)}]"] if self.plan.spec(node).call == "list" else srcs[:1]
        if rep.chain:
            out += call_lines(body, f"{var} = {one}", arg)
            if coll:
                out.append(f"{body}{coll}.append({var})")
        else:
            out += call_lines(body, f"{coll}.append", [f"{one}({', '.join(arg)})"])
        return out

    # -- shapes ---------------------------------------------------------------------------
    def shapes(self, node: Node, indent: str, builds: bool, var_of) -> list[str]:
        """The same loop over shapes; with ``builds`` each instance is built on its input."""
        plan = self.plan
        rep = node.repeat
        assert rep is not None
        var = var_of(plan.var[node.id])
        coll = collections(plan).get(node.id)
        coll = f"{coll}_shapes" if coll else None
        one = loop_name(plan, node)
        spec = plan.spec(node)
        out, srcs = self._open(node, indent, var, var_of, coll, "_shape", one, f"self.{node.name}")
        body = indent + I1
        arg = [f"[{', '.join(srcs)}]"] if spec.call == "list" else srcs[:1]
        if builds and spec.builds:
            out += if_lines(body, "if", "build") + call_lines(body + I1, f"{one}.build", arg)
        target = var if rep.chain else "out_shape"
        if spec.same_shape:
            out.append(f"{body}{target} = {arg[0]}")
        else:
            out += call_lines(body, f"{target} = {one}.compute_output_shape", arg)
        if coll:
            out.append(f"{body}{coll}.append({target})")
        return out

    def _open(self, node, indent, var, var_of, coll, suffix, first, layers):
        """What comes before a repeat's loop body: the chain's start and its list, and the
        ``for`` line; with the sources of a call (its skip the loop's item)."""
        plan = self.plan
        rep = node.repeat
        srcs = [var_of(plan.var[s]) for s in plan.inputs[node.id]]
        skip = skip_source(plan, node, shapes=bool(suffix))
        out: list[str] = []
        if rep.chain:
            if var != srcs[0]:
                out.append(f"{indent}{var} = {srcs[0]}")
            srcs = [var, *srcs[1:]]
            if coll:
                out.append(f"{indent}{coll} = [{var}]")
        else:
            out.append(f"{indent}{coll} = []")
        names = [first]
        head = layers
        if skip is not None:
            port, entries = skip
            item = ("skip" if rep.chain else "feature") + suffix
            srcs = [*srcs[:port], item, *srcs[port + 1 :]] if port < len(srcs) else srcs
            names.append(item)
            head = f"zip({layers}, {entries}, strict=False)"
        loop = f"for {', '.join(names)} in {head}:"
        out += [f"{indent}{loop}"] if len(indent + loop) <= LINE else _long_for(indent, names, head)
        return out, srcs


def _long_for(indent: str, names: list[str], head: str) -> list[str]:
    """A ``for`` whose iterable does not fit: ruff splits the zip's arguments."""
    func, _, rest = head.partition("(")
    args = [a.strip() for a in _split_args(rest[:-1])]
    lines = call_lines(indent, f"for {', '.join(names)} in {func}", args, ":")
    return lines


def _split_args(text: str) -> list[str]:
    depth, start, out = 0, 0, []
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:k])
            start = k + 1
    out.append(text[start:])
    return out
