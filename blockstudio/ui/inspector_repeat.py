"""The inspector's rows for a repeated node (MONAI's ModuleList): its count, an expression over
the block's parameters edited in place, and how it repeats (shown, not edited)."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit

from blockstudio.core import commands as c
from blockstudio.core.document import Node
from blockstudio.core.params import resolve
from blockstudio.core.refs import Expr, ParamRef
from blockstudio.core.repeat import RepeatError, instance_value, repeat_count
from blockstudio.core.validate import block_env

COUNT_TIP = (
    "How many instances: an expression over the block's parameters, as MONAI's "
    "range(...) (len(strides) - 2: one per level between the first and the bottleneck)"
)
BAD = "border: 1px solid #d93025;"


class RepeatRows:
    """A mixin of the Inspector (``self.model``, ``self.editors``, ``self._say``)."""

    def _repeat_rows(self, form: QFormLayout, node: Node) -> None:
        count = QLineEdit(node.repeat.count)
        count.setToolTip(COUNT_TIP)
        count.textEdited.connect(lambda t: self._check_count(count, node.id, t))
        count.editingFinished.connect(lambda: self._set_count(count, node.id))
        self.editors["repeat_count"] = count
        form.addRow("Repeat count", count)
        made = instances(node, self.model)
        said = f"{made} instance{'' if made == 1 else 's'} now; {repeat_text(node.repeat)}"
        form.addRow("Repeated", QLabel(said, wordWrap=True))

    def _check_count(self, line: QLineEdit, node_id: str, text: str) -> int | None:
        """The instances ``text`` makes with the block's values, or None (said in place)."""
        node = self.model.doc.nodes.get(node_id)
        if node is None or node.repeat is None:
            return None
        trial = node.with_changes(repeat=dataclasses.replace(node.repeat, count=text.strip()))
        try:
            if not text.strip():
                raise RepeatError(node_id, f"{node.name}: a repeat count is needed.", "repeat")
            made = repeat_count(trial, _env(self.model))
        except RepeatError as exc:
            line.setStyleSheet(BAD)
            self._say(exc.message)
            return None
        line.setStyleSheet("")
        self._say("")
        return made

    def _set_count(self, line: QLineEdit, node_id: str) -> None:
        node = self.model.doc.nodes.get(node_id)
        text = line.text().strip()
        if node is None or node.repeat is None or text == node.repeat.count:
            return
        if self._check_count(line, node_id, text) is not None:
            repeat = dataclasses.replace(node.repeat, count=text)
            self.model.push(c.SetNodeField(self.model.doc, node_id, "repeat", repeat))


def repeat_text(rep) -> str:
    """How a node repeats, besides its count, as the inspector says it."""
    parts = [f"index {rep.index}", "chained" if rep.chain else "not chained"]
    if rep.collect:
        parts.append(f"outputs kept in {rep.collect}")
    if rep.skip is not None:
        order = "deepest first" if rep.skip.reverse else "in order"
        later = f", skipping {rep.skip.offset}" if rep.skip.offset else ""
        parts.append(f"input {rep.skip.port} reads a collected list {order}{later}")
    return "; ".join(parts)


def instances(node: Node, model) -> int:
    """How many instances a repeated node makes with the values the block has now."""
    try:
        return repeat_count(node, _env(model))
    except RepeatError:
        return 0


def _env(model) -> dict:
    """The block's values: its defaults, or in an opened instance that instance's values."""
    context = model.context
    return block_env(model.doc, context[1] if context else None)


def per_instance(node: Node, key: str, value: Any, model) -> tuple[Any, ...] | None:
    """What each instance of repeated ``node`` takes for ``value`` when it depends on the
    instance (``strides[i + 1]``, a computed value), else None (the same for all)."""
    per = isinstance(value, Expr) or (isinstance(value, ParamRef) and isinstance(value.index, str))
    if node.repeat is None or not per:
        return None
    env = _env(model)
    try:
        return tuple(
            resolve(instance_value(node, key, value, {**env, node.repeat.index: i}), env)
            for i in range(repeat_count(node, env))
        )
    except (RepeatError, KeyError, IndexError, TypeError):
        return None
