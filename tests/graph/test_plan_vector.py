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
from gradstudio.graph.plan import PlanRefused
from gradstudio.graph.plan_vector import compile_vector
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
