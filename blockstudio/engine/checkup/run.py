"""The checkup: run a block through what people do with a layer, with the real Keras.

Each scenario runs the exported code itself in a fresh Keras session with the tracer on; Keras's
warnings are captured (not hidden) and its exceptions become the cell's message. This module runs
the cells; the scenario bodies live in :mod:`.lifecycle` and :mod:`.citizen`, the block under check
in :mod:`.subject`.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from blockstudio.core.catalog import Catalog
from blockstudio.core.checkup import SCENARIO_KEYS, CheckResult
from blockstudio.core.document import Document
from blockstudio.engine.checkup.lifecycle import SCENARIO_FUNCS
from blockstudio.engine.checkup.subject import (
    Subject,
    first_sentence,
    keras_message,
    relative_weights,
)
from blockstudio.engine.codegen import generate_code
from blockstudio.engine.codegen.nest import nested_blocks
from blockstudio.engine.hooks import Recorder
from blockstudio.engine.loader import load_generated
from blockstudio.engine.tracer import tag_nodes

CLASS_STYLES = ("build", "init")


def run_scenario(
    doc: Document,
    catalog: Catalog,
    scenario: str,
    style: str,
    weights: str = "eager",
    values: dict[str, Any] | None = None,
    module: Any = None,
    reference: list[tuple[str, tuple[int, ...]]] | None = None,
) -> CheckResult:
    """One cell: ``scenario`` for ``style`` / ``weights``, in a fresh Keras session.

    ``module`` is the loaded generated code and ``reference`` the block's weights after a call;
    both are made here when not given (run_checkup makes them once per style).
    """
    values = dict(values or {})
    if module is None:
        module = load_generated(generate_code(doc, catalog, style, values, weights=weights), style)
    subject = Subject.of_document(doc, module, style, weights, values)
    subject.blocks = tuple(inner.name for _kind, inner in nested_blocks(doc, catalog))
    return check_subject(subject, scenario, reference)


def check_subject(
    subject: Subject,
    scenario: str,
    reference: list[tuple[str, tuple[int, ...]]] | None = None,
) -> CheckResult:
    """One cell for any block ``subject`` makes (a drawn block's code or a user's class)."""
    if scenario not in SCENARIO_FUNCS:
        raise ValueError(f"unknown scenario {scenario!r}; use one of {', '.join(SCENARIO_KEYS)}")
    style, weights = subject.style, subject.weights
    subject.reference = reference if reference is not None else reference_weights(subject)
    keras.backend.clear_session()
    result = CheckResult(
        scenario, style, weights, "pass", "", expected_weights=len(subject.reference)
    )
    start = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="blockstudio-check-") as tmp,
        warnings.catch_warnings(record=True) as caught,
        Recorder(subject.blocks) as rec,
    ):
        warnings.simplefilter("always")
        subject.tmp = Path(tmp)
        try:
            status, reason, message, count = SCENARIO_FUNCS[scenario](subject, rec)
        except Exception as exc:  # Keras's exception is the result of the cell
            status, reason, message, count = "fail", first_sentence(keras_message(exc)), "", None
            message = f"{type(exc).__name__}: {keras_message(exc)}"
            where = subject.locate(exc) if subject.locate else ""
            if where:
                reason, message = f"{where}: {reason}", f"{where}: {message}"
    result.seconds = time.perf_counter() - start
    result.events = rec.events
    if subject.doc is not None:
        tag_nodes(result.events, subject.doc)
    result.status, result.reason, result.message, result.weight_count = (
        status,
        reason,
        message,
        count,
    )
    said = _keras_warnings(caught)
    if said:
        result.message = "\n".join([*([message] if message else []), *said])
        if result.status == "pass":
            result.status = "warning"
            result.reason = f"Keras warns: {first_sentence(said[0])}"
    return result


def reference_weights(subject: Subject) -> list[tuple[str, tuple[int, ...]]]:
    """The weights a fresh block has after its first call: what every scenario compares to."""
    keras.backend.clear_session()
    block = subject.make()
    block(subject.x)
    return relative_weights(block)


def _keras_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """What Keras said to the user; library-internal deprecations are not about the block."""
    out = []
    for w in caught:
        if issubclass(w.category, DeprecationWarning | PendingDeprecationWarning):
            continue
        text = " ".join(str(w.message).split())
        if text not in out:
            out.append(text)
    return out


def run_checkup(
    doc: Document,
    catalog: Catalog,
    styles: tuple[str, ...] = CLASS_STYLES,
    weights: str = "eager",
    values: dict[str, Any] | None = None,
    scenarios: list[str] | None = None,
    progress: Callable[[CheckResult, int, int], None] | None = None,
) -> list[CheckResult]:
    """Every scenario for every style: the matrix, in order."""
    scenarios = scenarios or SCENARIO_KEYS
    results: list[CheckResult] = []
    total = len(scenarios) * len(styles)
    for style in styles:
        source = generate_code(doc, catalog, style, values, weights=weights)
        module = load_generated(source, style)
        subject = Subject.of_document(doc, module, style, weights, dict(values or {}))
        reference = reference_weights(subject)
        for key in scenarios:
            result = run_scenario(doc, catalog, key, style, weights, values, module, reference)
            results.append(result)
            if progress:
                progress(result, len(results), total)
    return results
