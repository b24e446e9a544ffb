"""The block under check, and the words of a check's result.

:class:`Subject` says how to make a fresh block, its input and a sample; the scenarios
(:mod:`.lifecycle`, :mod:`.citizen`) and the runner (:mod:`.run`) all read it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from blockstudio.core.document import Document
from blockstudio.core.names import snake_case
from blockstudio.core.params import example_values
from blockstudio.core.shapes import as_input_shape, input_shapes, is_multi
from blockstudio.engine.tracer import concrete, construct_block, random_inputs


class Subject:
    """The block under check: how to make a fresh one, its input shape and a sample input.

    ``make(**kwargs)`` makes one, with constructor arguments added (``dtype``); ``takes`` are
    the names of those arguments; ``apply(tensors)`` is a functional block's function.
    ``custom_objects`` are what loading a saved block needs to find its class (generated code
    registers its classes; a user's class may not)."""

    def __init__(
        self,
        make: Callable[..., Any],
        input_shape: tuple,
        style: str,
        weights: str,
        custom_objects: dict[str, Any] | None = None,
        doc: Document | None = None,
        locate: Callable[[BaseException], str] | None = None,
        takes: Iterable[str] = (),
        apply: Callable[[Any], Any] | None = None,
    ) -> None:
        self.make, self.style, self.weights, self.doc = make, style, weights, doc
        self.takes, self.apply = frozenset(takes), apply
        self.locate = locate  # file:line of an exception in the user's code
        self.blocks: tuple[str, ...] = ()  # class names of blocks used as nodes
        self.custom_objects = dict(custom_objects or {})
        self.shape = as_input_shape(input_shape)
        self.multi = is_multi(self.shape)  # called on a list of tensors, one per input
        self.x: Any = random_inputs(np.random.default_rng(0), concrete(self.shape, batch=2))
        self.reference: list[tuple[str, tuple[int, ...]]] = []
        self.tmp = Path(".")

    @classmethod
    def of_document(
        cls, doc: Document, module: Any, style: str, weights: str, values: dict[str, Any]
    ) -> Subject:
        values = {**example_values(doc), **values}
        functional = style == "functional"
        made = getattr(module, snake_case(doc.name) if functional else doc.name)
        return cls(
            lambda **more: construct_block(module, doc, style, {**values, **more}),
            doc.input_shape,
            style,
            weights,
            doc=doc,
            takes=inspect.signature(made).parameters,
            apply=(lambda tensors: made(tensors, **values)) if functional else None,
        )

    def build_shape(self) -> Any:
        shapes = [(None, *s[1:]) for s in input_shapes(self.shape)]
        return shapes if self.multi else shapes[0]

    def first_x(self) -> Any:
        return self.x[0] if self.multi else self.x


def relative_weights(layer: Any) -> list[tuple[str, tuple[int, ...]]]:
    """(path below the block, shape) of each weight: auto-numbered block names do not count."""
    return [(w.path.split("/", 1)[-1], tuple(int(d) for d in w.shape)) for w in layer.weights]


def keras_message(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def first_sentence(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
