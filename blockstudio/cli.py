"""The ``blockstudio`` command: open the studio, or export and trace blocks headless.

Keep imports here light: ``blockstudio --version`` must answer without loading TensorFlow or Qt.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path
from typing import Any

from blockstudio import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or input: printed as one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="blockstudio",
        description="Compose Keras blocks, watch build() happen, export clean code.",
    )
    p.add_argument("--version", action="version", version=f"blockstudio {__version__}")
    sub = p.add_subparsers(dest="command")
    o = sub.add_parser("open", help="open the studio (the default)")
    o.add_argument("project", nargs="?", help="a .bsblock project file")
    sub.add_parser("templates", help="list the example blocks")
    e = sub.add_parser("export", help="write a block as Keras Python code")
    _document_args(e)
    e.add_argument("-o", "--output", help="write here instead of stdout")
    t = sub.add_parser("trace", help="run a block under Keras and show every build() and weight")
    _document_args(t)
    t.add_argument("--calls", type=int, default=2, help="calls with the input shape (default 2)")
    t.add_argument("--call-shape", help="one more call with this shape, e.g. (1, 64, 64, 16)")
    t.add_argument("--format", choices=("text", "json", "chrome"), default="text")
    t.add_argument("-o", "--output", help="write here instead of stdout")
    return p


def _document_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("project", nargs="?", help="a .bsblock project file")
    p.add_argument("--template", help="use an example block instead of a file")
    p.add_argument("--style", choices=("build", "init", "functional"), default="build")
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
    from blockstudio.core.params import check_block_param

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
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            value = text.strip()  # bare words are text: --set norm_name=batch
        if param.type == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        msg = check_block_param(param, value)
        if msg:
            raise UsageError(f"--set {name}: {msg}")
        values[name] = value
    return values


def load_input(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """The catalog, the document (file or template, input shape applied) and --set values."""
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.project import ProjectError, load_document
    from blockstudio.core.shapes import ShapeError, parse_shape
    from blockstudio.core.templates import DEFAULT_TEMPLATE, load_template

    catalog = load_catalog()
    if args.project and args.template:
        raise UsageError("give a project file or --template, not both")
    try:
        if args.project:
            doc = load_document(Path(args.project), catalog)
        else:
            doc = load_template(args.template or DEFAULT_TEMPLATE, catalog)
    except ProjectError as exc:
        raise UsageError(str(exc)) from None
    if args.input_shape:
        try:
            doc.input_shape = parse_shape(args.input_shape)
        except ShapeError as exc:
            raise UsageError(f"--input-shape: {exc}") from None
    return catalog, doc, parse_set(args.set, doc)


def write_output(text: str, output: str | None) -> None:
    """Write to ``output`` if given, else stdout; a failed write is a usage error."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)


def cmd_export(args: argparse.Namespace) -> int:
    from blockstudio.engine.codegen import CodegenError, generate_code

    catalog, doc, values = load_input(args)
    try:
        source = generate_code(doc, catalog, args.style, values)
    except CodegenError as exc:
        raise UsageError(str(exc)) from None
    write_output(source, args.output)
    return EXIT_OK


def cmd_templates(_args: argparse.Namespace) -> int:
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template, template_names

    catalog = load_catalog()
    for name in template_names():
        doc = load_template(name, catalog)
        print(f"{name:20s} {doc.name}: {doc.description.split('. ')[0]}")
    return EXIT_OK


def cmd_open(args: argparse.Namespace) -> int:
    try:
        from blockstudio.ui.app import run_studio
    except ImportError as exc:
        if exc.name and exc.name.startswith("blockstudio.ui"):
            print(
                "The studio window is not built yet; use `blockstudio export` or "
                "`blockstudio trace` meanwhile."
            )
            return EXIT_OK
        raise
    return run_studio(getattr(args, "project", None))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if (
        argv
        and not argv[0].startswith("-")
        and argv[0] not in {"open", "templates", "export", "trace"}
    ):
        argv = ["open", *argv]  # `blockstudio FILE` opens the file
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command or "open"
    handlers = {"open": cmd_open, "templates": cmd_templates, "export": cmd_export}
    if command == "trace":
        from blockstudio.engine.trace_cli import cmd_trace

        handlers["trace"] = cmd_trace
    try:
        return handlers[command](args)
    except UsageError as exc:
        print(f"blockstudio {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
