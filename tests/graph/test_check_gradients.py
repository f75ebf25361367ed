"""Check Gradients (graph/gradcheck.py): backward against central finite differences, per
leaf and element, in float64 on private copies; a planted wrong derivative shows."""

from __future__ import annotations

import numpy as np
import pytest

from gradstudio.engine import ops
from gradstudio.engine.gradcheck import central_difference, relative_error
from gradstudio.graph import GraphModel, Session, load
from gradstudio.graph.gradcheck import (
    EPS,
    MAX_CHECKED_ELEMENTS,
    NOISE_MARGIN,
    TOLERANCE,
    check_gradients,
)
from gradstudio.resources import example_paths

# PyTorch 2.13 in float64 on the small network (tests/graph/test_session.py)
W_GRAD64, B_GRAD64 = 6.691763029237442, 0.9987706013787226


def _session(name: str) -> Session:
    return Session(load(example_paths()[name]))


def test_small_network_gradients_agree_with_finite_differences() -> None:
    s = _session("small_network")
    check = check_gradients(s)
    assert check.ran and check.ok and not check.cancelled
    by_label = {leaf.label: leaf for leaf in check.leaves}
    assert sorted(by_label) == ["b", "w"]  # x and y do not require grad: not checked
    w, b = by_label["w"].elements[0], by_label["b"].elements[0]
    # analytic in float64, as PyTorch gives it for the float64 graph
    assert w.analytic == pytest.approx(W_GRAD64, rel=1e-7)
    assert b.analytic == pytest.approx(B_GRAD64, rel=1e-7)
    assert w.numeric == pytest.approx(W_GRAD64, rel=1e-6)
    assert w.error < TOLERANCE and b.error < TOLERANCE
    assert w.error == pytest.approx(abs(w.analytic - w.numeric) / abs(w.analytic))
    assert "all 2 gradients agree" in check.summary()


def test_the_check_leaves_the_session_as_it_was() -> None:
    s = _session("accumulation")
    x = s.model.find("x")
    s.backward()
    before = s.ledger.lines()
    check = check_gradients(s)
    assert check.ok and check.leaves[0].elements[0].analytic == 4.0
    assert s.grad(x).item() == 4.0  # not 8: the check's backward ran on copies
    assert s.leaf(x).dtype.name == "float32" and s.leaf(x).item() == 2.0
    assert s.ledger.lines() == before


def test_a_planted_wrong_derivative_shows_red(monkeypatch: pytest.MonkeyPatch) -> None:
    right = ops.SIGMOID.backward
    monkeypatch.setattr(ops.SIGMOID, "backward",
                        lambda o, g, needs: tuple(2 * x for x in right(o, g, needs)))
    check = check_gradients(_session("small_network"))
    assert check.ran and not check.ok
    assert sorted(leaf.label for leaf in check.failing) == ["b", "w"]
    w = next(leaf for leaf in check.leaves if leaf.label == "w").elements[0]
    assert w.analytic == pytest.approx(2 * W_GRAD64, rel=1e-7)  # what the broken op says
    assert w.numeric == pytest.approx(W_GRAD64, rel=1e-6)  # what the loss really does
    assert w.error == pytest.approx(0.5, rel=1e-5) and not w.ok
    assert check.summary().startswith("backward disagrees with finite differences at b, w")


def test_only_the_leaves_upstream_of_a_wrong_op_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    m = GraphModel()
    a = m.add_node("weight", label="a", params={"value": 0.5})
    c = m.add_node("weight", label="c", params={"value": 2.0})
    sin = m.add_node("sin", label="s")
    add = m.add_node("add", label="loss")
    m.connect(a, sin, "x")
    m.connect(sin, add, "a")
    m.connect(c, add, "b")
    monkeypatch.setattr(ops.SIN, "backward", lambda a, g, n: (g * np.sin(a),))  # not cos
    check = check_gradients(Session(m))
    assert [leaf.label for leaf in check.failing] == ["a"]
    assert [leaf.ok for leaf in check.leaves] == [False, True]


def test_every_element_of_a_vector_leaf_up_to_the_limit() -> None:
    m = GraphModel()
    n = MAX_CHECKED_ELEMENTS + 6
    v = m.add_node("weight", label="v", params={"value": [float(i) / n for i in range(n)]})
    sq = m.add_node("square", label="sq")
    mean = m.add_node("mean", label="loss")
    m.connect(v, sq, "x")
    m.connect(sq, mean, "x")
    seen: list[tuple[int, int]] = []
    check = check_gradients(Session(m), progress=lambda done, total: seen.append((done, total)))
    (leaf,) = check.leaves
    assert leaf.capped and len(leaf.elements) == MAX_CHECKED_ELEMENTS
    assert [e.index for e in leaf.elements] == list(range(MAX_CHECKED_ELEMENTS))
    value = np.arange(n, dtype=np.float32).astype(np.float64) / n
    expected = 2 * np.float32(value).astype(np.float64) / n  # d mean(v²) / dv_i
    assert [e.analytic for e in leaf.elements] == pytest.approx(
        expected[:MAX_CHECKED_ELEMENTS], rel=1e-12)
    assert check.ok and seen[-1] == (MAX_CHECKED_ELEMENTS, MAX_CHECKED_ELEMENTS)
    assert len(seen) == MAX_CHECKED_ELEMENTS
    assert f"only the first {MAX_CHECKED_ELEMENTS} elements checked" in check.summary()
    assert leaf.name(leaf.elements[3]) == "v[3]"


def test_a_check_can_be_stopped_between_elements() -> None:
    s = _session("vector_mean")
    calls = []
    check = check_gradients(s, should_stop=lambda: len(calls) >= 2,
                            progress=lambda done, total: calls.append(done))
    assert check.cancelled and not check.ok and check.done == 2 and check.total == 3
    assert check.summary() == "Check Gradients cancelled after 2 of 3 elements"


def test_a_refused_backward_is_the_checks_reason() -> None:
    check = check_gradients(_session("detach"))
    assert not check.ran and check.leaves == []
    assert "does not require grad" in check.error
    assert check.reason == "the only path from x passes through z, which is detached"


def test_a_leaf_the_loss_does_not_use_has_zero_on_both_sides() -> None:
    m = GraphModel()
    x = m.add_node("weight", label="x", params={"value": 3.0})
    m.add_node("weight", label="unused", params={"value": 1.0})
    sq = m.add_node("square", label="loss")
    m.connect(x, sq, "x")
    m.set_loss(sq)
    check = check_gradients(Session(m))
    unused = next(leaf for leaf in check.leaves if leaf.label == "unused").elements[0]
    assert (unused.analytic, unused.numeric, unused.error) == (0.0, 0.0, 0.0)
    assert check.ok


def test_the_engine_difference_formula_and_relative_error() -> None:
    x = np.array([1.0, 2.0])
    d = central_difference(lambda: x ** 3, x, 1, EPS)
    assert d == pytest.approx([0.0, 12.0], abs=1e-6)
    assert x.tolist() == [1.0, 2.0]  # restored
    assert relative_error(2.0, 1.0) == 0.5
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, -1.0) == 2.0


def test_rounding_noise_of_a_large_loss_is_not_a_wrong_derivative() -> None:
    """loss = 1000 + tanh(8 w) at w = 1: the true gradient is 8 sech²(8), about 3.6e-6; the
    difference quotient carries rounding noise of about 1e-16 * 1000 / EPS. Against the
    rounding-noise floor the two agree; relative to the gradient itself they would not."""
    m = GraphModel()
    w = m.add_node("weight", label="w", params={"value": 1.0})
    c = m.add_node("constant", label="c", params={"value": 8.0})
    big = m.add_node("constant", label="big", params={"value": 1000.0})
    mul = m.add_node("mul", label="wc")
    th = m.add_node("tanh", label="t")
    add = m.add_node("add", label="loss")
    m.connect(w, mul, "a")
    m.connect(c, mul, "b")
    m.connect(mul, th, "x")
    m.connect(th, add, "a")
    m.connect(big, add, "b")
    check = check_gradients(Session(m))
    e = check.leaves[0].elements[0]
    assert e.analytic == pytest.approx(8 / np.cosh(8.0) ** 2, rel=1e-6)
    assert relative_error(e.analytic, e.numeric) > TOLERANCE  # relative to itself: noise
    # the floor: u * sum |v| |dL/dv| / EPS over loss, t, wc = 8w and w, times the margin
    local = 8 / np.cosh(8.0) ** 2
    total = (1000 + np.tanh(8.0)) + np.tanh(8.0) + 8 * local / 8 + local
    floor = NOISE_MARGIN * np.finfo(np.float64).eps * total / EPS
    assert check.floor == pytest.approx(floor, rel=1e-9)
    assert e.error == pytest.approx(abs(e.analytic - e.numeric) / floor, rel=1e-9)
    assert e.ok and check.ok


def test_one_gradient_is_summarised_in_the_singular() -> None:
    check = check_gradients(_session("square"))
    assert check.ok
    assert check.summary().startswith("the gradient agrees with finite differences")
