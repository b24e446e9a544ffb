"""What a document mutator announces: one typed event per change (``core.document``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from blockstudio.core.observable import Event

if TYPE_CHECKING:
    from blockstudio.core.document import Edge


class NodeAdded(Event):
    node_id: str


class NodeRemoved(Event):
    node_id: str


class NodeChanged(Event):
    """``field`` is one of NODE_FIELDS or "params" (then ``key`` names the parameter)."""

    node_id: str
    field: str
    key: str | None = None


class EdgeAdded(Event):
    edge: Edge


class EdgeRemoved(Event):
    edge: Edge


class BlockChanged(Event):
    """``field`` is one of BLOCK_FIELDS."""

    field: str


class BlockParamChanged(Event):
    """Block parameter ``name`` was added, edited (``name`` is its old name) or removed."""

    name: str


DocEvent = (
    NodeAdded
    | NodeRemoved
    | NodeChanged
    | EdgeAdded
    | EdgeRemoved
    | BlockChanged
    | BlockParamChanged
)
