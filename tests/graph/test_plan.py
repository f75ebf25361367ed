"""The compiled plan against the eager engine, bit for bit: every node's value and gradient,
on every shipped example and on generated graphs, and the weights after N train steps; what
the plan refuses; that labels never reach its code."""

from __future__ import annotations

import math
import struct
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from plan_graphs import engine_answers, leaf_values, same, scalar_graphs
from trace_graphs import BUILT, build

import gradstudio.engine as ge
from gradstudio.graph import GraphModel, Session, load
from gradstudio.graph.plan import (
    ARITHMETIC_ERRORS,
    NO_GRAD_TARGET,
    CompiledPlan,
    PlanRefused,
    ScalarPlan,
    compile_scalar,
)
from gradstudio.graph.plan_vector import VectorPlan, compile_graph
from gradstudio.resources import example_paths

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
SCALAR_EXAMPLES = ["accumulation", "sin_of_square", "small_network", "square"]
REFUSED_EXAMPLES = ["detach", "no_grad", "requires_grad_off"]


def check_plan_against_engine(model: GraphModel) -> None:
    values, grads, s = engine_answers(model)
    plan = compile_scalar(model)
    got_values, got_grads = plan.backward(leaf_values(s, plan.leaves), [None] * len(plan.leaves))
    for n, v, g in zip(plan.node_ids, got_values, got_grads, strict=True):
        assert same(v, values[n]), f"value of {model.label(n)}: plan {v!r}, engine {values[n]!r}"
        assert same(g, grads[n]), f"grad of {model.label(n)}: plan {g!r}, engine {grads[n]!r}"


@pytest.mark.parametrize("name", SCALAR_EXAMPLES)
def test_plan_equals_engine_on_the_examples(name: str) -> None:
    check_plan_against_engine(load(example_paths()[name]))


def test_the_notebook_numbers_come_out_exactly() -> None:
    plan = compile_scalar(load(example_paths()["small_network"]))
    values, grads = plan.backward(plan.leaf_values(_leaves("small_network")),
                                  [None] * len(plan.leaves))
    by_id = dict(zip(plan.node_ids, grads, strict=True))
    m = load(example_paths()["small_network"])
    assert values[plan.node_ids.index(plan.target)] == 6.701176166534424
    assert by_id[m.find("w")] == 6.6917619705200195
    assert by_id[m.find("b")] == 0.9987704753875732


def _leaves(name: str) -> dict[str, float]:
    m = load(example_paths()[name])
    return {n: float(m.node(n).params["value"]) for n in m.node_ids() if m.node(n).spec.is_leaf}


@pytest.mark.parametrize("name", ["fan_out", "self_mul"])
def test_plan_equals_engine_on_fan_out_graphs(name: str) -> None:
    check_plan_against_engine(BUILT[name]())


def test_three_consumers_sum_in_the_engines_order() -> None:
    """x into four ops: (a + b) + c differs from a + (b + c) in float32 for some numbers,
    so the gradient arriving at x tells the order."""
    nodes = [("x", "weight", {"value": 0.7312}, {"requires_grad": True}),
             ("a", "sin", {}, {}), ("b", "exp", {}, {}), ("c", "tanh", {}, {}),
             ("d", "square", {}, {}), ("ab", "add", {}, {}), ("cd", "mul", {}, {}),
             ("out", "add", {}, {})]
    edges = [("x", "a", "x"), ("x", "b", "x"), ("x", "c", "x"), ("x", "d", "x"),
             ("a", "ab", "a"), ("b", "ab", "b"), ("c", "cd", "a"), ("d", "cd", "b"),
             ("ab", "out", "a"), ("cd", "out", "b")]
    for value in (0.7312, -1.1, 0.05, 1.9, 0.3333):
        nodes[0] = ("x", "weight", {"value": value}, {"requires_grad": True})
        check_plan_against_engine(build(nodes, edges, "out"))


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scalar_graphs())
def test_plan_equals_engine_on_generated_graphs(model: GraphModel) -> None:
    s = Session(model)
    assume(s.backward().ok)
    plan = compile_scalar(model)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan.backward(leaf_values(s, plan.leaves), [None] * len(plan.leaves))
    except ARITHMETIC_ERRORS:
        # Python floats raise where numpy gives inf or nan (1/0, a float32 overflow): the
        # session runs the engine then. The engine must have met such a number.
        values = [abs(float(v.item())) for v in s.last_forward.values.values()]
        assert any(v != v or v == float("inf") or v > 3e38 for v in values) or any(
            float(v.item()) == 0 for v in s.last_forward.values.values())
        return
    check_plan_against_engine(model)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(scalar_graphs(max_ops=6))
def test_training_in_the_plan_gives_the_engines_weights(model: GraphModel) -> None:
    reference = GraphModel.from_dict(model.to_dict())
    s = Session(reference)
    assume(s.backward().ok)
    s.zero_grad()
    plan = compile_scalar(model)
    leaves = leaf_values(Session(model), plan.leaves)
    grads: list[float | None] = [None] * len(leaves)
    losses: list[float] = []
    path: list[tuple[float, ...]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan.train(leaves, grads, 0.05, 5, losses, path)
    except ARITHMETIC_ERRORS:
        assume(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = Session(reference).train(5, 0.05)
    assert [r.ok for r in results] == [True] * 5
    assert all(same(a, r.loss) for a, r in zip(losses, results, strict=True))
    after = leaf_values(Session(reference), plan.leaves)  # the model's values in the dtype
    for n, v, ref in zip(plan.leaves, leaves, after, strict=True):
        assert same(v, ref), reference.label(n)
    assert all(g in (None, 0.0) for g in grads)


def test_training_the_notebook_network_gives_the_engines_weights() -> None:
    m = load(example_paths()["small_network"])
    reference = load(example_paths()["small_network"])
    plan = compile_scalar(m)
    leaves, grads = plan.leaf_values(_leaves("small_network")), [None] * len(plan.leaves)
    losses: list[float] = []
    path: list[tuple[float, ...]] = []
    plan.train(leaves, grads, 0.1, 200, losses, path)
    results = Session(reference).train(200, 0.1)
    assert losses == [r.loss for r in results]
    assert leaves == leaf_values(Session(reference), plan.leaves)
    w, b = reference.find("w"), reference.find("b")
    assert [dict(zip(plan.trainable, p, strict=True)) for p in path] == [
        {w: r.updates[w], b: r.updates[b]} for r in results]


def _refusing_pack(v: float) -> bytes:
    """struct.pack("f", v) as some Pythons have it: OverflowError for a finite double beyond
    float32 (this one gives inf)."""
    if math.isfinite(v) and abs(v) > 3.4028234663852886e38:
        raise OverflowError("float too large to pack with f format")
    return struct.pack("f", v)


@pytest.mark.parametrize("refusing", [False, True])
@pytest.mark.parametrize("start", [3.0, 2e19])
def test_a_float32_overflow_in_training_gives_the_engines_numbers(start: float,
                                                                  refusing: bool) -> None:
    """y = w**2 trained with lr 10 grows until w**2 (from w = 2e19: at once) overflows float32:
    inf, then nan, as in the engine. The plan's loop writes the rounding inline; where struct
    refuses to pack an overflow, the steps run again with R (round32), each counted once."""
    def square() -> GraphModel:
        m = GraphModel()
        w = m.add_node("weight", label="w", params={"value": start})
        m.connect(w, m.add_node("square", label="y"), "x")
        return m

    plan = compile_scalar(square())
    if refusing:
        plan._fns["train"].__globals__["PACK"] = _refusing_pack
    leaves, grads = plan.leaf_values({plan.leaves[0]: start}), [None]
    losses: list[float] = []
    path: list[tuple[float, ...]] = []
    for _ in range(4):  # in chunks, as the session runs it
        plan.train(leaves, grads, 10.0, 10, losses, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = Session(square()).train(40, 10.0)
    assert len(losses) == len(path) == 40 and math.inf in losses and math.isnan(losses[-1])
    assert all(same(a, r.loss) for a, r in zip(losses, results, strict=True))
    assert all(same(p[0], r.updates[plan.leaves[0]]) for p, r in zip(path, results,
                                                                     strict=True))
    assert same(leaves[0], path[-1][0])


# --- what the plan refuses ------------------------------------------------------------------
def test_vector_leaves_are_refused_by_the_scalar_plan() -> None:
    with pytest.raises(PlanRefused, match="several numbers"):
        compile_scalar(load(example_paths()["vector_mean"]))


@pytest.mark.parametrize("name", REFUSED_EXAMPLES)
def test_a_target_without_grad_compiles_forward_only(name: str) -> None:
    plan = compile_scalar(load(example_paths()[name]))
    assert not plan.can_backward and "def backward" not in plan.source
    with pytest.raises(PlanRefused, match="does not require grad"):
        plan.backward([0.0] * len(plan.leaves), [None] * len(plan.leaves))


@pytest.mark.parametrize("values", [(2.0, 3.0), ([1.0, 2.0], 3.0)])  # scalar, vector plan
def test_both_plans_check_backward_and_train_alike(values: tuple) -> None:
    """One definition of the checks (CompiledPlan): a target without grad refuses backward
    and train with the same reason; train refuses gradients that are not zeroed."""
    def graph(requires_grad: bool) -> GraphModel:
        m = GraphModel()
        w = m.add_node("weight", label="w", params={"value": values[0]})
        c = m.add_node("constant", label="c", params={"value": values[1]})
        mul, mean = m.add_node("mul", label="wc"), m.add_node("mean", label="loss")
        for src, dst, port in ((w, mul, "a"), (c, mul, "b"), (mul, mean, "x")):
            m.connect(src, dst, port)
        m.set_flag(w, "requires_grad", requires_grad)
        return m

    vector = isinstance(values[0], list)
    frozen, plan = compile_graph(graph(False)), compile_graph(graph(True))
    assert type(frozen) is type(plan) is (VectorPlan if vector else ScalarPlan)
    assert isinstance(plan, CompiledPlan) and plan.trainable == (plan.leaves[0],)
    leaves = plan.leaf_values({n: v for n, v in zip(plan.leaves, values, strict=True)})
    for run in (lambda p: p.backward(leaves, [None, None]),
                lambda p: p.train(leaves, [None, None], 0.1, 1, [], [])):
        with pytest.raises(PlanRefused, match=f"^{NO_GRAD_TARGET}$"):
            run(frozen)
    held = [np.full(2, 1.5) if vector else 1.5, None]  # a gradient left over
    with pytest.raises(ValueError, match="train needs zeroed gradients"):
        plan.train(leaves, held, 0.1, 1, [], [])
    zeroed = [np.zeros(2) if vector else 0.0, None]
    losses: list[float] = []
    plan.train(leaves, zeroed, 0.1, 1, losses, [])
    assert len(losses) == 1


def test_an_unwired_port_is_refused() -> None:
    m = GraphModel()
    x = m.add_node("weight", label="x", params={"value": 1.0})
    add = m.add_node("add", label="s")
    m.connect(x, add, "a")
    with pytest.raises(PlanRefused, match="not connected"):
        compile_scalar(m)


def test_several_end_nodes_are_refused_with_the_reason() -> None:
    m = GraphModel()
    m.add_node("weight", label="x", params={"value": 1.0})
    m.add_node("weight", label="y", params={"value": 1.0})
    with pytest.raises(PlanRefused, match="several end nodes"):
        compile_scalar(m)


# --- the code is made of templates only -----------------------------------------------------
@pytest.mark.parametrize("label", ['x"); import os; os.system("hi") #', "w\nimport os\n",
                                   "ŵ ∂ 𝛉 — «quoted» 'single'", "__import__", "}{{}}{0}",
                                   "\u2028import sys\r"])
def test_labels_never_reach_the_code(label: str) -> None:
    m = load(example_paths()["small_network"])
    w, loss = m.find("w"), m.find("loss")
    m.graph.nodes[w]["label"] = label  # even a label the model would refuse (a newline)
    m.graph.nodes[loss]["label"] = label + "2"
    plan = compile_scalar(m)
    for part in (label, label + "2", label.strip(), "import", "system"):
        assert part not in plan.source
    assert "__builtins__" not in plan.source
    values, grads, _ = engine_answers(load(example_paths()["small_network"]))
    got, got_grads = plan.backward(plan.leaf_values(_leaves("small_network")),
                                   [None] * len(plan.leaves))
    assert list(got) == [values[n] for n in plan.node_ids]


def test_the_code_reads_as_one_line_per_op() -> None:
    plan = compile_scalar(load(example_paths()["small_network"]))
    forward = plan.source.split("def loss")[0]
    assert "# node 6: sigmoid" in forward
    assert "DIV(1.0, R(1.0 + EXP(-v5)))" in forward  # 1 / (1 + exp(-z)), rounded as the engine
    assert "w -= lr * w.grad" in plan.source


# --- the session runs Train N and probes through the plan ---------------------------------
def test_train_run_gives_the_engine_loops_numbers_and_sums_up_the_ledger() -> None:
    plan_session = Session(load(example_paths()["small_network"]))
    engine_session = Session(load(example_paths()["small_network"]))
    run = plan_session.train_run(300, 0.1)
    results = engine_session.train(300, 0.1)
    assert run.losses == [r.loss for r in results] == plan_session.loss_history
    assert [s.updates for s in run.steps] == [r.updates for r in results]
    assert run.steps[-1].weights == results[-1].weights and run.steps[-1].lr == 0.1
    m = plan_session.model
    for n in (m.find("w"), m.find("b")):
        assert m.node(n).params["value"] == engine_session.model.node(n).params["value"]
        assert plan_session.grad(n).item() == 0.0  # zeroed after the last step, as zero_grad
    assert plan_session.ledger.lines() == [
        "train: 300 steps (backward #1–#300 from loss, each followed by w -= lr * w.grad and "
        "zero grad); the last: " + engine_session.ledger.lines()[-2].split(": ", 1)[1]]
    got, expected = plan_session.ledger.last_received(), engine_session.ledger.last_received()
    assert {k: v.tobytes() for k, v in got.items()} == {
        k: v.tobytes() for k, v in expected.items()}
    plan_session.backward()  # the count goes on from the run
    assert plan_session.ledger.lines()[-1].startswith("backward #301:")


def test_a_plan_blocks_steps_read_alike_however_they_are_read() -> None:
    """The plan's steps become records only when read (PlanSteps): by index, slice, iteration
    or losses, they are the records an eager list would hold."""
    s = Session(load(example_paths()["small_network"]))
    block = s.train_block(40, 0.1, 3)
    assert block.compiled and len(block.steps) == 40 and block.steps.losses[0] == 6.701176166534424
    last = block.steps[-1]  # laid open from the start
    assert last.number == 42 and last.weights and last.updates == block.updates
    steps = list(block.steps)
    assert [st.number for st in steps] == list(range(3, 43))
    assert [st.loss for st in steps] == block.steps.losses == s.loss_history
    assert block.steps[:2] == steps[:2] and block.steps[5] is steps[5] and steps[-1] is last
    assert all(set(st.updates) == set(block.updates) and not st.weights for st in steps[:-1])
    assert steps[10].updates != steps[11].updates  # each step's own weights


def test_a_run_in_blocks_is_one_ledger_entry() -> None:
    s = Session(load(example_paths()["small_network"]))
    first = s.train_block(5, 0.1, 1, run=7)
    assert first.compiled and [st.number for st in first.steps] == [1, 2, 3, 4, 5]
    second = s.train_block(5, 0.1, 6, run=7)
    assert [st.number for st in second.steps] == [6, 7, 8, 9, 10]
    assert s.ledger.lines()[0].startswith("train: 10 steps (backward #1–#10")
    assert len(s.ledger.entries) == 1


def test_a_single_step_and_what_the_plan_does_not_cover_run_the_engine() -> None:
    s = Session(load(example_paths()["small_network"]))
    block = s.train_block(1, 0.1)
    assert not block.compiled and len(block.steps) == 1
    assert s.ledger.lines() == [s.ledger.lines()[0], "zero grad"]  # shown in full
    vector = Session(load(example_paths()["vector_mean"]))  # compiled too: the vector plan
    run = vector.train_run(3, 0.1)
    assert len(run.steps) == 3 and vector.ledger.lines()[-1].startswith("train: 3 steps")
    refused = Session(load(example_paths()["detach"])).train_run(3, 0.1)
    assert not refused.steps and "does not require grad" in refused.failure.error


@pytest.mark.parametrize("name", SCALAR_EXAMPLES + ["vector_mean", "detach"])
def test_value_at_is_evaluates_value(name: str) -> None:
    s = Session(load(example_paths()[name]))
    target = s.target()
    for dtype in (None, "float64"):
        leaves = s.private_leaves(None if dtype is None else getattr(ge, dtype))
        for scale in (1.0, -0.5, 3.25):
            for t in leaves.values():
                t.data = t * scale
            expected = s.evaluate(leaves, no_grad=True).value(target).detach().numpy()
            got = s.value_at(leaves, target)
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


def test_the_plan_is_compiled_once_per_structure_change() -> None:
    s = Session(load(example_paths()["small_network"]))
    plan = s.compiled()
    s.model.set_param(s.model.find("x"), "value", 2.0)  # a value: the same plan
    assert s.compiled() is plan
    s.model.set_flag(s.model.find("x"), "requires_grad", True)  # what requires grad changed
    again = s.compiled()
    assert again is not plan and s.model.find("x") in again.reached
    s.model.set_param(s.model.find("loss"), "epsilon", 0.1)  # a kind's parameter
    assert s.compiled() is not again
