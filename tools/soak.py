"""Soak the studio with the monkey (tests/ui/monkey): many seeds, one process per seed.

A seed that kills its process (a segfault, Qt's abort) or hangs is counted, not fatal to the soak.

    python tools/soak.py --seeds 20 --actions 1000            # offscreen
    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 python tools/soak.py --seeds 20 --actions 1000 --xcb
    python tools/soak.py --minimize /tmp/.../monkey-seed7.jsonl   # the shortest replay that
                                                                  # still fails the same way

Prints one line per seed and the totals: seeds, actions, failed seeds (crashes: the process died
or hung), actions per failure and per crash, then each distinct failure (``--shrink``: with a
minimal replay). Every fifth seed runs with the Keras engine. Under ``--xcb`` the events are
QTest's on a real X server, except the palette's drags, which are real X input (``xdotool``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_seed(
    seed: int,
    actions: int,
    xcb: bool,
    engine: bool,
    timeout: float,
    replay: Path | None = None,
    keep_going: bool = False,
    workdir: Path | None = None,
    avoid: str = "",
    template: str = "unet-res-block",
) -> dict:
    """One monkey process; its outcome as a dict (see ``outcome`` for the kinds)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix=f"soak{seed}-"))
    log = workdir / f"monkey-seed{seed}.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "tests.ui.monkey",
        "--seed",
        str(seed),
        "--actions",
        str(actions),
        "--workdir",
        str(workdir),
        "--log",
        str(log),
        "--quiet",
    ]
    if engine:
        cmd.append("--engine")
    if replay is not None:
        cmd += ["--replay", str(replay)]
    if keep_going:
        cmd.append("--keep-going")
    if avoid:
        cmd += ["--avoid", avoid]
    if template != "unet-res-block":
        cmd += ["--template", template]
    cmd += ["--hang-after", str(max(1, timeout - 10))]  # then its stack is in stderr
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["QT_QPA_PLATFORM"] = "xcb" if xcb else "offscreen"
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr or ""
    result = {"seed": seed, "code": code, "seconds": time.monotonic() - started, "log": str(log)}
    summary = next(
        (
            json.loads(line[len("MONKEY-RESULT ") :])
            for line in out.splitlines()
            if line.startswith("MONKEY-RESULT ")
        ),
        None,
    )
    records = _records(log)
    done = sum("action" in r for r in records)
    result["actions"] = summary["actions"] if summary else done
    if code is None:
        result.update(kind="hang", message=f"no answer after {timeout:.0f} s")
    elif summary is None:  # the process died: what was it doing?
        name = signal.Signals(-code).name if code < 0 else f"exit {code}"
        failure = next((r for r in reversed(records) if "failure" in r), None)
        last = failure["message"] if failure else _last_line(err)
        action = next((r for r in reversed(records) if "action" in r), None)
        doing = f"{action['op']}" if action else "start-up"
        frame = _app_frame(err)
        last += f" (during {doing}{', in ' + frame if frame else ''})"
        result.update(kind=f"crash ({name})", message=last, index=max(0, done - 1))
    elif summary["ok"]:
        result.update(kind="ok", message="")
    else:
        f = summary["failure"]
        result.update(kind=f["kind"], message=f["message"], index=f["index"], last=f["last_line"])
        result["more"] = summary["failures"][1:]  # with --keep-going
    result["stderr_tail"] = "\n".join(err.strip().splitlines()[-25:])
    result["out"] = out
    return result


def _records(log: Path) -> list[dict]:
    if not log.exists():
        return []
    records = []
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # the process died while writing it
    return records


def _app_frame(text: str) -> str:
    """The innermost studio function in a faulthandler dump (``File "…/blockstudio/ui/x.py",
    line 9 in name``), e.g. ``inspector.show_node``."""
    current = text.split("Current thread", 1)[-1].split("\n\n", 1)[0]  # the crashing thread
    for line in current.splitlines():
        found = re.search(r'blockstudio/(?:\w+/)*(\w+)\.py", line \d+ in (\w+)', line)
        if found:
            return f"{found.group(1)}.{found.group(2)}"
    return ""


def _last_line(text: str) -> str:
    lines = [
        line
        for line in text.strip().splitlines()
        if line.strip() and "propagateSizeHints" not in line
    ]
    for line in lines:
        if line.startswith("Fatal Python error"):
            return line
    return lines[-1] if lines else "(no output)"


def signature(result: dict) -> str:
    """What kind of failure, without the numbers that change from run to run."""
    text = f"{result['kind']}: {result.get('last') or result['message']}"
    return re.sub(r"-?\d+(\.\d+)?", "#", text)


def soak(args) -> int:
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    engine_seeds = set(seeds[:: args.engine_every]) if args.engine_every else set()
    print(
        f"soak: {len(seeds)} seeds × {args.actions} actions, "
        f"{'xcb on ' + os.environ.get('DISPLAY', '?') if args.xcb else 'offscreen'}, "
        f"engine in {len(engine_seeds)} seed(s), {args.jobs} at a time",
        flush=True,
    )
    started = time.monotonic()
    results = []

    def one(seed):
        return run_seed(
            seed,
            args.actions,
            args.xcb,
            seed in engine_seeds,
            args.timeout,
            keep_going=args.keep_going,
            avoid=args.avoid,
            template=args.template,
        )

    with ThreadPoolExecutor(args.jobs) as pool:
        for r in pool.map(one, seeds):
            results.append(r)
            where = f" at action {r['index']}" if "index" in r else ""
            engine = " (engine)" if r["seed"] in engine_seeds else ""
            print(
                f"seed {r['seed']:4d}{engine}: {r['actions']:5d} actions, {r['seconds']:6.1f} s, "
                f"{r['kind']}{where}{': ' + r['message'] if r['message'] else ''}",
                flush=True,
            )
            if r["kind"] != "ok":
                print("    log:", r["log"], flush=True)
                if args.verbose:
                    print("    " + r["stderr_tail"].replace("\n", "\n    "))
    actions = sum(r["actions"] for r in results)
    failed = [r for r in results if r["kind"] != "ok"]
    crashes = [r for r in failed if r["kind"].startswith("crash") or r["kind"] == "hang"]
    print(
        f"\nseeds {len(results)}, actions {actions}, failed seeds {len(failed)} "
        f"(crashes/hangs {len(crashes)}, exceptions and broken invariants "
        f"{len(failed) - len(crashes)}), actions per failure "
        f"{actions / len(failed) if failed else float('inf'):.0f}, "
        f"actions per crash {actions / len(crashes) if crashes else float('inf'):.0f}, "
        f"{time.monotonic() - started:.0f} s"
    )
    kinds: dict[str, list[int]] = {}
    for r in failed:
        for f in [r, *r.get("more", [])]:
            last = f.get("last") or f.get("last_line")
            sig = signature({"kind": f["kind"], "message": f["message"], "last": last})
            seeds_with = kinds.setdefault(sig, [])
            if r["seed"] not in seeds_with:
                seeds_with.append(r["seed"])
    if kinds:
        print("distinct failures:")
        for sig, which in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(which):3d} × {sig}   (seeds {', '.join(map(str, which[:8]))})")
    if args.shrink:
        for sig, which in kinds.items():
            print(f"\n{sig}")
            log = next(Path(r["log"]) for r in failed if r["seed"] == which[0])
            args.engine = which[0] in engine_seeds
            shrink(log, args)
    return 1 if failed else 0


# -- minimising a failing replay -----------------------------------------------------------
def minimize(args) -> int:
    return 0 if shrink(args.minimize, args) else 1


def shrink(log: Path, args) -> list[dict] | None:
    """Delta debugging over the actions of a log: the smallest list that still fails alike
    (each trial a fresh process replaying the list); None if the log replays clean."""
    sys.path.insert(0, str(ROOT))
    from tests.ui.monkey import read_log

    actions = read_log(log)
    found = re.search(r"seed(\d+)", log.name)
    seed = int(found.group(1)) if found else 0
    work = Path(tempfile.mkdtemp(prefix="minimize-"))
    trials = 0

    def outcome(subset: list[dict]) -> dict:
        nonlocal trials
        trials += 1
        path = work / f"trial{trials}.json"
        path.write_text(json.dumps(subset), encoding="utf-8")
        return run_seed(
            seed,
            len(subset),
            args.xcb,
            args.engine,
            args.timeout,
            replay=path,
            workdir=work / f"t{trials}",
        )

    first = outcome(actions)
    if first["kind"] == "ok":
        print(f"{log} replays clean: nothing to minimise (does it depend on timing?)")
        return None
    target = signature(first)
    print(f"shrinking {log} ({len(actions)} actions), keeping: {target}", flush=True)
    if first.get("index", -1) >= 0:
        actions = actions[: first["index"] + 1]

    def fails(subset: list[dict]) -> bool:
        r = outcome(subset)
        return r["kind"] != "ok" and signature(r) == target

    n = 2
    while len(actions) >= 2:
        chunk = max(1, len(actions) // n)
        parts = [actions[i : i + chunk] for i in range(0, len(actions), chunk)]
        for i in range(len(parts)):
            rest = [a for j, p in enumerate(parts) if j != i for a in p]
            if rest and fails(rest):
                actions, n = rest, max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(len(actions), n * 2)
    last = outcome(actions)  # the traceback of the minimal replay, for the record
    out = log.with_suffix(".min.json")
    out.write_text(json.dumps(actions, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"minimal: {len(actions)} action(s) after {trials} trials; saved to {out}")
    for i, a in enumerate(actions):
        print(f"  {i:3d} {a['desc']}")
        for answer in a.get("answers", []):
            print(f"      ↳ {answer['desc']}")
    print(f"  → {last['kind']}: {last.get('last') or last['message']}")
    print(f"replay: python -m tests.ui.monkey --replay {out}", flush=True)
    return actions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--xcb", action="store_true", help="QT_QPA_PLATFORM=xcb on $DISPLAY")
    parser.add_argument(
        "--engine-every",
        type=int,
        default=5,
        metavar="K",
        help="start the Keras engine in every K-th seed (0: never)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at the same time")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per seed")
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="a seed goes on after a failure (each kind reported once)",
    )
    parser.add_argument("--avoid", default="", help="known failures the monkey steers clear of")
    parser.add_argument(
        "--template", default="unet-res-block", help="the example each seed starts on"
    )
    parser.add_argument("--verbose", action="store_true", help="stderr of failed seeds")
    parser.add_argument("--minimize", type=Path, metavar="LOG", help="shrink a failing log")
    parser.add_argument(
        "--shrink",
        action="store_true",
        help="after the soak, shrink the first log of each distinct failure",
    )
    parser.add_argument("--engine", action="store_true", help="with --minimize: start the engine")
    args = parser.parse_args(argv)
    if args.xcb and not os.environ.get("DISPLAY"):
        parser.error("--xcb needs DISPLAY (Xvfb :99 -screen 0 1600x1000x24 & export DISPLAY=:99)")
    return minimize(args) if args.minimize else soak(args)


if __name__ == "__main__":
    sys.exit(main())
