"""Repeated nodes made concrete: the one place a repeat becomes its instances.

A node with a :class:`~blockstudio.core.document.Repeat` stands for ``count`` instances
(``downsamples_0``, ``downsamples_1``, ...), as MONAI's ``nn.ModuleList``. :func:`expand` turns a
document and the block's values into a plain document of those instances: each instance's
parameters indexed by its repeat index (``strides[i + 1]`` becomes ``strides[2]`` for ``i = 1``),
chained instances wired one into the next, a ``skip`` input wired to the entry of the source's
collected list, and an Output fed by a repeat that is not chained made once per instance. Shape
inference, validation, code generation (and through it the tracer, the timeline and the checkup)
all read the expanded document, so a repeat means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from blockstudio.core.document import OUTPUT_KIND, Document, Edge, Expr, Node, ParamRef
from blockstudio.core.expressions import ExpressionError, evaluate_expression
from blockstudio.core.problems import Problem

MOST_INSTANCES = 256  # a count above this is a mistake, not a network


class RepeatError(ValueError):
    """A repeat that cannot be expanded; ``node_id`` is the repeated node (or its consumer)."""

    def __init__(self, node_id: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.node_id, self.message, self.param = node_id, message, param


@dataclass
class Expansion:
    """The concrete document, where each instance came from, and what stands for each repeat."""

    doc: Document
    origin: dict[str, tuple[str, int]] = field(default_factory=dict)  # instance → (repeat, i)
    stands: dict[str, str | None] = field(default_factory=dict)  # repeat → node giving its output
    counts: dict[str, int] = field(default_factory=dict)  # repeat → instances made

    def instances(self, repeat_id: str) -> list[str]:
        return [nid for nid, (rid, _) in self.origin.items() if rid == repeat_id]


def has_repeats(doc: Document) -> bool:
    """Whether ``doc`` needs :func:`expand`: a repeated node, or a value computed by an
    expression (``strides[len(strides) - 1]``: the bottleneck's level)."""
    return any(n.repeat is not None or _computed(n) for n in doc.nodes.values())


def _computed(node: Node) -> bool:
    return any(
        isinstance(v, Expr) or (isinstance(v, ParamRef) and isinstance(v.index, str))
        for v in node.params.values()
    )


def instance_id(node: Node, i: int) -> str:
    return f"{node.id}_{i}"


def instance_name(node: Node, i: int) -> str:
    return f"{node.name}_{i}"


def repeat_count(node: Node, env: dict[str, Any]) -> int:
    """How many instances ``node`` makes with the block's values ``env``."""
    assert node.repeat is not None
    text = node.repeat.count
    try:
        value = evaluate_expression(text, env)
    except ExpressionError as exc:
        raise RepeatError(node.id, f"{node.name}: repeat count {text!r}: {exc}", "repeat") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RepeatError(
            node.id,
            f"{node.name}: repeat count {text!r} gives {value!r}, not a whole number.",
            "repeat",
        )
    if not 0 <= value <= MOST_INSTANCES:
        raise RepeatError(
            node.id,
            f"{node.name}: repeat count {text!r} gives {value}; it must be 0 to {MOST_INSTANCES}.",
            "repeat",
        )
    return value


def instance_value(node: Node, key: str, value: Any, env: dict[str, Any]) -> Any:
    """``value`` for instance ``env[index]`` of repeated ``node``: an expression index
    evaluated (a negative one counted from the end), an :class:`Expr` computed."""
    if isinstance(value, ParamRef) and isinstance(value.index, str):
        try:
            at = evaluate_expression(value.index, env)
        except ExpressionError as exc:
            raise RepeatError(node.id, f"{node.name}.{key}: index {value.index!r}: {exc}") from None
        if not isinstance(at, int) or isinstance(at, bool):
            raise RepeatError(
                node.id,
                f"{node.name}.{key}: index {value.index!r} gives {at!r}, not a whole number.",
            )
        whole = env.get(value.param)
        if at < 0 and isinstance(whole, tuple | list):
            at += len(whole)
        if at < 0:
            raise RepeatError(
                node.id,
                f"{node.name}.{key}: index {value.index!r} is {at} for "
                f"{_index_name(node)} = {env.get(_index_name(node))}: before the first entry of "
                f"{value.param}.",
            )
        return ParamRef(value.param, at)
    if isinstance(value, Expr):
        try:
            return evaluate_expression(value.text, env)
        except ExpressionError as exc:
            raise RepeatError(node.id, f"{node.name}.{key}: {value.text!r}: {exc}") from None
    return value


def _index_name(node: Node) -> str:
    return node.repeat.index if node.repeat is not None else "i"


def expand(doc: Document, env: dict[str, Any]) -> Expansion:
    """``doc`` with every repeated node made concrete for the block's values ``env``.

    A document without repeats is returned as it is (no copy). Raises :class:`RepeatError`
    naming the node when a count, an index or a skip cannot be worked out.
    """
    if not has_repeats(doc):
        return Expansion(doc)
    for node in doc.nodes.values():
        if node.repeat is not None and node.shares is not None:
            raise RepeatError(node.id, f"{node.name}: a repeated node cannot share a layer.")
        if node.repeat is not None and node.condition is not None:
            raise RepeatError(
                node.id,
                f"{node.name}: a repeated node cannot have a condition; put it in the count "
                f"instead ({node.repeat.count!r} if {node.condition} else 0).",
                "condition",
            )
    counts = {n.id: repeat_count(n, env) for n in doc.nodes.values() if n.repeat is not None}
    incoming: dict[str, list[Edge]] = {}
    for e in doc.edges:
        incoming.setdefault(e.dst, []).append(e)
    stands: dict[str, str | None] = {}

    def stand(nid: str, seen: tuple[str, ...] = ()) -> str | None:
        """The node whose output an ordinary consumer of ``nid`` reads."""
        node = doc.nodes.get(nid)
        if node is None or node.repeat is None:
            return nid
        if nid in stands:
            return stands[nid]
        if nid in seen:
            return None  # a cycle: validation of the graph reports it
        n = counts[nid]
        if n:
            found: str | None = instance_id(node, n - 1)
        else:  # no instance: a chain passes its input on, anything else gives nothing
            first = [e for e in incoming.get(nid, []) if e.port == 0]
            found = stand(first[0].src, (*seen, nid)) if first and node.repeat.chain else None
        stands[nid] = found
        return found

    def collection(nid: str) -> list[str | None]:
        node = doc.nodes[nid]
        made = [instance_id(node, i) for i in range(counts[nid])]
        if not node.repeat.chain:
            return list(made)
        first = [e for e in incoming.get(nid, []) if e.port == 0]
        return [stand(first[0].src) if first else None, *made]

    out = Expansion(Document(doc.name, doc.input_shape, doc.params, doc.description))
    new = out.doc
    outputs_per_instance: dict[str, str] = {}  # an Output fed by an unchained repeat
    for e in doc.edges:
        src = doc.nodes.get(e.src)
        dst = doc.nodes.get(e.dst)
        if src is not None and src.repeat is not None and not src.repeat.chain:
            if dst is not None and dst.kind == OUTPUT_KIND:
                outputs_per_instance[dst.id] = src.id
    for node in doc.nodes.values():
        if node.repeat is not None:
            for i in range(counts[node.id]):
                inner = {**env, node.repeat.index: i}
                params = {k: instance_value(node, k, v, inner) for k, v in node.params.items()}
                nid = instance_id(node, i)
                if nid in doc.nodes:
                    raise RepeatError(
                        node.id, f"{node.name}: instance id {nid!r} is taken by another node."
                    )
                x, y = node.position
                new.add_node(
                    Node(
                        nid,
                        node.kind,
                        instance_name(node, i),
                        params,
                        node.lifecycle,
                        node.condition,
                        None,
                        (x + 40.0 * i, y + 40.0 * i),
                    )
                )
                out.origin[nid] = (node.id, i)
        elif node.id in outputs_per_instance:
            base = node.params.get("index", 0)
            base = base if isinstance(base, int) else 0
            source = doc.nodes[outputs_per_instance[node.id]]
            for i in range(counts[source.id]):
                params = {**node.params, "index": base + i}
                new.add_node(
                    node.with_changes(
                        id=instance_id(node, i), name=instance_name(node, i), params=params
                    )
                )
                out.origin[instance_id(node, i)] = (node.id, i)
        elif _computed(node):
            params = {k: instance_value(node, k, v, env) for k, v in node.params.items()}
            new.add_node(node.with_changes(params=params))
        else:
            new.add_node(node)
    for e in doc.edges:
        for edge in _edges_for(doc, e, counts, stand, collection):
            new.add_edge(edge)
    for nid, node in doc.nodes.items():
        if node.repeat is not None and node.repeat.chain:
            for i in range(counts[nid] - 1):
                new.add_edge(Edge(instance_id(node, i), instance_id(node, i + 1), 0))
    out.stands = {nid: stand(nid) for nid in counts}
    out.counts = counts
    return out


def _edges_for(doc: Document, e: Edge, counts, stand, collection) -> list[Edge]:
    src, dst = doc.nodes.get(e.src), doc.nodes.get(e.dst)
    if src is None or dst is None:
        return [e]  # validation of the edges reports it
    if dst.kind == OUTPUT_KIND and src.repeat is not None and not src.repeat.chain:
        return [
            Edge(instance_id(src, i), instance_id(dst, i), e.port) for i in range(counts[src.id])
        ]
    if dst.repeat is None:
        if src.repeat is not None and not src.repeat.chain:
            raise RepeatError(
                dst.id,
                f"{dst.name} reads {src.name}, which is repeated without a chain and so has "
                f"one output per instance: feed an Output with it, or read it as a skip.",
            )
        found = stand(src.id)
        return [] if found is None else [Edge(found, dst.id, e.port)]
    rep = dst.repeat
    n = counts[dst.id]
    if rep.skip is not None and e.port == rep.skip.port:
        if src.repeat is None or src.repeat.collect is None:
            raise RepeatError(
                dst.id,
                f"{dst.name} reads input {e.port} as a skip, so it needs a repeated node that "
                f"collects its outputs; {src.name} does not (give it repeat.collect).",
            )
        entries = collection(src.id)
        edges = []
        for i in range(n):
            at = -(i + 1 + rep.skip.offset) if rep.skip.reverse else i + rep.skip.offset
            if not -len(entries) <= at < len(entries) or entries[at] is None:
                raise RepeatError(
                    dst.id,
                    f"{instance_name(dst, i)} needs entry {at} of {src.repeat.collect}, which "
                    f"holds {len(entries)} ({src.name}'s input and its {counts[src.id]} "
                    f"instances): {dst.name} repeats {n} times.",
                )
            edges.append(Edge(entries[at], instance_id(dst, i), e.port))
        return edges
    if src.repeat is not None and not src.repeat.chain:
        raise RepeatError(
            dst.id,
            f"{dst.name} reads {src.name}, which is repeated without a chain: read it as a "
            "skip (repeat.skip) to take one instance each.",
        )
    found = stand(src.id)
    if found is None:
        return []
    if rep.chain and e.port == 0:
        return [Edge(found, instance_id(dst, 0), 0)] if n else []
    return [Edge(found, instance_id(dst, i), e.port) for i in range(n)]


def instance_problems(
    doc: Document, env: dict[str, Any], check: Callable[[Document], list[Problem]], block
) -> list[Problem]:
    """The problems ``check`` finds in the instances ``doc`` makes with the values ``env``,
    each on its repeated node, naming the instance (``downsamples_1: ...``); if the repeat
    itself cannot be expanded, that, after the ``block``'s own problems."""
    try:
        expansion = expand(doc, env)
    except RepeatError as exc:
        return [*block, Problem("bad_repeat", exc.message, exc.node_id, exc.param)]
    out: list[Problem] = []
    for p in check(expansion.doc):
        if p.node_id in expansion.origin:
            rid, _ = expansion.origin[p.node_id]
            name = expansion.doc.nodes[p.node_id].name
            said = p.message if p.message.startswith(name) else f"{name}: {p.message}"
            p = Problem(p.code, said, rid, p.param, p.severity)
        if p not in out:
            out.append(p)
    return out


def stand_for_repeats(
    expansion: Expansion, shapes: dict, present: dict, counts: dict[str, int]
) -> None:
    """A repeated node's card shows its last instance's output shape and every instance's
    parameters: the results of the expanded document, given the repeated nodes' ids too."""
    for rid, stand in expansion.stands.items():
        if stand is not None and stand in shapes:
            shapes[rid] = shapes[stand]
            present[rid] = present.get(stand, True)
        made = [counts.get(i) for i in expansion.instances(rid)]
        if made and None not in made:
            counts[rid] = sum(made)
