"""``blockstudio trace``: run a block under Keras and print or save its trace."""

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
    write_output,
)
from blockstudio.commands.user import UserTimeout, run_user, user_target
from blockstudio.core.shapes import ShapeError, parse_input_shape
from blockstudio.core.trace import trace_to_chrome, trace_to_json
from blockstudio.core.trace_text import trace_text


def cmd_trace(args: argparse.Namespace) -> int:
    check_output(args)
    if args.calls < 1:
        raise UsageError("--calls must be at least 1")
    call_shape = None
    if args.call_shape:
        try:
            call_shape = parse_input_shape(args.call_shape)
        except ShapeError as exc:
            raise UsageError(f"--call-shape: {exc}") from None
    target = user_target(args)
    if target is not None:
        from blockstudio.engine.tracer import RunSpec
        from blockstudio.engine.user_layer import trace_layer

        layer, shape = target
        run = RunSpec(calls=args.calls, call_shape=call_shape)
        try:
            trace = run_user(args, lambda: trace_layer(layer, shape, run))
        except UserTimeout as exc:
            print(f"blockstudio trace: {layer.label}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    else:
        from blockstudio.engine.codegen import CodegenError
        from blockstudio.engine.tracer import RunSpec, run_trace

        catalog, doc, values = load_input(args)
        spec = RunSpec(
            style=args.style,
            values=values,
            calls=args.calls,
            call_shape=call_shape,
            weights=args.weights,
        )
        try:
            trace = run_trace(doc, catalog, spec)
        except CodegenError as exc:
            raise UsageError(str(exc)) from None
    if args.format == "json":
        text = trace_to_json(trace)
    elif args.format == "chrome":
        text = json.dumps(trace_to_chrome(trace), indent=1) + "\n"
    else:
        text = trace_text(trace)
    write_output(text, args.output)
    if trace.error:
        e = trace.error
        if e.get("where"):  # the user's own code: its file and line, and what it raised
            what = f"{e['where']}: {e['exception']} in {e['layer']} ({e['phase']})"
        else:
            what = f"Keras error in {e['layer']} ({e['phase']})"
        print(f"blockstudio trace: {what}: {e['message']}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
