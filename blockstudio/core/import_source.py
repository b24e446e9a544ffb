"""A run of your class and its source together, as an editable block.

The run says which layers exist for the values it was given, with the shapes Keras saw; the
source (read by ``engine/source_reader.py``, never run for this) says what the run cannot: the
block's arguments with their defaults and docs, which argument each layer argument follows, the
``if`` each layer is made under (so ``drop1`` comes back even from a run without dropout), and
where it is made. A source that the run contradicts (a layer the source does not make, another
kind) is not used: the import then keeps to the run (``import_structure``).
"""

from __future__ import annotations

from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.conditions import IN_CHANNELS, ConditionError, evaluate_condition
from blockstudio.core.doc_json import value_from_json
from blockstudio.core.document import (
    BlockParam,
    Document,
    Edge,
    Expr,
    Node,
    ParamRef,
    Repeat,
    SkipSource,
)
from blockstudio.core.expressions import ExpressionError, evaluate_expression
from blockstudio.core.layout import laid_out
from blockstudio.core.library import BlockLibrary, template_kind
from blockstudio.core.params import block_env
from blockstudio.core.sources import WEIGHT_KIND
from blockstudio.core.templates import template_names
from blockstudio.core.trace import Trace

_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


class SourceMismatch(ValueError):
    """The source and the run disagree, or the source says something a document cannot hold."""


def document_from_source(src: dict[str, Any], trace: Trace, catalog: Catalog) -> Document:
    """The document ``src`` describes, if the run of ``trace`` agrees: every layer it called
    is one the source makes, of the same kind, and every layer the source makes under a
    condition is there exactly when the condition holds for the values the run was given.

    A layer that is a class of the same file (``UnetLevelBlock``) is a block node of the
    template that class is the export of; a class that is no template's is not imported."""
    if catalog.library is None:
        catalog = catalog.with_library(BlockLibrary())
    src = _with_block_kinds(src, catalog, {})
    src = _weight_names(src, trace)
    present = _run_layers(src, trace)
    params = _params(src, catalog)
    _check_conditions(src, params, trace, present)
    return _document(src, params, trace.input_shape, catalog, f"a run of {trace.label}")


def _document(
    src: dict[str, Any], params: list[BlockParam], input_shape: Any, catalog: Catalog, label: str
) -> Document:
    for layer in src["layers"]:
        if catalog.get(layer["kind"]) is None:
            raise SourceMismatch(f"{_label(layer)}: {layer['kind']} has no catalog kind")
    nodes, edges = _graph(src, {p.name for p in params}, catalog)
    description = src["description"] or f"Imported from {label}."
    return laid_out(Document(src["name"], input_shape, params, description, nodes, edges))


def _with_block_kinds(
    src: dict[str, Any], catalog: Catalog, found: dict[str, str]
) -> dict[str, Any]:
    """``src`` with each layer that is a class of the file as the template kind it exports."""
    layers = []
    for layer in src["layers"]:
        if layer["kind"].startswith("class:"):
            name = layer["kind"][len("class:") :]
            if name not in found:
                inner = src["classes"].get(name)
                if inner is None:
                    raise SourceMismatch(f"{_label(layer)}: class {name} was not read")
                inner = _with_block_kinds({**inner, "classes": src["classes"]}, catalog, found)
                found[name] = _template_of(inner, catalog)
            layer = {**layer, "kind": found[name]}
        layers.append(layer)
    return {**src, "layers": layers}


def _template_of(src: dict[str, Any], catalog: Catalog) -> str:
    ports = len(src["inputs"])
    shape = ((None, 1),) * ports if ports > 1 else (None, 1)  # not compared: a template's own
    doc = _document(src, _params(src, catalog), shape, catalog, src["name"])
    mine = content(doc)
    for name in template_names():
        kind = template_kind(name)
        if content(catalog.library.document(kind, catalog)) == mine:
            return kind
    raise SourceMismatch(
        f"{src['name']} is a class of the file that no template is: import it on its own"
    )


def content(doc: Document) -> tuple:
    """Everything a block says but its input shape and where its cards sit, by node name."""
    name_of = {n.id: n.name for n in doc.nodes.values()}

    def params(n: Node) -> dict[str, Any]:  # an Input's or Output's index 0 is the default
        return {k: v for k, v in n.params.items() if not (k == "index" and v == 0)}

    nodes = {
        n.name: (
            n.kind,
            params(n),
            n.lifecycle,
            n.condition,
            name_of.get(n.shares) if n.shares else None,
        )
        for n in doc.nodes.values()
    }
    edges = {(name_of[e.src], name_of[e.dst], e.port) for e in doc.edges}
    return (doc.name, doc.description, doc.params, nodes, edges)


def _weight_names(src: dict[str, Any], trace: Trace) -> dict[str, Any]:
    """Each weight of the block's own that the source makes without ``name=`` named as the
    run shows it (Keras's ``variable``), so the weight's path stays the original's."""
    named = {n.get("attr"): n["layer"] for n in trace.structure["nodes"] if n["kind"] == "weight"}
    layers = []
    for layer in src["layers"]:
        if layer.get("weight") and "weight_name" not in layer["params"]:
            given = named.get(layer["attr"])
            if given is not None:
                layer = {**layer, "params": {**layer["params"], "weight_name": given}}
        layers.append(layer)
    return {**src, "layers": layers}


def _label(layer: dict[str, Any]) -> str:
    return layer["name"] or layer["attr"]


def _run_layers(src: dict[str, Any], trace: Trace) -> set[str]:
    """The keys of the source's layers that the run called (by name=, else by attribute)."""
    by_name = {layer["name"]: layer for layer in src["layers"] if layer["name"]}
    by_attr = {layer["attr"]: layer for layer in src["layers"] if not layer["name"]}
    present: set[str] = set()
    for n in trace.structure["nodes"]:
        if n["kind"] == "weight" and n.get("attr") in by_attr:  # self.gamma, made and used
            present.add(by_attr[n["attr"]]["key"])
            continue
        if n["kind"] != "layer":
            continue
        layer = by_name.get(n["layer"]) or by_attr.get(n.get("attr") or "")
        base, _, digits = n["layer"].rpartition("_")
        if layer is None and digits.isdigit() and "repeat" in by_name.get(base, {}):
            layer = by_name[base]  # downsamples_1: an instance of the repeated downsamples
        if layer is None:
            raise SourceMismatch(f"the run calls {n['layer']}, which the source does not make")
        if n["class"] != layer["kind"] and n["class"] not in layer.get("classes", ()):
            raise SourceMismatch(
                f"{_label(layer)} is a {layer['kind']} in the source, a {n['class']} in the run"
            )
        present.add(layer["key"])
    return present


def _check_conditions(
    src: dict[str, Any], params: list[BlockParam], trace: Trace, present: set[str]
) -> None:
    doc = Document("Check", trace.input_shape, params)
    env = block_env(doc, {k: v for k, v in trace.values.items() if doc.param(k) is not None})
    made_for = next(
        (p for p in src["params"] if p["name"] == IN_CHANNELS and p["default"] is not None), None
    )
    if made_for is not None:  # init style's argument, not the input, decides what is made
        env[IN_CHANNELS] = trace.values.get(IN_CHANNELS, made_for["default"])
    unseen = _training_only(src)
    for layer in src["layers"]:
        if layer.get("operator") or layer["key"] in unseen:
            continue  # x + res: no layer of the run; nor one that feeds training alone
        cond = layer["condition"]
        try:
            holds = cond is None or evaluate_condition(cond, env)
        except ConditionError as exc:
            raise SourceMismatch(f"{_label(layer)} is made only if {cond}: {exc}") from None
        if "repeat" in layer:  # made once per index: none at all when the count is 0
            count = layer["repeat"]["count"]
            try:
                holds = evaluate_expression(count, env) > 0
            except (ExpressionError, TypeError) as exc:
                raise SourceMismatch(f"{_label(layer)} repeats {count} times: {exc}") from None
        if holds != (layer["key"] in present):
            ran = "called it" if layer["key"] in present else "did not call it"
            if cond is None:  # made, but call() never calls it with these values
                raise SourceMismatch(f"{_label(layer)} is always made, yet the run {ran}")
            raise SourceMismatch(
                f"{_label(layer)} is made only if {cond}, which the run's values "
                f"{'meet' if holds else 'do not meet'}, yet the run {ran}"
            )


def _training_only(src: dict[str, Any]) -> set[str]:
    """The layers whose outputs reach only the outputs returned in training (stacked): a run
    in inference records no call of them."""
    inputs = {c["id"]: c for c in src["calls"]}

    def upstream(ids: list[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(ids)
        while todo:
            cid = todo.pop()
            if cid in seen or cid not in inputs:
                continue
            seen.add(cid)
            todo += inputs[cid]["inputs"]
        return {inputs[c]["layer"] for c in seen}

    stacked = [o["source"] for o in src["outputs"] if o.get("stack")]
    plain = [o["source"] for o in src["outputs"] if not o.get("stack")]
    return upstream(stacked) - upstream(plain)


def _params(src: dict[str, Any], catalog: Catalog) -> list[BlockParam]:
    out = []
    for p in src["params"]:
        default = value_from_json(p["default"])
        if p["name"] == IN_CHANNELS and default is not None:
            if not src.get("checks_channels"):
                continue  # init style's: the input's channels, which the input shape gives
            default = None  # a declared in_channels (MONAI's), which init style fills in
        optional = default is None
        doc = p["doc"]
        type_ = _type(p["name"], default, src, catalog, doc)
        if doc == f"{type_}{' or None' if optional else ''}.":
            doc = ""  # what the code says of an argument without a description
        when_none = src["when_none"].get(p["name"])
        choices = src.get("choices", {}).get(p["name"])
        if choices is not None:
            choices = tuple(value_from_json(choices))
        # required in the source (no default): the run's value is the example's
        required = bool(p.get("required"))
        out.append(
            BlockParam(p["name"], type_, default, optional, choices, doc, when_none, required)
        )
    return out


def _type(name: str, default: Any, src: dict[str, Any], catalog: Catalog, doc: str = "") -> str:
    """The type of argument ``name``: ``ints`` for a tuple of whole numbers (or, one per level,
    of whole numbers and tuples of them); else the type its default has. A whole number is
    ``ints`` when the code says so (its docstring line is ``ints.``, what the export writes for
    an argument it has no description of) or when the argument is a layer argument of that type
    (a Convolution's kernel_size, strides): a kernel size may be one per spatial axis. With no
    default, the type of the first layer argument that follows it."""
    if isinstance(default, tuple):
        if all(type(v) is int or _whole_numbers(v) for v in default):
            return "ints"
        raise SourceMismatch(f"argument {name}: a tuple of other than whole numbers")
    if default is not None:
        if type(default) not in _TYPES:
            raise SourceMismatch(f"argument {name}: a default of type {type(default).__name__}")
        if type(default) is int and (doc == "ints." or "ints" in _followed_as(name, src, catalog)):
            return "ints"
        return _TYPES[type(default)]
    followed = _followed_as(name, src, catalog)
    return followed[0] if followed else "int"


def _whole_numbers(value: Any) -> bool:
    return isinstance(value, tuple) and all(type(v) is int for v in value)


def _followed_as(name: str, src: dict[str, Any], catalog: Catalog) -> list[str]:
    """The types of the layer arguments that follow argument ``name``, in source order; a
    ``filters[0]`` (a list, one entry per level) is ``ints``."""
    types = []
    for layer in src["layers"]:
        spec = catalog.get(layer["kind"])
        for key, value in layer["params"].items():
            if isinstance(value, dict) and value.get("$param") == name:
                if value.get("$index") is not None:
                    types.append("ints")
                    continue
                pspec = spec.param(key) if spec else None
                if layer["kind"] == WEIGHT_KIND and key == "shape":
                    types.append("int")  # add_weight(shape=(self.projection_dim,)): one axis
                    continue
                if pspec is not None and pspec.type in ("int", "float", "str", "bool", "ints"):
                    types.append(pspec.type)
    return types


def _graph(src: dict[str, Any], names: set[str], catalog: Catalog) -> tuple[list[Node], list[Edge]]:
    inputs = src["inputs"]
    nodes: list[Node] = []
    ids: dict[str, str] = {}
    if inputs == ["input"]:
        nodes.append(Node("input", "Input", "input"))
        ids["input"] = "input"
    else:
        for i, name in enumerate(inputs):
            nodes.append(Node(name, "Input", name, {"index": i} if i else {}))
            ids[f"input:{name}"] = name
    layers = {layer["key"]: layer for layer in src["layers"]}
    edges: list[Edge] = []
    first_call: dict[str, str] = {}
    for call in src["calls"]:
        layer = layers[call["layer"]]
        if layer["key"] not in first_call:
            nid = _label(layer)
            first_call[layer["key"]] = nid
            nodes.append(
                Node(
                    nid,
                    layer["kind"],
                    nid,
                    _node_params(layer, names, catalog),
                    layer["lifecycle"],
                    layer["condition"],
                    repeat=_repeat(layer),
                )
            )
        else:
            nid = call.get("named") or _again(_label(layer), {n.id for n in nodes})
            nodes.append(Node(nid, layer["kind"], nid, shares=first_call[layer["key"]]))
        ids[call["id"]] = nid
        edges += [Edge(ids[s], nid, port) for port, s in enumerate(call["inputs"])]
    for i, out in enumerate(src["outputs"]):
        oid = "output" if i == 0 else (out["name"] or f"output_{i + 1}")
        index = {"index": i} if i else {}
        if out.get("stack"):
            index["stack"] = True
        nodes.append(Node(oid, "Output", oid, index, condition=out["condition"]))
        edges.append(Edge(ids[out["source"]], oid))
    return nodes, edges


def _repeat(layer: dict[str, Any]) -> Repeat | None:
    """A repeated layer's repeat, as the loops that call it say (see engine/source_loops)."""
    r = layer.get("repeat")
    if r is None:
        return None
    if "chain" not in r:
        raise SourceMismatch(f"{_label(layer)} is made as a list, and no loop calls it")
    skip = r.get("skip")
    return Repeat(
        r["count"],
        r["index"],
        r["chain"],
        r.get("collect"),
        SkipSource(skip["port"], skip["reverse"], skip["offset"]) if skip else None,
    )


def _again(name: str, taken: set[str]) -> str:
    k = 2
    while f"{name}_{k}" in taken:
        k += 1
    return f"{name}_{k}"


def _node_params(layer: dict[str, Any], names: set[str], catalog: Catalog) -> dict[str, Any]:
    spec = catalog.get(layer["kind"])
    out: dict[str, Any] = {}
    for key, value in layer["params"].items():
        if spec.param(key) is None:
            raise SourceMismatch(f"{_label(layer)}: {layer['kind']} has no parameter {key}")
        if isinstance(value, dict) and "$expr" in value:
            out[key] = Expr(value["$expr"])
        elif isinstance(value, dict):
            if value["$param"] not in names:
                raise SourceMismatch(f"{_label(layer)}.{key} follows {value['$param']}")
            out[key] = ParamRef(value["$param"], value.get("$index"))
        else:
            out[key] = value_from_json(value)
    return out
