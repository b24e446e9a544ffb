"""A run belongs to the level it ran on: its errors and weights map by path into nested blocks."""

from __future__ import annotations

from blockstudio.core.catalog import load_catalog
from blockstudio.core.library import BlockLibrary
from blockstudio.core.runs import RunModel, RunOrigin, Scope
from blockstudio.engine.tracer import RunSpec, run_trace
from tests.nesting import two_levels


def _scope(project: int, path: tuple[str, ...], doc) -> Scope:
    def node_id(name: str):
        node = doc.node_by_name(name)
        return node.id if node is not None else None

    return Scope(project, path, node_id)


def test_a_nested_error_shows_in_its_block_and_nowhere_else():
    catalog = load_catalog().with_library(BlockLibrary())
    outer = two_levels()
    trace = run_trace(outer, catalog, RunSpec(calls=1, call_shape=(1, 16, 16, 4)))
    assert trace.error is not None and trace.error["layer"].startswith("down1/")
    inner = catalog.library.document(outer.nodes["b1"].kind, catalog)
    runs = RunModel()
    runs.set_scope(_scope(1, (), outer))
    runs.add_run(trace, origin=RunOrigin(1, (), 0))
    assert set(runs.errors()) == {"b1"}  # at the top: on the block node that holds it
    runs.set_scope(_scope(1, ("down1",), inner))
    (nid,) = runs.errors()
    assert inner.nodes[nid].name == trace.error["layer"].split("/")[1]
    assert runs.weight_events(nid) == [
        e
        for e in trace.events
        if e.type == "weight" and e.layer == f"down1/{inner.nodes[nid].name}"
    ]
    runs.set_scope(_scope(1, ("down2",), inner))  # the same block, another node: no error
    assert runs.errors() == {}
    runs.set_scope(_scope(2, (), outer))  # another project: the run leaves the views
    assert runs.shown is None and runs.errors() == {}
