"""The loss slice (graph/loss_slice.py): each point is the graph evaluated with the weight
at that value, the tangent's slope is the weight's .grad, and the range follows its rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gradstudio.graph import GraphError, Session, apply_updates, load
from gradstudio.graph.loss_slice import SLICE_POINTS, loss_slice, slice_range
from gradstudio.resources import example_paths


def _session(name: str) -> Session:
    return Session(load(example_paths()[name]))


def test_every_point_is_the_graph_evaluated_at_that_weight() -> None:
    s = _session("small_network")
    m = s.model
    w, loss = m.find("w"), m.find("loss")
    sl = loss_slice(s, w)
    assert len(sl.xs) == len(sl.losses) == SLICE_POINTS and sl.target == loss
    assert sl.xs[0] < sl.w < sl.xs[-1]
    other = Session(load(example_paths()["small_network"]))  # a fresh graph, set by hand
    for i in range(0, SLICE_POINTS, 19):
        other.model.set_param(w, "value", float(sl.xs[i]))
        assert other.forward().value(loss).item() == sl.losses[i]  # exactly, in float32
    assert m.node(w).params["value"] == 1.0 and s.grad(w) is None  # the session untouched
    # float32: 1 - 1e-8 rounds to 1, so the notebook's clamp lets log(0) through at large w
    assert np.isinf(sl.losses[-1]) and "not finite at" in sl.note()


def test_the_tangent_slope_is_the_weights_grad() -> None:
    s = _session("small_network")
    w = s.model.find("w")
    sl = loss_slice(s, w)
    s.zero_grad()
    s.backward()
    assert sl.slope == s.grad(w).item()
    assert sl.loss == s.last_backward.loss.item() and sl.w == 1.0
    assert sl.tangent(sl.w) == sl.loss
    assert sl.tangent(sl.w + 0.5) == pytest.approx(sl.loss + 0.5 * sl.slope)
    # near the weight the tangent and the curve meet: the slope is the derivative
    i = int(np.argmin(abs(sl.xs - sl.w)))
    d = (sl.losses[i + 1] - sl.losses[i - 1]) / (sl.xs[i + 1] - sl.xs[i - 1])
    assert d == pytest.approx(sl.slope, rel=2e-2)


def test_after_a_train_step_the_point_is_lower_on_the_same_curve() -> None:
    s = _session("small_network")
    w = s.model.find("w")
    before = loss_slice(s, w)
    step = s.train_step(0.1)
    apply_updates(s.model, step.updates)
    after = loss_slice(s, w, span=(before.xs[0], before.xs[-1]))
    assert after.w < before.w  # against the gradient (it is positive)
    assert after.w == pytest.approx(before.w - 0.1 * before.slope, rel=1e-6)
    assert after.loss < before.loss
    # b moved as well, so the curve itself changed: the point lies on the new one
    assert after.losses.tolist() != before.losses.tolist()


def test_the_range_rule() -> None:
    assert slice_range(1.0, 1.0, 2.0) == (0.0, 2.0)  # twice |L/g| = 0.5 each side
    assert slice_range(1.0, 6.7, 6.69) == (-1.0, 3.0)  # the notebook's w: 2|L/g| > 2 s
    assert slice_range(1.0, 1.0, 100.0) == pytest.approx((0.8, 1.2))  # steep: s / 5
    assert slice_range(4.0, 1.0, 0.01) == (-4.0, 12.0)  # flat: 2 s, s = max(|w|, 1)
    assert slice_range(0.0, 2.0, 0.0) == (-2.0, 2.0)  # no gradient: 2 s
    assert slice_range(0.5, math.inf, 1.0) == (-1.5, 2.5)


def test_no_slice_for_a_vector_a_frozen_leaf_or_a_refused_backward() -> None:
    s = _session("vector_mean")
    with pytest.raises(GraphError, match="x holds 3 values"):
        loss_slice(s, s.model.find("x"))
    s = _session("small_network")
    with pytest.raises(GraphError, match="x does not require grad"):
        loss_slice(s, s.model.find("x"))
    with pytest.raises(GraphError, match="is not a leaf"):
        loss_slice(s, s.model.find("loss"))
    s = _session("detach")
    with pytest.raises(GraphError, match="detached"):
        loss_slice(s, s.model.find("x"))
