"""What a node parameter linked to a block parameter may take: the types a link accepts, and
why an indexed link (``strides[4]``) cannot read its entry."""

from __future__ import annotations

from blockstudio.core.document import BlockParam, ParamRef
from blockstudio.core.params import has_entry

REF_COMPATIBLE = {
    "int": {"int", "float", "ints", "any", "choice"},
    "ints": {"ints", "any"},
    "float": {"float", "any", "choice"},
    "str": {"str", "choice", "any"},
    "bool": {"bool", "any", "choice"},
}
TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number",
    "bool": "True or False",
    "str": "text",
    "ints": "whole numbers",
    "choice": "one of its choices",
}


def ref_type(ref: ParamRef, bp: BlockParam) -> str:
    """The type a reference gives: the parameter's, or an entry's (an int of ``ints``)."""
    return "int" if ref.index is not None and bp.type == "ints" else bp.type


def index_problem(ref: ParamRef, bp: BlockParam) -> str | None:
    """Why ``strides[4]`` cannot be read from block parameter ``bp`` (its default), or None."""
    if bp.type != "ints":
        return f"{ref} takes one entry, but block parameter {bp.name!r} is {bp.type}, not a list."
    default = bp.default
    if isinstance(default, tuple | list) and not has_entry(default, ref.index):  # type: ignore[arg-type]
        return (
            f"{ref} needs at least {ref.index + 1} entries in {bp.name}, which has "  # type: ignore[operator]
            f"{len(default)} ({', '.join(map(str, default))}); one per level."
        )
    return None


def ref_type_mismatch(block_type: str, param_type: str) -> str | None:
    if param_type in REF_COMPATIBLE.get(block_type, set()):
        return None
    return TYPE_WORDS.get(param_type, param_type)
