"""Load generated source as a live Python module, so runs execute exactly the exported code."""

from __future__ import annotations

import itertools
import linecache
import types

_counter = itertools.count(1)


def load_generated(source: str, label: str = "block") -> types.ModuleType:
    """Execute generated code in a fresh module and return it.

    The source is Block Studio's own output for a validated document (names are checked
    identifiers, values are rendered literals, conditions re-printed from a whitelisted AST), never
    raw user text. It is registered with ``linecache`` so tracebacks show its lines.
    """
    name = f"blockstudio_generated_{label}_{next(_counter)}"
    filename = f"<{name}.py>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - our generated code
    return module
