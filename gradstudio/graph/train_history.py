"""The training history a learner watches: each step's loss, every weight's value over the
steps, the loss the last step left and that step laid open — what the Training panel plots.

The session keeps it (``Session.history``), so undoing a run takes its steps back with the
weights (``Session.snapshot``/``restore``); the panel only draws it. Recorded block by
block as a run applies them (each step's loss and new weight values), then the loss after
the run's last update.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from .model import GraphModel

if TYPE_CHECKING:
    from .session import TrainRun, TrainStep

__all__ = ["TrainHistory", "HistoryMark", "Prefix", "curves_of", "MAX_ELEMENTS"]

MAX_ELEMENTS = 8  # a vector weight gets one curve per element, up to this many


@dataclass(frozen=True)
class Prefix:
    """The first ``length`` items of a list that only ever grows (appended to, extended;
    whatever would change, cut or clear it makes a new list instead): a copy for undo that
    costs nothing to take, however long the list, and is read back when restored."""

    items: list
    length: int

    @classmethod
    def of(cls, items: list) -> Prefix:
        return cls(items, len(items))

    def copy(self) -> list:
        return self.items[:self.length]


@dataclass(frozen=True)
class HistoryMark:
    """A ``TrainHistory`` as it was (``TrainHistory.mark``; ``TrainHistory.at`` makes it
    again)."""

    losses: Prefix
    loss_now: float | None
    weights: dict[str, Prefix]
    last_step: tuple[TrainStep, float | None, int] | None


@dataclass
class TrainHistory:
    """The recorded steps since the history was last cleared."""

    losses: list[float] = field(default_factory=list)  # each step's loss, before its update
    loss_now: float | None = None  # the loss after the last step's update
    weights: dict[str, list[float]] = field(default_factory=dict)  # curve -> value per step
    # the last step, the loss after it, and its number in the history
    last_step: tuple[TrainStep, float | None, int] | None = None

    def mark(self) -> HistoryMark:
        """The history as it is now, for undo: its lists only grow (``add``; ``clear``
        makes new ones), so their lengths keep it."""
        return HistoryMark(Prefix.of(self.losses), self.loss_now,
                           {k: Prefix.of(v) for k, v in self.weights.items()}, self.last_step)

    @classmethod
    def at(cls, mark: HistoryMark) -> TrainHistory:
        """The history as it was at ``mark``, in lists of its own."""
        return cls(mark.losses.copy(), mark.loss_now,
                   {k: v.copy() for k, v in mark.weights.items()}, mark.last_step)

    def clear(self) -> None:
        """Forget the recorded steps (the weights keep their values); new lists, so a
        ``mark`` taken before keeps what it saw."""
        self.losses = []
        self.loss_now = None
        self.weights = {}
        self.last_step = None

    def add(self, steps: Sequence[TrainStep], model: GraphModel) -> None:
        """Record steps just applied to ``model``: each step's loss and the weights its update
        set (a weight a step left alone keeps its last value, or the model's when it has
        none yet). The loss after them is not known yet (``finish``)."""
        current = _current_weights(model)
        history = self.weights
        labels = {n: model.label(n) for n in model.node_ids()}  # once per block, not per step
        columns = _columns(steps, labels)
        # the curves in the order a step-by-step reading meets them; then one curve at a time
        first = (k for k, column in columns.items() if column[0] is not None)  # step 1's
        keys = dict.fromkeys(chain(history, first, current, columns)) if steps else {}
        missing = [None] * len(steps)
        for key in keys:
            values = history.get(key)
            if values is None:  # a new curve: NaN for the steps before it
                values = history[key] = [math.nan] * len(self.losses)
            column = columns.get(key, missing)
            if None not in column:  # every step set this weight: its values as they are
                values.extend(column)
                continue
            last = values[-1] if values and not math.isnan(values[-1]) else None
            fallback = current.get(key, math.nan)
            for v in column:
                if v is None:
                    v = last if last is not None else fallback
                values.append(v)
                last = None if math.isnan(v) else v
        if steps:
            self.losses.extend(step.loss for step in steps)
            self.loss_now = None
            self.last_step = (steps[-1], None, len(self.losses))

    def finish(self, run: TrainRun) -> None:
        """The run whose steps were added last has ended: the loss its last update left."""
        self.loss_now = run.loss_after
        if self.last_step is not None and run.steps and self.last_step[0] is run.steps[-1]:
            self.last_step = (run.steps[-1], run.loss_after, self.last_step[2])


def curves_of(label: str, value: object) -> dict[str, float]:
    """A weight's curves: one per element of a short vector, else its mean."""
    if isinstance(value, float):  # a scalar weight: every step of a run, so no numpy
        return {label: value}
    values = np.asarray(value, dtype=float).ravel()
    if values.size == 1:
        return {label: float(values[0])}
    if values.size <= MAX_ELEMENTS:
        return {f"{label}[{i}]": float(v) for i, v in enumerate(values)}
    return {f"mean({label})": float(values.mean())}


def _current_weights(model: GraphModel) -> dict[str, float]:
    out: dict[str, float] = {}
    for n in model.nodes():
        if n.spec.trainable:
            out.update(curves_of(n.label, n.params.get("value", math.nan)))
    return out


def _columns(steps: Sequence[TrainStep], labels: dict[str, str]) -> dict[str, list[float | None]]:
    """Each curve's values over the steps (None where a step did not set it), the curves
    in the order a step-by-step reading meets them. A run whose steps all set the same
    scalar weights (Train N's) is read a weight at a time, not a step at a time."""
    updates = [s.updates for s in steps]
    first = updates[0].keys() if updates else {}.keys()
    if all(map(first.__eq__, map(dict.keys, updates))):
        columns = {labels[n]: [u[n] for u in updates] for n in first if n in labels}
        if all(set(map(type, column)) == {float} for column in columns.values()):
            return columns
    rows = []
    for step in steps:
        row: dict[str, float] = {}
        for node_id, value in step.updates.items():
            if node_id in labels:
                row.update(curves_of(labels[node_id], value))
        rows.append(row)
    return {key: [row.get(key) for row in rows] for key in dict.fromkeys(chain(*rows))}
