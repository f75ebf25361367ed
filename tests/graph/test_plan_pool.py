"""The vector plan's shared buffers (graph/plan_pool.py): a buffer is reused only once dead,
so every function still gives the engine's bits; node values and leaf gradients stay
available after a run; a 50-node graph holds its values and a few buffers, not one per value
and per gradient."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from plan_graphs import leaf_inputs, same_array, vector_graphs

from benchmarks.bench_graph import build_model, recipe
from gradstudio.graph import GraphModel, Session
from gradstudio.graph.plan import PlanRefused
from gradstudio.graph.plan_pool import Pool
from gradstudio.graph.plan_vector import compile_vector

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _shared(lines: list[str], shapes: dict[str, tuple]) -> list[list[str]]:
    """The logical names that share one array, each group in order."""
    pool = Pool(np.dtype("float32"))
    pool.shapes.update(shapes)
    bound = pool.share(lines)
    groups: dict[int, list[str]] = {}
    for name in shapes:
        groups.setdefault(id(bound[name]), []).append(name)
    return sorted(groups.values())


def test_a_dead_buffer_is_reused_and_a_live_one_is_not() -> None:
    groups = _shared(["def f(L):", "    np.sin(x, out=B1)", "    v1 = B1",
                      "    np.cos(v1, out=B2)", "    v2 = B2", "    np.exp(v2, out=B3)",
                      "    v3 = B3", "    return (v3,)"], {f"B{i}": (4,) for i in (1, 2, 3)})
    assert groups == [["B1", "B3"], ["B2"]]  # B1 is dead once cos has read it


def test_a_variable_bound_to_a_buffer_keeps_it_alive() -> None:
    """g5 = g7 passes D7 on unchanged (alive while g5 is read); np.add(..., out=D4) binds g4
    to D4; a buffer of another shape never shares."""
    shapes = {"D7": (4,), "T0": (4,), "D4": (4,), "T1": (4,), "B9": (2,)}
    groups = _shared(["def f(L):", "    np.negative(x, out=D7)", "    g7 = D7", "    g5 = g7",
                      "    np.sin(x, out=T0)", "    g4 = np.add(g5, T0, out=D4)",
                      "    np.cos(x, out=T1)", "    np.add(g4, T1, out=g4)",
                      "    np.tanh(y, out=B9)", "    return (g4,)"], shapes)
    assert groups == [["B9"], ["D4"], ["D7", "T1"], ["T0"]]


def _engine_without_intermediate_grads(model: GraphModel) -> tuple[dict, dict, Session]:
    s = Session(model)
    s.retain_intermediate = False
    result = s.backward()
    assert result.ok, result.error
    values = {n: np.array(v.detach().numpy()) for n, v in s.last_forward.values.items()}
    grads = {n: None if s.grad(n) is None else np.array(s.grad(n).numpy())
             for n in model.node_ids()}
    return values, grads, s


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(vector_graphs(max_ops=10))
def test_shared_buffers_give_the_engines_bits_in_every_function(model: GraphModel) -> None:
    """Without intermediate gradients (as the session with "retain intermediate" off):
    backward's node values and leaf gradients, then forward's values and the loss."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assume(Session(model).backward().ok)
        try:
            plan = compile_vector(model, retain_grads=False)
        except PlanRefused:
            assume(False)
        values, grads, s = _engine_without_intermediate_grads(model)
        leaves = leaf_inputs(s, plan.leaves)
        got_values, got_grads = plan.backward(leaves, [None] * len(leaves))
        for n, v, g in zip(plan.node_ids, got_values, got_grads, strict=True):
            assert same_array(v, values[n]), model.label(n)
            assert same_array(g, grads[n]), model.label(n)
        for n, v in zip(plan.node_ids, plan.forward(leaves), strict=True):
            assert same_array(v, values[n]), model.label(n)
        assert same_array(plan.loss(leaves), values[plan.target])


N = 10_000


def test_a_50_node_graph_keeps_its_values_and_a_few_buffers() -> None:
    """benchmarks' graph_vector_50 at 10,000 numbers: 48 vector values are kept (the app
    shows them); before the buffers were shared it held 97 arrays (a value, a gradient and
    a scratch each), now the gradients and temporaries share six (and two bool masks)."""
    model = build_model(recipe(50), [0.3] * N)
    lean = compile_vector(model, retain_grads=False)
    assert lean.buffer_bytes <= (48 + 7) * 4 * N
    kept = compile_vector(model)  # every node's gradient returned and kept apart (what an
    assert kept.buffer_bytes >= (48 + 40) * 4 * N  # add passes on unchanged is one array)
    s = Session(model)
    assert s.compiled().buffer_bytes == kept.buffer_bytes  # retain intermediate: on
    s.retain_intermediate = False
    assert s.compiled().buffer_bytes == lean.buffer_bytes
    leaves = lean.inputs([s.leaf(n)._data for n in lean.leaves])
    _, grads = lean.backward(leaves, [None] * len(leaves))
    assert [g is None for g in grads] == [n != model.find("x") for n in lean.node_ids]
