"""The chain rule at each node: incoming x local = sent, and what reaches a leaf is its grad."""

from __future__ import annotations

import numpy as np
import pytest

from gradstudio.graph import GraphModel, Session, load
from gradstudio.graph.chain_rule import chain_rule_at
from gradstudio.resources import example_paths

W_GRAD, B_GRAD = 6.6917619705200195, 0.9987704753875732  # the reference


def _flows_into_leaves(s: Session) -> dict[str, np.ndarray]:
    """Add up, over every op node, what its chain-rule step sent to each leaf."""
    m = s.model
    total: dict[str, np.ndarray] = {}
    for n in m.node_ids():
        if m.node(n).spec.is_leaf:
            continue
        wired = m.inputs_of(n)
        for flow in chain_rule_at(s, n).flows:
            src = wired[flow.port]
            if m.node(src).spec.is_leaf and flow.sent is not None:
                total[flow.source] = total.get(flow.source, 0) + flow.sent
    return total


def test_small_network_each_node_sends_incoming_times_local() -> None:
    m = load(example_paths()["small_network"])
    s = Session(m)
    assert s.backward().ok
    checked = 0
    for n in m.node_ids():
        step = chain_rule_at(s, n)
        if m.node(n).spec.is_leaf:
            assert step.note and "leaf" in step.note
            continue
        assert step.incoming is not None, step.label
        for flow in step.flows:
            if flow.sent is None:
                continue
            np.testing.assert_allclose(flow.sent, step.incoming * flow.local, rtol=1e-6)
            checked += 1
    assert checked == 5  # wx.a, z.a, z.b, y_pred.x, loss.prediction
    flows = _flows_into_leaves(s)
    assert set(flows) == {"w", "b"}
    assert flows["w"] == pytest.approx(W_GRAD, rel=1e-6)
    assert flows["b"] == pytest.approx(B_GRAD, rel=1e-6)
    assert flows["w"] == pytest.approx(s.grad(m.find("w")).item(), rel=1e-6)
    assert flows["b"] == pytest.approx(s.grad(m.find("b")).item(), rel=1e-6)


def test_small_network_local_derivatives() -> None:
    m = load(example_paths()["small_network"])
    s = Session(m)
    s.backward()
    wx = chain_rule_at(s, m.find("wx"))
    local = {f.port: f.local.item() for f in wx.flows}
    assert local["a"] == pytest.approx(6.7, rel=1e-6)  # d(w*x)/dw = x
    assert local["b"] == pytest.approx(1.0)  # d(w*x)/dx = w
    z = chain_rule_at(s, m.find("z"))
    assert [f.local.item() for f in z.flows] == [1.0, 1.0]
    assert z.incoming == pytest.approx(B_GRAD, rel=1e-6)  # dL/dz = dL/db


def test_inputs_that_do_not_require_grad_say_why_nothing_was_sent() -> None:
    m = load(example_paths()["small_network"])
    s = Session(m)
    s.backward()
    wx = {f.port: f for f in chain_rule_at(s, m.find("wx")).flows}
    assert wx["b"].source == "x" and wx["b"].sent is None
    assert wx["b"].why_none == "x does not require grad: requires_grad is off"
    loss = {f.port: f for f in chain_rule_at(s, m.find("loss")).flows}
    assert loss["target"].sent is None and "y does not require grad" in loss["target"].why_none


def test_mul_of_x_with_itself_has_a_flow_per_port() -> None:
    m = GraphModel()
    x = m.add_node("input", label="x", params={"value": 3.0}, flags={"requires_grad": True})
    p = m.add_node("mul", label="p")
    m.connect(x, p, "a")
    m.connect(x, p, "b")
    s = Session(m)
    assert s.backward().ok
    step = chain_rule_at(s, p)
    assert [(f.port, f.source, f.local.item(), f.sent.item()) for f in step.flows] == [
        ("a", "x", 3.0, 3.0), ("b", "x", 3.0, 3.0)]
    assert _flows_into_leaves(s)["x"] == s.grad(x).item() == 6.0
    assert step.lines("p") == ["∂p/∂p = 1", "∂p/∂a = 3;  1 × 3 = 3 → x",
                               "∂p/∂b = 3;  1 × 3 = 3 → x"]


def test_detached_input_says_why_nothing_was_sent() -> None:
    """y = x * z with z = x.detach(): x gets only the open path's gradient."""
    m = GraphModel()
    x = m.add_node("input", label="x", params={"value": 3.0}, flags={"requires_grad": True})
    z = m.add_node("identity", label="z", flags={"detach": True})
    y = m.add_node("mul", label="y")
    m.connect(x, z, "x")
    m.connect(x, y, "a")
    m.connect(z, y, "b")
    s = Session(m)
    assert s.backward().ok
    flows = {f.port: f for f in chain_rule_at(s, y).flows}
    assert flows["a"].sent.item() == 3.0
    assert flows["b"].sent is None and "z is detached" in flows["b"].why_none
    inside = chain_rule_at(s, z)
    assert inside.incoming is None
    assert inside.flows[0].sent is None and inside.flows[0].why_none == "z is detached"
    assert _flows_into_leaves(s)["x"] == s.grad(x).item() == 3.0


def test_before_any_backward() -> None:
    m = load(example_paths()["square"])
    s = Session(m)
    assert chain_rule_at(s, m.find("y")).note == "y: run forward first"
    s.forward()
    flow = chain_rule_at(s, m.find("y")).flows[0]
    assert flow.sent is None and flow.why_none == "no backward has run yet"
    assert flow.local.item() == 6.0  # d(x**2)/dx at 3


def test_the_wording_is_headless() -> None:
    from gradstudio.graph.chain_rule import (
        formula_with_labels,
        gradients_are_stale,
        leaf_facts,
        loss_label,
        target_text,
    )

    m = load(example_paths()["small_network"])
    s = Session(m)
    s.forward()
    assert target_text(s) == "no backward has run yet" and loss_label(s) == "loss"
    w = leaf_facts(s, m.find("w"))
    assert w.intro.startswith("w is a leaf") and w.value == "value: 1"
    assert w.grad == "w.grad is None: no backward has reached it yet." and not w.has_grad
    x = leaf_facts(s, m.find("x"))
    assert x.grad == "x does not require grad: requires_grad is off, so no gradient is " \
                     "recorded for it."
    s.backward()
    assert target_text(s) == "last backward from loss" and not gradients_are_stale(s)
    assert leaf_facts(s, m.find("w")).grad == "w.grad holds 6.6918"
    step = chain_rule_at(s, m.find("wx"))
    into_w = next(f for f in step.flows if f.source == "w")
    into_x = next(f for f in step.flows if f.source == "x")
    assert step.product(into_w) == "0.9988 × 6.7000 = 6.6918"
    assert into_x.nothing_sent == "nothing sent to x: x does not require grad: requires_grad " \
                                  "is off"
    assert formula_with_labels("a · b", {"a": "w", "b": "x"}) == "w · x"
    s.forward()
    assert gradients_are_stale(s)
