"""Problems: errors a user can cause, as values with a message and a location."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, said so a user understands it.

    ``node_id`` and ``param`` locate it (both None: the block itself; ``param`` alone: a block
    parameter or field such as ``input_shape``).
    """

    code: str
    message: str
    node_id: str | None = None
    param: str | None = None
    severity: str = "error"  # error | warning

    def __str__(self) -> str:
        where = self.node_id or "block"
        if self.param:
            where += f".{self.param}"
        return f"[{self.code}] {where}: {self.message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
