"""The loss surface of two weights (graph/loss_surface.py): each grid value is the graph
evaluated with the two weights set to it, the gradient is backward's, and the path a run
took is read from its steps."""

from __future__ import annotations

import numpy as np
import pytest

from gradstudio.graph import GraphError, Session, apply_updates, load
from gradstudio.graph.loss_slice import loss_slice
from gradstudio.graph.loss_surface import (
    SURFACE_POINTS,
    StepTrail,
    loss_surface,
    path_before_steps,
)
from gradstudio.resources import example_paths


def _session(name: str) -> Session:
    return Session(load(example_paths()[name]))


def test_every_grid_value_is_the_graph_evaluated_there() -> None:
    s = _session("small_network")
    m = s.model
    w, b, loss = m.find("w"), m.find("b"), m.find("loss")
    surface = loss_surface(s, w, b)
    assert surface.losses.shape == (SURFACE_POINTS, SURFACE_POINTS)
    assert surface.target == loss and surface.point == (1.0, 0.0)
    other = _session("small_network")  # a fresh graph with the two weights set by hand
    for i, j in [(0, 0), (7, 33), (20, 20), (40, 3), (13, 40)]:
        other.model.set_param(w, "value", float(surface.xs[j]))
        other.model.set_param(b, "value", float(surface.ys[i]))
        expected = other.forward().value(loss).item()
        got = surface.losses[i, j]
        assert got == expected or (np.isinf(got) and np.isinf(expected)), (i, j)
    # the row through b = 0 is the slice of w over the same range, point for point
    row = int(np.argmin(abs(surface.ys)))
    assert surface.ys[row] == 0.0
    sl = loss_slice(s, w, span=(surface.xs[0], surface.xs[-1]), points=SURFACE_POINTS)
    np.testing.assert_array_equal(surface.losses[row], sl.losses)
    assert m.node(w).params["value"] == 1.0 and s.grad(w) is None  # the session untouched


def test_the_gradient_is_backwards_and_points_uphill() -> None:
    s = _session("small_network")
    m = s.model
    w, b = m.find("w"), m.find("b")
    surface = loss_surface(s, w, b)
    s.backward()
    assert surface.grad == (s.grad(w).item(), s.grad(b).item())
    assert surface.loss == s.last_backward.loss.item()
    # a small step against the gradient lowers the loss
    lr = 0.01
    step = s.train_step(lr)
    assert step.updates[w] == pytest.approx(1.0 - lr * surface.grad[0], rel=1e-6)
    apply_updates(m, step.updates)
    assert s.forward().value(m.find("loss")).item() < surface.loss


def test_spans_and_levels() -> None:
    s = _session("small_network")
    w, b = s.model.find("w"), s.model.find("b")
    surface = loss_surface(s, w, b, spans=((-1.0, 1.0), (-0.5, 0.5)), points=5)
    assert surface.xs.tolist() == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert surface.ys.tolist() == [-0.5, -0.25, 0.0, 0.25, 0.5]
    levels = surface.levels(6)
    finite = surface.losses[np.isfinite(surface.losses)]
    assert 0 < len(levels) <= 6 and np.all(np.diff(levels) > 0)
    assert finite.min() <= levels[0] and levels[-1] <= finite.max()


def test_what_has_no_surface_says_why() -> None:
    s = _session("small_network")
    m = s.model
    w, x = m.find("w"), m.find("x")
    with pytest.raises(GraphError, match="two different weights"):
        loss_surface(s, w, w)
    with pytest.raises(GraphError, match="x does not require grad"):
        loss_surface(s, w, x)
    v = _session("vector_mean")
    with pytest.raises(GraphError, match="holds 3 values"):
        loss_surface(v, v.model.find("x"), v.model.find("x_sq"))


def test_the_path_before_each_step_of_a_run() -> None:
    s = _session("small_network")
    m = s.model
    w, b = m.find("w"), m.find("b")
    run = s.train_run(5, 0.1)  # Train N's way: the compiled plan, steps in one block
    path = path_before_steps(run.steps, [w, b], (1.0, 0.0))
    assert len(path) == 5 and path[0] == (1.0, 0.0)
    for before, step in zip(path[1:], run.steps, strict=False):
        assert before == (float(step.updates[w]), float(step.updates[b]))
    assert path[1][0] == pytest.approx(1.0 - 0.1 * 6.6917619705, rel=1e-6)
    one = path_before_steps(run.steps[:1], [w, m.find("x")], (1.0, 6.7))
    assert one == [(1.0, 6.7)]  # a leaf no step updates keeps its value


def test_a_time_budget_makes_the_grid_coarser_never_below_the_minimum() -> None:
    from gradstudio.graph.loss_surface import MIN_POINTS

    s = _session("small_network")
    w, b = s.model.find("w"), s.model.find("b")
    coarse = loss_surface(s, w, b, budget=0.0)  # no time at all: the coarsest grid
    assert coarse.losses.shape == (MIN_POINTS, MIN_POINTS)
    fine = loss_surface(s, w, b, budget=60.0)  # plenty: the full grid
    assert fine.losses.shape == (SURFACE_POINTS, SURFACE_POINTS)
    assert (coarse.xs[0], coarse.xs[-1]) == (fine.xs[0], fine.xs[-1])  # the same range


def test_a_step_trail_follows_undo_and_redo_of_the_steps() -> None:
    trail = StepTrail()
    trail.add([(1.0, 6.7)], 1)  # step 1
    trail.add([(0.3, 2.2), (-0.2, 0.1)], 3)  # steps 2 and 3, one run
    trail.follow(1)  # the run undone
    assert trail.points == [(1.0, 6.7)]
    trail.follow(3)  # redone
    assert trail.points == [(1.0, 6.7), (0.3, 2.2), (-0.2, 0.1)]
    trail.follow(0)
    assert trail.points == []
    trail.follow(1)
    assert trail.points == [(1.0, 6.7)]
    trail.add([(5.0, 9.0)], 2)  # a new step after the undo: the old ones cannot come back
    trail.follow(3)
    assert trail.points == [(1.0, 6.7), (5.0, 9.0)]
