"""The checkup's lifecycle scenarios (a Keras reviewer's are in :mod:`.citizen`).

Each takes the subject and the recorder and returns
``(status, reason, message, weights that exist at the point of interest)``.

A scenario that raises fails with Keras's message (see :func:`.run.check_subject`).
"""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from typing import Any

import keras
import numpy as np

from blockstudio.engine.checkup.citizen import CITIZEN_FUNCS
from blockstudio.engine.checkup.subject import (
    Subject,
    first_sentence,
    keras_message,
    relative_weights,
)
from blockstudio.engine.hooks import Recorder
from blockstudio.engine.tracer import symbolic_inputs

Result = tuple[str, str, str, int | None]
TOLERANCE = 1e-5


def _max_diff(a: Any, b: Any) -> float:
    if isinstance(a, list | tuple):  # a block with several outputs
        return max(_max_diff(x, y) for x, y in zip(a, b, strict=True))
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def _in_model(block: Any, subject: Subject) -> Any:
    inputs = symbolic_inputs(subject.shape)
    return keras.Model(inputs, block(inputs))


def _compare_weights(got: list, subject: Subject, when: str) -> Result:
    ref = subject.reference
    if got == ref:
        return (
            "pass",
            f"{len(got)} of {len(ref)} weights exist {when}, same paths and shapes",
            "",
            len(got),
        )
    if not got and ref:
        return (
            "warning",
            f"0 of {len(ref)} weights exist {when}; they appear only on the first call",
            "",
            0,
        )
    missing = [p for p, _ in ref if p not in {q for q, _ in got}]
    detail = f"missing: {', '.join(missing[:4])}" if missing else "paths or shapes differ"
    return "fail", f"{len(got)} of {len(ref)} weights {when} ({detail})", "", len(got)


def construct(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    n = len(block.weights)
    if s.style == "functional":
        return "pass", f"a functional model is built as it is made: {n} weights", "", n
    subs = block._flatten_layers(include_self=False, recursive=False)  # lists of layers too
    reason = f"{len(subs)} sub-layers tracked, {n} weights, built={block.built}"
    return ("pass" if n == 0 else "warning"), reason, "", n


def build(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    if s.style != "functional":
        block.build(s.build_shape())
    return _compare_weights(relative_weights(block), s, "after build()")


def symbolic(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    _in_model(block, s)
    return _compare_weights(relative_weights(block), s, "after a symbolic call")


def calls(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    start = len(rec.events)
    block(s.x)
    middle = len(rec.events)
    block(s.x)
    first = [e.layer for e in rec.events[start:middle] if e.type == "build"]
    second = [e.layer for e in rec.events[middle:] if e.type == "build"]
    n = len(block.weights)
    if second:
        return "fail", f"call #2 built again: {', '.join(second)}", "", n
    return "pass", f"call #1 built {len(first)} layers, call #2 built none", "", n


def other_channels(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    block(s.x)
    first = s.first_x()
    channels = first.shape[-1]
    other = np.zeros((*first.shape[:-1], channels + 3), "float32")
    try:
        block([other, *s.x[1:]] if s.multi else other)
    except Exception as exc:
        blamed = next((e for e in reversed(rec.events) if e.type == "error"), None)
        where = blamed.layer if blamed else "the block"
        message = keras_message(exc)
        reason = f"{channels + 3} channels after building on {channels}: Keras refuses in {where}"
        return "pass", reason, message, len(block.weights)
    return "pass", f"{channels + 3} channels accepted (no weight depends on them)", "", None


def summary(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    expected = sum(int(np.prod(shape)) for _, shape in s.reference)
    if s.multi:  # a Sequential takes one input: a block on a list is summarised in a Model
        block.build(s.build_shape())
        after = _summary_total(_in_model(block, s))
        reason = f"summary of a Model on [{len(s.x)} inputs] shows {after:,} after build"
        reason += f" (a call makes {expected:,})"
        return ("pass" if after == expected else "fail"), reason, "", len(block.weights)
    model = keras.Sequential([block])
    before = _summary_total(model)
    model.build(s.build_shape())
    after = _summary_total(model)
    reason = f"summary shows {before} before build, {after:,} after (a call makes {expected:,})"
    return ("pass" if after == expected else "fail"), reason, "", len(block.weights)


def _summary_total(model: Any) -> int:
    out = io.StringIO()
    with redirect_stdout(out):
        model.summary(line_length=120)
    match = re.search(r"Total params:\s*([\d,]+)", out.getvalue())
    return int(match.group(1).replace(",", "")) if match else 0


def config(s: Subject, rec: Recorder) -> Result:
    a = s.make()
    a(s.x)
    b = type(a).from_config(a.get_config())
    b(s.x)
    b.set_weights(a.get_weights())
    diff = _max_diff(a(s.x), b(s.x))
    if diff > TOLERANCE:
        return "fail", f"from_config() block differs by {diff:.3g}", "", len(b.weights)
    return "pass", "from_config(get_config()) gives the same outputs", "", len(b.weights)


class _Parent(keras.Model):
    """A model whose build() builds the block, as Keras's own composite layers do."""

    def __init__(self, block: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.block = block

    def build(self, input_shape: Any) -> None:
        self.block.build(input_shape)

    def call(self, inputs: Any) -> Any:
        return self.block(inputs)


def weights(s: Subject, rec: Recorder) -> Result:
    """set_weights into a built block, then load_weights into a built parent model."""
    problems, messages = [], []
    src = s.make()
    expected = src(s.x)
    dst = s.make()
    if s.style != "functional":
        dst.build(s.build_shape())
    n = len(dst.weights)
    try:
        dst.set_weights(src.get_weights())
        diff = _max_diff(dst(s.x), expected)
        if diff > TOLERANCE:
            problems.append(f"set_weights: outputs differ by {diff:.3g}")
    except Exception as exc:
        messages.append(keras_message(exc))
        problems.append(f"set_weights refused: {first_sentence(keras_message(exc), 110)}")
    saved = _Parent(s.make())
    expected = saved(s.x)
    path = s.tmp / "block.weights.h5"
    saved.save_weights(path)
    fresh = _Parent(s.make())
    fresh.build(s.build_shape())
    loaded_into = len(fresh.weights)
    fresh.load_weights(path)
    diff = _max_diff(fresh(s.x), expected)
    if diff > TOLERANCE:
        problems.append(
            f"load_weights loaded {loaded_into} of {len(saved.weights)} weights without a "
            f"word; outputs differ by {diff:.3g}"
        )
    if problems:
        return "fail", "; ".join(problems), "\n".join(messages), n
    return "pass", "set_weights and load_weights into a built block give equal outputs", "", n


def keras_file(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    model = block if s.style == "functional" else _in_model(block, s)
    expected = model(s.x)
    path = s.tmp / "block.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, custom_objects=s.custom_objects)
    diff = _max_diff(loaded(s.x), expected)
    if diff > TOLERANCE:
        return "fail", f"loaded model differs by {diff:.3g}", "", len(loaded.weights)
    return "pass", "load_model(safe_mode=True) gives the same outputs", "", len(loaded.weights)


def train(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    model = block if s.style == "functional" else _in_model(block, s)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    before = [np.array(w) for w in model.trainable_weights]
    rng = np.random.default_rng(1)
    outputs = model(s.x)
    target = (
        [rng.normal(size=tuple(o.shape)).astype("float32") for o in outputs]
        if isinstance(outputs, list | tuple)
        else rng.normal(size=tuple(outputs.shape)).astype("float32")
    )
    history = model.fit(s.x, target, batch_size=len(s.x), epochs=1, verbose=0)
    after = [np.array(w) for w in model.trainable_weights]
    paths = [w.path for w in model.trainable_weights]
    if len(after) != len(before):  # made inside fit(): the optimizer never saw them built
        reason = f"fit() made {len(after) - len(before)} weights the built model did not have"
        return "fail", f"{reason} ({len(before)} before the step)", "", len(after)
    # with plain SGD a weight changes exactly when its gradient is non-zero
    stuck = [p for p, a, b in zip(paths, before, after, strict=True) if np.array_equal(a, b)]
    broken = [p for p, b in zip(paths, after, strict=True) if not np.all(np.isfinite(b))]
    n = len(model.trainable_weights)
    if broken:
        return "fail", f"non-finite after one step: {', '.join(broken[:3])}", "", n
    if stuck:
        return "fail", f"no gradient reached: {', '.join(stuck[:3])}", "", n
    loss = float(history.history["loss"][0])
    return "pass", f"all {n} trainable weights changed, all finite (loss {loss:.3g})", "", n


def jit(s: Subject, rec: Recorder) -> Result:
    block = s.make()
    model = block if s.style == "functional" else _in_model(block, s)
    eager = model(s.x)
    model.compile(jit_compile=True)
    compiled = model.predict(s.x, verbose=0)
    diff = _max_diff(compiled, eager)
    if diff > 1e-4:
        return "fail", f"compiled output differs from eager by {diff:.3g}", "", len(model.weights)
    return "pass", f"XLA-compiled output equals eager (max diff {diff:.1g})", "", len(model.weights)


SCENARIO_FUNCS = {
    "construct": construct,
    "build": build,
    "symbolic": symbolic,
    "calls": calls,
    "other_channels": other_channels,
    "summary": summary,
    "config": config,
    "weights": weights,
    "keras_file": keras_file,
    "train": train,
    "jit": jit,
    **CITIZEN_FUNCS,
}
