"""The loss surface of two scalar weights: the loss on a grid as the two vary together
(every other leaf as it is), the gradient at the current point, and the path training took.

Each grid value is one forward of the graph (``Session.value_at`` on private copies of the
leaves, in the graph's dtype), so it is exactly what evaluating the graph with the two
weights set to those values gives. Each axis covers the loss slice's range for its weight
(``loss_slice.slice_range``), so a contour plot shows as much as the two slices would.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gradstudio.engine.gradcheck import flat_storage

from .catalog import GraphError
from .loss_slice import scalar_weight, slice_range
from .session import Session, TrainStep

__all__ = ["LossSurface", "loss_surface", "SURFACE_POINTS", "MIN_POINTS", "path_before_steps",
           "StepTrail"]

SURFACE_POINTS = 41  # grid points along each axis (41 x 41 forwards)
MIN_POINTS = 5  # the coarsest grid a time budget can bring it down to


@dataclass(frozen=True)
class LossSurface:
    """``losses[i, j]`` is the loss at ``a = xs[j]``, ``b = ys[i]`` (NaN where the graph
    has no value); ``point`` is where the weights are, ``loss`` the loss there and ``grad``
    (dL/da, dL/db) what one backward from zero gives them."""

    nodes: tuple[str, str]
    target: str
    xs: np.ndarray
    ys: np.ndarray
    losses: np.ndarray
    point: tuple[float, float]
    loss: float
    grad: tuple[float, float]

    def levels(self, count: int = 12) -> np.ndarray:
        """Contour levels spread over the finite losses, closer together near the lowest
        (quantiles), so a valley shows its shape and not only its steep walls."""
        finite = self.losses[np.isfinite(self.losses)]
        if finite.size == 0:
            return np.array([])
        levels = np.unique(np.quantile(finite, np.linspace(0.02, 0.98, count)))
        return levels


def loss_surface(session: Session, a: str, b: str,
                 spans: tuple[tuple[float, float], tuple[float, float]] | None = None,
                 points: int = SURFACE_POINTS, target: str | None = None,
                 covering: Sequence[tuple[float, float]] = (),
                 budget: float | None = None) -> LossSurface:
    """The loss over ``spans`` (default each weight's slice range, widened to take in the
    points ``covering``: the path training took) as the scalar leaves ``a`` and ``b`` vary.
    Raises GraphError with the reason when there is no surface: the same node twice, a leaf
    that is not one number or does not require grad, or a backward from the loss that
    cannot run. With a ``budget`` (seconds), a graph slow to evaluate gets a coarser grid
    (down to MIN_POINTS a side), so the window does not stall on a big graph."""
    if a == b:
        raise GraphError("select two different weights for the loss surface")
    leaves = session.private_leaves()
    wa, wb = scalar_weight(session.model, leaves, a), scalar_weight(session.model, leaves, b)
    backward = session.evaluator.backward(session.evaluate(leaves), target)
    if not backward.ok:
        raise GraphError(f"{backward.error}\n{backward.reason}")
    target = backward.target
    assert target is not None  # a backward that ran has one
    loss = float(backward.loss.item())
    grad = tuple(0.0 if backward.received.get(n) is None else
                 float(np.asarray(backward.received[n]).item()) for n in (a, b))
    point = (float(wa.item()), float(wb.item()))
    if spans is None:
        spans = tuple(_covering(slice_range(point[k], loss, grad[k]),
                                [p[k] for p in covering]) for k in (0, 1))
    if budget is not None:  # an evaluation timed: as many points as the budget allows
        session.value_at(leaves, target)  # the first may compile the plan: not timed
        each = 1.0
        for _ in range(3):  # the quickest of three: a busy machine's hiccup is not the graph
            start = time.perf_counter()
            session.value_at(leaves, target)
            each = min(each, max(time.perf_counter() - start, 1e-9))
        points = min(points, max(MIN_POINTS, int((budget / each) ** 0.5)))
    fa, fb = flat_storage(wa), flat_storage(wb)  # writes go into the private copies
    xs = np.linspace(*spans[0], points).astype(fa.dtype)
    ys = np.linspace(*spans[1], points).astype(fb.dtype)
    losses = np.empty((points, points))
    for i, y in enumerate(ys):
        fb[0] = y
        for j, x in enumerate(xs):
            fa[0] = x
            value = session.value_at(leaves, target)  # the compiled plan when it compiles
            losses[i, j] = np.nan if value is None else float(value)
    return LossSurface((a, b), target, xs.astype(float), ys.astype(float), losses, point,
                       loss, (grad[0], grad[1]))


def _covering(span: tuple[float, float], values: list[float]) -> tuple[float, float]:
    """``span`` widened to take in ``values`` with a margin of a twentieth of the whole."""
    lo, hi = min(span[0], *values) if values else span[0], \
        max(span[1], *values) if values else span[1]
    if (lo, hi) == span:
        return span
    margin = (hi - lo) / 20
    return min(span[0], lo - margin), max(span[1], hi + margin)


def path_before_steps(steps: Sequence[TrainStep], nodes: Sequence[str],
                      start: Sequence[float]) -> list[tuple[float, ...]]:
    """Where the weights ``nodes`` were before each step, starting from ``start`` (their
    values before the first): a step's ``updates`` are the values the next one starts from.
    A weight a step did not update keeps its value."""
    here = [float(v) for v in start]
    path = []
    for step in steps:
        path.append(tuple(here))
        here = [float(np.asarray(step.updates[n]).item()) if n in step.updates else v
                for n, v in zip(nodes, here, strict=True)]
    return path


class StepTrail:
    """The points a weight (or two) went through, one before each train step, each numbered
    by its step in the session (``len(Session.loss_history)`` after it). An undo or redo
    of a train run restores the session's count: ``follow`` takes off the points of the
    steps taken back and puts back those a redo brings back."""

    def __init__(self) -> None:
        self.points: list[tuple[float, ...]] = []
        self._numbers: list[int] = []
        self._undone: list[tuple[int, tuple[float, ...]]] = []  # taken off, latest first

    def clear(self) -> None:
        self.points.clear()
        self._numbers.clear()
        self._undone.clear()

    def add(self, points: Sequence[tuple[float, ...]], steps_now: int) -> None:
        """The points of steps just run, the last of them step number ``steps_now``."""
        self.points.extend(points)
        self._numbers.extend(range(steps_now - len(points) + 1, steps_now + 1))
        self._undone.clear()  # new steps: what was undone cannot come back

    def follow(self, steps_now: int) -> None:
        """The session holds ``steps_now`` steps again (after an undo or a redo)."""
        while self._numbers and self._numbers[-1] > steps_now:
            self._undone.append((self._numbers.pop(), self.points.pop()))
        while self._undone and self._undone[-1][0] <= steps_now:
            number, point = self._undone.pop()
            self._numbers.append(number)
            self.points.append(point)
