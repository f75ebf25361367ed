"""The compiled vector plan (graph/plan_vector.py) against the engine: bit-identical values
and gradients on every example and on generated graphs with leaves of several shapes, the
training loop against Session.train, and the session using it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from plan_graphs import engine_arrays, leaf_inputs, same_array, vector_graphs

from gradstudio.graph import GraphModel, Session, load
from gradstudio.graph.plan import ARITHMETIC_ERRORS, PlanRefused
from gradstudio.graph.plan_vector import WEIGHT_PATH_LIMIT, VectorPlan, compile_vector
from gradstudio.resources import example_paths

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
BACKWARD_EXAMPLES = ["accumulation", "sin_of_square", "small_network", "square", "vector_mean"]


def check_against_engine(model: GraphModel) -> None:
    values, grads, s = engine_arrays(model)
    plan = compile_vector(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_values, got_grads = plan.backward(leaf_inputs(s, plan.leaves),
                                              [None] * len(plan.leaves))
    for n, v, g in zip(plan.node_ids, got_values, got_grads, strict=True):
        assert same_array(v, values[n]), f"value of {model.label(n)}: {v!r} != {values[n]!r}"
        assert same_array(g, grads[n]), f"grad of {model.label(n)}: {g!r} != {grads[n]!r}"


@pytest.mark.parametrize("name", BACKWARD_EXAMPLES)
def test_vector_plan_equals_engine_on_the_examples(name: str) -> None:
    check_against_engine(load(example_paths()[name]))


def test_the_examples_are_all_checked() -> None:
    refused = {"detach", "no_grad", "requires_grad_off"}  # their targets need no grad
    assert set(example_paths()) == set(BACKWARD_EXAMPLES) | refused
    for name in refused:
        assert not compile_vector(load(example_paths()[name])).can_backward


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(vector_graphs())
def test_vector_plan_equals_engine_on_generated_graphs(model: GraphModel) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assume(Session(model).backward().ok)
    try:
        compile_vector(model)
    except PlanRefused:
        assume(False)
    check_against_engine(model)


def _engine_train(model: GraphModel, steps: int, lr: float) -> tuple[list, Session]:
    reference = GraphModel.from_dict(model.to_dict())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = Session(reference).train(steps, lr)
    return results, Session(reference)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(vector_graphs(max_ops=6))
def test_training_in_the_vector_plan_gives_the_engines_weights(model: GraphModel) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assume(Session(GraphModel.from_dict(model.to_dict())).backward().ok)
    plan = compile_vector(model)
    leaves = leaf_inputs(Session(model), plan.leaves)
    losses: list[float] = []
    path: list = []
    try:
        plan.train(leaves, [None] * len(leaves), 0.05, 4, losses, path)
    except ARITHMETIC_ERRORS:
        assume(False)
    results, after = _engine_train(model, 4, 0.05)
    assert [r.ok for r in results] == [True] * 4
    assert all(same_array(a, r.loss) for a, r in zip(losses, results, strict=True))
    for n, v, ref in zip(plan.leaves, leaves, leaf_inputs(after, plan.leaves), strict=True):
        assert same_array(v, ref), model.label(n)
    for weights, r in zip(path, results, strict=True):
        for n, w in zip(plan.trainable, weights, strict=True):
            assert same_array(w, r.updates[n])


def _vector_network(size: int) -> GraphModel:
    """The notebook's network over vectors: z = w * x + b, sigmoid, BCE, mean."""
    m = GraphModel()
    x = m.add_node("input", label="x", params={"value": np.linspace(-3, 3, size).tolist()})
    w = m.add_node("weight", label="w", params={"value": np.linspace(0.5, 1.5, size).tolist()})
    b = m.add_node("weight", label="b", params={"value": 0.25})
    y = m.add_node("constant", label="y", params={"value": [0.0, 1.0] * (size // 2)})
    mul, add = m.add_node("mul", label="wx"), m.add_node("add", label="z")
    p, loss = m.add_node("sigmoid", label="p"), m.add_node("bce", label="bce")
    mean = m.add_node("mean", label="loss")
    for src, dst, port in ((w, mul, "a"), (x, mul, "b"), (mul, add, "a"), (b, add, "b"),
                           (add, p, "x"), (p, loss, "prediction"), (y, loss, "target"),
                           (loss, mean, "x")):
        m.connect(src, dst, port)
    m.set_loss(mean)
    return m


@pytest.mark.parametrize("size", [4, 2_000])  # a kept path, and one over WEIGHT_PATH_LIMIT
def test_train_run_on_a_vector_graph_is_the_engines(size: int) -> None:
    model = _vector_network(size)
    s = Session(model)
    run = s.train_run(40, 0.5)
    results, after = _engine_train(_vector_network(size), 40, 0.5)
    assert [st.loss for st in run.steps] == [r.loss for r in results]
    assert s.loss_history == [r.loss for r in results]
    for n in ("w", "b"):
        node = model.find(n)
        assert same_array(model.node(node).params["value"],
                          after.model.node(node).params["value"]), n
        assert same_array(run.steps[-1].weights[node].grad, results[-1].weights[node].grad)
        assert run.steps[-1].weights[node] == results[-1].weights[node]
    assert len(s.ledger.entries) == 1 and s.ledger.lines()[0].startswith("train: 40 steps")
    kept = [bool(st.updates) for st in run.steps]
    assert kept == ([True] * 40 if size <= WEIGHT_PATH_LIMIT else [False] * 38 + [True] * 2)
    assert s.grad(model.find("w")).tolist() == [0.0] * size  # zeroed, as zero_grad leaves it


def test_the_session_evaluates_vector_graphs_in_the_plan() -> None:
    s = Session(_vector_network(6))
    assert isinstance(s.compiled(), VectorPlan)
    assert "np.multiply(" in s.plan_text() and "'wx'" in s.plan_text()
    leaves = s.private_leaves()
    expected = s.evaluate(leaves, no_grad=True).value(s.target()).detach().numpy()
    assert s.value_at(leaves, s.target()).tobytes() == expected.tobytes()


def test_labels_never_reach_the_vector_code() -> None:
    model = _vector_network(4)
    model.rename(model.find("w"), "w2; import os #")
    plan = compile_vector(model)
    assert "import" not in plan.source and "w2" not in plan.source


def test_shapes_that_do_not_broadcast_are_refused() -> None:
    m = GraphModel()
    a = m.add_node("weight", label="a", params={"value": [1.0, 2.0]})
    b = m.add_node("weight", label="b", params={"value": [1.0, 2.0, 3.0]})
    add = m.add_node("add", label="s")
    m.connect(a, add, "a")
    m.connect(b, add, "b")
    with pytest.raises(PlanRefused, match="broadcast"):
        compile_vector(m)


def test_every_call_writes_the_same_buffers() -> None:
    """The vector values and gradients live in buffers made once: two backwards return the
    very same arrays (the second's numbers in them)."""
    s = Session(_vector_network(8))
    plan = s.compiled()
    leaves = plan.inputs([s.leaf(n)._data for n in plan.leaves])
    values, grads = plan.backward(leaves, [None] * len(leaves))
    firsts = [(v, g) for v, g in zip(values, grads, strict=True)]
    again_values, again_grads = plan.backward(leaves, [None] * len(leaves))
    leaf_ids = set(plan.leaves)
    for n, (v, g), v2, g2 in zip(plan.node_ids, firsts, again_values, again_grads,
                                 strict=True):
        if n in leaf_ids:
            continue
        if isinstance(v, np.ndarray):
            assert v2 is v, s.model.label(n)
        if isinstance(g, np.ndarray) and g.flags.writeable:
            assert g2 is g, s.model.label(n)
