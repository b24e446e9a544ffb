"""Example documents shipped with Block Studio (``resources/templates/*.json``)."""

from __future__ import annotations

from importlib import resources

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import Document
from blockstudio.core.project import ProjectError, document_from_json

DEFAULT_TEMPLATE = "unet-res-block"


def template_names() -> list[str]:
    folder = resources.files("blockstudio.resources").joinpath("templates")
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def load_template(name: str, catalog: Catalog) -> Document:
    """A fresh copy of template ``name``; raises :class:`ProjectError` if there is none."""
    if name not in template_names():
        known = ", ".join(template_names())
        raise ProjectError(f"unknown template {name!r}; available: {known}")
    text = resources.files("blockstudio.resources").joinpath("templates", f"{name}.json")
    return document_from_json(text.read_bytes(), catalog)
