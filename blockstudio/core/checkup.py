"""The checkup's plain data: the scenarios, one result per scenario and style, and the matrix.

The scenarios are the things people do with a layer (build it, save it, load weights into it,
train it, compile it); the engine runs each with the real Keras. Results are plain data so the
worker, the CLI and the Checkup tab share them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from blockstudio.core.trace import TraceEvent

# (key, title, what it shows)
SCENARIOS: list[tuple[str, str, str]] = [
    ("construct", "construct", "sub-layers tracked, no weights yet, not built"),
    ("build", "build(input_shape)", "every weight exists after build(), as after a call"),
    ("symbolic", "symbolic build", "the block inside a functional model on keras.Input"),
    ("calls", "call #1, call #2", "the first call builds, the second builds nothing"),
    ("other_channels", "other channels", "a call with another channel count after build"),
    ("summary", "summary()", "parameter count a model summary shows, before and after build"),
    ("config", "config round trip", "get_config() → from_config() gives the same outputs"),
    ("weights", "set/load weights", "weights into a block or model that was only built"),
    ("keras_file", ".keras save/load", "save → load_model(safe_mode=True), same outputs"),
    ("train", "training step", "every trainable weight gets a gradient and changes"),
    ("jit", "compiled call", "jit_compile=True gives the same output as eager"),
    (
        "dtype_policy",
        "dtype policy",
        'dtype="mixed_bfloat16": every sub-layer and the output follow',
    ),
    ("output_shape", "compute_output_shape", "compute_output_shape agrees with a real call"),
    ("used_twice", "used twice", "two in one functional model; one instance on two inputs"),
    ("channels", "declared channels", "in_channels other than the input's is refused"),
]
SCENARIO_KEYS = [s[0] for s in SCENARIOS]
STATUSES = ("pass", "warning", "fail")


@dataclass
class CheckResult:
    """One cell of the matrix: a scenario run for one class style and weights option."""

    scenario: str
    style: str
    weights: str
    status: str  # pass | warning | fail
    reason: str  # one line
    message: str = ""  # Keras's full message(s) and captured warnings
    weight_count: int | None = None  # weights that exist at the scenario's point of interest
    expected_weights: int | None = None  # weights after a first call
    seconds: float = 0.0
    events: list[TraceEvent] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> CheckResult:
        events = [TraceEvent(**e) for e in data.get("events", [])]
        return CheckResult(**{**data, "events": events})


def title(key: str) -> str:
    return next(t for k, t, _ in SCENARIOS if k == key)


def matrix_text(results: list[CheckResult]) -> str:
    """Scenarios down, styles across, then the reason for every cell that did not pass."""
    columns = sorted({(r.style, r.weights) for r in results}, key=_column_order)
    cell = {(r.scenario, r.style, r.weights): r for r in results}
    heads = [f"{s} ({w})" if s != "functional" else s for s, w in columns]
    width = max(len(t) for _, t, _ in SCENARIOS) + 6
    lines = [" " * width + "".join(f"{h:<18}" for h in heads)]
    for i, (key, name, _) in enumerate(SCENARIOS, 1):
        row = f"{i:>2}. {name}".ljust(width)
        for style, weights in columns:
            r = cell.get((key, style, weights))
            row += f"{(r.status.upper() if r else '-'):<18}"
        lines.append(row.rstrip())
    notes = [r for r in results if r.status != "pass"]
    if notes:
        lines.append("")
    for r in notes:
        col = r.style if r.style == "functional" else f"{r.style} ({r.weights})"
        lines.append(f"{r.status.upper()} {title(r.scenario)} · {col}: {r.reason}")
    passed = sum(r.status == "pass" for r in results)
    lines.append("")
    lines.append(f"{passed} of {len(results)} passed")
    return "\n".join(lines) + "\n"


def _column_order(col: tuple[str, str]) -> tuple[int, int]:
    order = {"build": 0, "init": 1, "functional": 2}
    return order.get(col[0], 3), 0 if col[1] == "eager" else 1
