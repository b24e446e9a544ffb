"""One seed in this process (tools/soak.py runs one process per seed)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.monkey.driver import ENGINE_WAITS, WAITS, Monkey, make_main_window
from tests.ui.monkey.report import read_log


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the monkey on one seed.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--actions", type=int, default=300)
    parser.add_argument("--engine", action="store_true", help="start the Keras engine process")
    parser.add_argument("--replay", type=Path, help="a .jsonl log (or a JSON list) to replay")
    parser.add_argument("--workdir", type=Path, help="files the dialogs use (default: a temp dir)")
    parser.add_argument("--log", type=Path, help="where the action log goes")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--hang-after",
        type=float,
        default=0,
        metavar="S",
        help="dump every thread's stack and exit after S seconds",
    )
    parser.add_argument("--keep-going", action="store_true", help="go on after failures")
    parser.add_argument(
        "--template", default="unet-res-block", help="the example it starts on (dynunet: repeats)"
    )
    parser.add_argument(
        "--avoid", default="", help="known failures to steer clear of: ctrl-drag, read-only"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix=f"monkey{args.seed}-"))
    os.environ["BLOCKSTUDIO_HOME"] = str(workdir / "home")  # no settings, recovery or recents
    import faulthandler

    faulthandler.enable()
    if args.hang_after:  # a hang ends with every thread's stack, not in silence
        faulthandler.dump_traceback_later(args.hang_after, exit=True)
    replay = None
    if args.replay is not None:
        text = args.replay.read_text(encoding="utf-8")
        replay = json.loads(text) if text.lstrip().startswith("[") else read_log(args.replay)
    app = QApplication.instance() or QApplication([])
    window = make_main_window(args.engine, args.template)
    if args.engine:  # then shapes, runs and checkups answer between and inside gestures
        deadline = time.monotonic() + 120
        while window.engine.status != "ready" and time.monotonic() < deadline:
            QTest.qWait(50)
    wait = ENGINE_WAITS if args.engine else WAITS
    monkey = Monkey(
        window,
        args.seed,
        workdir,
        replay=replay,
        wait_ms=wait,
        keep_going=args.keep_going,
        avoid=frozenset(filter(None, args.avoid.split(","))),
    )
    report = monkey.run(args.actions, args.log)
    print(report.describe(tail=0 if args.quiet else 40), flush=True)
    failures = [
        {"kind": f.kind, "index": f.index, "message": f.message, "last_line": f.last_line}
        for f in report.failures
    ]
    summary = {
        "seed": args.seed,
        "actions": len(report.actions),
        "ok": report.ok,
        "seconds": round(report.seconds, 2),
        "failure": failures[0] if failures else None,
        "failures": failures,
    }
    print("MONKEY-RESULT " + json.dumps(summary), flush=True)
    window.model.undo_stack.setClean()
    window.close()
    window.engine.shutdown()
    QApplication.clipboard().clear()  # Qt crashes at exit if it still owns clipboard data
    del app
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
