"""``blockstudio export``: write a block as Keras Python code, after the checks trace makes."""

from __future__ import annotations

import argparse

from blockstudio.commands.common import (
    EXIT_OK,
    UsageError,
    check_output,
    load_input,
    shape_problems,
    write_output,
)


def cmd_export(args: argparse.Namespace) -> int:
    from blockstudio.engine.codegen import CodegenError, generate_code

    check_output(args)
    catalog, doc, values = load_input(args)
    try:
        source = generate_code(doc, catalog, args.style, values, weights=args.weights)
    except CodegenError as exc:
        raise UsageError(str(exc)) from None
    shape_problems(doc, catalog, values)
    write_output(source, args.output)
    return EXIT_OK
