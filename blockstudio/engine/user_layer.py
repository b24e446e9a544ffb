"""Your own ``keras.layers.Layer`` classes: import them from a file or pasted source, list them,
construct and trace one, and say where in *your* code something went wrong.

This runs user code, so it runs only where user code may run: the engine worker, or the command
line's own process (never the studio's UI process).
"""

from __future__ import annotations

import inspect
import itertools
import linecache
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from blockstudio.core.checkup import CheckResult
from blockstudio.core.params import parse_literal
from blockstudio.core.shapes import Shape
from blockstudio.core.trace import Trace
from blockstudio.engine.locations import short_name as _short
from blockstudio.engine.locations import user_location

if TYPE_CHECKING:
    from blockstudio.engine.tracer import RunSpec

PASTED = "pasted_layer.py"  # the file name pasted code is given in messages
_counter = itertools.count(1)


class UserCodeError(Exception):
    """The user's code cannot be imported or used; ``where`` is ``file:line`` when known."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message, self.where = message, where


@dataclass
class InitParam:
    """One constructor argument: its name, its default as source text (None: required)."""

    name: str
    default: str | None = None
    annotation: str = ""


@dataclass
class LayerClass:
    """A ``keras.layers.Layer`` subclass the module defines."""

    name: str
    line: int
    doc: str = ""
    params: list[InitParam] = field(default_factory=list)


@dataclass
class LayerSpec:
    """Which class to use: from ``path`` (or pasted ``source``), with constructor arguments."""

    class_name: str
    path: str = ""
    source: str | None = None
    init: dict[str, Any] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return str(Path(self.path).resolve()) if self.path else PASTED

    @property
    def label(self) -> str:
        return f"{Path(self.path).name if self.path else PASTED}:{self.class_name}"


def parse_target(text: str) -> tuple[str, str]:
    """``FILE.py:ClassName`` → (file, class name)."""
    path, sep, name = text.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise ValueError(f"{text!r}: expected FILE.py:ClassName")
    return path, name


def parse_init(items: list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; each value is a Python literal (``ast.literal_eval``), never code."""
    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ValueError(f"--init {item!r}: expected NAME=VALUE")
        try:
            out[name] = parse_literal(name, text)
        except ValueError as exc:
            raise ValueError(f"--init {exc}") from None
    return out


# -- importing ----------------------------------------------------------------------------------
def load_module(spec: LayerSpec) -> types.ModuleType:
    """Import the user's module afresh (an edited file is read again), with its folder on
    ``sys.path`` so its own imports of sibling modules work."""
    filename = spec.filename
    if spec.source is not None:
        source = spec.source
    else:
        try:
            source = Path(spec.path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UserCodeError(f"cannot read {spec.path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UserCodeError(f"{spec.path} is not UTF-8 text") from None
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        where = f"{_short(filename)}:{exc.lineno}" if exc.lineno else _short(filename)
        raise UserCodeError(f"SyntaxError: {exc.msg}", where) from None
    stem = Path(filename).stem if spec.path else "pasted_layer"
    module = types.ModuleType(f"{stem}__blockstudio_{next(_counter)}")
    module.__file__ = filename
    folder = str(Path(filename).parent) if spec.path else None
    if folder is not None and folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[module.__name__] = module  # dataclasses and pickling look modules up by name
    try:
        exec(code, module.__dict__)  # noqa: S102 - the user's own code, in the worker only
    except Exception as exc:
        raise UserCodeError(_describe(exc), user_location(exc, filename)) from None
    return module


def layer_classes(module: types.ModuleType) -> list[LayerClass]:
    """The Layer subclasses ``module`` defines (not those it imports), in source order."""
    import keras

    found = []
    for name, obj in vars(module).items():
        if not (inspect.isclass(obj) and issubclass(obj, keras.layers.Layer)):
            continue
        if obj.__module__ != module.__name__:
            continue
        try:
            line = inspect.getsourcelines(obj)[1]
        except (OSError, TypeError):
            line = 0
        # the class's own docstring: inspect.getdoc would give Keras's Layer docstring instead
        doc = obj.__dict__.get("__doc__")
        doc = inspect.cleandoc(doc) if isinstance(doc, str) else ""
        found.append(LayerClass(name, line, doc, init_params(obj)))
    return sorted(found, key=lambda c: c.line)


def init_params(cls: type) -> list[InitParam]:
    """The constructor's named arguments with their defaults (``**kwargs`` left out)."""
    out = []
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        annotation = "" if p.annotation is inspect.Parameter.empty else str(p.annotation)
        out.append(InitParam(p.name, default, annotation))
    return out


def find_class(spec: LayerSpec, input_shape: Shape | None = None) -> Any:
    """The class, or for a functional block (a function of ``inputs``, as the functional style
    exports one) a maker of the ``keras.Model`` it gives on ``input_shape``."""
    module = load_module(spec)
    classes = [c.name for c in layer_classes(module)]
    cls = getattr(module, spec.class_name, None)
    if inspect.isfunction(cls) and cls.__module__ == module.__name__:
        if input_shape is None:
            raise UserCodeError(
                f"{spec.class_name} is a function: trace and import take a functional block, "
                "the checkup takes a keras.layers.Layer class"
            )
        return functional_model(cls, input_shape)
    if cls is None or spec.class_name not in classes:
        listed = ", ".join(classes) or "none"
        raise UserCodeError(
            f"no keras.layers.Layer subclass {spec.class_name} in {spec.label.split(':')[0]} "
            f"(it defines: {listed})"
        )
    missing = [p.name for p in init_params(cls) if p.default is None and p.name not in spec.init]
    if missing:
        raise UserCodeError(
            f"{spec.class_name}() needs {', '.join(missing)}: give them with --init NAME=VALUE"
        )
    return cls


def functional_model(fn: Any, input_shape: Shape) -> Any:
    """``make(**init)``: the keras.Model of ``fn(inputs, **init)`` on ``input_shape``."""
    import keras

    from blockstudio.engine.tracer import symbolic_inputs

    def make(**init: Any) -> Any:
        inputs = symbolic_inputs(input_shape)
        return keras.Model(inputs, fn(inputs, **init), name=fn.__name__)

    return make


# -- where did it happen -----------------------------------------------------------------------
def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- running ------------------------------------------------------------------------------------
def trace_layer(spec: LayerSpec, input_shape: Shape, run: RunSpec | None = None) -> Trace:
    """Import the class afresh, construct it with ``spec.init`` and call it as a run does,
    recording every construct, build, weight and call; errors carry the user's file:line."""
    import keras

    from blockstudio.engine.pyformat import snake_case
    from blockstudio.engine.tracer import RunSpec, call_shapes, fresh_session, record

    run = run or RunSpec()
    cls = find_class(spec, input_shape)
    fresh_session()
    trace = Trace(
        spec.class_name,
        "own class",
        tuple(input_shape),
        dict(spec.init),
        keras_version=keras.__version__,
        label=spec.label,
    )

    def where(exc: BaseException) -> dict[str, Any]:
        return {"where": user_location(exc, spec.filename)}

    block = record(
        trace,
        snake_case(spec.class_name),
        lambda: cls(**spec.init),
        call_shapes(input_shape, run),
        seed=run.seed,
        on_error=where,
    )
    if block is not None and trace.error is None:
        from blockstudio.engine.structure import call_graph

        try:
            trace.structure = call_graph(block, tuple(input_shape), spec.filename)
        except Exception as exc:  # a call() Keras cannot trace symbolically: say so, keep the run
            at = user_location(exc, spec.filename)
            trace.structure = {
                "nodes": [],
                "edges": [],
                "problem": f"{at + ': ' if at else ''}{_describe(exc)}",
            }
        trace.structure["source"] = read_source(spec)
        trace.structure["probe"] = _probe(block, tuple(input_shape), spec)
    return trace


def _probe(block: Any, input_shape: Shape, spec: LayerSpec) -> dict[str, Any] | None:
    """What the class computes with weights keyed by their paths (what an import is held to);
    None, with the reason, when it cannot be taken (then nothing is claimed on it)."""
    from blockstudio.engine.behaviour import probe

    try:
        return probe(block, input_shape, lambda path: path)
    except Exception as exc:
        at = user_location(exc, spec.filename)
        return {"problem": f"{at + ': ' if at else ''}{_describe(exc)}"}


def read_source(spec: LayerSpec) -> dict[str, Any]:
    """What the class's source says that the run cannot show (read, not run)."""
    from blockstudio.engine.source_reader import read_block

    try:
        text = spec.source if spec.source is not None else Path(spec.path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return {"problem": f"cannot read the source again: {exc}"}
    return read_block(text, spec.class_name, _short(spec.filename), spec.init)


def check_layer(
    spec: LayerSpec, input_shape: Shape, scenarios: list[str] | None = None, progress=None
) -> list[CheckResult]:
    """The checkup for the user's class: the same scenarios as for a drawn block; an exception
    raised in the user's code names the file and line in the cell's message."""
    from blockstudio.core.checkup import SCENARIO_KEYS
    from blockstudio.engine.checkup import Subject, check_subject, reference_weights

    cls = find_class(spec)
    init = dict(spec.init)
    subject = Subject(
        lambda **more: cls(**{**init, **more}),
        input_shape,
        "own class",
        "as written",
        {cls.__name__: cls},
        locate=lambda exc: user_location(exc, spec.filename),
        takes=inspect.signature(cls).parameters,
    )
    try:
        reference = reference_weights(subject)
    except Exception as exc:
        raise UserCodeError(
            f"{spec.class_name} cannot be called on {tuple(input_shape)}: {_describe(exc)}",
            user_location(exc, spec.filename),
        ) from None
    results = []
    keys = scenarios or SCENARIO_KEYS
    for key in keys:
        results.append(check_subject(subject, key, reference))
        if progress:
            progress(results[-1], len(results), len(keys))
    return results
