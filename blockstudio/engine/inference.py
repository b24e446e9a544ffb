"""Shape inference over a whole document with Keras's own ``compute_output_shape``.

No layer is built and no variable is created: each node gets an unbuilt Keras layer object (cached
by kind and params) and Keras computes its output shape from its input shapes. Shapes that Keras
rejects become problems carrying Keras's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras
from keras.src.layers.input_spec import assert_input_compatibility

from blockstudio.core.catalog import Catalog, KindSpec
from blockstudio.core.conditions import IN_CHANNELS, ConditionError, evaluate_condition
from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND, Document, Node
from blockstudio.core.graph import topological_order
from blockstudio.core.library import PATH_MARK
from blockstudio.core.params import effective_params, missing_entry
from blockstudio.core.problems import Problem
from blockstudio.core.repeat import RepeatError, expand, has_repeats, stand_for_repeats
from blockstudio.core.shapes import (
    InputShape,
    Shape,
    as_input_shape,
    broadcast_shapes,
    first_shape,
    format_shape,
    input_shapes,
)
from blockstudio.core.sources import ARITHMETIC_KINDS, SOURCE_KINDS, source_params, source_shape
from blockstudio.core.validate import block_env
from blockstudio.engine.generic import (
    GENERIC_KINDS,
    negative_padding,
    symmetric_padding,
    trusts_output_shape,
    uses_spatial_dims,
)
from blockstudio.engine.keras_shapes import (
    count_params,
    first_output_shape,
    keras_class,
    padded_shape,
    reapply,
    symbolic_call,
)


@dataclass
class InferenceResult:
    """Output shape of every node whose shape is known, which nodes are present, and problems."""

    shapes: dict[str, Shape] = field(default_factory=dict)
    present: dict[str, bool] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    absent_reason: dict[str, str] = field(default_factory=dict)
    spatial_dims: int | None = None
    param_counts: dict[str, int] = field(default_factory=dict)  # Keras's count_params()
    input_shape: InputShape = ()
    inner: dict[str, InferenceResult] = field(default_factory=dict)  # block nodes, by id


def spatial_dims_of(doc: Document, env: dict[str, Any], shape: Shape | None = None) -> int:
    """The block's ``spatial_dims`` parameter, else the input rank minus batch and channels."""
    value = env.get("spatial_dims")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return max(len(first_shape(shape if shape is not None else doc.input_shape)) - 2, 1)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


class ShapeInference:
    """Infers shapes; keeps unbuilt layers and computed shapes cached between runs."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._layers: dict[Any, Any] = {}
        self._shapes: dict[Any, Shape | str] = {}
        self._counts: dict[Any, int | None] = {}
        self._counting = False
        self._inputs: dict[str, list[str]] = {}
        self._input_of: dict[str, Shape] = {}

    def run(
        self,
        doc: Document,
        values: dict[str, Any] | None = None,
        count_params: bool = False,
        input_shape: InputShape | None = None,
    ) -> InferenceResult:
        """Shapes and problems; with ``count_params`` also each layer's Keras parameter count
        (a second, slower pass the studio asks for once the shapes are shown).

        ``input_shape`` replaces the document's own (a block node's input, when nested).
        """
        self._counting = count_params
        given = as_input_shape(input_shape if input_shape is not None else doc.input_shape)
        ids = [n.id for n in doc.input_nodes]
        # more inputs than shapes (or fewer) is validation's to report; the first ones get theirs
        self._input_of = dict(zip(ids, input_shapes(given), strict=False))
        shape = first_shape(given)
        env = block_env(doc, values)
        env[IN_CHANNELS] = shape[-1] if shape else None
        result = InferenceResult(spatial_dims=spatial_dims_of(doc, env, shape), input_shape=given)
        if has_repeats(doc):  # the instances the values make; the repeated node shows its last
            try:
                expansion = expand(doc, env)
            except RepeatError as exc:
                result.problems.append(Problem("bad_repeat", exc.message, exc.node_id, exc.param))
                return result
            self._run_on(expansion.doc, env, shape, result)
            stand_for_repeats(expansion, result.shapes, result.present, result.param_counts)
            return result
        self._run_on(doc, env, shape, result)
        return result

    def _run_on(
        self, doc: Document, env: dict[str, Any], shape: Shape, result: InferenceResult
    ) -> None:
        order, _cyclic = topological_order(doc)
        # only kinds whose Keras class depends on spatial_dims need the rank to match it: a
        # generic Dropout or Normalization also serves an MLP's 2-D tensors
        uses_generic = any(
            n.kind in GENERIC_KINDS
            and uses_spatial_dims(n.kind, {"spatial": n.params.get("spatial", False)})
            for n in doc.nodes.values()
        )
        if uses_generic and len(shape) != result.spatial_dims + 2:
            result.problems.append(
                Problem(
                    "shape_error",
                    f"spatial_dims is {result.spatial_dims}, so the input needs "
                    f"{result.spatial_dims + 2} dimensions (batch, {result.spatial_dims} spatial, "
                    f"channels); {format_shape(shape)} has {len(shape)}.",
                    param="input_shape",
                )
            )
            return
        inputs: dict[str, list[str]] = {}
        for e in sorted(doc.edges, key=lambda e: e.port):
            inputs.setdefault(e.dst, []).append(e.src)
        self._inputs = inputs
        for nid in order:
            node = doc.nodes[nid]
            self._infer_node(doc, node, inputs.get(nid, []), env, result)

    def _infer_node(
        self,
        doc: Document,
        node: Node,
        srcs: list[str],
        env: dict[str, Any],
        result: InferenceResult,
    ) -> None:
        nid = node.id
        if node.kind == INPUT_KIND:
            if nid in self._input_of:  # validation reports an input without a shape
                result.present[nid] = True
                result.shapes[nid] = self._input_of[nid]
            return
        if node.kind in SOURCE_KINDS:
            self._infer_source(node, env, result)
            return
        in_shapes = [result.shapes.get(s) for s in srcs]
        if not in_shapes or any(s is None for s in in_shapes):
            return  # unconnected or upstream unknown: validation reports the cause
        if node.kind == OUTPUT_KIND:
            try:  # a later Output may be conditional: returned only when it holds
                present = node.condition is None or evaluate_condition(node.condition, env)
            except ConditionError:
                return  # reported by validation
            result.present[nid] = present
            result.shapes[nid] = in_shapes[0]
            return
        if node.condition is not None:
            try:
                present = evaluate_condition(node.condition, env)
            except ConditionError:
                return  # reported by validation
            result.present[nid] = present
            if not present:
                result.absent_reason[nid] = f"absent: {node.condition} is False"
                result.shapes[nid] = in_shapes[0]
                return
        else:
            result.present[nid] = True
        owner = doc.nodes.get(node.shares, node) if node.shares else node
        spec = self.catalog.get(owner.kind)
        if spec is None or missing_entry(owner.params, env):
            return  # validation reports an unknown kind or a list too short
        params = effective_params(spec.params, owner.params, env)
        if any(p.required and p.name not in params for p in spec.params):
            return
        if spec.block is not None:
            given = tuple(in_shapes) if len(in_shapes) > 1 else in_shapes[0]
            self._infer_block(node, owner.kind, params, given, result)
            return
        dims = result.spatial_dims or 2
        if node.shares is not None:
            owner_in = [result.shapes.get(s) for s in self._inputs.get(owner.id, [])]
            if owner_in and None not in owner_in and owner_in != in_shapes:
                problem = reapply(spec, params, dims, owner_in, in_shapes)
                if problem:
                    result.problems.append(Problem("shape_error", problem, nid))
                    return
        if spec.kind in ARITHMETIC_KINDS and len({len(s) for s in in_shapes}) > 1:
            out = broadcast_shapes(in_shapes)  # a weight or range has no batch axis
        else:
            out = self.output_shape(spec, params, dims, in_shapes)
        if isinstance(out, str):
            result.problems.append(Problem("shape_error", out, nid))
            return
        result.shapes[nid] = out
        if self._counting and node.shares is None:  # a sharer's weights are its owner's
            count = self.param_count(spec, params, dims, in_shapes)
            if count is not None:
                result.param_counts[nid] = count

    def _infer_source(self, node: Node, env: dict[str, Any], result: InferenceResult) -> None:
        """A weight of the block's own or a position range: its shape from its params."""
        spec = self.catalog.get(node.kind)
        if spec is None or missing_entry(node.params, env):
            return
        params = effective_params(spec.params, node.params, env)
        first = next(iter(self._input_of.values()), None)  # a range may follow its length
        shape = source_shape(node.kind, params, first)
        if isinstance(shape, str):
            result.problems.append(Problem("bad_param", shape, node.id))
            return
        result.present[node.id] = True
        result.shapes[node.id] = shape
        if self._counting:
            result.param_counts[node.id] = source_params(node.kind, params)

    def _infer_block(
        self,
        node: Node,
        kind: str,
        params: dict[str, Any],
        shape: InputShape,
        result: InferenceResult,
    ) -> None:
        """A block node: the inner document inferred on this input with these values; its
        problems are the node's, with the path inside."""
        inner = self.catalog.library.document(kind, self.catalog)
        saved = self._inputs, self._input_of
        try:
            sub = self.run(inner, params, self._counting, shape)
        finally:
            self._inputs, self._input_of = saved
        result.inner[node.id] = sub
        if sub.problems:
            for p in sub.problems:
                where = inner.nodes[p.node_id].name if p.node_id in inner.nodes else p.param
                where = f"{node.name}{PATH_MARK}{where}" if where else node.name
                result.problems.append(Problem(p.code, f"{where}: {p.message}", node.id))
            return
        out = next((n.id for n in inner.nodes.values() if n.kind == OUTPUT_KIND), None)
        if out is None or out not in sub.shapes:
            return  # validation reports the inner block's missing pieces
        result.shapes[node.id] = sub.shapes[out]
        if self._counting and node.shares is None:
            result.param_counts[node.id] = sum(
                count for nid, count in sub.param_counts.items() if sub.present.get(nid)
            )

    def output_shape(
        self, spec: KindSpec, params: dict[str, Any], spatial_dims: int, in_shapes: list[Shape]
    ) -> Shape | str:
        """The output shape, or Keras's message when it rejects the inputs or params; cached
        by kind, params and input shapes, so an edit recomputes only the nodes it touches."""
        key = (spec.kind, _freeze(params), spatial_dims, tuple(in_shapes))
        cached = self._shapes.get(key)
        if cached is None:
            cached, count = self._compute(spec, params, spatial_dims, in_shapes)
            self._shapes[key] = cached
            if count is not None:
                self._counts[key] = count  # a symbolic call built the layer: the count is free
        return cached

    def param_count(
        self, spec: KindSpec, params: dict[str, Any], spatial_dims: int, in_shapes: list[Shape]
    ) -> int | None:
        """Keras's ``count_params()`` for the layer on these inputs (cached like the shapes)."""
        key = (spec.kind, _freeze(params), spatial_dims, tuple(in_shapes))
        if key not in self._counts:
            cls_name, kwargs = keras_class(spec, params, spatial_dims)
            if spec.generic and spec.kind == "Convolution" and params["padding"] == "symmetric":
                pad = symmetric_padding(params["kernel_size"], params["strides"])
                in_shapes = [padded_shape(in_shapes[0], pad)]
            self._counts[key] = count_params(spec, cls_name, kwargs, in_shapes)
        return self._counts[key]

    def _compute(
        self, spec: KindSpec, params: dict[str, Any], spatial_dims: int, in_shapes: list[Shape]
    ) -> tuple[Shape | str, int | None]:
        cls_name, kwargs = keras_class(spec, params, spatial_dims)
        if spec.generic:
            if spec.kind == "Convolution" and params["padding"] == "symmetric":
                pad = symmetric_padding(params["kernel_size"], params["strides"])
                if negative_padding(pad):
                    return (
                        f"kernel_size {params['kernel_size']} with stride {params['strides']} "
                        "gives negative symmetric padding; use a larger kernel or smaller "
                        "stride."
                    )
                in_shapes = [padded_shape(in_shapes[0], pad)]
        layer_key = (cls_name, _freeze(kwargs))
        if not trusts_output_shape(cls_name, kwargs):
            return symbolic_call(spec, cls_name, kwargs, in_shapes)
        layer = self._layers.get(layer_key)
        try:
            if layer is None:
                layer = getattr(keras.layers, cls_name)(**kwargs)
                self._layers[layer_key] = layer
            if layer.input_spec is not None:
                # the checks Keras makes on every call (rank, axes), without building anything
                symbolic = [keras.KerasTensor(s) for s in in_shapes]
                assert_input_compatibility(
                    layer.input_spec, symbolic if spec.multi_input else symbolic[0], layer.name
                )
            if spec.call == "args":
                shape = layer.compute_output_shape(*in_shapes)
            else:
                shape = layer.compute_output_shape(in_shapes if spec.multi_input else in_shapes[0])
        except Exception:
            # compute_output_shape can refuse what a call accepts: the call decides
            return symbolic_call(spec, cls_name, kwargs, in_shapes)
        return first_output_shape(shape), None
