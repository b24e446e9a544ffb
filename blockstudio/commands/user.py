"""``FILE.py:ClassName`` in ``trace`` and ``check``: the user's own Layer class.

The class runs in this process (the command line is not the studio's UI process), under a time
limit: an endless loop in the user's code ends the command with a clear message.
"""

from __future__ import annotations

import argparse
import re
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from blockstudio.commands.common import UsageError

TARGET = re.compile(r".+\.py:[A-Za-z_]\w*$")


def user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--init",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="constructor argument of your class (FILE.py:ClassName), a Python literal",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="stop your class's code after this many seconds (default %(default)s)",
    )


def user_target(args: argparse.Namespace) -> Any:
    """The LayerSpec and input shape when the target is ``FILE.py:ClassName``, else None."""
    if not args.project or not TARGET.match(args.project):
        return None
    from blockstudio.core.shapes import ShapeError, parse_shape
    from blockstudio.engine.user_layer import LayerSpec, parse_init, parse_target

    if args.template:
        raise UsageError("give FILE.py:ClassName or --template, not both")
    if args.set:
        raise UsageError("--set is for a drawn block's parameters; use --init for your class")
    path, class_name = parse_target(args.project)
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such file")
    if not args.input_shape:
        raise UsageError("--input-shape is needed for your own class, e.g. '(None, 32, 32, 3)'")
    try:
        shape = parse_shape(args.input_shape)
    except ShapeError as exc:
        raise UsageError(f"--input-shape: {exc}") from None
    try:
        init = parse_init(args.init)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    return LayerSpec(class_name, path, init=init), shape


class UserTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise UserTimeout in the main thread after ``seconds`` (where signals allow it)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise UserTimeout(f"stopped after {seconds:g} s (--timeout)")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_user(args: argparse.Namespace, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` (which imports and runs the user's code) with the time limit; import
    problems are usage errors (exit 2)."""
    from blockstudio.engine.user_layer import UserCodeError

    try:
        with time_limit(args.timeout):
            return fn()
    except UserCodeError as exc:
        raise UsageError(str(exc)) from None
