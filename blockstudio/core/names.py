"""Which names a document may give its block, nodes and parameters.

Every name a user types becomes a Python name in generated code: the class (or, in functional
style, its snake_case function), an attribute ``self.<node>``, a constructor argument. This module
is the one table of what such a name must not be, so validation, the inspector and code
generation agree.
"""

from __future__ import annotations

import keyword

# Local names and module names the generated code itself uses.
GENERATED_LOCALS = frozenset(
    {
        "self",
        "inputs",
        "outputs",
        "training",
        "x",
        "keras",
        "kwargs",
        "config",
        "input_shape",
        "in_channels",
        "build_model",
        "shape",
        "name",  # a functional block's own arguments (its layers' prefix and dtype policy)
        "dtype",
        "prefix",
    }
)
# Module-level helpers the generator may emit; they start with "_" so users never collide.
HELPER_FUNCTIONS = frozenset(
    {"_symmetric_pad", "_padded_shape", "_conv", "_norm", "_pool", "_dropout"}
)
# Builtins generated code calls; shadowing one would break the code that calls it.
BUILTINS_USED = frozenset(
    {"super", "getattr", "len", "ValueError", "isinstance", "int", "tuple", "list", "None"}
)
RESERVED = GENERATED_LOCALS | HELPER_FUNCTIONS | BUILTINS_USED
# Single letters that read as 1 and 0; linters (E741-E743) refuse them as names.
AMBIGUOUS = frozenset({"l", "O", "I"})


def is_identifier(name: str) -> bool:
    return isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)


def snake_case(name: str) -> str:
    """``UnetResBlock`` → ``unet_res_block`` (the functional style's function name)."""
    out = []
    for i, ch in enumerate(name):
        if (
            ch.isupper()
            and i
            and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower()))
        ):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def name_problem(
    name: str, role: str, layer_attributes: frozenset[str] = frozenset()
) -> str | None:
    """Why ``name`` cannot be used as a ``role`` ("block", "node" or "param"), or None.

    ``layer_attributes`` are the attributes of ``keras.layers.Layer`` (from the catalog): a node
    or parameter of that name would overwrite one (``self.weights = ...``).
    """
    what = {"block": "Block name", "node": "Name", "param": "Block parameter"}[role]
    if not is_identifier(name):
        kind = "class name" if role == "block" else "Python name"
        return f"{what} {name!r} is not a valid {kind}."
    if name.startswith("_"):
        return (
            f"{what} {name!r} starts with '_'; such names are kept for Keras internals and the "
            "generated helpers."
        )
    if name in AMBIGUOUS or (role == "block" and snake_case(name) in AMBIGUOUS):
        return f"{what} {name!r} is too easily read as 1 or 0; pick a longer name."
    if role == "block":
        fname = snake_case(name)
        if name in RESERVED or fname in RESERVED or fname.startswith("_"):
            return (
                f"{what} {name!r} clashes with a name the generated code uses "
                f"({fname if fname in RESERVED else name}); pick another."
            )
        return None
    if name in RESERVED:
        return f"{what} {name!r} clashes with a name the generated code uses; pick another."
    if name in layer_attributes:
        return f"{what} {name!r} clashes with an attribute of keras.layers.Layer; pick another."
    return None
