"""Value expressions: a block parameter given as None, computed from the others (MONAI's
``filters``), evaluated by walking a whitelist, never by ``eval``."""

import pytest

from blockstudio.core.catalog import load_catalog
from blockstudio.core.document import BlockParam, Document, Edge, Node
from blockstudio.core.expressions import ExpressionError, evaluate_expression, expression_names
from blockstudio.core.params import block_env
from blockstudio.core.project import load_document, save_document
from blockstudio.core.validate import validate

MONAI = "[min(2 ** (5 + i), 320 if spatial_dims == 3 else 512) for i in range(len(strides))]"


@pytest.mark.parametrize(
    ("dims", "levels", "widths"),
    [
        (2, 5, (32, 64, 128, 256, 512)),
        (2, 6, (32, 64, 128, 256, 512, 512)),
        (3, 5, (32, 64, 128, 256, 320)),
        (1, 3, (32, 64, 128)),
    ],
)
def test_monai_s_widths(dims, levels, widths):
    env = {"spatial_dims": dims, "strides": (1,) + (2,) * (levels - 1)}
    assert evaluate_expression(MONAI, env) == widths
    assert expression_names(MONAI) == {"spatial_dims", "strides"}  # not i, min, range, len


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("__import__('os').system('true')", "Only min, max"),
        ("strides.__class__", "Attribute is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("open('x')", "Only min, max"),
        ("min(strides, key=len)", "plain arguments"),
        ("[i for i in range(10 ** 6)]", "range of more than 10000"),
        ("2 ** 1000", "exponent above 64"),
        ("'x' * 10 ** 6", "Too long"),
        ("[[j for j in range(5000)] for i in range(5000)]", "steps"),
        ("strides[9]", "Cannot compute strides[9]"),
        ("1 / 0", "Cannot compute"),
        ("nope + 1", "Unknown name 'nope'"),
        ("[i for (i, j) in strides]", "one plain name"),
        ("strides +", "not a valid expression"),
    ],
)
def test_anything_else_is_refused_with_a_reason(text, said):
    with pytest.raises(ExpressionError, match=said.replace("(", r"\(").replace("[", r"\[")):
        evaluate_expression(text, {"strides": (1, 2, 2)})


def _doc(when_none: str, optional: bool = True) -> Document:
    params = [
        BlockParam("spatial_dims", "int", 2),
        BlockParam("strides", "ints", (1, 2, 2)),
        BlockParam("filters", "ints", None, optional=optional, when_none=when_none),
    ]
    nodes = [
        Node("in", "Input", "x_in"),
        Node("c", "Dense", "dense", {"units": 4}),
        Node("out", "Output", "output"),
    ]
    edges = [Edge("in", "c"), Edge("c", "out")]
    return Document("Widths", (None, 8), params, nodes=nodes, edges=edges)


def test_the_block_s_values_compute_a_none_and_keep_a_given_value():
    doc = _doc(MONAI)
    assert block_env(doc)["filters"] == (32, 64, 128)
    assert block_env(doc, {"strides": (1, 2)})["filters"] == (32, 64)
    assert block_env(doc, {"filters": (4, 8, 16)})["filters"] == (4, 8, 16)


@pytest.mark.parametrize(
    ("text", "optional", "said"),
    [
        (MONAI, False, "filters computes a value when None, so it must be optional"),
        ("[w for w in widths]", True, "unknown name 'widths'; it can read the other block"),
        ("filters", True, "unknown name 'filters'"),  # not itself
        ("len(strides) * 1.5", True, "must be a whole number or a tuple of them"),
        ("strides.real", True, "Attribute is not allowed"),
    ],
)
def test_validation_says_what_is_wrong_on_the_parameter(text, optional, said):
    problems = validate(_doc(text, optional), load_catalog())
    said_here = [p.message for p in problems if p.param == "params.filters"]
    assert any(m.startswith("filters when None") and said in m for m in said_here), said_here


def test_a_project_keeps_the_expression(tmp_path):
    catalog = load_catalog()
    save_document(_doc(MONAI), tmp_path / "w.bsblock")
    again = load_document(tmp_path / "w.bsblock", catalog)
    assert again.param("filters").when_none == MONAI and validate(again, catalog) == []


def test_a_value_computed_once_is_not_taken_for_an_equal_one_of_another_type():
    assert evaluate_expression("x is True", {"x": True}) is True
    assert evaluate_expression("x is True", {"x": 1}) is False  # 1 == True, yet not True
    assert evaluate_expression("[x] * 2", {"x": 1.0}) == (1.0, 1.0)
