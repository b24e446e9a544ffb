"""``blockstudio import FILE.py:ClassName -o PROJECT``: your class as an editable block."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blockstudio.commands.common import EXIT_FAILED, EXIT_OK, UsageError
from blockstudio.commands.user import UserTimeout, run_user, user_target


def cmd_import(args: argparse.Namespace) -> int:
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.project import save_document
    from blockstudio.core.runs import STYLES
    from blockstudio.core.sources import NO_FUNCTIONAL, styles_for
    from blockstudio.engine.import_verify import import_verdict
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
    # honest: written only when the block validates, exports in every style and rebuilds to
    # the original's weights; else every reason, and nothing written
    doc, reasons = import_verdict(trace, load_catalog())
    if reasons:
        print(
            f"blockstudio import: {layer.label}: not imported, {len(reasons)} reason(s); "
            f"nothing written to {out}",
            file=sys.stderr,
        )
        for reason in reasons:
            print(f"  {reason}", file=sys.stderr)
        return EXIT_FAILED
    save_document(doc, out)
    weights = len(trace.weights)
    styles = styles_for(doc)
    said = "every style" if styles == STYLES else f"{' and '.join(styles)} style ({NO_FUNCTIONAL})"
    print(
        f"{layer.label}: {len(doc.layer_nodes())} node(s), {weights} weight(s), "
        f"{trace.total_params} parameters, rebuilt the same in {said} → {out}"
    )
    return EXIT_OK
