"""Blocks used as node kinds: a template or a saved project, by reference, never in a cycle.

A block node's kind names its document: ``template:unet-res-block`` for a shipped template,
``file:blocks/down.json`` for a project file (relative to the folder of the outer project). The
library loads each document once and keeps it; the outer document only holds the reference, so the
inner block is never copied into it. Its block parameters are the node's parameters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from blockstudio.core.catalog import Catalog, KindSpec
from blockstudio.core.conditions import IN_CHANNELS
from blockstudio.core.document import INPUT_KIND, Document
from blockstudio.core.params import block_param_spec

TEMPLATE_PREFIX = "template:"
FILE_PREFIX = "file:"
BLOCKS_CATEGORY = "Blocks"
PATH_MARK = " › "  # joins names along a nesting path: down1 › conv1


class BlockError(Exception):
    """A block node's document cannot be used: missing, unreadable, or containing itself."""


def is_block_kind(kind: str) -> bool:
    return kind.startswith((TEMPLATE_PREFIX, FILE_PREFIX))


def template_kind(name: str) -> str:
    return f"{TEMPLATE_PREFIX}{name}"


def file_kind(path: str | os.PathLike[str], base: str | os.PathLike[str] | None) -> str:
    """The kind of the project at ``path``, relative to ``base`` (the outer project's folder)."""
    target = Path(path).resolve()
    if base is not None:
        try:
            return FILE_PREFIX + Path(os.path.relpath(target, Path(base).resolve())).as_posix()
        except ValueError:  # another drive (Windows): keep the absolute path
            pass
    return FILE_PREFIX + target.as_posix()


def kind_label(kind: str) -> str:
    """What the palette and a node card call a block kind: its template or file name."""
    if kind.startswith(TEMPLATE_PREFIX):
        return kind[len(TEMPLATE_PREFIX) :]
    return PurePosixPath(kind[len(FILE_PREFIX) :]).stem


def kind_title(kind: str) -> str:
    """A kind as a card or the inspector names it: ``unet-res-block (block)`` for a block."""
    return f"{kind_label(kind)} (block)" if is_block_kind(kind) else kind


class BlockLibrary:
    """The documents block kinds stand for, loaded on first use.

    ``base`` is the folder file kinds are relative to; ``root`` is the kind of the document being
    edited, if it is itself a file or template (so that it cannot contain itself). ``documents``
    are already resolved (an engine run gets them with the request instead of reading files).
    """

    def __init__(
        self,
        base: str | os.PathLike[str] | None = None,
        documents: Mapping[str, Document] | None = None,
        root: str | None = None,
    ) -> None:
        self.base = Path(base) if base is not None else None
        self.root = root
        self._docs: dict[str, Document] = dict(documents or {})
        self._specs: dict[str, KindSpec] = {}
        self._errors: dict[str, str] = {}

    # -- resolving ------------------------------------------------------------------------
    def document(self, kind: str, catalog: Catalog) -> Document:
        """The document ``kind`` stands for; raises :class:`BlockError` saying why not."""
        doc = self._docs.get(kind)
        if doc is not None:
            return doc
        if kind in self._errors:
            raise BlockError(self._errors[kind])
        try:
            doc = self._load(kind, catalog)
        except BlockError as exc:
            self._errors[kind] = str(exc)
            raise
        self._docs[kind] = doc
        return doc

    def _load(self, kind: str, catalog: Catalog) -> Document:
        from blockstudio.core.project import ProjectError, load_document
        from blockstudio.core.templates import load_template

        try:
            if kind.startswith(TEMPLATE_PREFIX):
                return load_template(kind[len(TEMPLATE_PREFIX) :], catalog)
            if kind.startswith(FILE_PREFIX):
                return load_document(self.path_of(kind), catalog)
        except ProjectError as exc:
            raise BlockError(f"block {kind_label(kind)!r} cannot be read: {exc}") from None
        raise BlockError(f"{kind!r} is not a block kind")

    def path_of(self, kind: str) -> Path:
        path = Path(kind[len(FILE_PREFIX) :])
        return path if path.is_absolute() or self.base is None else self.base / path

    def touch(self, kind: str) -> None:
        """``kind``'s document was edited in place: derive its node kind again."""
        self._specs.pop(kind, None)

    def kinds_of(self, doc: Document) -> list[str]:
        """The kinds ``doc`` (an object this library holds) stands for."""
        return [k for k, d in self._docs.items() if d is doc]

    def forget(self, kind: str | None = None) -> None:
        """Read ``kind`` (or every block) again on next use, e.g. after its file changed."""
        kinds = [kind] if kind is not None else list({*self._docs, *self._errors})
        for k in kinds:
            self._docs.pop(k, None)
            self._specs.pop(k, None)
            self._errors.pop(k, None)

    def spec(self, kind: str, catalog: Catalog) -> KindSpec | None:
        """The node kind a block stands for: one input, its block parameters as params."""
        spec = self._specs.get(kind)
        if spec is None:
            if not is_block_kind(kind):
                return None
            try:
                doc = self.document(kind, catalog)
            except BlockError:
                return None
            spec = _block_spec(kind, doc)
            self._specs[kind] = spec
        return spec

    # -- nesting --------------------------------------------------------------------------
    def uses(self, doc: Document) -> list[str]:
        """The block kinds ``doc``'s own nodes use, in node order, each once."""
        return list(dict.fromkeys(n.kind for n in doc.nodes.values() if is_block_kind(n.kind)))

    def closure(self, doc: Document, catalog: Catalog) -> list[tuple[str, Document]]:
        """Every block ``doc`` uses at any depth, each once, dependencies first.

        Raises :class:`BlockError` naming the path when a block contains itself, directly or
        through other blocks, or when one cannot be read.
        """
        out: dict[str, Document] = {}

        def visit(kind: str, path: tuple[str, ...]) -> None:
            if kind in path or kind == self.root:
                chain = PATH_MARK.join(kind_label(k) for k in (*path, kind))
                raise BlockError(f"a block cannot contain itself: {chain}")
            if kind in out:
                return
            inner = self.document(kind, catalog)
            for sub in self.uses(inner):
                visit(sub, (*path, kind))
            out[kind] = inner

        for kind in self.uses(doc):
            visit(kind, ())
        return list(out.items())


def _block_spec(kind: str, doc: Document) -> KindSpec:
    # in_channels is what the node's input has: the graph decides it, not a value on the node
    params = tuple(block_param_spec(p) for p in doc.params if p.name != IN_CHANNELS)
    summary = (doc.description or f"The {doc.name} block.").split(". ")[0]
    ports = max(len(doc.nodes_of_kind(INPUT_KIND)), 1)
    return KindSpec(
        kind=kind,
        category=BLOCKS_CATEGORY,
        doc=summary,
        min_inputs=ports,
        max_inputs=ports,
        call="list" if ports > 1 else "single",  # called on [x, skip], as Keras's merges are
        params=params,
        curated=True,
        block=doc.name,
    )


def blocks_payload(doc: Document, catalog: Catalog) -> dict[str, str]:
    """The documents of every block ``doc`` uses, as project JSON by kind, for a request to the
    engine (which then reads no file itself and sees unsaved edits); empty if there are none."""
    from blockstudio.core.project import document_to_json

    library = catalog.library
    if library is None or not library.uses(doc):
        return {}
    try:
        blocks = library.closure(doc, catalog)
    except BlockError:
        return {}  # validation reports it; the engine then finds the kind unknown
    return {kind: document_to_json(inner) for kind, inner in blocks}


def library_from_payload(blocks: Mapping[str, str], catalog: Catalog) -> BlockLibrary:
    """The library an engine request carries (see :func:`blocks_payload`)."""
    from blockstudio.core.project import document_from_json

    return BlockLibrary(documents={k: document_from_json(v, catalog) for k, v in blocks.items()})
