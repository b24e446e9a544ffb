"""What a node holds besides literals: a reference to a block parameter (or one entry of it),
a computed value, and how a node repeats (MONAI's ModuleList). Plain frozen values; the
document (``core.document``) holds them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamRef:
    """A node parameter that takes the value of a block parameter, or with ``index`` one entry
    of a list parameter (``strides[2]``: the third level of a U-Net). In a repeated node the
    index may be an expression over the repeat index (``"i + 1"``)."""

    param: str
    index: int | str | None = None

    def __str__(self) -> str:
        return self.param if self.index is None else f"{self.param}[{self.index}]"


@dataclass(frozen=True)
class Expr:
    """A node parameter computed by an expression over the block parameters and the repeat
    index (``{"$expr": "i + 1"}``); only a repeated node holds one."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class SkipSource:
    """Input ``port`` of each instance of a repeat takes one entry of the list a source repeat
    collects (its chain's input, then each instance's output): entry ``-(i + 1 + offset)``
    when ``reverse`` (the way up of a U-Net takes the skips deepest first), else
    ``i + offset``."""

    port: int = 1
    reverse: bool = True
    offset: int = 0


@dataclass(frozen=True)
class Repeat:
    """A node made once per value of ``index`` in ``range(count)`` (``count`` an expression over
    the block parameters: ``len(strides) - 2``), as MONAI's ModuleLists.

    ``chain``: instance ``i`` feeds input 0 of instance ``i + 1`` (the first takes the node's
    own input 0). ``collect``: the name of the list of the chain's input and every instance's
    output (the skips of a U-Net encoder), which another repeat reads with ``skip``.
    """

    count: str
    index: str = "i"
    chain: bool = True
    collect: str | None = None
    skip: SkipSource | None = None
