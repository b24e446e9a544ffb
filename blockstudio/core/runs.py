"""The runs of a session as plain data: settings, runs, the trace on show, replay, comparisons.

Qt-free, like the document. The run controller adds runs as the engine replies; the canvas,
timeline, weights table and inspector subscribe and draw what this model says (errors, build
states and weight counts by node id, so renaming a node keeps its runs). Nothing writes into a
view from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from blockstudio.core.observable import Event, Observable
from blockstudio.core.timeline import build_states
from blockstudio.core.trace import Trace, TraceEvent

STYLES = ("build", "init", "functional")
WEIGHTS = ("eager", "lazy")


@dataclass(frozen=True)
class RunSettings:
    """How the block is run (and exported): the class style and when sub-layers get weights."""

    style: str = "build"
    weights: str = "eager"
    timeout: float = 60.0  # seconds a run of the user's own code may take

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError("the time limit must be a positive number of seconds")
        if self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}; use one of {', '.join(STYLES)}")
        if self.weights not in WEIGHTS:
            raise ValueError(f"unknown weights option {self.weights!r}; use eager or lazy")


@dataclass(frozen=True)
class UserLayer:
    """Your own Layer class as what runs: from a file (``path``) or pasted ``source``."""

    class_name: str
    path: str = ""
    source: str | None = None
    init: tuple[tuple[str, Any], ...] = ()  # constructor arguments, in order
    input_shape: tuple[int | None, ...] = (None, 32, 32, 3)

    @property
    def label(self) -> str:
        name = self.path.replace("\\", "/").rsplit("/", 1)[-1] if self.path else "pasted_layer.py"
        return f"{name}:{self.class_name}"

    def payload(self) -> dict[str, Any]:
        """What the engine's user_* requests take."""
        layer = {"class_name": self.class_name, "path": self.path, "source": self.source}
        return {"layer": {**layer, "init": dict(self.init)}, "input_shape": list(self.input_shape)}


@dataclass(frozen=True)
class RunOrigin:
    """What a run ran on: which project (a number that changes on New / Open), where in it (the
    names of the block nodes opened from the project down to the level that ran), and the
    document's revision when the run was asked for (edits after it make the result stale)."""

    project: int
    path: tuple[str, ...] = ()
    revision: int = 0


@dataclass(frozen=True)
class Scope:
    """Where the user looks: the project, the level (as in :class:`RunOrigin`) and how a node
    name of that level's document becomes its node id (None: no such node)."""

    project: int
    path: tuple[str, ...]
    node_id: Callable[[str], str | None]


# -- events ------------------------------------------------------------------------------------
class SettingsChanged(Event):
    field: str  # "style" or "weights"


class RunAdded(Event):
    index: int


class ShownChanged(Event):
    """Another trace (or none) is on show; replay starts at its end."""


class ReplayMoved(Event):
    position: int


class PairAdded(Event):
    index: int


class SubjectChanged(Event):
    """Runs now go to the user's own class, or (subject None) back to the drawn block."""


class ScopeChanged(Event):
    """The user looks at another level or project: errors and weights map anew."""


class RunFailed(Event):
    """A run could not happen (the user's code does not import, a time limit, a crash)."""

    message: str


RunEvent = (
    SettingsChanged
    | RunAdded
    | ShownChanged
    | ReplayMoved
    | PairAdded
    | SubjectChanged
    | RunFailed
    | ScopeChanged
)


class RunModel(Observable[RunEvent]):
    """Everything the views show about runs; every change announces one event."""

    def __init__(self, settings: RunSettings | None = None) -> None:
        super().__init__()
        self._settings = settings or RunSettings()
        self._runs: list[Trace] = []
        self._shown: Trace | None = None
        self._position = 0
        self._replaying = False
        self._pairs: list[tuple[Trace, Trace]] = []
        self._subject: UserLayer | None = None
        self._failure = ""
        self._origins: dict[int, RunOrigin] = {}  # id(trace) → what it ran on
        self._scope: Scope | None = None  # None: every node id is taken as it is

    # -- what runs --------------------------------------------------------------------------
    @property
    def subject(self) -> UserLayer | None:
        """The user's own class when runs and checkups go to it; None: the drawn block."""
        return self._subject

    def set_subject(self, subject: UserLayer | None) -> None:
        self._subject = subject
        self._emit(SubjectChanged())

    @property
    def failure(self) -> str:
        """Why the last run could not happen ("" after a run that did)."""
        return self._failure

    def fail(self, message: str) -> None:
        """Say that a run could not happen, and why (views show it in place)."""
        self._failure = message
        self._emit(RunFailed(message))

    # -- settings ---------------------------------------------------------------------------
    @property
    def settings(self) -> RunSettings:
        return self._settings

    def set_setting(self, field: str, value: Any) -> None:
        if field not in ("style", "weights", "timeout"):
            raise ValueError(f"unknown run setting {field!r}")
        if getattr(self._settings, field) == value:
            return
        self._settings = replace(self._settings, **{field: value})
        self._emit(SettingsChanged(field))

    # -- runs -------------------------------------------------------------------------------
    @property
    def runs(self) -> tuple[Trace, ...]:
        return tuple(self._runs)

    def add_run(self, trace: Trace, show: bool = True, origin: RunOrigin | None = None) -> int:
        """Keep ``trace`` as a run of this session (labelled ``run N · style`` if unlabelled),
        made on ``origin`` (None: on whatever is shown, as in the CLI and tests)."""
        if not trace.label:
            trace.label = f"run {len(self._runs) + 1} · {trace.style}"
        self._runs.append(trace)
        if origin is not None:
            self._origins[id(trace)] = origin
        self._failure = ""
        index = len(self._runs) - 1
        self._emit(RunAdded(index))
        if origin is not None and self._scope is not None:
            show = show and origin.project == self._scope.project  # a reply after New / Open
        if show:
            self.show(trace)
        return index

    @property
    def shown(self) -> Trace | None:
        return self._shown

    def show(self, trace: Trace | None) -> None:
        """Put ``trace`` on show (a run, or a checkup cell's trace), or clear with None."""
        self._shown = trace
        self._position = len(trace.events) if trace else 0
        self._replaying = False
        self._emit(ShownChanged())

    def reset(self) -> None:
        self.show(None)

    # -- where the user looks -----------------------------------------------------------------
    def origin(self, trace: Trace | None) -> RunOrigin | None:
        return self._origins.get(id(trace)) if trace is not None else None

    def set_scope(self, scope: Scope | None) -> None:
        """The level on show; a run of another project is taken off show."""
        old, self._scope = self._scope, scope
        origin = self.origin(self._shown)
        if scope is not None and origin is not None and origin.project != scope.project:
            self.show(None)
        if old != scope:
            self._emit(ScopeChanged())

    def node_in_scope(self, trace: Trace, node: str | None, layer: str) -> str | None:
        """The node of the level on show that an event of ``trace`` belongs to: ``node`` when
        the run ran on this level; else by ``layer``'s path from the run's root (``down1/conv1``
        is ``conv1`` inside ``down1``, and ``down1`` itself one level up); None elsewhere."""
        origin, scope = self.origin(trace), self._scope
        if origin is None or scope is None:
            return node
        if origin.project != scope.project:
            return None
        if origin.path == scope.path:
            return node
        if not layer:
            return None
        full = (*origin.path, *layer.split("/"))
        depth = len(scope.path)
        if full[:depth] != scope.path or len(full) <= depth:
            return None
        return scope.node_id(full[depth])

    # -- replay -----------------------------------------------------------------------------
    @property
    def position(self) -> int:
        """How many events of the shown trace the replay has reached."""
        return self._position

    @property
    def replaying(self) -> bool:
        return self._replaying

    def seek(self, position: int) -> None:
        if self._shown is None:
            return
        self._position = max(0, min(position, len(self._shown.events)))
        self._replaying = True
        self._emit(ReplayMoved(self._position))

    def node_states(self) -> tuple[dict[str, str], dict[str, int]]:
        """Each node's state at the replay position ("building"/"built") and its weights so far,
        by node id of the level on show; empty when no replay is going on."""
        trace = self._shown
        if trace is None or not self._replaying:
            return {}, {}
        return build_states(
            trace, self._position, lambda e: self.node_in_scope(trace, e.node, e.layer)
        )

    @property
    def shown_run(self) -> Trace | None:
        """The trace on show if it is a run of this session (a checkup cell's trace is not: it
        may hold several blocks made one after another)."""
        trace = self._shown
        return trace if trace is not None and any(r is trace for r in self._runs) else None

    def errors(self) -> dict[str, str]:
        """Keras's error of the run on show, by node id of the level on show."""
        trace = self.shown_run
        if trace is None or not trace.error:
            return {}
        error = trace.error
        nid = self.node_in_scope(trace, error.get("node"), error.get("layer") or "")
        return {nid: f"Keras: {error['message']}"} if nid else {}

    def weight_events(self, node_id: str) -> list[TraceEvent]:
        """The ``add_weight`` events of ``node_id``'s layer in the run on show."""
        trace = self.shown_run
        if trace is None:
            return []
        return [
            e
            for e in trace.events
            if e.type == "weight" and self.node_in_scope(trace, e.node, e.layer) == node_id
        ]

    # -- comparisons ------------------------------------------------------------------------
    @property
    def pairs(self) -> tuple[tuple[Trace, Trace], ...]:
        return tuple(self._pairs)

    def add_pair(self, first: Trace, second: Trace) -> int:
        self._pairs.append((first, second))
        self._emit(PairAdded(len(self._pairs) - 1))
        return len(self._pairs) - 1
