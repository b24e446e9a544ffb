"""A run of your own class as an editable block: the calls Keras saw, mapped onto catalog kinds.

Each sub-layer call becomes a node of its Keras class with the constructor arguments its config
shows (those that differ from the catalog's defaults), named after the attribute the block keeps
it in, and created where the run saw it created (``__init__`` or ``build()``). A second call of
the same layer becomes a node that shares it. ``+``, ``-``, ``*`` and ``keras.ops.concatenate``
become Add, Subtract, Multiply and Concatenate, and MONAI's idioms the studio's generic kinds
(see ``_generic``). What has no catalog kind (other padding, a custom layer) is named call by
call, with the line that made it, and nothing is made from a run that has any.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.import_source import SourceMismatch, document_from_source
from blockstudio.core.layout import laid_out
from blockstudio.core.names import name_problem, snake_case
from blockstudio.core.sources import WEIGHT_INITIALIZERS, WEIGHT_KIND
from blockstudio.core.trace import Trace


class ImportError_(ValueError):
    """The run cannot become a document; ``problems`` says which calls and why.

    ``partial`` is what could be imported, for a read-only view: the calls that map onto
    catalog kinds as they would be, and each that does not as a node of the kind it would need
    (``keras.ops.pad``), which no catalog has.
    """

    def __init__(self, problems: list[str], partial: Document | None = None) -> None:
        problems = list(dict.fromkeys(problems))  # one line for a reason said twice
        super().__init__(f"{len(problems)} call(s) cannot be imported: " + "; ".join(problems))
        self.problems = problems
        self.partial = partial


# what the source reader says of a loop over layers (a repeated node's generated code)
REPEATED = (
    "a loop over layers (a repeated node); Block Studio does not read loops back into repeats yet"
)


def _value(v: Any) -> Any:
    return tuple(_value(x) for x in v) if isinstance(v, list | tuple) else v


def document_from_trace(trace: Trace, catalog: Catalog) -> Document:
    """The document for ``trace.structure`` (a run of the user's class), or ImportError_."""
    return import_trace(trace, catalog)[0]


def import_trace(trace: Trace, catalog: Catalog) -> tuple[Document, str]:
    """The document for ``trace.structure``, and why its source was not followed ("" when it
    was: the document is then the source's, checked against the run); or ImportError_."""
    structure = trace.structure
    if not structure or not structure.get("nodes"):
        why = (structure or {}).get("problem") or "the run recorded no structure"
        raise ImportError_([why])
    structure = _generic(structure)
    lost = lost_weights(trace) + lost_config(structure)
    src = structure.get("source") or {"problem": "no source was read"}
    why = src.get("problem", "")
    if not why:
        try:
            doc = document_from_source(src, replace(trace, structure=structure), catalog)
        except SourceMismatch as exc:
            why = str(exc)
        else:
            lost = [w for w in lost if not _made_by(doc, w)]  # a layer of training only
            if lost:
                raise ImportError_(lost, doc)
            return doc, ""
    created_in = {e.layer: e.data.get("created_in") for e in trace.of_type("construct")}
    problems: list[str] = []
    nodes: list[Node] = []
    ids: dict[str, str] = {}
    first: dict[str, str] = {}  # layer → the node of its first call (later calls share it)
    taken: set[str] = set()
    for i, n in enumerate(structure["nodes"]):
        if n["kind"] in ("input", "output"):
            nid = n["id"]  # input (input_2, ... for more), output
            index = {"index": n["index"]} if n.get("index") else {}
            nodes.append(Node(nid, n["kind"].capitalize(), nid, index))
            ids[n["id"]] = nid
            continue
        spec = catalog.get(n["class"])
        if spec is None or n["class"] in ("Input", "Output"):
            what = _what(n)
            where = f" at {n['where']}" if n.get("where") else ""
            if n.get("not_from_input"):
                problems.append(
                    f"{where.removeprefix(' at ') or n['layer']}: a tensor not computed from "
                    f"the input ({what}, e.g. ops.arange or a shape read from a tensor) feeds "
                    "the block: no kind holds it"
                )
            else:
                problems.append(
                    f"{n['layer']} (call {n['call'] + 1}{where}): {what}"
                    f"{_said(n['class'])} has no catalog kind"
                )
            nid = f"n{i}"
            ids[n["id"]] = nid
            nodes.append(Node(nid, what, _name(n, taken, catalog.reserved_names)))
            continue
        nid = f"n{i}"
        ids[n["id"]] = nid
        name = _name(n, taken, catalog.reserved_names)
        if n["kind"] == "weight":
            node, why_not = weight_node(nid, name, n, trace)
            nodes.append(node)
            problems += why_not
            continue
        if n["layer"] in first:
            nodes.append(Node(nid, n["class"], name, shares=first[n["layer"]]))
            continue
        first[n["layer"]] = nid
        config = n.get("config", {})
        params = {
            p.name: _value(config[p.name])
            for p in spec.params
            if p.name in config and _value(config[p.name]) != p.default
        }
        where = f"{n['where']}: " if n.get("where") else ""
        problems += [  # an argument the kind has no parameter for (Dropout's seed)
            f"{where}{name}'s {key}={value!r}: {n['class']} here has no parameter {key}; it "
            "would be lost"
            for key, value in config.items()
            if spec.param(key) is None
        ]
        lifecycle = "build" if created_in.get(n["layer"]) == "build" else "init"
        nodes.append(Node(nid, n["class"], name, params, lifecycle))
    edges = [Edge(ids[a], ids[b], port) for a, b, port in structure["edges"]]
    said = f"Imported from a run of {trace.label}. Its source was not followed: {why}."
    doc = laid_out(Document(trace.block, trace.input_shape, (), said, nodes, edges))
    if problems or lost:
        if REPEATED in why:  # the reason first: the run's calls are only what is left
            problems.insert(0, f"its source cannot be imported: {why}")
        raise ImportError_(problems + lost, doc)
    return doc, why


def weight_node(nid: str, name: str, n: dict[str, Any], trace: Trace) -> tuple[Node, list[str]]:
    """A weight of the block's own (``self.gamma = self.add_weight(...)``) as a Weight node:
    its shape, initializer, trainable and Keras name as the run made it, made in build() or
    __init__ where the run saw it made; and why not, when its initializer has no kind."""
    config = n.get("config", {})
    event = next(
        (
            e
            for e in trace.of_type("weight")
            if e.path.split("/")[-1] == n["layer"]
            and list(e.data.get("shape", ())) == config.get("shape")
        ),
        None,
    )
    parent = next((e for e in trace.events if event and e.id == event.parent), None)
    lifecycle = "build" if parent is not None and parent.type == "build" else "init"
    params: dict[str, Any] = {"shape": tuple(config.get("shape", ())), "weight_name": n["layer"]}
    if not config.get("trainable", True):
        params["trainable"] = False
    problems = []
    init = (event.data.get("initializer_config") if event else None) or {}
    kind = snake_case(init.get("class_name", "GlorotUniform"))
    given = init.get("config")
    where = n.get("where") or n["layer"]
    if kind == "constant" and given is not None and set(given) <= {"value"}:
        params.update(initializer="constant", value=float(given.get("value", 0.0)))
    elif init.get("name") in WEIGHT_INITIALIZERS:  # made with no arguments (the engine says)
        params["initializer"] = init["name"]
    else:
        problems.append(
            f"{where}: the initializer of {name} ({init.get('class_name', '?')} {given or ''}) "
            "has no exact equivalent in a Weight node; its start values would change"
        )
    return Node(nid, WEIGHT_KIND, name, params, lifecycle), problems


# what common graph ops are in the code people write, for the reasons an import gives
GRAPH_OPS = {
    "tf.Shape": "a shape read from a tensor, ops.shape",
    "tf.StridedSlice": "an index or slice, x[...]",
    "tf.Slice": "ops.slice",
    "tf.BroadcastTo": "ops.broadcast_to",
    "tf.Pack": "a tuple of tensors, ops.stack",
    "tf.ReadVariableOp": "a read of a weight, ops.convert_to_tensor",
    "tf.Cast": "ops.cast",
    "tf.Reshape": "ops.reshape",
    "tf.Transpose": "ops.transpose",
    "tf.MatMul": "ops.matmul",
    "tf.ConcatV2": "ops.concatenate",
    "tf.ExpandDims": "ops.expand_dims",
    "tf.Squeeze": "ops.squeeze",
    "tf.Sum": "ops.sum",
    "tf.Mean": "ops.mean",
}


def _said(cls: str) -> str:
    return f" ({GRAPH_OPS[cls]})" if cls in GRAPH_OPS else ""


def _what(n: dict[str, Any]) -> str:
    if n["kind"] != "op" or n["class"].startswith("tf."):
        return n["class"]
    return "keras.ops." + snake_case(n["class"])


def _made_by(doc: Document, lost: str) -> bool:
    """Whether a weight the run's structure did not see (``heads_0's weight kernel, ...``) is
    one of a layer ``doc`` makes: a repeated node's instance, used in training only."""
    owner = lost.split("'s weight ", 1)[0]
    base, _, digits = owner.rpartition("_")
    return digits.isdigit() and any(
        n.name == base and n.repeat is not None for n in doc.nodes.values()
    )


def lost_weights(trace: Trace) -> list[str]:
    """The run's weights that no call of the structure owns (read without Keras): a weight the
    block makes itself (``self.add_weight``) or a layer the structure never saw called on the
    input. An import without them would lose state, so it is refused with each one named."""
    structure = trace.structure or {}
    owners = {n["layer"] for n in structure.get("nodes", ()) if n.get("kind") == "layer"}
    owners |= {n["layer"].split("/")[0] for n in structure.get("nodes", ()) if "/" in n["layer"]}
    owners |= {n["layer"] for n in structure.get("nodes", ()) if n.get("kind") == "weight"}
    out = []
    for w in trace.weights:
        parts = w.path.split("/")
        if parts[0] not in owners or len(parts) < 2:  # a functional block's have no prefix
            parts = parts[1:]
        owner = parts[0] if len(parts) > 1 else ""
        if owner in owners or (len(parts) == 1 and parts[0] in owners):
            continue
        size = "x".join(str(d) for d in w.shape) or "scalar"
        what = (
            f"the block's own weight {parts[-1]} (self.add_weight)"
            if len(parts) == 1
            else f"{owner}'s weight {parts[-1]}, a layer not called on the input's way"
        )
        out.append(f"{what} ({size}, {w.params} parameters) would be lost")
    return out


def lost_config(structure: dict[str, Any]) -> list[str]:
    """The arguments a sub-layer was made with that no node parameter can hold (an
    initializer with its own arguments, an object): an import without them would make another
    layer, so it is refused with each one named."""
    out = []
    for n in structure.get("nodes", ()):
        where = f"{n['where']}: " if n.get("where") else ""
        for said in n.get("lost_call") or ():
            out.append(
                f"{where}{n.get('attr') or n['layer']} is called with {said}, which no node "
                "holds; it would be lost"
            )
        for key, said in (n.get("lost") or {}).items():
            out.append(
                f"{where}{n.get('attr') or n['layer']}'s {key} is {said}, which no node "
                "parameter holds (only a name Keras knows, such as 'glorot_uniform'); it "
                "would be lost"
            )
    return out


def _generic(structure: dict[str, Any]) -> dict[str, Any]:
    """MONAI's idioms as the studio's generic kinds: zero padding of (k - s + 1) // 2 before a
    valid convolution is a Convolution with symmetric padding; a GroupNormalization with one
    group per channel is an instance Normalization."""
    nodes = {n["id"]: dict(n) for n in structure["nodes"]}
    edges = [list(e) for e in structure["edges"]]
    fused = False
    consumers: dict[str, list[list[Any]]] = {}
    for e in edges:
        consumers.setdefault(e[0], []).append(e)
    for n in list(nodes.values()):
        if n["class"] != "Pad" or len(consumers.get(n["id"], [])) != 1:
            continue
        conv = nodes[consumers[n["id"]][0][1]]
        config = conv.get("config", {})
        if not conv["class"].startswith("Conv") or not conv["class"].endswith("D"):
            continue
        k, s = _same(config.get("kernel_size")), _same(config.get("strides", 1))
        pads = [_value(p) for p in n.get("config", {}).get("pad_width", [])]
        if (
            k is None
            or s is None
            or config.get("padding", "valid") != "valid"
            or n["config"].get("mode", "constant") != "constant"
            or len(pads) < 3
            or pads[0] != (0, 0)
            or pads[-1] != (0, 0)
            or any(p != ((k - s + 1) // 2,) * 2 for p in pads[1:-1])
        ):
            continue
        _symmetric(conv, k, s)
        (into,) = [e for e in edges if e[1] == n["id"]]
        edges = [e for e in edges if n["id"] not in (e[0], e[1])] + [[into[0], conv["id"], 0]]
        del nodes[n["id"]]
        fused = True
    if fused:  # MONAI's convention: its convolutions whose padding is 0 have no pad op at all
        for conv in nodes.values():
            config = conv.get("config", {})
            k, s = _same(config.get("kernel_size")), _same(config.get("strides", 1))
            if (
                conv["class"] in ("Conv1D", "Conv2D", "Conv3D")
                and config.get("padding", "valid") == "valid"
                and k is not None
                and s is not None
                and (k - s + 1) // 2 == 0
            ):
                _symmetric(conv, k, s)
    shape_of = {n["id"]: n["shape"] for n in nodes.values()}
    for n in nodes.values():
        config = n.get("config", {})
        feeds = [e[0] for e in edges if e[1] == n["id"]]
        channels = shape_of[feeds[0]][-1] if feeds and shape_of[feeds[0]] else None
        if n["class"] == "GroupNormalization" and config.get("groups") in (channels, -1):
            n["class"] = "Normalization"
            n["config"] = {"norm": "instance", "epsilon": config.get("epsilon", 1e-3)}
    order = [n["id"] for n in structure["nodes"] if n["id"] in nodes]
    return {**structure, "nodes": [nodes[i] for i in order], "edges": edges}


def _symmetric(conv: dict[str, Any], k: int, s: int) -> None:
    config = conv.get("config", {})
    conv["class"] = "Convolution"
    conv["config"] = {
        "filters": config["filters"],
        "kernel_size": k,
        "strides": s,
        "padding": "symmetric",
        "use_bias": config.get("use_bias", True),
    }


def _same(value: Any) -> int | None:
    """``3`` for ``3`` or ``(3, 3)``; None when the axes differ."""
    value = _value(value)
    if isinstance(value, int):
        return value
    if isinstance(value, tuple) and value and all(v == value[0] for v in value):
        return value[0]
    return None


def _name(n: dict[str, Any], taken: set[str], reserved: frozenset[str]) -> str:
    """The block's attribute name for the layer when it has one that is a fine node name."""
    base = n.get("attr") or n["layer"]
    if name_problem(base, "node", reserved) is not None:
        base = n["layer"]
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name
