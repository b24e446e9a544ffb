"""Any valid block used as a node behaves as the block itself: same shapes, same outputs."""

from __future__ import annotations

import os

import keras
import numpy as np
from hypothesis import HealthCheck, given, note, settings

from blockstudio.core.catalog import load_catalog
from blockstudio.core.document import Document, Edge, Node
from blockstudio.core.library import BlockLibrary
from blockstudio.core.project import document_to_json
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.inference import ShapeInference
from blockstudio.engine.loader import load_generated
from tests.docgen import documents, inputs_for

EXAMPLES = 60 if os.environ.get("CI") else 15
KIND = "file:random.bsblock"


def _wrapped(inner: Document) -> tuple[Document, object]:
    """``Outer``: Input → the inner block as one node → Output; a library that knows it."""
    ins = [Node(f"in{i}", "Input", f"x{i}", {"index": i}) for i in range(len(inner.input_nodes))]
    outer = Document(
        "Outer",
        inner.input_shape,
        nodes=[*ins, Node("blk", KIND, "inner"), Node("out", "Output", "output")],
        edges=[*(Edge(n.id, "blk", i) for i, n in enumerate(ins)), Edge("blk", "out")],
    )
    return outer, load_catalog().with_library(BlockLibrary(documents={KIND: inner}))


def _block(doc, catalog, cls_name):
    module = load_generated(generate_code(doc, catalog, "build"), "build")
    block = getattr(module, cls_name)()
    block(inputs_for(doc, 1, zeros=True))
    return block


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_a_block_as_a_node_has_its_shapes_counts_and_outputs(doc):
    note(document_to_json(doc))
    outer, catalog = _wrapped(doc)
    infer = ShapeInference(catalog)
    alone = infer.run(doc, count_params=True)
    nested = infer.run(outer, count_params=True)
    assert nested.problems == []
    assert nested.shapes["out"] == alone.shapes[doc.output_node.id]
    assert nested.param_counts.get("blk", 0) == sum(
        n for nid, n in alone.param_counts.items() if alone.present.get(nid)
    )
    keras.backend.clear_session()
    x = inputs_for(doc, 2)
    inner = _block(doc, catalog, "RandomBlock")
    wrapper = _block(outer, catalog, "Outer")
    assert wrapper.count_params() == inner.count_params() == nested.param_counts.get("blk", 0)
    wrapper.inner.set_weights(inner.get_weights())
    np.testing.assert_allclose(
        np.asarray(wrapper(x, training=False)), np.asarray(inner(x, training=False)), atol=1e-5
    )
