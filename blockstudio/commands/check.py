"""``blockstudio check``: the lifecycle checkup as a matrix of scenarios × styles."""

from __future__ import annotations

import argparse
import json
import sys

from blockstudio.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    check_output,
    load_input,
    shape_problems,
    write_output,
)
from blockstudio.commands.user import UserTimeout, run_user, user_target


def cmd_check(args: argparse.Namespace) -> int:
    from blockstudio.core.checkup import matrix_text
    from blockstudio.core.sources import NO_FUNCTIONAL, styles_for
    from blockstudio.engine.checkup import run_checkup
    from blockstudio.engine.codegen import CodegenError, generate_code

    check_output(args)
    target = user_target(args)
    if target is not None:
        return _check_user(args, *target)
    catalog, doc, values = load_input(args)
    styles = styles_for(doc) if args.style == "all" else (args.style,)
    try:
        for style in styles:
            generate_code(doc, catalog, style, values, weights=args.weights)
    except CodegenError as exc:
        raise UsageError(str(exc)) from None
    shape_problems(doc, catalog, values)

    results = run_checkup(doc, catalog, styles, args.weights, values, progress=_progress)
    _progress_done()
    if args.format == "json":
        payload = {
            "block": doc.name,
            "weights": args.weights,
            "results": [{k: v for k, v in r.to_dict().items() if k != "events"} for r in results],
        }
        text = json.dumps(payload, indent=1) + "\n"
    else:
        head = f"{doc.name} checkup ({args.weights} weights), input {doc.input_shape}\n\n"
        if args.style == "all" and "functional" not in styles:
            head += f"No functional column: {NO_FUNCTIONAL}.\n\n"
        text = head + matrix_text(results)
    write_output(text, args.output)
    return EXIT_OK if all(r.status == "pass" for r in results) else EXIT_FAILED


def _progress(result, done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{done}/{total} {result.style}: {result.scenario:<16}", end="", file=sys.stderr)


def _progress_done() -> None:
    if sys.stderr.isatty():
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr)


def _check_user(args: argparse.Namespace, layer, shape) -> int:
    """The checkup for FILE.py:ClassName (one column: the class as written)."""
    from blockstudio.core.checkup import matrix_text
    from blockstudio.engine.user_layer import check_layer

    try:
        results = run_user(args, lambda: check_layer(layer, shape, progress=_progress))
    except UserTimeout as exc:
        _progress_done()
        print(f"blockstudio check: {layer.label}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    _progress_done()
    if args.format == "json":
        payload = {
            "block": layer.label,
            "init": layer.init,
            "results": [{k: v for k, v in r.to_dict().items() if k != "events"} for r in results],
        }
        text = json.dumps(payload, indent=1, default=repr) + "\n"
    else:
        text = f"{layer.label} checkup, input {shape}\n\n" + matrix_text(results)
    write_output(text, args.output)
    return EXIT_OK if all(r.status == "pass" for r in results) else EXIT_FAILED
