"""``blockstudio export``: write a block as Keras Python code, after the checks trace makes."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    if args.split:
        return _export_split(args, catalog, doc, values)
    try:
        source = generate_code(doc, catalog, args.style, values, weights=args.weights)
    except CodegenError as exc:
        raise UsageError(str(exc)) from None
    shape_problems(doc, catalog, values)
    write_output(source, args.output)
    return EXIT_OK


def _export_split(args: argparse.Namespace, catalog, doc, values) -> int:
    from blockstudio.engine.codegen import CodegenError, generate_modules

    if not args.output:
        raise UsageError("--split writes one file per block: give the folder with -o")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {folder}: --split needs a folder, and this is a file")
    try:
        modules = generate_modules(doc, catalog, args.style, values, weights=args.weights)
    except CodegenError as exc:
        raise UsageError(str(exc)) from None
    shape_problems(doc, catalog, values)
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        write_output(source, str(folder / name))
    print("\n".join(str(folder / name) for name in modules))
    return EXIT_OK
