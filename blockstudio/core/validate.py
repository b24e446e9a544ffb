"""Validation: every problem in a document at once, each with a code and a location."""

from __future__ import annotations

from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.conditions import (
    IN_CHANNELS,
    ConditionError,
    check_names,
    condition_names,
    evaluate_condition,
)
from blockstudio.core.document import (
    INPUT_KIND,
    LIFECYCLES,
    OUTPUT_KIND,
    PARAM_TYPES,
    Document,
    Node,
    ParamRef,
)
from blockstudio.core.library import PATH_MARK, BlockError, is_block_kind, kind_label
from blockstudio.core.monai_checks import dynunet_problem
from blockstudio.core.names import RESERVED, is_identifier, name_problem
from blockstudio.core.params import (
    block_env,
    check_block_param,
    check_value,
    resolve,
    resolved,
    text_problem,
    when_none_problems,
    with_defaults,
)
from blockstudio.core.problems import Problem
from blockstudio.core.repeat import has_repeats, instance_problems
from blockstudio.core.shapes import input_shapes
from blockstudio.core.validate_axes import axes_problem
from blockstudio.core.validate_graph import (
    check_edges,
    check_graph,
    check_inputs,
    distinct_indexes,
)
from blockstudio.core.validate_refs import index_problem, ref_type, ref_type_mismatch

# Names the generated code itself uses; a node or block parameter with one would clash.
CODEGEN_NAMES = RESERVED


def validate(doc: Document, catalog: Catalog) -> list[Problem]:
    """All problems of ``doc``: block fields, names, params, conditions, edges and graph shape.

    Repeated nodes are checked as the instances they make with the block's values (each problem
    on the repeated node, naming the instance).
    """
    if has_repeats(doc):
        block = [p for p in _check_block(doc, catalog) if p.node_id is None]
        return instance_problems(doc, block_env(doc), lambda d: validate(d, catalog), block)
    problems: list[Problem] = []
    problems += _check_block(doc, catalog)
    names: dict[str, str] = {}
    env = block_env(doc)  # the block's values, once: every node reads them
    for node in doc.nodes.values():
        problems += _check_node(doc, catalog, node, names, env)
    problems += check_edges(doc, catalog)
    problems += check_graph(doc)
    problems += _check_blocks(doc, catalog, env)
    msg = dynunet_problem(doc, env)
    if msg:  # what MONAI's DynUNet refuses, in its words (or a depth this block does not build)
        problems.append(Problem("bad_param", msg, param="params.strides"))
    return problems


def _check_blocks(doc: Document, catalog: Catalog, env: dict[str, Any]) -> list[Problem]:
    """A block that contains itself, and the problems inside each block node, reported on the
    node with the path inside: ``down1 › conv1: …``."""
    library = catalog.library
    if library is None or not library.uses(doc):
        return []
    try:
        library.closure(doc, catalog)
    except BlockError as exc:
        return [Problem("bad_block", _sentence(exc))]
    inner_problems: dict[tuple, list[Problem]] = {}
    out: list[Problem] = []
    for node in doc.nodes.values():
        if not is_block_kind(node.kind) or node.shares is not None:
            continue
        # the inner block as this node makes it: its parameters take the node's values
        values = resolved(node.params, env)
        extra = _extra_outputs(library.document(node.kind, catalog), node, values)
        if extra:
            label, others = kind_label(node.kind), ", ".join(extra)
            msg = (
                f"{label} can return {len(extra) + 1} outputs here ({others} besides the "
                "first), and a block node has one output port: leave them off (their "
                "conditions say when they are returned)."
            )
            out.append(Problem("bad_block", msg, node.id))
            continue
        key = (node.kind, repr(sorted(values.items())))
        if key not in inner_problems:
            inner = with_defaults(library.document(node.kind, catalog), values)
            inner_problems[key] = [
                Problem(p.code, f"{_where(inner, p)}: {p.message}", severity=p.severity)
                for p in validate(inner, catalog)
                if p.node_id is not None  # a value wrong for the parameter itself is the node's
            ]
        out += [
            Problem(p.code, f"{node.name}{PATH_MARK}{p.message}", node.id, severity=p.severity)
            for p in inner_problems[key]
        ]
    return out


def _extra_outputs(inner: Document, node: Node, values: dict[str, Any]) -> list[str]:
    """The outputs besides the first that the block node returns with its values: a later
    Output under a condition that does not hold is not returned (DynUNet without deep
    supervision). One whose condition reads a value the node takes from the block around it
    may be returned, whatever its value now."""
    env = block_env(inner, values)
    follows = {k for k, v in node.params.items() if isinstance(v, ParamRef)}
    extra = []
    for out in inner.output_nodes[1:]:
        if out.params.get("stack"):
            continue  # returned in training only, stacked with the first: still one tensor
        if out.condition is None:
            extra.append(out.name)
            continue
        try:
            reads = condition_names(out.condition)
            if reads & follows or evaluate_condition(out.condition, env):
                extra.append(out.name)
        except ConditionError:
            extra.append(out.name)
    return extra


def _sentence(exc: BlockError) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + "."


def _where(doc: Document, problem: Problem) -> str:
    node = doc.nodes.get(problem.node_id) if problem.node_id else None
    where = node.name if node is not None else doc.name
    return f"{where}.{problem.param}" if problem.param else where


def _check_block(doc: Document, catalog: Catalog) -> list[Problem]:
    out: list[Problem] = []
    msg = name_problem(doc.name, "block")
    if msg:
        out.append(Problem("bad_name", msg, param="name"))
    shapes = input_shapes(doc.input_shape) if doc.input_shape else [()]
    for i, shape in enumerate(shapes):
        if len(shape) < 2:
            which = f"Input {i + 1}'s shape" if len(shapes) > 1 else "Input shape"
            out.append(
                Problem(
                    "bad_shape",
                    f"{which} needs a batch and at least one size.",
                    param="input_shape",
                )
            )
    seen: set[str] = set()
    for p in doc.params:
        where = f"params.{p.name}"
        name_msg = name_problem(p.name, "param", catalog.reserved_names)
        if not is_identifier(p.name):
            out.append(Problem("bad_name", name_msg or "", param=where))
        elif p.name in seen:
            out.append(
                Problem(
                    "duplicate_name", f"Block parameter {p.name!r} is defined twice.", param=where
                )
            )
        elif p.name == IN_CHANNELS:
            if not (p.type == "int" and p.optional and p.default is None):
                msg = (
                    "Block parameter 'in_channels' is the input's channels taken as an argument, "
                    "as MONAI's blocks take it: make it an optional int with default None."
                )
                out.append(Problem("bad_param", msg, param=where))
        elif name_msg:
            out.append(Problem("reserved_name", name_msg, param=where))
        seen.add(p.name)
        if p.type not in PARAM_TYPES:
            out.append(
                Problem(
                    "bad_param",
                    f"Block parameter {p.name!r} has unknown type "
                    f"{p.type!r}; use one of {', '.join(PARAM_TYPES)}.",
                    param=where,
                )
            )
            continue
        msg = check_block_param(p, p.default)
        if msg:
            out.append(Problem("bad_param", f"Default of {msg}", param=where))
        msg = text_problem(f"The description of {p.name}", p.doc)
        if msg:
            out.append(Problem("bad_text", msg, param=where))
        if p.when_none is not None:
            out += [Problem("bad_param", m, param=where) for m in when_none_problems(doc, p)]
    msg = text_problem("The block's description", doc.description)
    if msg:
        out.append(Problem("bad_text", msg, param="description"))
    out += check_inputs(doc, shapes)
    if not doc.output_nodes:
        out.append(Problem("io_count", "A block needs an Output node, found none."))
    out += distinct_indexes(doc.output_nodes, "Outputs")
    return out


def _check_node(
    doc: Document, catalog: Catalog, node: Node, names: dict[str, str], env: dict[str, Any]
) -> list[Problem]:
    out: list[Problem] = []
    nid = node.id

    def add(code: str, message: str, param: str | None = None) -> None:
        out.append(Problem(code, message, nid, param))

    name_msg = name_problem(node.name, "node", catalog.reserved_names)
    if not is_identifier(node.name):
        add("bad_name", name_msg or "", "name")
    elif node.name in names:
        add(
            "duplicate_name",
            f"Name {node.name!r} is already used by node {names[node.name]}.",
            "name",
        )
    elif node.kind in (INPUT_KIND, OUTPUT_KIND):
        pass  # the ends of the graph are not attributes, so only uniqueness matters
    elif name_msg:
        add("reserved_name", name_msg, "name")
    elif doc.param(node.name) is not None:
        add("reserved_name", f"Name {node.name!r} is also a block parameter.", "name")
    names.setdefault(node.name, nid)
    if node.lifecycle not in LIFECYCLES:
        add(
            "bad_lifecycle",
            f"Lifecycle must be 'init' or 'build', not {node.lifecycle!r}.",
            "lifecycle",
        )
    spec = catalog.get(node.kind)
    if spec is None:
        add("unknown_kind", _unknown_kind(catalog, node.kind), "kind")
        return out
    present = _present_at_defaults(node, env)
    for key, value in node.params.items():
        pspec = spec.param(key)
        if pspec is None:
            add("unknown_param", f"{node.kind} has no parameter {key!r}.", key)
            continue
        if isinstance(value, ParamRef):
            if not pspec.linkable:
                add(
                    "bad_param",
                    f"{key} must be a fixed value; it cannot follow a block parameter.",
                    key,
                )
                continue
            bp = doc.param(value.param)
            if bp is not None and bp.name == IN_CHANNELS:
                add(
                    "bad_param",
                    f"{key} cannot follow in_channels: that argument is only checked against "
                    "the input; a condition can use the input's channels (in_channels).",
                    key,
                )
                continue
            if bp is None:
                add(
                    "unresolved_ref",
                    f"{key} refers to block parameter {value.param!r}, which does not exist.",
                    key,
                )
                continue
            if value.index is not None:
                msg = index_problem(value, bp)
                if msg:
                    add("bad_param", f"{key}: {msg}", key)
                    continue
            mismatch = ref_type_mismatch(ref_type(value, bp), pspec.type)
            if mismatch:
                add(
                    "bad_param",
                    f"{key} needs {mismatch}, but block parameter {value} is "
                    f"{ref_type(value, bp)}.",
                    key,
                )
                continue
            if not present:
                continue  # an absent node never sees this value (e.g. dropout=None)
            value = resolve(value, env)
        msg = check_value(pspec, value)
        msg = msg or axes_problem(doc, spec, key, node.params[key], value, env)
        if msg:
            add("bad_param", msg, key)
    if node.shares is not None and node.params:
        add(
            "bad_shares",
            "A node that shares a layer has no parameters of its own; the shared layer's "
            f"are used (remove: {', '.join(sorted(node.params))}).",
            "shares",
        )
    for pspec in spec.params:
        if node.shares is None and pspec.required and pspec.name not in node.params:
            add("missing_param", f"{node.kind} needs a value for {pspec.name}.", pspec.name)
    if node.condition is not None:
        first_output = doc.output_node is not None and doc.output_node.id == node.id
        if node.kind == INPUT_KIND or first_output:
            add(
                "bad_condition",
                "Inputs and the first Output cannot be conditional (a later Output can: the "
                "block then returns it only when the condition holds).",
                "condition",
            )
        else:  # an absent node passes its first input through (a merge drops the others)
            try:
                check_names(node.condition, set(env))
            except ConditionError as exc:
                add("bad_condition", exc.message, "condition")
    if node.shares is not None:
        target = doc.nodes.get(node.shares)
        if target is None:
            add(
                "bad_shares",
                f"Shares the layer of node {node.shares!r}, which does not exist.",
                "shares",
            )
        elif node.condition is not None or target.condition is not None:
            add("bad_shares", "A shared layer cannot be conditional.", "shares")
        elif target.kind != node.kind or target.shares is not None or target.id == nid:
            add(
                "bad_shares",
                f"Can only share the layer of another {node.kind} node that has its own layer.",
                "shares",
            )
    return out


def _unknown_kind(catalog: Catalog, kind: str) -> str:
    if catalog.library is not None and is_block_kind(kind):
        try:
            catalog.library.document(kind, catalog)
        except BlockError as exc:
            return _sentence(exc)
    return f"Unknown layer kind {kind!r}."


def _present_at_defaults(node: Node, env: dict[str, Any]) -> bool:
    if node.condition is None:
        return True
    try:
        return evaluate_condition(node.condition, env)
    except ConditionError:
        return True
