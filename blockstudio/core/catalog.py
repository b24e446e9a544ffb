"""The layer catalog as plain data: kinds, their inputs and parameter schemas.

The catalog is generated from Keras by ``blockstudio.engine.catalog_gen`` and shipped as JSON, so
the UI and validation can use it without importing TensorFlow.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from blockstudio.core.document import INPUT_KIND, OUTPUT_KIND

CATALOG_FILE = "catalog.json"

# A parameter type is one of these; ``optional`` adds None.
VALUE_TYPES = ("int", "float", "bool", "str", "choice", "ints", "any")


@dataclass(frozen=True)
class ParamSpec:
    """One constructor argument of a layer kind."""

    name: str
    type: str
    default: Any = None
    required: bool = False
    optional: bool = False
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    doc: str = ""
    linkable: bool = True  # False: must be a literal, never a block parameter reference


@dataclass(frozen=True)
class KindSpec:
    """A layer kind the user can place: a Keras layer or a dimension-generic kind."""

    kind: str
    category: str
    doc: str
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number
    call: str = "single"  # single | list | args
    params: tuple[ParamSpec, ...] = ()
    generic: bool = False
    curated: bool = False
    builds: bool = True  # the Keras class has its own build(): generated build() must call it
    same_shape: bool = False  # output shape == input shape (activations, norms, dropouts)
    block: str | None = None  # a block node: the class name of the document it stands for

    def param(self, name: str) -> ParamSpec | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def multi_input(self) -> bool:
        return self.max_inputs is None or self.max_inputs > 1


@dataclass(frozen=True)
class Catalog:
    """All kinds by name, plus the Layer attribute names a node may not use.

    With a ``library`` (a :class:`~blockstudio.core.library.BlockLibrary`), the kinds also
    include blocks: templates and saved projects used as nodes.
    """

    kinds: dict[str, KindSpec]
    reserved_names: frozenset[str] = field(default_factory=frozenset)
    keras_version: str = ""
    library: Any = field(default=None, compare=False)

    def get(self, kind: str) -> KindSpec | None:
        spec = self.kinds.get(kind)
        if spec is None and self.library is not None:
            return self.library.spec(kind, self)
        return spec

    def with_library(self, library: Any) -> Catalog:
        return dataclasses.replace(self, library=library)

    def categories(self) -> dict[str, list[KindSpec]]:
        out: dict[str, list[KindSpec]] = {}
        for spec in self.kinds.values():
            if spec.kind in (INPUT_KIND, OUTPUT_KIND):
                continue
            out.setdefault(spec.category, []).append(spec)
        return out


def _index(what: str) -> ParamSpec:
    """The position of an Input or Output among several (a list, in index order)."""
    return ParamSpec("index", "int", 0, min=0, linkable=False, doc=f"Position of this {what}.")


_IO_KINDS = {
    INPUT_KIND: KindSpec(
        INPUT_KIND,
        "io",
        "The block's input tensor. A block with several is called on a list, in index order.",
        0,
        0,
        params=(_index("input in the list the block is called on (0 first)"),),
    ),
    OUTPUT_KIND: KindSpec(
        OUTPUT_KIND,
        "io",
        "The block's output tensor. A block with several returns a list, in index order.",
        1,
        1,
        params=(
            _index("output in the list the block returns (0 first)"),
            ParamSpec(
                "stack",
                "bool",
                False,
                linkable=False,
                doc="Training only, as MONAI's deep supervision: in training the block returns "
                "its first output and these stacked on axis 1; otherwise the first output alone.",
            ),
        ),
    ),
}


def catalog_from_dict(data: dict[str, Any]) -> Catalog:
    kinds = dict(_IO_KINDS)
    for entry in data["kinds"]:
        params = tuple(
            ParamSpec(
                name=p["name"],
                type=p["type"],
                default=_tuplify(p.get("default")),
                required=p.get("required", False),
                optional=p.get("optional", False),
                choices=tuple(p["choices"]) if p.get("choices") is not None else None,
                min=p.get("min"),
                max=p.get("max"),
                doc=p.get("doc", ""),
                linkable=p.get("linkable", True),
            )
            for p in entry["params"]
        )
        kinds[entry["kind"]] = KindSpec(
            kind=entry["kind"],
            category=entry["category"],
            doc=entry["doc"],
            min_inputs=entry.get("min_inputs", 1),
            max_inputs=entry.get("max_inputs", 1),
            call=entry.get("call", "single"),
            params=params,
            generic=entry.get("generic", False),
            curated=entry.get("curated", False),
            builds=entry.get("builds", True),
            same_shape=entry.get("same_shape", False),
        )
    return Catalog(kinds, frozenset(data.get("reserved_names", ())), data.get("keras_version", ""))


def _tuplify(value: Any) -> Any:
    return tuple(_tuplify(v) for v in value) if isinstance(value, list) else value


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The shipped catalog (read once per process)."""
    text = resources.files("blockstudio.resources").joinpath(CATALOG_FILE).read_text("utf-8")
    return catalog_from_dict(json.loads(text))
