"""Evaluation: the cached plan, forward values and per-node errors, backward targets, the
gradient switches (requires_grad, detach, no_grad, no-grad mode) and the reasons in words."""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from gradstudio.graph import Evaluator, GraphError, GraphModel, Session, kind, load, pick_target
from gradstudio.graph.evaluate import evaluation_order
from gradstudio.resources import example_paths

NO_GRAD_ERROR = ("RuntimeError: element 0 of tensors does not require grad and does not have "
                 "a grad_fn")


def _example(name: str) -> GraphModel:
    return load(example_paths()[name])


def _leaf(m: GraphModel, label: str, value: object, grad: bool = False) -> str:
    return m.add_node("input", label=label, params={"value": value},
                      flags={"requires_grad": grad})


def _op(m: GraphModel, kind_name: str, label: str, *inputs: str, **flags: bool) -> str:
    n = m.add_node(kind_name, label=label, flags=flags or None)
    for port, src in zip(kind(kind_name).inputs, inputs, strict=False):
        m.connect(src, n, port)
    return n


# --- the plan ---------------------------------------------------------------------------------
def test_plan_is_reused_until_the_structure_changes() -> None:
    m = _example("sin_of_square")
    ev = Evaluator(m)
    plan = ev.plan()
    m.move(m.find("x"), (50, 50))
    m.set_param(m.find("x"), "value", 2)
    m.set_flag(m.find("x"), "requires_grad", False)
    m.rename(m.find("z"), "out")
    assert ev.plan() is plan
    m.set_flag(m.find("y"), "detach", True)
    new = ev.plan()
    assert new is not plan and ev.plan() is new


def test_plan_orders_inputs_before_their_use() -> None:
    m = GraphModel()
    z = m.add_node("sin", label="z")  # added before its input
    y = m.add_node("square", label="y")
    x = _leaf(m, "x", 1.0)
    m.connect(y, z, "x")
    m.connect(x, y, "x")
    order = [s.node for s in Evaluator(m).plan().steps]
    assert order.index(x) < order.index(y) < order.index(z)


# --- forward ----------------------------------------------------------------------------------
def test_forward_values_in_pytorchs_printed_form() -> None:
    s = Session(_example("sin_of_square"))
    f = s.forward()
    m = s.model
    assert repr(f.value(m.find("x"))) == "tensor(3., requires_grad=True)"
    assert repr(f.value(m.find("y"))) == "tensor(9., grad_fn=<PowBackward0>)"
    assert repr(f.value(m.find("z"))) == "tensor(0.4121, grad_fn=<SinBackward0>)"
    assert f.errors == {}


def test_errors_stay_on_their_node_and_other_branches_still_compute() -> None:
    m = GraphModel()
    v3 = _leaf(m, "v3", "1, 2, 3")
    v2 = _leaf(m, "v2", "1, 2")
    bad = _op(m, "add", "bad", v3, v2)
    after = _op(m, "sin", "after", bad)
    lonely = _op(m, "mul", "lonely", v3)  # port b left empty
    neg = _leaf(m, "neg", -1.0)
    log = _op(m, "log", "log", neg)
    good = _op(m, "square", "good", v3)
    f = Session(m).forward()
    assert "[3] and [2]" in f.errors[bad]
    assert ("The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
            "dimension 0") in f.errors[bad]
    assert f.errors[after] == "input 'x' has no value: bad has an error"
    assert f.errors[lonely] == "input 'b' is not connected"
    assert log not in f.errors and math.isnan(f.value(log).item())  # like torch.log(-1.)
    assert repr(f.value(log)) == "tensor(nan)"
    assert f.value(good).tolist() == [1.0, 4.0, 9.0]
    assert set(f.errors) == {bad, after, lonely}
    assert f.value(bad) is None


# --- backward targets -------------------------------------------------------------------------
def test_target_is_the_loss_when_one_is_chosen() -> None:
    m = _example("detach")
    assert pick_target(m) == m.find("y1")
    m.set_loss(m.find("y"))
    assert pick_target(m) == m.find("y")


def test_target_is_the_single_end_node_otherwise() -> None:
    m = _example("sin_of_square")
    m.set_loss(None)
    assert pick_target(m) == m.find("z")
    m.add_node("constant", label="unused")  # a stray leaf is not an end worth choosing
    assert pick_target(m) == m.find("z")


def test_several_end_nodes_give_a_clear_error() -> None:
    m = _example("detach")
    m.set_loss(None)
    with pytest.raises(GraphError, match=r"several end nodes \(y, y1\).*loss"):
        pick_target(m)
    result = Session(m).backward()
    assert not result.ok and "y, y1" in result.reason
    with pytest.raises(GraphError, match="empty"):
        pick_target(GraphModel())


def test_backward_from_a_named_target_and_from_a_node_with_an_error() -> None:
    m = _example("detach")
    s = Session(m)
    assert s.backward("y").ok and s.grad(m.find("x")).item() == 4.0
    _op(m, "add", "bad", m.find("x"))  # port b left empty
    result = s.backward("bad")
    assert not result.ok and "bad" in result.error
    assert result.reason == "bad has an error: input 'b' is not connected"


# --- the switches and their reasons -----------------------------------------------------------
def test_requires_grad_off_on_the_only_leaf() -> None:
    s = Session(_example("requires_grad_off"))
    result = s.backward()
    assert result.error == NO_GRAD_ERROR
    assert result.reason == "x does not require grad: requires_grad is off"
    assert repr(s.last_forward.value(s.model.find("y"))) == "tensor(4.)"


def test_requires_grad_off_on_every_leaf() -> None:
    m = GraphModel()
    loss = _op(m, "mul", "loss", _leaf(m, "x", 2.0), _leaf(m, "y", 3.0))
    result = Session(m).backward()
    assert result.error == NO_GRAD_ERROR
    assert result.reason == ("loss does not require grad: requires_grad is off on every leaf "
                             "that reaches it (x and y)")
    assert loss == result.target


def test_detach_cuts_the_gradient_and_says_where() -> None:
    m = _example("detach")
    s = Session(m)
    f = s.forward()
    z, y1 = m.find("z"), m.find("y1")
    assert repr(f.value(z)) == "tensor(2.)" and f.value(z).grad_fn is None
    assert not f.value(y1).requires_grad
    result = s.backward()
    assert result.error == NO_GRAD_ERROR
    assert result.reason == "the only path from x passes through z, which is detached"


def test_detach_on_every_path_and_on_the_leaf_itself() -> None:
    m = GraphModel()
    x = _leaf(m, "x", 2.0, grad=True)
    z = _op(m, "identity", "z", x, detach=True)
    _op(m, "mul", "p", z, z)
    result = Session(m).backward()
    assert result.reason == "every path from x passes through z, which is detached"
    m.set_flag(z, "detach", False)
    m.set_flag(x, "detach", True)
    result = Session(m).backward()
    assert result.reason == "x is detached, so nothing reaches p from it"


@pytest.mark.timeout(20)
def test_reasons_stay_quick_when_there_are_very_many_paths() -> None:
    """40 squarings as mul(p, p): 2**40 paths from x; the reason must not list them all."""
    m = GraphModel()
    prev = _op(m, "identity", "z", _leaf(m, "x", 1.0, grad=True), detach=True)
    for i in range(40):
        prev = _op(m, "mul", f"p{i}", prev, prev)
    result = Session(m).backward()
    assert result.reason == "every path from x passes through z, which is detached"


def test_detach_on_one_path_only_keeps_the_other() -> None:
    """y = x * x.detach(): only the open path counts (the reference: x.grad = 3 at x = 3)."""
    m = GraphModel()
    x = _leaf(m, "x", 3.0, grad=True)
    z = _op(m, "identity", "z", x, detach=True)
    _op(m, "mul", "y", x, z)
    s = Session(m)
    assert s.backward().ok
    assert s.grad(x).item() == 3.0


def test_no_grad_node() -> None:
    s = Session(_example("no_grad"))
    f = s.forward()
    y = s.model.find("y")
    assert repr(f.value(y)) == "tensor(4.)" and f.value(y).grad_fn is None
    result = s.backward()
    assert result.error == NO_GRAD_ERROR
    assert result.reason == "y is computed under no-grad: its output does not require grad"


def test_no_grad_mode() -> None:
    s = Session(_example("square"))
    s.no_grad_mode = True
    f = s.forward()
    assert f.no_grad_mode
    assert repr(f.value(s.model.find("y"))) == "tensor(9.)"
    result = s.backward()
    assert result.error == NO_GRAD_ERROR
    assert result.reason.startswith("no-grad mode is on")
    s.no_grad_mode = False
    assert s.backward().ok and s.grad(s.model.find("x")).item() == 6.0


def test_non_scalar_loss() -> None:
    m = _example("vector_mean")
    result = Session(m).backward("x_sq")
    assert result.error == ("RuntimeError: grad can be implicitly created only for scalar "
                            "outputs")
    assert result.reason.startswith("x_sq holds 3 values")
    assert "mean or sum" in result.reason


def test_intermediate_gradients_when_retained() -> None:
    m = _example("sin_of_square")
    s = Session(m)
    assert s.backward().ok
    # dz/dy = cos(x**2) at x = 3; x.grad is the reference's -5.4667816162109375
    assert s.grad(m.find("y")).item() == pytest.approx(math.cos(9.0), abs=1e-6)
    assert s.grad(m.find("x")).item() == pytest.approx(-5.4667816162109375, abs=1e-6)
    s.retain_intermediate = False
    assert s.backward().ok
    assert s.grad(m.find("y")) is None


def _random_dag(seed: int) -> nx.MultiDiGraph:
    rnd = random.Random(seed)
    ids = [f"n{i}" for i in range(rnd.randrange(1, 30))]
    g = nx.MultiDiGraph()
    g.add_nodes_from(rnd.sample(ids, len(ids)))  # insertion order is not the id order
    for k in range(rnd.randrange(0, 60)):  # an edge goes from an earlier id to a later one
        a, b = sorted(rnd.sample(range(len(ids)), 2)) if len(ids) > 1 else (0, 0)
        if a != b:
            g.add_edge(ids[a], ids[b], key=f"p{k % 3}")  # parallel wires into other ports
    return g


def test_evaluation_order_is_networkx_lexicographic_order() -> None:
    graphs = [_example(name).graph for name in example_paths()]
    graphs += [_random_dag(seed) for seed in range(100)]
    for g in graphs:
        assert evaluation_order(g) == list(nx.lexicographical_topological_sort(g))


def test_evaluation_order_refuses_a_cycle() -> None:
    g = nx.MultiDiGraph()
    g.add_edge("a", "b", key="x")
    g.add_edge("b", "c", key="x")
    g.add_edge("c", "b", key="y")
    with pytest.raises(GraphError, match="has a cycle"):
        evaluation_order(g)
