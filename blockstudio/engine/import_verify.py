"""Is an imported block what the user's class is? Checked before an import claims success.

An import may only say it worked when the block it gives validates, exports in every style,
rebuilds to the original's weights (the same count, and each weight with the same path relative
to the block, the original's auto-named layers named after the nodes they became, shape, dtype
and whether it trains) and, given the same weights, computes the original's outputs
(``behaviour``). Every reason it is not is said, so nothing is lost without a word.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import Document
from blockstudio.core.sources import styles_for
from blockstudio.core.trace import Trace


def verify_import(doc: Document, catalog: Catalog, original: Trace) -> list[str]:
    """Each reason ``doc`` is not ``original``'s block ([] when it is, in every style)."""
    from blockstudio.core.validate import validate
    from blockstudio.engine.codegen import CodegenError, generate_code
    from blockstudio.engine.tracer import RunSpec, run_trace

    names = {n.id: n.name for n in doc.nodes.values()}
    reasons = [
        f"{names.get(p.node_id, 'block') if p.node_id else 'block'}"
        f"{'.' + p.param if p.param else ''}: {p.message}"
        for p in validate(doc, catalog)
        if p.severity == "error"
    ]
    if reasons:
        return reasons
    for style in styles_for(doc):
        try:
            generate_code(doc, catalog, style)
        except (CodegenError, ValueError) as exc:
            reasons.append(f"export in {style} style: {exc}")
    if reasons:
        return reasons
    renames = _renames(original, doc)
    want = _weights(original, renames, prefix=True)
    for style in styles_for(doc):
        again = run_trace(doc, catalog, RunSpec(style=style, calls=1))
        if again.error is not None:
            e = again.error
            reasons.append(f"rebuilt in {style} style: {e.get('exception')}: {e.get('message')}")
            continue
        got = _weights(again, {}, prefix=style != "functional")
        if got != want:
            reasons += _differences(want, got, style)
    if not reasons:
        reasons += _behaviour(doc, catalog, original, renames)
    return reasons


def _behaviour(doc: Document, catalog: Catalog, original: Trace, renames: dict) -> list[str]:
    """With the same weights, on the same input, does the rebuilt block give the original's
    outputs in every style (and in the class styles on an input of another size the original
    takes)? Weights match, wiring may not: this is what says so."""
    from blockstudio.engine.behaviour import differences, outputs_of, set_weights
    from blockstudio.engine.keras_shapes import keras_message
    from blockstudio.engine.tracer import rebuilt_block

    said = (original.structure or {}).get("probe")
    if not said or "problem" in said:  # the original's outputs could not be taken: no claim
        return []
    back: dict[str, list[str]] = {}  # a weight as the rebuilt block names it → the original's
    for w in original.weights:
        back.setdefault(_path(w.path, renames, prefix=True), []).append(w.path)
    reasons: list[str] = []
    for style in styles_for(doc):
        what = f"rebuilt in {style} style"
        prefix = style != "functional"
        left = {k: list(v) for k, v in back.items()}

        def key_of(path: str, left=left, prefix=prefix) -> str | None:
            paths = left.get(_path(path, {}, prefix=prefix))
            return paths.pop(0) if paths else None

        try:
            block = rebuilt_block(doc, catalog, style)
            unplaced = set_weights(block, key_of)
            if unplaced:
                reasons.append(f"{what}: no weight of the original for {', '.join(unplaced)}")
                continue
            reasons += differences(said["example"], outputs_of(block, doc.input_shape), what)
        except Exception as exc:
            reasons.append(f"{what}: {type(exc).__name__}: {keras_message(exc)}")
            continue
        other = said.get("other")
        if other is None or not prefix:  # a functional model is made for the example's shape
            continue
        shape = tuple(other["input"])
        what = f"{what}, on a {shape} input (the original takes it)"
        try:
            reasons += differences(other, outputs_of(block, shape), what)
        except Exception as exc:
            reasons.append(f"{what}: {type(exc).__name__}: {keras_message(exc)}")
    return reasons


def _renames(original: Trace, doc: Document) -> dict[str, str]:
    """The original's layer names → the node names they became (``dense_3`` → ``ffn``)."""
    names = {n.name for n in doc.nodes.values()}
    out = {}
    for n in (original.structure or {}).get("nodes", ()):
        if n.get("kind") != "layer":
            continue  # a weight of the block's own keeps its Keras name (weight_name)
        layer, attr = n["layer"], n.get("attr") or ""
        out[layer] = layer if layer in names or not attr else attr
    return out


def _weights(trace: Trace, renames: dict[str, str], prefix: bool) -> Counter:
    out: Counter = Counter()
    for w in trace.weights:
        path = _path(w.path, renames, prefix)
        out[(path, tuple(w.shape), str(w.dtype), bool(w.trainable))] += 1
    return out


def _path(path: str, renames: dict[str, str], prefix: bool) -> str:
    """A weight's path below the block, its layers named as the imported block names them."""
    parts = path.split("/")
    first = {r.split("/")[0] for r in renames}
    if prefix and not (parts[0] in first and len(parts) > 1):
        parts = parts[1:]  # the block's own name (a functional block's weights have none)
    if len(parts) > 2 and "/".join(parts[:2]) in renames:  # a Sequential's layer
        parts = [renames["/".join(parts[:2])], *parts[2:]]
    elif parts and parts[0] in renames:
        parts[0] = renames[parts[0]]
    return "/".join(parts)


def _differences(want: Counter, got: Counter, style: str) -> list[str]:
    def said(items: Counter) -> str:
        return ", ".join(
            f"{p} {'x'.join(map(str, s)) or 'scalar'} {d}{'' if t else ' (frozen)'}"
            for p, s, d, t in items
        )

    lost, extra = want - got, got - want
    out = []
    if sum(want.values()) != sum(got.values()):
        out.append(
            f"rebuilt in {style} style: {sum(got.values())} weights, the original has "
            f"{sum(want.values())}"
        )
    if lost:
        out.append(f"rebuilt in {style} style: the original's {said(lost)} missing")
    if extra:
        out.append(f"rebuilt in {style} style: {said(extra)} not in the original")
    return out


def import_verdict(trace: Trace, catalog: Catalog) -> tuple[Any, list[str]]:
    """The imported document and every reason it falls short ([] when it is the original)."""
    from blockstudio.core.import_structure import ImportError_, import_trace

    try:
        doc, _why = import_trace(trace, catalog)
    except ImportError_ as exc:
        return exc.partial, list(exc.problems)
    return doc, verify_import(doc, catalog, trace)
