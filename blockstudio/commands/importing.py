"""``blockstudio import FILE.py:ClassName -o PROJECT``: your class as an editable block."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blockstudio.commands.common import EXIT_FAILED, EXIT_OK, UsageError
from blockstudio.commands.user import UserTimeout, run_user, user_target


def cmd_import(args: argparse.Namespace) -> int:
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.import_structure import ImportError_, document_from_trace
    from blockstudio.core.project import save_document
    from blockstudio.engine.user_layer import trace_layer

    args.template, args.set = None, []
    target = user_target(args)
    if target is None:
        raise UsageError(f"{args.project}: expected FILE.py:ClassName")
    out = Path(args.output)
    if out.suffix == ".py":
        raise UsageError(f"-o {out}: write the project to a .bsblock file, not a .py file")
    layer, shape = target
    try:
        trace = run_user(args, lambda: trace_layer(layer, shape))
    except UserTimeout as exc:
        print(f"blockstudio import: {layer.label}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if trace.error:
        e = trace.error
        where = f"{e['where']}: " if e.get("where") else ""
        print(f"blockstudio import: {where}{e['exception']}: {e['message']}", file=sys.stderr)
        return EXIT_FAILED
    try:
        doc = document_from_trace(trace, load_catalog())
    except ImportError_ as exc:
        print(f"blockstudio import: {layer.label}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    save_document(doc, out)
    print(f"{layer.label}: {len(doc.layer_nodes())} layer call(s) → {out}")
    return EXIT_OK
