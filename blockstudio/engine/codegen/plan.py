"""What generated code needs to know about a document: live nodes, order, variables, refs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from blockstudio.core.catalog import Catalog, KindSpec
from blockstudio.core.conditions import IN_CHANNELS, condition_names
from blockstudio.core.document import (
    INPUT_KIND,
    OUTPUT_KIND,
    Document,
    Node,
)
from blockstudio.core.graph import reachable_from_inputs, reaching, topological_order
from blockstudio.core.names import is_identifier
from blockstudio.core.problems import Problem, errors
from blockstudio.core.shapes import first_shape
from blockstudio.core.sources import ARITHMETIC_KINDS, SOURCE_KINDS, WEIGHT_KIND
from blockstudio.core.validate import CODEGEN_NAMES, validate

# Weightless merges written as the arithmetic people write (``x + res``), not kept as sub-layers:
# kind → operator.
OPERATORS = dict(zip(ARITHMETIC_KINDS, ("+", "-", "*"), strict=True))


class CodegenError(Exception):
    """The document cannot be turned into code; ``problems`` say why and where."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        where = first.node_id or "block"
        if first.param:
            where += f".{first.param}"
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        lines = "\n".join(f"  {p}" for p in problems[:10])
        super().__init__(f"{where}: {first.message}{more}\n{lines}")


@dataclass
class Plan:
    """The document reduced to what code generation walks."""

    doc: Document
    catalog: Catalog
    order: list[Node]  # layer nodes on an Input→Output path, in call order
    inputs: dict[str, list[str]]  # node id → source node ids by port
    var: dict[str, str] = field(default_factory=dict)  # node id → variable holding its output
    chain_head: set[str] = field(default_factory=set)  # nodes that start a new variable
    output_srcs: list[str] = field(default_factory=list)  # what each Output returns, in order
    input_vars: list[str] = field(default_factory=list)  # several inputs' variables ([]: one)

    def spec(self, node: Node) -> KindSpec:
        spec = self.catalog.get(node.kind)
        assert spec is not None
        return spec

    def owner(self, node: Node) -> Node:
        return self.doc.nodes[node.shares] if node.shares else node

    def own_layers(self) -> list[Node]:
        """The sub-layers the block makes: its nodes but those sharing a layer, operators and
        sources (a weight of the block's own, a position range)."""
        return [
            n
            for n in self.order
            if n.shares is None and not self.is_operator(n) and n.kind not in SOURCE_KINDS
        ]

    def input_var(self) -> str:
        """The variable of the block's (first) input in call(): what a range's length reads."""
        first = next(iter(self.doc.input_nodes), None)
        return self.var[first.id] if first is not None else "inputs"

    def param_types(self) -> dict[str, str]:
        return {p.name: p.type for p in self.doc.params}

    def shape_src(self, node: Node) -> str:
        """The input whose shape an operator gives (``x`` in ``x * self.gamma``): the first
        that is no weight or range, which broadcast onto it."""
        srcs = self.inputs[node.id]
        return next((s for s in srcs if self.doc.nodes[s].kind not in SOURCE_KINDS), srcs[0])

    def own_weights(self) -> list[Node]:
        """The weights the block makes itself (``self.add_weight``)."""
        return [n for n in self.order if n.kind == WEIGHT_KIND]

    def is_operator(self, node: Node) -> bool:
        """A weightless merge the code writes as ``a + b`` (no sub-layer, nothing to build)."""
        return self.owner(node).kind in OPERATORS

    def spatial_dims_ref(self) -> str | None:
        return "spatial_dims" if self.doc.param("spatial_dims") is not None else None

    def static_spatial_dims(self) -> int:
        return max(len(first_shape(self.doc.input_shape)) - 2, 1)

    @property
    def output_src(self) -> str:
        """What the first Output returns (the main path, ``x``)."""
        return self.output_srcs[0]

    def output_names(self, shapes: bool = False) -> list[str]:
        """What each Output returns: a variable, or ``*list`` for the instances of a repeat
        without a chain (their shapes' list in the walk of shapes)."""
        out = []
        for src in self.output_srcs:
            node = self.doc.nodes[src]
            var = self.var[src]
            if node.repeat is not None and not node.repeat.chain:
                out.append(f"*{var}_shapes" if shapes else f"*{var}")
            else:
                out.append(
                    ("input_shape" if var == "inputs" else f"{var}_shape") if shapes else var
                )
        return out

    def stacked(self) -> list[bool]:
        """Whether each Output is stacked with the first in training (deep supervision)."""
        return [bool(o.params.get("stack")) for o in self.doc.output_nodes]

    def needs_shape(self, node: Node) -> bool:
        return node.condition is not None and IN_CHANNELS in condition_names(node.condition)


def make_plan(doc: Document, catalog: Catalog) -> Plan:
    problems = errors(validate(doc, catalog))
    if problems:
        raise CodegenError(problems)
    ins, outs = doc.input_nodes, doc.output_nodes
    assert ins and outs
    reach: set[str] = set()
    for outp in outs:
        reach |= reaching(doc, outp.id)
    live = reachable_from_inputs(doc) & reach
    order_ids = _chain_order(doc, live)
    inputs: dict[str, list[str]] = {}
    for e in sorted(doc.edges, key=lambda e: e.port):
        if e.src in live and e.dst in live:
            inputs.setdefault(e.dst, []).append(e.src)
    for n in live:
        if doc.nodes[n].kind in SOURCE_KINDS:
            inputs[n] = []  # fed by nothing: a weight, a range
    order = [
        doc.nodes[n]
        for n in order_ids
        if n in live and doc.nodes[n].kind not in (INPUT_KIND, OUTPUT_KIND)
    ]
    srcs = [inputs[o.id][0] for o in outs]
    names = [n.name for n in ins] if len(ins) > 1 else []  # one input is ``inputs``
    plan = Plan(doc, catalog, order, inputs, output_srcs=srcs, input_vars=names)
    _name_variables(plan, [n.id for n in ins])
    for node in order:  # a repeat without a chain gives a list: it is held in one
        if node.repeat is not None and not node.repeat.chain:
            plan.var[node.id] = node.repeat.collect or f"{node.name}_outs"
    return plan


def _chain_order(doc: Document, live: set[str]) -> list[str]:
    """A topological order that finishes one path before starting the next, as people write.

    Among the nodes whose inputs are ready it prefers a successor of the node just placed, then
    the earliest in plain topological order.
    """
    rank = {nid: i for i, nid in enumerate(topological_order(doc)[0])}
    preds: dict[str, set[str]] = {n: set() for n in live}
    succs: dict[str, list[str]] = {n: [] for n in live}
    for e in doc.edges:
        if e.src in live and e.dst in live:
            preds[e.dst].add(e.src)
            succs[e.src].append(e.dst)
    done: set[str] = set()
    order: list[str] = []
    ready = {n for n in live if not preds[n]}
    last: str | None = None
    while ready:
        follow = [n for n in succs.get(last, []) if n in ready] if last else []
        nxt = min(follow or ready, key=rank.__getitem__)
        ready.discard(nxt)
        done.add(nxt)
        order.append(nxt)
        last = nxt
        for s in succs[nxt]:
            if s not in done and preds[s] <= done:
                ready.add(s)
    return order


def _name_variables(plan: Plan, input_ids: list[str]) -> None:
    """Give every output a variable: a chain of single-consumer nodes reuses one variable.

    The chain that gives the output is ``x``; the others are named by :func:`_chain_name`.
    One input is ``inputs``; several are unpacked from it into variables named after their
    Input nodes.
    """
    consumers: dict[str, int] = {}
    for nid, srcs in plan.inputs.items():
        node = plan.doc.nodes[nid]
        # a repeat's skip reads the list its source collects, not the source's variable
        skip = node.repeat.skip.port if node.repeat and node.repeat.skip else None
        for port, s in enumerate(srcs):
            if port != skip:
                consumers[s] = consumers.get(s, 0) + 1
    chain_of: dict[str, int] = {}
    chains: list[list[Node]] = []
    weights = {n.id for n in plan.own_weights()}
    for node in plan.order:
        if node.id in weights:
            continue  # held by the block: self.gamma
        first = plan.inputs[node.id][0] if plan.inputs[node.id] else None
        unchained = node.repeat is not None and not node.repeat.chain  # it gives a list
        if (
            not unchained
            and first is not None
            and first not in input_ids
            and consumers.get(first) == 1
            and first in chain_of
        ):
            chain_of[node.id] = chain_of[first]
            chains[chain_of[first]].append(node)
        else:
            chain_of[node.id] = len(chains)
            chains.append([node])
            plan.chain_head.add(node.id)
    # the chain that reaches the Output is the main path, ``x`` (the first one if none does)
    main = next((i for i, ch in enumerate(chains) if ch[-1].id == plan.output_src), 0)
    chains, main = _split_unnamed(chains, main)
    chain_of = {n.id: i for i, chain in enumerate(chains) for n in chain}
    plan.chain_head |= {chain[0].id for chain in chains}
    taken = _taken(plan.doc) - {"x"}
    names: list[str] = []
    for i, chain in enumerate(chains):
        base = "x" if i == main else _chain_name(chain)
        name, k = base, 2
        while name in taken or name in names:
            name, k = f"{base}{k}", k + 1
        names.append(name)
    if len(input_ids) == 1:
        plan.var[input_ids[0]] = "inputs"
    else:
        for nid in input_ids:
            plan.var[nid] = plan.doc.nodes[nid].name
    for node in plan.order:
        plan.var[node.id] = names[chain_of[node.id]] if node.id in chain_of else f"self.{node.name}"


def _split_unnamed(chains: list[list[Node]], main: int) -> tuple[list[list[Node]], int]:
    """A side chain whose nodes share no name prefix would be named after one of them and hold
    the others' outputs (``upsamples_0_out = self.bottleneck(...)``): each unconditional node
    of it starts a variable of its own. Conditional nodes stay: absent, they pass the value on.
    """
    out: list[list[Node]] = []
    new_main = 0
    for i, chain in enumerate(chains):
        if i == main:
            new_main = len(out)
        if i == main or len(chain) == 1 or _prefix(chain):
            out.append(chain)
            continue
        out.append([chain[0]])
        for node in chain[1:]:
            if node.condition is None:
                out.append([node])
            else:
                out[-1].append(node)
    return out, new_main


def _prefix(chain: list[Node]) -> str:
    """The name prefix the nodes of a chain share (``res`` for res_conv, res_norm), or ""."""
    prefix = os.path.commonprefix([n.name for n in chain]).rstrip("_0123456789")
    return prefix if len(prefix) >= 2 and prefix.isidentifier() else ""


def layer_lists(plan: Plan, created: list[Node]) -> dict[str, tuple[str, int]]:
    """Nodes named ``<base>_0``, ``<base>_1``, ... (numbered from 0, even just one) created one
    after another in ``__init__`` without a condition, held as one list attribute
    (``self.downsamples[0]``), as MONAI's ModuleLists are: node id → (base, index). Weight
    paths keep the node names."""

    def numbered(node: Node) -> tuple[str, int] | None:
        base, _, digits = node.name.rpartition("_")
        ok = base and digits.isdigit() and str(int(digits)) == digits
        return (base, int(digits)) if ok else None

    groups: dict[str, list[tuple[int, Node]]] = {}
    for node in created:
        found = numbered(node)
        if found:
            groups.setdefault(found[0], []).append((found[1], node))
    # a group is all of its numbered nodes: none conditional, none made elsewhere
    created_ids = {n.id for n in created}
    for node in plan.doc.nodes.values():
        found = numbered(node)
        if found and (node.condition is not None or node.id not in created_ids):
            groups.pop(found[0], None)
    taken = _taken(plan.doc)
    at = {n.id: i for i, n in enumerate(created)}
    out: dict[str, tuple[str, int]] = {}
    for base, members in groups.items():
        places = [at[n.id] for _, n in members]
        in_order = [i for i, _ in members] == list(range(len(members)))
        together = places == list(range(places[0], places[0] + len(members)))
        if in_order and together and is_identifier(base) and base not in taken:
            out.update({n.id: (base, i) for i, n in members})
    return out


def _taken(doc: Document) -> set[str]:
    """Names a new variable or attribute of the generated code may not take."""
    return set(CODEGEN_NAMES) | {p.name for p in doc.params} | {n.name for n in doc.nodes.values()}


def _chain_name(chain: list[Node]) -> str:
    """What the chain's tensor holds: the common prefix of its nodes (``res`` for res_conv,
    res_norm), else the output of its one node (``b_conv_out``): never the node's own name,
    which in functional code is the layer."""
    prefix = _prefix(chain)
    if len(chain) > 1 and prefix:
        return prefix
    return f"{chain[-1].name}_out"
