"""The training step laid open, in words and numbers: the order a step runs in, and what
it did to each weight (w, w.grad, Δw = -lr * w.grad, w') and to the loss, read from the
session's ``TrainStep`` records. The Training panel, the cards and the toolbar's tooltip
show these texts; nothing here recomputes the step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .ledger import format_number
from .model import GraphModel
from .session import TrainStep, WeightStep

__all__ = ["STEP_ORDER", "STEP_ORDER_NOTE", "StepRow", "step_rows", "card_lines", "card_tooltip",
           "loss_line",
           "number"]

# What one train step does, in the order the session does it (Session.train_step).
STEP_ORDER = "zero grad → forward → backward → update w ← w − lr·w.grad"
STEP_ORDER_NOTE = ("then the gradients are zeroed again, so a card shows grad 0 after a step; "
                   "the w.grad the step used is in the Training panel's table")


def number(value: object) -> str:
    """A recorded number (or nested list) as the panels show one."""
    return format_number(np.asarray(value, dtype=float))


@dataclass(frozen=True)
class StepRow:
    """One weight's row of the laid-open table, as text."""

    weight: str
    value: str  # w
    grad: str  # w.grad
    delta: str  # Δw = -lr * w.grad
    new: str  # w'


def step_rows(model: GraphModel, step: TrainStep) -> list[StepRow]:
    """The step's weights in name order (a weight deleted since is left out)."""
    rows = [StepRow(model.label(n), number(ws.value), number(ws.grad), number(ws.delta),
                    number(ws.new))
            for n, ws in step.weights.items() if n in model]
    return sorted(rows, key=lambda r: r.weight)


def card_lines(label: str, ws: WeightStep, lr: float | None) -> list[str]:
    """A weight card's three compact lines, in place of its value line: ``w → w′`` (so the
    value now is there), ``Δw = −lr·w.grad`` with the step's numbers, and Δw's value; in
    the weight's own name (``b -0.0999 → -0.1891`` on b's card)."""
    rate = "lr" if lr is None else f"{lr:g}"
    grad = number(ws.grad)
    grad = f"({grad})" if grad.startswith("-") else grad
    return [f"{label} {number(ws.value)} → {number(ws.new)}", f"Δ{label} = −{rate}·{grad}",
            f"{' ' * (len(label) + 4)}= {number(ws.delta)}"]


def card_tooltip(label: str, ws: WeightStep, lr: float | None) -> str:
    """The same step in full words, for the card's tooltip."""
    rate = "lr" if lr is None else f"{lr:g}"
    return (f"Last train step: {label}′ = {label} − lr·{label}.grad = {number(ws.value)} − "
            f"{rate}·{number(ws.grad)} = {number(ws.new)}; Δ{label} = −lr·{label}.grad = "
            f"{number(ws.delta)}. {label}.grad was zeroed after the update.")


def loss_line(before: float, after: float | None) -> str:
    """The loss before → after the step (after: None when it has no value any more)."""
    then = "?" if after is None else number(after)
    return f"loss {number(before)} → {then}"
