"""Where in the user's own file something happened: ``file:line`` from a traceback."""

from __future__ import annotations

import traceback
from pathlib import Path


def user_location(exc: BaseException, filename: str) -> str:
    """``file:line`` of the innermost frame of the user's file in ``exc``'s traceback."""
    where = ""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:  # Keras re-raises: look down the chain
        seen.add(id(link))
        for frame in traceback.extract_tb(link.__traceback__):
            if frame.filename == filename:
                where = f"{short_name(filename)}:{frame.lineno}"
        if where:
            return where
        link = link.__cause__ or link.__context__
    return where


def short_name(filename: str) -> str:
    return Path(filename).name
