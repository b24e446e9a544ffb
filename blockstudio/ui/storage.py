"""Where the studio keeps its settings and the crash-recovery file."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

from blockstudio.core.catalog import Catalog
from blockstudio.core.document import Document
from blockstudio.core.project import (
    ProjectError,
    document_from_json,
    document_to_json,
    write_atomic,
)

RECOVERY_FILE = "recovery.json"
MAX_RECENT = 8


def state_dir() -> Path:
    """``$BLOCKSTUDIO_HOME`` if set (tests use it), else the platform's app-data folder."""
    env = os.environ.get("BLOCKSTUDIO_HOME")
    base = (
        Path(env)
        if env
        else Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "blockstudio"
    )
    base.mkdir(parents=True, exist_ok=True)
    return base


def settings() -> QSettings:
    return QSettings(str(state_dir() / "settings.ini"), QSettings.IniFormat)


def recent_files() -> list[str]:
    value = settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [v for v in (value or []) if Path(v).exists()]


def add_recent(path: Path) -> None:
    items = [str(path)] + [p for p in recent_files() if p != str(path)]
    s = settings()
    s.setValue("recent", items[:MAX_RECENT])
    s.sync()


def write_recovery(doc: Document, path: Path | None) -> None:
    """Write the unsaved document next to the settings (atomically, like a project file)."""
    payload = {"path": str(path) if path else None, "document": document_to_json(doc)}
    write_atomic(state_dir() / RECOVERY_FILE, json.dumps(payload).encode("utf-8"))


def read_recovery(catalog: Catalog) -> tuple[Document, Path | None] | None:
    target = state_dir() / RECOVERY_FILE
    if not target.exists():
        return None
    try:
        payload = json.loads(target.read_text("utf-8"))
        doc = document_from_json(payload["document"], catalog)
    except (OSError, ValueError, KeyError, TypeError, ProjectError):
        return None
    return doc, Path(payload["path"]) if payload.get("path") else None


def clear_recovery() -> None:
    (state_dir() / RECOVERY_FILE).unlink(missing_ok=True)
