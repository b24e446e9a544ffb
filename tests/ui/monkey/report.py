"""What a monkey run leaves: its failures, its actions, and the log to replay them."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Failure:
    kind: str  # exception | qt | invariant | stuck | monkey
    index: int  # the action during which it happened (-1: the checks after the last action)
    message: str
    detail: str = ""

    @property
    def last_line(self) -> str:
        """The line that names the failure: a traceback's last, else the message."""
        if self.kind != "exception":
            return self.message
        lines = [line for line in (self.detail or self.message).strip().splitlines() if line]
        return lines[-1] if lines else self.message


@dataclass
class Report:
    seed: int
    planned: int
    actions: list[dict] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    log_path: str = ""

    @property
    def ok(self) -> bool:
        return not self.failures

    def describe(self, tail: int = 40) -> str:
        done = len(self.actions)
        head = f"monkey seed {self.seed}: {done}/{self.planned} actions in {self.seconds:.1f} s"
        if self.ok:
            return head + ", clean"
        lines = [head + f", {len(self.failures)} failure(s):"]
        for f in self.failures[:5]:
            where = f"action {f.index}" if f.index >= 0 else "final checks"
            lines.append(f"- {f.kind} at {where}: {f.message}")
            if f.detail:
                lines.append("  " + f.detail.strip().replace("\n", "\n  "))
        first = max(0, done - tail)
        lines.append(f"actions {first}..{done - 1} (all of them in {self.log_path}):")
        for i, action in enumerate(self.actions[first:], first):
            lines.append(f"  {i:4d} {action['desc']}")
            for answer in action.get("answers", []):
                lines.append(f"       ↳ {answer['desc']}")
        lines.append(
            f"replay: python -m tests.ui.monkey --seed {self.seed} --replay {self.log_path}"
        )
        return "\n".join(lines)


def diff(a: str, b: str, limit: int = 30) -> str:
    lines = list(
        difflib.unified_diff(a.splitlines(), b.splitlines(), "expected", "got", lineterm="")
    )
    more = len(lines) - limit
    return "\n".join(lines[:limit]) + (f"\n... {more} more lines" if more > 0 else "")


def read_log(path: Path) -> list[dict]:
    """The actions (with their dialog answers) of a log written by :meth:`Monkey.run`."""
    actions: list[dict] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "action" in record:
            record.pop("action")
            actions.append({**record, "answers": []})
        elif "answer" in record and actions:
            record.pop("answer")
            actions[-1]["answers"].append(record)
    return actions
