"""Renaming a block parameter: every place that reads it reads the new name (references,
indices, computed values, conditions, repeat counts, the others' "When None"), the block stays
valid and exports the same network, and one undo puts every one back."""

from __future__ import annotations

import dataclasses
import json

import pytest

from blockstudio.core import commands as c
from blockstudio.core.document import ParamRef
from blockstudio.core.expressions import rename_name
from blockstudio.core.library import BlockLibrary
from blockstudio.core.params import block_env
from blockstudio.core.project import document_to_json
from blockstudio.core.refs import Expr
from blockstudio.core.repeat import expand
from blockstudio.core.templates import load_template
from blockstudio.core.validate import validate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("len(strides) - 2", "len(steps) - 2"),
        (
            "prod_axes([strides[k] for k in range(1, i + 2)])",
            "prod_axes([steps[k] for k in range(1, i + 2)])",
        ),
        ("'strides' if strides else strides_x", "'strides' if steps else strides_x"),
        ("[strides for strides in range(3)]", "[strides for strides in range(3)]"),
        ("len(strides", "len(strides"),  # does not parse: left as it was, for validation to say
        ("é + strides", "é + steps"),
    ],
)
def test_only_the_names_an_expression_reads_are_renamed(text, expected):
    assert rename_name(text, "strides", "steps") == expected


def _rename(doc, old: str, new: str) -> c.EditBlockParam:
    cmd = c.EditBlockParam(doc, old, dataclasses.replace(doc.param(old), name=new))
    cmd.redo(doc)
    return cmd


def test_renaming_strides_in_dynunet_rewrites_counts_indices_and_computed_values(catalog):
    lib_catalog = catalog.with_library(BlockLibrary())
    doc = load_template("dynunet", lib_catalog)
    before, instances = document_to_json(doc), expand(doc, block_env(doc)).counts
    cmd = _rename(doc, "strides", "steps")
    assert doc.nodes["downsamples"].repeat.count == "len(steps) - 2"
    assert doc.nodes["downsamples"].params["stride"] == ParamRef("steps", "i + 1")
    assert doc.nodes["bottleneck"].params["stride"] == ParamRef("steps", "len(steps) - 1")
    assert doc.nodes["bottleneck"].params["out_channels"] == ParamRef("filters", "len(steps) - 1")
    assert doc.nodes["head_upsamples"].params["size"] == Expr(
        "prod_axes([steps[k] for k in range(1, i + 2)])"
    )
    assert "range(len(steps))" in doc.param("filters").when_none
    nodes = json.dumps(json.loads(document_to_json(doc))["document"]["nodes"])
    assert "strides" not in nodes  # no node reads the old name (the description still may)
    assert validate(doc, lib_catalog) == [] and expand(doc, block_env(doc)).counts == instances
    cmd.undo(doc)
    assert document_to_json(doc) == before


def test_renaming_a_parameter_a_condition_reads_keeps_the_condition(unet, catalog):
    _rename(unet, "stride", "step")
    assert unet.nodes["res_conv"].condition == "in_channels != out_channels or not all_one(step)"
    assert unet.nodes["res_drop"].condition.startswith(
        "(in_channels != out_channels or not all_one(step))"
    )
    assert validate(unet, catalog) == []


@pytest.mark.parametrize(
    ("new", "says"),
    [("i", "index of the repeated node downsamples"), ("k", "makes for itself")],
)
def test_a_new_name_the_block_already_uses_for_something_else_is_refused(catalog, new, says):
    doc = load_template("dynunet", catalog.with_library(BlockLibrary()))
    assert says in c.rename_clash(doc, "strides", new)
    assert c.rename_clash(doc, "strides", "steps") is None
