"""A project file is data: no text in it can add code to the generated module, and no name in it
can break the module.
"""

from __future__ import annotations

import ast
import os
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blockstudio.core.catalog import load_catalog
from blockstudio.core.document import BlockParam
from blockstudio.core.templates import load_template
from blockstudio.core.validate import validate
from blockstudio.engine.codegen import STYLES, CodegenError, generate_code
from blockstudio.engine.loader import load_generated
from tests.engine.helpers import ruff_problems

CATALOG = load_catalog()
EXAMPLES = 100 if os.environ.get("CI") else 30
INJECTION = 'x"""; __import__("pathlib").Path("pwned").write_text("1"); """'
NASTY = [
    INJECTION,
    'ends in "',
    'a """ b',
    "\\N{x} \\u12 \\",
    '"starts with a quote',
    "tab\tnew\nline \x00 \u202e rtl \U0001f600",
    "'''; import os; '''",
    "}{)(][ #",
]
# quotes, backslashes, control characters, and ordinary text (a lone surrogate is not text:
# validation refuses it, see test_a_lone_surrogate_is_refused_where_it_is)
adversarial_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "'", "\\", "\n", "\r", "\x00", "#", "N", "u", "{", " ", "x"]),
        st.characters(exclude_categories=("Cs",)),
    ),
    max_size=120,
)


def _with_text(description: str, doc_text: str, default: str):
    doc = load_template("unet-res-block", CATALOG)
    doc.set_block_field("description", description)
    for p in doc.params:
        doc.replace_block_param(p.name, replace(p, doc=doc_text))
    doc.add_block_param(BlockParam("label", "str", default, doc=doc_text))
    return doc


def _shape(source: str) -> str:
    """The module's AST with every constant blanked: what the code does, not what it says."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def _ruff(source: str, tmp_path) -> str:
    """ruff's findings; E501 aside, as text of any length cannot fit 88 columns."""
    return ruff_problems(source, tmp_path, ignore="E501")


@pytest.mark.parametrize("text", NASTY)
@pytest.mark.parametrize("style", STYLES)
def test_nasty_text_stays_text(text, style, tmp_path):
    doc = _with_text(text, text, text)
    source = generate_code(doc, CATALOG, style)
    plain = generate_code(_with_text("Plain.", "plain", "plain"), CATALOG, style)
    assert _shape(source) == _shape(plain)  # no call or statement added
    assert _ruff(source, tmp_path) == ""
    tree = ast.parse(source)
    top = next(
        n
        for n in tree.body
        if isinstance(n, ast.ClassDef | ast.FunctionDef) and not n.name.startswith("_")
    )
    assert " ".join(text.split())[:20] in " ".join(ast.get_docstring(top).split())


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(description=adversarial_text, doc_text=adversarial_text, default=adversarial_text)
def test_any_text_in_any_string_field_stays_text(tmp_path_factory, description, doc_text, default):
    doc = _with_text(description, doc_text, default)
    plain = _with_text("Plain.", "plain", "plain")
    folder = tmp_path_factory.mktemp("gen")
    for style in STYLES:
        source = generate_code(doc, CATALOG, style)
        assert _shape(source) == _shape(generate_code(plain, CATALOG, style))
        assert _ruff(source, folder) == ""
        module = load_generated(source, style)
        params = {p.name: p.default for p in doc.params}
        fn = module.build_model if style == "functional" else getattr(module, doc.name)
        assert fn.__doc__ is not None and fn.__doc__.strip()
        if style != "functional":
            assert getattr(module, doc.name)(**params).get_config()["label"] == default


def test_tracing_an_injection_creates_no_file(tmp_path, monkeypatch):
    from blockstudio.engine.tracer import RunSpec, run_trace

    monkeypatch.chdir(tmp_path)
    doc = load_template("unet-res-block", CATALOG)
    doc.set_block_field("description", INJECTION)
    doc.set_block_field("input_shape", (None, 8, 8, 4))
    trace = run_trace(doc, CATALOG, RunSpec(calls=1))
    assert trace.error is None
    assert list(tmp_path.iterdir()) == []


CLASHES = {
    "node": ["_conv", "_norm", "_symmetric_pad", "__class__", "weights", "build", "x", "super"],
    "param": ["super", "self", "kwargs", "_pool", "len", "name", "trainable"],
    "block": ["keras", "Keras", "BuildModel", "Self", "_Block", "Super"],
}


@pytest.mark.parametrize(("role", "name"), [(r, n) for r, ns in CLASHES.items() for n in ns])
def test_names_that_would_break_the_code_are_refused_with_a_reason(role, name):
    doc = load_template("unet-res-block", CATALOG)
    if role == "node":
        doc.set_node_field("lrelu", "name", name)
    elif role == "param":
        doc.add_block_param(BlockParam(name, "int", 1))
    else:
        doc.set_block_field("name", name)
    problems = [p for p in validate(doc, CATALOG) if p.severity == "error"]
    assert problems, name
    assert any(repr(name) in p.message for p in problems)
    with pytest.raises(CodegenError):
        generate_code(doc, CATALOG, "build")


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    node_name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
    param_name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
    block_name=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
)
def test_every_accepted_name_gives_code_that_constructs(
    tmp_path_factory, node_name, param_name, block_name
):
    doc = load_template("unet-res-block", CATALOG)
    doc.set_node_field("lrelu", "name", node_name)
    doc.add_block_param(BlockParam(param_name, "int", 1))
    doc.set_block_field("name", block_name)
    if any(p.severity == "error" for p in validate(doc, CATALOG)):
        return  # refused with a message (checked above); nothing is generated
    folder = tmp_path_factory.mktemp("names")
    for style in STYLES:
        source = generate_code(doc, CATALOG, style)
        assert _ruff(source, folder) == ""
        module = load_generated(source, style)
        if style == "functional":
            module.build_model((8, 8, 32))
        else:
            getattr(module, block_name)()


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        (("a \ud800 b", "doc", "x"), "description"),
        (("d", "doc \udc00", "x"), "params.spatial_dims"),
        (("d", "doc", "\ude82"), "params.label"),
    ],
)
def test_a_lone_surrogate_is_refused_where_it_is(fields, where):
    # CPython cannot even create a class whose docstring holds one (it encodes it as UTF-8)
    doc = _with_text(*fields)
    problems = [p for p in validate(doc, CATALOG) if p.param == where]
    assert problems and "a lone surrogate, which is not text" in problems[0].message
    with pytest.raises(CodegenError, match="lone surrogate"):
        generate_code(doc, CATALOG, "build")
