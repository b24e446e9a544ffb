"""Run a block's generated code under real Keras and record a trace of what Keras did."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Document
from blockstudio.core.params import example_values
from blockstudio.core.shapes import InputShape, first_shape, input_shapes, is_multi, per_sample
from blockstudio.core.sources import WEIGHT_KIND
from blockstudio.core.trace import Trace, WeightInfo
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.codegen.nest import nested_blocks
from blockstudio.engine.hooks import Recorder
from blockstudio.engine.loader import load_generated
from blockstudio.engine.pyformat import snake_case


@dataclass
class RunSpec:
    """What to run: the style, block parameter values and the calls to make."""

    style: str = "build"
    weights: str = "eager"  # or "lazy": sub-layers get their weights on the first call
    values: dict[str, Any] | None = None
    calls: int = 2
    call_shape: InputShape | None = None  # one more call with this shape (e.g. other channels)
    seed: int = 0


def concrete(shape: InputShape, batch: int | None = None) -> Any:
    """The shape of a concrete batch (a list of them for a block with several inputs):
    ``batch`` samples, else the shape's own batch size, else one; other unknown sizes are 1."""
    if is_multi(shape):
        return [concrete(s, batch) for s in input_shapes(shape)]
    return tuple(1 if d is None else d for d in (batch or shape[0], *shape[1:]))


def symbolic_inputs(shape: InputShape, batch: bool = False) -> Any:
    """A ``keras.Input`` per input of ``shape`` (a list of them for a block with several
    inputs): without the batch axis, as a Model takes them, or with it (``batch``)."""
    made = [
        keras.Input(batch_shape=tuple(s)) if batch else keras.Input(shape=tuple(s[1:]))
        for s in input_shapes(shape)
    ]
    return made if is_multi(shape) else made[0]


def fresh_session() -> None:
    """A clean Keras session, so auto-generated names do not drift from run to run. No
    ``gc.collect()`` (a sixth of a second with TensorFlow loaded): the last run's layers go by
    reference counting, and Python's collector takes the rest."""
    keras.backend.clear_session(free_memory=False)


def random_inputs(rng: np.random.Generator, shape: Any) -> Any:
    """Normal float32 data of ``shape``, or a list of arrays for a list of shapes."""
    if isinstance(shape, list):
        return [random_inputs(rng, s) for s in shape]
    return rng.normal(size=shape).astype("float32")


def run_trace(doc: Document, catalog: Catalog, spec: RunSpec | None = None) -> Trace:
    """Construct the block from its generated code and call it, recording every event.

    Each run starts from a clean Keras session so auto-generated names do not drift. A Keras
    exception ends the run; the trace keeps everything up to it and says where it happened.
    """
    spec = spec or RunSpec()
    fresh_session()
    source = generate_code(doc, catalog, spec.style, spec.values, weights=spec.weights)
    module = load_generated(source, spec.style)
    values = {**example_values(doc), **(spec.values or {})}
    trace = Trace(
        doc.name,
        spec.style,
        doc.input_shape,
        values,
        keras_version=keras.__version__,
        label=f"{doc.name} · {spec.style}"
        + (" · lazy" if spec.weights == "lazy" and spec.style != "functional" else ""),
    )
    record(
        trace,
        doc.name,
        lambda: construct_block(module, doc, spec.style, values),
        call_shapes(doc.input_shape, spec),
        adopt=spec.style != "functional",
        seed=spec.seed,
        blocks=[inner.name for _kind, inner in nested_blocks(doc, catalog)],
    )
    ids = tag_nodes(trace.events, doc)
    if trace.error is not None:
        trace.error["node"] = ids.get((trace.error["layer"] or "").partition("/")[0])
    return trace


def rebuilt_block(doc: Document, catalog: Catalog, style: str) -> Any:
    """The block of ``doc`` from its generated code in ``style``, with its example's values,
    built by one call (a fresh session: no run is recorded)."""
    fresh_session()
    module = load_generated(generate_code(doc, catalog, style), style)
    block = construct_block(module, doc, style, example_values(doc))
    block(random_inputs(np.random.default_rng(0), concrete(doc.input_shape)), training=False)
    return block


def call_shapes(input_shape: InputShape, spec: RunSpec) -> list[Any]:
    """The shapes of the calls a run makes: ``calls`` times the input, then ``call_shape``."""
    shapes = [concrete(input_shape)] * spec.calls
    if spec.call_shape is not None:
        shapes.append(concrete(spec.call_shape))
    return shapes


def record(
    trace: Trace,
    name: str,
    make: Callable[[], Any],
    shapes: list[Any],
    adopt: bool = True,
    seed: int = 0,
    on_error: Callable[[BaseException], dict[str, Any]] | None = None,
    blocks: Collection[str] = (),
) -> Any:
    """Make a block with ``make()`` and call it once per shape, recording every event into
    ``trace``; a Keras error ends the run and becomes ``trace.error``. Returns the block (or
    None when making it failed)."""
    rng = np.random.default_rng(seed)
    block = None
    with Recorder(blocks) as rec:
        phase = "construct"
        try:
            # in the class styles the block itself is the first layer born in this span
            span = rec.open_span(
                "construct",
                _Named(name),
                created_in="top level",
                parent_layer=None,
                top=True,
                adopt=adopt,
            )
            try:
                block = make()
            finally:
                rec.close_span(span)
            phase = "call"
            for shape in shapes:
                block(random_inputs(rng, shape), training=False)
        except Exception as exc:  # a Keras error is a result to show, not a crash
            rec.error(exc, _Named(name), phase)
            last = next(e for e in reversed(rec.events) if e.type == "error")
            trace.error = {
                "layer": last.layer,
                "phase": last.data["phase"],
                "message": last.data["message"],
                "exception": last.data["exception"],
                **(on_error(exc) if on_error else {}),
            }
    trace.events = rec.events
    # the block's own list when there is a block; else what was made before the error
    made = block.weights if block is not None else rec.variables
    trace.weights = [
        WeightInfo(w.path, tuple(int(d) for d in w.shape), str(w.dtype), bool(w.trainable))
        for w in made
    ]
    trace.total_params = sum(w.params for w in trace.weights)
    return block


def tag_nodes(events: list, doc: Document) -> dict[str, str]:
    """Give each event the id of its document node: generated code names every sub-layer after
    its node, so the Keras layer name maps back; runs stay with their nodes through renames.
    Returns the name → id map used."""
    ids = {n.name: n.id for n in doc.nodes.values() if n.kind not in (INPUT_KIND, OUTPUT_KIND)}
    repeated = {n.name: n.id for n in doc.nodes.values() if n.repeat is not None}
    # a weight of the block's own is the block's add_weight: its Weight node, by Keras name
    own = {
        n.params.get("weight_name") or n.name: n.id
        for n in doc.nodes.values()
        if n.kind == WEIGHT_KIND
    }
    top = snake_case(doc.name)
    for event in events:
        # a layer inside a block node ("down2/conv1") belongs to that node on this canvas, an
        # instance of a repeated node ("downsamples_1/...") to the repeated node
        head = event.layer.partition("/")[0] if event.layer else ""
        base, _, digits = head.rpartition("_")
        found = ids.get(head) if head else None
        if found is None and digits.isdigit():
            found = repeated.get(base)
        event.node = found
        if event.type == "weight" and event.layer == top and event.data.get("name") in own:
            event.node = own[event.data["name"]]
    return ids


class _Named:
    """Stands for the block in events recorded before the block object exists."""

    def __init__(self, name: str) -> None:
        self.name = snake_case(name)
        self.path = ""


def construct_block(module: Any, doc: Document, style: str, values: dict[str, Any]) -> Any:
    """A fresh block from generated code (in functional style, the model ``build_model`` makes)."""
    if style == "functional":
        return module.build_model(per_sample(doc.input_shape), **values)
    cls = getattr(module, doc.name)
    kwargs = dict(values)
    if style == "init" and "in_channels" in cls.__init__.__code__.co_varnames:
        kwargs.setdefault("in_channels", first_shape(doc.input_shape)[-1])
    return cls(**kwargs)
