"""What every headless command shares: usage errors, loading the document, writing output."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input: printed as one line (details with -v), exit status 2."""


def document_args(
    p: argparse.ArgumentParser, all_styles: bool = False, user_class: bool = False
) -> None:
    """The arguments that pick a document: a project file or template, style, values, shape."""
    p.add_argument(
        "project",
        nargs="?",
        help="a .bsblock project file"
        + (", or FILE.py:ClassName for your own keras.layers.Layer" if user_class else ""),
    )
    p.add_argument("--template", help="use an example block instead of a file")
    styles = ("build", "init", "functional")
    p.add_argument(
        "--style",
        choices=(*styles, "all") if all_styles else styles,
        default="all" if all_styles else "build",
        help="class style (default: %(default)s)",
    )
    p.add_argument(
        "--weights",
        choices=("eager", "lazy"),
        default="eager",
        help="eager: build() builds every sub-layer (Keras's contract, the default); "
        "lazy: sub-layers get their weights on the first call",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a block parameter (repeatable)",
    )
    p.add_argument("--input-shape", help="e.g. (None, 64, 64, 32)")


def parse_set(items: list[str], doc: Any) -> dict[str, Any]:
    """``NAME=VALUE`` pairs as block parameter values, checked against their types."""
    from blockstudio.core.params import check_block_param, parse_text

    values: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--set {item!r}: expected NAME=VALUE")
        param = doc.param(name)
        if param is None:
            known = ", ".join(p.name for p in doc.params) or "none"
            raise UsageError(f"--set {name}: no block parameter {name!r}; known: {known}")
        value = parse_text(text, param.type, name, lenient=True)
        msg = check_block_param(param, value)
        if msg:
            raise UsageError(f"--set {name}: {msg}")
        values[name] = value
    return values


def load_input(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """The catalog, the document (file or template, input shape applied) and --set values."""
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.library import BlockLibrary, file_kind
    from blockstudio.core.project import ProjectError, load_document
    from blockstudio.core.shapes import ShapeError, parse_input_shape
    from blockstudio.core.templates import DEFAULT_TEMPLATE, load_template

    project = Path(args.project) if args.project else None
    # blocks used as nodes: files are found beside the project, which cannot contain itself
    catalog = load_catalog().with_library(
        BlockLibrary(
            base=project.parent if project else None,
            root=file_kind(project, project.parent) if project else None,
        )
    )
    if args.project and args.template:
        raise UsageError("give a project file or --template, not both")
    try:
        if args.project:
            doc = load_document(Path(args.project), catalog)
        else:
            doc = load_template(args.template or DEFAULT_TEMPLATE, catalog)
    except ProjectError as exc:
        raise UsageError(str(exc)) from None
    if args.input_shape is not None:
        try:
            doc.set_block_field("input_shape", parse_input_shape(args.input_shape))
        except ShapeError as exc:
            raise UsageError(f"--input-shape: {exc}") from None
    return catalog, doc, parse_set(args.set, doc)


def check_output(args: argparse.Namespace) -> None:
    """Refuse an output path that is one of the command's inputs (it would be destroyed)."""
    output = getattr(args, "output", None)
    if not output:
        return
    target = Path(output)
    for item in (getattr(args, "project", None), getattr(args, "source", None)):
        if not item:
            continue
        file, sep, _cls = str(item).rpartition(":")
        path = Path(file if sep and file.endswith(".py") else item)
        same = path.resolve() == target.resolve() or (
            path.exists() and target.exists() and os.path.samefile(path, target)
        )
        if same:
            raise UsageError(f"-o {output} is the input file; writing there would destroy it")


def write_output(text: str, output: str | None) -> None:
    """Write to ``output`` if given, else stdout; a failed write is a usage error."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)


def shape_problems(doc: Any, catalog: Any, values: dict[str, Any]) -> None:
    """Refuse a document whose shapes Keras would refuse (node name and Keras's reason)."""
    from blockstudio.engine.inference import ShapeInference

    problems = ShapeInference(catalog).run(doc, values).problems
    if problems:
        names = {nid: n.name for nid, n in doc.nodes.items()}
        lines = [f"{names.get(p.node_id, 'block')}: {p.message}" for p in problems]
        more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
        raise UsageError(f"shape error in {lines[0]}{more}\n" + "\n".join(lines[1:]))
