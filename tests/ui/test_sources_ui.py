"""Weight and Range nodes on the canvas, and required block parameters in the inspector,
driven with real mouse events."""

from __future__ import annotations

from blockstudio.core.document import Edge
from blockstudio.core.layout import laid_out
from tests.engine.test_sources import layer_scale
from tests.ui.helpers import drag
from tests.ui.test_real_hands import _palette_add


def test_a_weight_from_the_palette_has_no_input_port_and_no_problem_for_it(make_window, qtbot):
    window = make_window()
    nid = _palette_add(qtbot, window, "Weight")
    card = window.scene.nodes[nid]
    assert card.inputs == []  # nothing feeds a weight: no port to drop a wire on
    assert card.output is not None
    assert window.model.problems_of(nid) == []
    rng = _palette_add(qtbot, window, "Range")
    assert window.scene.nodes[rng].inputs == []


def test_wiring_a_weight_into_a_multiply_scales_the_input(make_window, qtbot, catalog):
    doc = layer_scale()
    doc.remove_edge(next(e for e in doc.edges if e.src == "g"))
    window = make_window(laid_out(doc))
    assert window.model.problems_of("m")  # a Multiply of one input
    out, free = window.scene.nodes["g"].output, window.scene.nodes["m"].inputs[1]
    window.view.resetTransform()
    window.view.centerOn((out.scenePos() + free.scenePos()) / 2)
    drag(qtbot, window.view, out.scenePos(), free.scenePos())
    assert Edge("g", "m", 1) in window.model.doc.edges
    qtbot.waitUntil(lambda: window.model.problems_of("m") == [], timeout=3000)


def test_required_parameters_read_as_required(make_window, qtbot):
    window = make_window(layer_scale())
    qtbot.waitUntil(lambda: "params" in window.inspector.editors, timeout=3000)
    table = window.inspector.editors["params"]
    assert table.item(0, 0).text() == "init_values"
    assert table.item(0, 0).font().italic() and table.item(0, 2).font().italic()
    note = window.inspector.editors["required_note"]
    assert note.isVisible() and "no default" in note.text()
    assert "example value" in table.item(1, 2).toolTip()
