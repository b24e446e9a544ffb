"""The ``blockstudio`` command: open the studio, or export, trace and check blocks headless.

Keep imports here light: ``blockstudio --version`` must answer without loading TensorFlow or Qt.
The commands themselves live in ``blockstudio.commands``; this module parses and dispatches.
"""

from __future__ import annotations

import argparse
import os
import sys

from blockstudio import __version__
from blockstudio.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    document_args,
)
from blockstudio.commands.user import user_args

COMMANDS = ("open", "templates", "export", "trace", "check", "import")
PROJECT_SUFFIXES = (".bsblock", ".json")
NO_DISPLAY = "no display found: set DISPLAY, or QT_QPA_PLATFORM=offscreen"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="blockstudio",
        description="Compose Keras blocks, watch build() happen, export clean code.",
    )
    p.add_argument("--version", action="version", version=f"blockstudio {__version__}")
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="full error details and TensorFlow's own start-up messages",
    )
    sub = p.add_subparsers(dest="command")
    o = sub.add_parser("open", help="open the studio (the default)")
    o.add_argument("project", nargs="?", help="a .bsblock project file")
    sub.add_parser("templates", help="list the example blocks")
    e = sub.add_parser("export", help="write a block as Keras Python code")
    document_args(e)
    e.add_argument("-o", "--output", help="write here instead of stdout")
    e.add_argument(
        "--split",
        action="store_true",
        help="one module per block (the blocks it uses import from theirs); -o is a folder",
    )
    t = sub.add_parser("trace", help="run a block under Keras and show every build() and weight")
    document_args(t, user_class=True)
    t.add_argument("--calls", type=int, default=2, help="calls with the input shape (default 2)")
    t.add_argument("--call-shape", help="one more call with this shape, e.g. (1, 64, 64, 16)")
    t.add_argument("--format", choices=("text", "json", "chrome"), default="text")
    t.add_argument("-o", "--output", help="write here instead of stdout")
    user_args(t)
    c = sub.add_parser(
        "check", help="run the lifecycle checkup (build, save/load, weights, training ...)"
    )
    document_args(c, all_styles=True, user_class=True)
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("-o", "--output", help="write here instead of stdout")
    user_args(c)
    i = sub.add_parser("import", help="turn your own Layer class into an editable block")
    i.add_argument("project", metavar="FILE.py:ClassName", help="your keras.layers.Layer class")
    i.add_argument("--input-shape", required=True, help="e.g. (None, 64, 64, 32)")
    i.add_argument("-o", "--output", required=True, help="the .bsblock project to write")
    user_args(i)
    return p


def cmd_templates(_args: argparse.Namespace) -> int:
    from blockstudio.core.catalog import load_catalog
    from blockstudio.core.templates import load_template, template_names

    catalog = load_catalog()
    for name in template_names():
        doc = load_template(name, catalog)
        print(f"{name:20s} {doc.name}: {doc.description.split('. ')[0]}")
    return EXIT_OK


def display_problem(env: dict[str, str] | None = None) -> str | None:
    """Why the studio's window cannot open here, said before Qt aborts on it; None: it can.

    On Linux Qt's default (xcb) platform needs an X display; without one it aborts the process
    with a hint about libxcb. Another QT_QPA_PLATFORM (offscreen, wayland, vnc ...) is the
    user's choice and is left to Qt."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform not in ("", "xcb") or env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY


def cmd_open(args: argparse.Namespace) -> int:
    problem = display_problem()
    if problem:
        print(f"blockstudio: {problem}", file=sys.stderr)
        return EXIT_FAILED
    from blockstudio.ui.app import run_studio

    return run_studio(getattr(args, "project", None))


def _quiet_native_stderr() -> None:
    """Send what TensorFlow's C++ code writes to fd 2 to /dev/null; Python's stderr stays.

    TensorFlow prints absl/CUDA notices on import and on first use that no environment variable
    silences any more; they would bury the one line a command prints. ``-v`` keeps them.
    """
    try:
        sys.stderr.flush()
        keep = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(keep, "w", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        pass  # no fd 2 to redirect (an embedded interpreter): nothing to quiet


def _handler(command: str):
    if command == "export":
        from blockstudio.commands.export import cmd_export

        return cmd_export
    if command == "trace":
        from blockstudio.commands.trace import cmd_trace

        return cmd_trace
    if command == "check":
        from blockstudio.commands.check import cmd_check

        return cmd_check
    if command == "import":
        from blockstudio.commands.importing import cmd_import

        return cmd_import
    return {"open": cmd_open, "templates": cmd_templates}[command]


def _not_a_file(word: str) -> str | None:
    """Why ``blockstudio WORD`` cannot open WORD as a project; None: it is a file to open."""
    if os.path.isfile(word):
        return None
    if os.path.exists(word):
        return f"{word!r} is not a file"
    if word.lower().endswith(PROJECT_SUFFIXES) or os.sep in word:
        return f"{word!r}: no such file"
    return f"{word!r} is neither a command ({', '.join(COMMANDS)}) nor a file"


def main(argv: list[str] | None = None) -> int:
    from_shell = argv is None
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if a not in ("-v", "--verbose")), None)
    if first is not None and not first.startswith("-") and first not in COMMANDS:
        problem = _not_a_file(first)
        if problem:
            print(f"blockstudio: {problem}", file=sys.stderr)
            return EXIT_USAGE
        at = argv.index(first)
        argv = [*argv[:at], "open", *argv[at:]]  # `blockstudio FILE` opens the file
    args = _parser().parse_args(argv)
    command = args.command or "open"
    if command in ("export", "trace", "check", "import") and not args.verbose and from_shell:
        _quiet_native_stderr()
    try:
        return _handler(command)(args)
    except UsageError as exc:
        head, _, details = str(exc).partition("\n")
        if details and not args.verbose:
            head += " (-v for details)"
        print(f"blockstudio {command}: {head}", file=sys.stderr)
        if details and args.verbose:
            print(details, file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
