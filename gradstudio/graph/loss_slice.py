"""The loss slice: the loss as one scalar weight alone varies, and its tangent at the weight.

Every other leaf keeps its value; each point is one forward of the graph (the session's
``evaluate`` on private copies of the leaves, in the graph's dtype), so a point's loss is
exactly what evaluating the graph with the weight set to that value gives. The tangent's
slope is the gradient a backward from zero gives the weight at its current value: its
``.grad`` after Zero Grad and Backward.

The range (``slice_range``) is centred on the weight. Its half-width comes from two
scales: the weight's own, ``s = max(|w|, 1)``, and the gradient's, ``|L / L'|`` — how far
the tangent goes before it predicts a loss of zero, where the straight line stops telling
much. The half-width is twice the gradient's scale (so the bend beyond that point shows),
clipped to between ``s / 5`` and ``2 s``; the weight's scale alone (``2 s``) when the
gradient is zero or the loss is not finite. So a steep loss is shown close up and a flat
one over the weight's size, and a train step of a moderate learning rate stays in view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import gradstudio.engine as ge
from gradstudio.engine.gradcheck import flat_storage

from .catalog import GraphError
from .model import GraphModel
from .session import Session

__all__ = ["LossSlice", "loss_slice", "slice_range", "scalar_weight", "SLICE_POINTS"]

SLICE_POINTS = 200  # points along the slice


@dataclass(frozen=True)
class LossSlice:
    """The loss at ``xs`` (NaN where the graph has no value there), the weight's value
    ``w``, the loss there and the tangent's slope (the weight's gradient)."""

    node: str
    target: str
    xs: np.ndarray
    losses: np.ndarray
    w: float
    loss: float
    slope: float

    def note(self) -> str:
        """Words for points where the loss has no finite value (a plot leaves them out)."""
        bad = int(np.count_nonzero(~np.isfinite(self.losses)))
        if not bad:
            return ""
        return f"the loss is not finite at {bad} of the {len(self.xs)} points (not drawn)"

    def tangent(self, x: np.ndarray | float) -> np.ndarray:
        """The tangent line at the weight: loss + slope * (x - w)."""
        return self.loss + self.slope * (np.asarray(x, dtype=float) - self.w)


def slice_range(w: float, loss: float, grad: float) -> tuple[float, float]:
    """The interval the slice covers, centred on ``w`` (the rule is in the module's doc)."""
    scale = max(abs(w), 1.0)
    half = 2 * scale
    if grad != 0 and math.isfinite(loss) and math.isfinite(grad):
        half = min(max(2 * abs(loss / grad), scale / 5), 2 * scale)
    return w - half, w + half


def scalar_weight(model: GraphModel, leaves: dict[str, ge.Tensor], node: str) -> ge.Tensor:
    """The private copy of ``node`` if a slice can vary it; GraphError says why not."""
    label = model.label(node)
    if node not in leaves:
        raise GraphError(f"{label} is not a leaf: the slice varies an input or a weight")
    weight = leaves[node]
    if weight.numel() != 1:
        raise GraphError(f"{label} holds {weight.numel()} values: the slice varies one number, "
                         "so pick a scalar weight")
    if not weight.requires_grad:
        raise GraphError(f"{label} does not require grad: it has no gradient for a tangent")
    return weight


def loss_slice(session: Session, node: str, span: tuple[float, float] | None = None,
               points: int = SLICE_POINTS, target: str | None = None) -> LossSlice:
    """The loss over ``span`` (default ``slice_range``) as the scalar leaf ``node`` varies.
    Raises GraphError with the reason when there is no slice: the leaf is not one number or
    does not require grad, or backward from the loss cannot run."""
    leaves = session.private_leaves()
    weight = scalar_weight(session.model, leaves, node)
    backward = session.evaluator.backward(session.evaluate(leaves), target)
    if not backward.ok:
        raise GraphError(f"{backward.error}\n{backward.reason}")
    target = backward.target
    assert target is not None  # a backward that ran has one
    w = float(weight.item())
    loss = float(backward.loss.item())
    received = backward.received.get(node)
    slope = 0.0 if received is None else float(np.asarray(received).item())
    lo, hi = slice_range(w, loss, slope) if span is None else span
    flat = flat_storage(weight)  # writes go into the private copy
    xs = np.linspace(lo, hi, points).astype(flat.dtype)  # the values the weight can hold
    losses = np.empty(points)
    for i, x in enumerate(xs):
        flat[0] = x
        value = session.value_at(leaves, target)  # the compiled plan when the graph compiles
        losses[i] = np.nan if value is None else float(value)
    return LossSlice(node, target, xs.astype(float), losses, w, loss, slope)
