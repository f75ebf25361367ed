"""The step-through: the maths on every kind, and the sequence of forward and backward steps
with the words and numbers a teacher reads out (the canvas draws the same steps)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from trace_graphs import all_graphs, bce_vector, broadcast, fan_out, self_mul

import gradstudio.engine as ge
from gradstudio.graph import KINDS, GraphModel, Session, load
from gradstudio.graph.maths import (
    fill,
    format_value,
    local_derivative,
    symbolic_lines,
    values_for,
)
from gradstudio.graph.session import apply_updates
from gradstudio.graph.trace import (
    BACKWARD,
    FORWARD,
    LEAF,
    REFUSED,
    SKIPPED,
    build_trace,
    node_formulas,
)
from gradstudio.resources import example_paths

EXAMPLES = example_paths()
GRAPHS = all_graphs()
OPS = [k for k in KINDS.values() if not k.is_leaf]


# --- the maths on every kind ------------------------------------------------------------------

@pytest.mark.parametrize("spec", list(KINDS.values()), ids=list(KINDS))
def test_every_kind_has_its_formula_and_a_derivative_per_input(spec) -> None:
    assert [d.port for d in spec.maths.derivatives] == list(spec.inputs)
    lines = symbolic_lines(spec.maths, spec.inputs)
    assert len(lines) == 1 + len(spec.inputs) and all(lines)
    if not spec.is_leaf:
        assert spec.formula == spec.maths.plain()  # one source for the plain formula


def _sample_inputs(spec) -> list[np.ndarray]:
    """Values inside every op's domain (probabilities for the losses, away from kinks)."""
    rng = np.random.default_rng(len(spec.name))
    if spec.category == "Losses":
        return [rng.uniform(0.1, 0.9, 5).astype(np.float64),
                rng.uniform(0.0, 1.0, 5).astype(np.float64)]
    values = rng.uniform(0.3, 1.7, 5) * rng.choice([-1, 1], 5)
    if spec.name == "log":
        values = np.abs(values)
    if spec.name == "clamp":
        values = np.array([-0.5, 0.25, 0.75, 1.5, 0.5])  # both sides of both bounds
    return [values + i for i in range(len(spec.inputs))]


@pytest.mark.parametrize("spec", OPS, ids=[k.name for k in OPS])
def test_each_derivative_formula_is_the_engines_gradient(spec) -> None:
    """∂node/∂port from the catalog's formula equals what the engine computes."""
    params = spec.defaults()
    if spec.name == "pow":
        params["exponent"] = 3.0
    inputs = _sample_inputs(spec)
    copies = [ge.tensor(v, dtype=ge.float64, requires_grad=True) for v in inputs]
    out = spec.build(params)(*copies)
    engine = ge.autograd.grad(out, copies, ge.ones_like(out))
    values = values_for(dict(zip(spec.inputs, inputs, strict=True)), out.detach().numpy(),
                        params)
    for port, g in zip(spec.inputs, engine, strict=True):
        np.testing.assert_allclose(local_derivative(spec.maths, port, values), g.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=f"{spec.name} ∂/∂{port}")


def test_small_network_formulas_with_the_numbers_substituted() -> None:
    m = load(EXAMPLES["small_network"])
    s = Session(m)
    fwd = s.forward()
    head, derivatives = node_formulas(m, fwd, m.find("y_pred"))
    assert head == "y_pred = σ(z) = σ(6.7000) = 0.9988"
    ((line, value),) = derivatives
    assert line == "∂y_pred/∂z = y_pred·(1−y_pred) = 0.9988·(1−0.9988) = 0.0012"
    sigma = 1 / (1 + np.exp(-6.7))
    assert value == pytest.approx(sigma * (1 - sigma), rel=1e-4)  # float32 1−σ
    head, derivatives = node_formulas(m, fwd, m.find("loss"))
    assert head.startswith("loss = −(y·log y_pred + (1−y)·log(1−y_pred)) = ")
    assert head.endswith(" = 6.7012")
    lines = dict(derivatives[0:1])
    assert next(iter(lines)).startswith(
        "∂loss/∂y_pred = −(y/y_pred − (1−y)/(1−y_pred)) = −(0/0.9988 − (1−0)/(1−0.9988))")
    head, derivatives = node_formulas(m, fwd, m.find("wx"))
    assert head == "wx = w · x = 1 · 6.7000 = 6.7000"
    assert [line for line, _ in derivatives] == ["∂wx/∂w = x = 6.7000", "∂wx/∂x = w = 1"]
    assert node_formulas(m, fwd, m.find("x"))[0] == "x = 6.7000"


def test_symbolic_forms_read_like_the_notebook() -> None:
    assert symbolic_lines(KINDS["sigmoid"].maths, ("x",)) == ["σ(x) = 1/(1+e^−x)",
                                                              "∂σ/∂x = σ·(1−σ)"]
    assert symbolic_lines(KINDS["bce"].maths, ("prediction",))[1] == \
        "∂L/∂p = −(t/p − (1−t)/(1−p))"
    assert symbolic_lines(KINDS["mean"].maths, ("x",))[1] == "∂mean(x)/∂x = 1/N"
    assert symbolic_lines(KINDS["mul"].maths, ("a",))[1] == "∂(a · b)/∂a = b"


def test_negative_numbers_get_parentheses_only_inside_an_expression() -> None:
    names = {"x": "-0.5000", "min": "-1", "max": "1"}
    assert fill("σ({x})", names) == "σ(-0.5000)"
    assert fill("clamp({x}, {min}, {max})", names) == "clamp(-0.5000, -1, 1)"
    assert fill("{x}²", names) == "(-0.5000)²"
    assert fill("1/{x}", names) == "1/(-0.5000)"
    assert fill("−{x}", names) == "−(-0.5000)"
    _, t = _trace("sin_of_square")
    assert "1 × (-0.9111) = -0.9111 → y" in t.lines()[3]


def test_vectors_show_their_shape_and_first_elements() -> None:
    assert format_value(np.float32(6.7)) == "6.7000"
    assert format_value(np.array([1.0, 2.0, 3.0], np.float32)) == "[1., 2., 3.]"
    assert format_value(np.arange(1000, dtype=np.float32) / 10) == \
        "(1000)[0.0000, 0.1000, 0.2000, …]"
    assert format_value(np.ones((2, 3))) == "(2×3)[1., 1., 1., …]"
    lines = build_trace(Session(bce_vector())).lines()
    assert any("w = (6)[-1.0000, 0.5000, 2.0000, …]" in line for line in lines)


# --- the sequence ----------------------------------------------------------------------------

def _trace(name: str):
    s = Session(GRAPHS[name]())
    return s, build_trace(s)


def test_small_network_steps_read_like_the_issue() -> None:
    s, t = _trace("small_network")
    m = s.model
    assert [st.phase for st in t][:8] == [FORWARD] * 8
    assert t.first_backward == 8
    wx = t.find(m.find("wx"), BACKWARD)
    to_w = next(w for w in wx.wires if w.source_label == "w")
    assert to_w.text == "0.9988 × 6.7000 = 6.6918 → w"
    assert to_w.grad_out == pytest.approx(0.9988, abs=1e-4)
    assert to_w.local == pytest.approx(6.7)
    assert to_w.contribution == pytest.approx(6.6917619705200195, rel=1e-6)
    to_x = next(w for w in wx.wires if w.source_label == "x")
    assert to_x.contribution is None
    assert to_x.why_none == "x does not require grad: requires_grad is off"
    w = t.find(m.find("w"), LEAF)
    assert w.text == "w: ∂loss/∂w = 6.6918 from wx; w.grad = None + 6.6918 = 6.6918"
    assert w.grad_before is None and w.grad == pytest.approx(6.6917619705200195, rel=1e-6)
    sig = t.find(m.find("y_pred"), FORWARD)
    assert sig.text == "y_pred = σ(z) = σ(6.7000) = 0.9988  (grad_fn=<SigmoidBackward0>)"
    assert sig.grad_fn == "SigmoidBackward0"
    assert [(wi.source_label, wi.port, float(wi.value)) for wi in sig.wires] == [
        ("z", "x", pytest.approx(6.7))]
    root = t[t.first_backward]
    assert root.node == m.find("loss") and "backward starts here" in root.text
    assert t.find(m.find("x"), SKIPPED).reason == "x does not require grad: requires_grad is off"


@pytest.mark.parametrize("name", list(GRAPHS))
def test_each_wire_sends_grad_out_times_local(name: str) -> None:
    """contribution = grad out × local derivative (summed over a broadcast), on every wire."""
    _, t = _trace(name)
    checked = 0
    for step in t:
        for w in step.wires:
            if step.phase != BACKWARD or w.contribution is None:
                continue
            product = np.broadcast_to(w.grad_out, np.broadcast_shapes(
                np.shape(w.grad_out), np.shape(w.local))) * w.local
            if product.shape != np.shape(w.contribution):
                product = product.sum()
            np.testing.assert_allclose(w.contribution, product, rtol=1e-5, atol=1e-7)
            checked += 1
    assert checked > 0 or not t.backward.ok


@pytest.mark.parametrize("name", list(GRAPHS))
def test_arrivals_add_up_to_the_gradient_and_leaves_to_their_grad(name: str) -> None:
    s, t = _trace(name)
    assert s.ledger.entries == []  # tracing ran nothing in the session
    if not t.backward.ok:
        return
    s.backward()
    for step in t:
        if step.phase not in (BACKWARD, LEAF) or step.node == t.target:
            continue
        total = sum(a.value for a in step.arrivals)
        received = step.grad
        if step.phase == LEAF and step.grad_before is not None:
            received = step.grad - step.grad_before
        np.testing.assert_allclose(total, received, rtol=1e-5, atol=1e-7)
        if step.phase == LEAF:  # what the session's own backward left in .grad
            np.testing.assert_allclose(step.grad, s.grad(step.node).numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", list(GRAPHS))
def test_backward_order_is_a_reverse_topological_order(name: str) -> None:
    s, t = _trace(name)
    g = s.model.graph
    visited = [st.node for st in t if st.phase in (BACKWARD, LEAF)]
    seen: set[str] = set()
    for n in visited:
        waiting = [c for c in g.successors(n) if c in set(visited) and c not in seen]
        assert not waiting, f"{s.model.label(n)} ran before its consumers {waiting}"
        seen.add(n)
    assert len(visited) == len(set(visited))
    if t.backward.ok:
        assert visited[0] == t.target
    assert {st.node for st in t if st.phase == FORWARD} == set(s.model.node_ids())
    forward = [st.node for st in t if st.phase == FORWARD]
    assert forward == list(nx.lexicographical_topological_sort(g))


def test_every_node_gets_exactly_one_backward_side_step() -> None:
    """Backward, leaf, skipped or refused: each node once, so the canvas marks every card."""
    for name in GRAPHS:
        s, t = _trace(name)
        later = [st.node for st in t if st.phase != FORWARD]
        assert sorted(later) == sorted(s.model.node_ids()), name


def test_fan_out_lists_and_sums_the_contributions() -> None:
    s, t = _trace("fan_out")
    x = t.find(s.model.find("x"), LEAF)
    assert [a.consumer_label for a in x.arrivals] == ["b", "a"]  # the engine's order
    assert x.text == ("x: ∂c/∂x = 0.8776 from b + 1 from a = 1.8776; "
                      "x.grad = None + 1.8776 = 1.8776")
    assert x.grad == pytest.approx(1 + np.cos(0.5), rel=1e-6)
    s2, t2 = _trace("self_mul")
    x = t2.find(s2.model.find("x"), LEAF)
    assert [(a.consumer_label, a.port, float(a.value)) for a in x.arrivals] == [
        ("p", "a", 3.0), ("p", "b", 3.0)]
    assert "3 from p + 3 from p = 6" in x.text


def test_broadcast_contribution_is_summed_to_the_inputs_shape() -> None:
    s, t = _trace("broadcast")
    z = t.find(s.model.find("z"), BACKWARD)
    to_b = next(w for w in z.wires if w.source_label == "b")
    assert ", summed to shape () = " in to_b.text
    assert np.shape(to_b.contribution) == ()


def test_skipped_nodes_say_why() -> None:
    s, t = _trace("detach")
    m = s.model
    assert t[t.first_backward].phase == REFUSED
    assert "the only path from x passes through z, which is detached" in t[t.first_backward].text
    assert t.find(m.find("z"), SKIPPED).reason == \
        "z is detached: a detached wire cuts the gradient here"
    assert "cut here (z is detached)" in t.find(m.find("x"), SKIPPED).reason
    assert "does not depend on it" in t.find(m.find("y"), SKIPPED).reason
    s, t = _trace("no_grad")
    assert t.find(s.model.find("y"), REFUSED).reason == \
        "y is computed under no-grad: its output does not require grad"
    s, t = _trace("every_op")
    cut = t.find(s.model.find("cut"), SKIPPED)
    assert cut.index == t.find(s.model.find("q2"), BACKWARD).index + 1  # right after its user


def test_no_grad_mode_refuses_with_the_sessions_reason() -> None:
    s = Session(load(EXAMPLES["small_network"]))
    s.no_grad_mode = True
    t = build_trace(s)
    assert t[t.first_backward].phase == REFUSED
    assert "no-grad mode is on" in t[t.first_backward].text



def test_a_long_chain_in_no_grad_mode_skips_every_node_depth_first() -> None:
    """Refused backward: the inputs are placed depth first right after the refusal, along a
    chain far longer than Python's recursion limit."""
    m = GraphModel()
    prev = m.add_node("weight", label="w", params={"value": 0.5}, flags={"requires_grad": True})
    for i in range(3000):
        node = m.add_node("sin", label=f"s{i}")
        m.connect(prev, node, "x")
        prev = node
    m.set_loss(prev)
    s = Session(m)
    s.no_grad_mode = True
    t = build_trace(s)
    assert t[t.first_backward].phase == REFUSED
    skipped = [st.label for st in t if st.phase == SKIPPED]
    assert skipped == [f"s{i}" for i in range(2998, -1, -1)] + ["w"]

def test_leaves_start_from_the_gradient_they_hold() -> None:
    s = Session(load(EXAMPLES["small_network"]))
    s.backward()
    held = s.grad(s.model.find("w")).numpy().copy()
    t = build_trace(s)
    w = t.find(s.model.find("w"), LEAF)
    assert w.grad_before == pytest.approx(held)
    assert w.grad == pytest.approx(2 * held, rel=1e-6)
    assert w.text.endswith("w.grad = 6.6918 + 6.6918 = 13.3835")
    assert s.grad(s.model.find("w")).numpy() == pytest.approx(held)  # session untouched
    assert len(s.ledger.entries) == 1
    fresh = build_trace(s, accumulate=False).find(s.model.find("w"), LEAF)
    assert fresh.grad_before is None and fresh.grad == pytest.approx(held, rel=1e-6)


def test_frames_show_what_has_happened_so_far() -> None:
    s, t = _trace("small_network")
    m = s.model
    first = t.frame(0)
    assert set(first.values) == {first.step.node} and first.grads == {}
    before_backward = t.frame(t.first_backward - 1)
    assert set(before_backward.values) == set(m.node_ids())
    w_step = t.find(m.find("w"), LEAF).index
    assert m.find("w") not in t.frame(w_step - 1).grads
    assert t.frame(w_step).grads[m.find("w")] == pytest.approx(6.6917619705200195, rel=1e-6)
    last = t.frame(len(t) - 1)
    assert set(last.skipped) == {m.find("x"), m.find("y")}
    assert last.done == frozenset(m.node_ids())
    b = m.find("b")
    assert t.frame(w_step).grads[b] == pytest.approx(0.9987704753875732, rel=1e-6)


def test_an_unwired_node_is_a_forward_error_step() -> None:
    m = GraphModel()
    x = m.add_node("weight", label="x", params={"value": 2.0})
    y = m.add_node("mul", label="y")
    m.connect(x, y, "a")
    s = Session(m)
    t = build_trace(s)
    assert t.find(y, FORWARD).text == "y: error: input 'b' is not connected"
    assert t.find(y, REFUSED) is not None
    assert t.find(x, SKIPPED).reason == "backward from y did not run, so nothing reaches x"


def test_a_vector_loss_is_refused_with_the_engines_message() -> None:
    m = GraphModel()
    x = m.add_node("weight", label="x", params={"value": [1.0, 2.0]})
    y = m.add_node("square", label="y")
    m.connect(x, y, "x")
    t = build_trace(Session(m))
    refused = t.find(y, REFUSED)
    assert "grad can be implicitly created only for scalar outputs" in refused.text
    assert "add a mean or sum node after it" in refused.text
    assert t.find(x, SKIPPED).reason == "backward from y did not run, so nothing reaches x"


def test_a_fan_out_and_self_mul_graph_trace_without_the_session_changing() -> None:
    for make in (fan_out, self_mul, broadcast):
        s = Session(make())
        build_trace(s)
        assert all(s.grad(n) is None for n in s.model.node_ids()
                   if s.model.node(n).spec.is_leaf)


def test_a_trace_knows_when_the_model_was_edited() -> None:
    s, t = _trace("small_network")
    m = s.model
    m.move(m.find("w"), (40.0, 40.0))
    assert t.is_current(m)  # moving a card changes nothing computed
    m.set_param(m.find("x"), "value", 2.0)
    assert not t.is_current(m)
    assert build_trace(s).is_current(m)


def test_training_afterwards_leaves_the_trace_as_it_was() -> None:
    """The steps hold the trace's own arrays, not views of the session's live leaves."""
    s, t = _trace("broadcast")
    frozen = [(st.text, None if st.value is None else np.array(st.value)) for st in t]
    apply_updates(s.model, s.train_step(0.5).updates)  # the weights change in place
    s.backward()
    for st, (text, value) in zip(t, frozen, strict=True):
        assert st.text == text
        if value is not None:
            np.testing.assert_array_equal(st.value, value)


def test_a_thousand_element_vector_keeps_every_line_short() -> None:
    m = GraphModel()
    x = m.add_node("weight", label="x", params={"value": list(np.linspace(-1, 1, 1000))})
    y = m.add_node("tanh", label="y")
    z = m.add_node("mean", label="z")
    m.connect(x, y, "x")
    m.connect(y, z, "x")
    t = build_trace(Session(m))
    assert all(len(line) < 300 for line in t.lines()), max(t.lines(), key=len)
    assert "(1000)[-1.0000, -0.9980, -0.9960, …]" in t.find(x, FORWARD).text
    assert t.find(x, LEAF).grad.shape == (1000,)
