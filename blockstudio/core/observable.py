"""A tiny observer hook for the core's models (document, runs): no Qt, no threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

E = TypeVar("E")


class Observable(Generic[E]):
    """Listeners get every event, in the order they subscribed."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[E], None]] = []

    def subscribe(self, listener: Callable[[E], None]) -> Callable[[], None]:
        """Call ``listener`` with every event; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: E) -> None:
        for listener in list(self._listeners):
            listener(event)
