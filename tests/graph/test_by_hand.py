"""By hand vs autograd: the product of local derivatives along every path from the loss to
a leaf, summed, equals what autograd gave the leaf (the notebook's manual derivation)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from trace_graphs import RG, all_graphs, build

from gradstudio.graph import Session, load
from gradstudio.graph.by_hand import MAX_PATHS, by_hand
from gradstudio.graph.trace import BACKWARD, LEAF, build_trace
from gradstudio.resources import example_paths

GRAPHS = all_graphs()


@pytest.mark.parametrize("name", list(GRAPHS))
def test_the_sum_over_paths_is_what_autograd_gave_each_leaf(name: str) -> None:
    s = Session(GRAPHS[name]())
    t = build_trace(s)
    reached = {st.node for st in t if st.phase in (BACKWARD, LEAF)}
    sub = s.model.graph.subgraph(reached)
    for step in t:
        if step.phase != LEAF:
            continue
        hand = by_hand(t, step.node)
        assert hand.agrees, hand.lines(step.label)
        np.testing.assert_allclose(hand.total, step.grad, rtol=1e-5, atol=1e-8)
        assert hand.count == len(list(nx.all_simple_edge_paths(sub, step.node, t.target)))
        for p in hand.paths:
            assert p.nodes[0] == t.target and p.nodes[-1] == step.node
            assert len(p.factors) == len(p.nodes) - 1
        if hand.count <= MAX_PATHS:
            np.testing.assert_allclose(sum(p.value for p in hand.paths), step.grad,
                                       rtol=1e-5, atol=1e-8)


def test_small_network_reads_like_the_notebook() -> None:
    m = load(example_paths()["small_network"])
    t = build_trace(Session(m))
    hand = by_hand(t, m.find("w"))
    assert hand.lines("w") == [
        "∂loss/∂y_pred · ∂y_pred/∂z · ∂z/∂wx · ∂wx/∂w = 813.3619 × 0.001228 × 1 × 6.7000 = 6.6918",
        "6.6918 equals what autograd gave w: 6.6918"]
    # the notebook's manual dloss_dy_pred = (y_pred - y) / (y_pred * (1 - y_pred)), y = 0
    y_pred = 1 / (1 + np.exp(-6.7))
    assert hand.paths[0].factors[0].local == pytest.approx(y_pred / (y_pred * (1 - y_pred)),
                                                           rel=1e-3)
    assert hand.total == pytest.approx(6.6917619705200195, rel=1e-6)


def test_many_paths_are_counted_and_the_first_ones_written_out() -> None:
    """x -> p1 = x·x -> p2 = p1·p1 -> ... : 2^5 paths."""
    nodes = [("x", "weight", {"value": 1.1}, RG)] + [(f"p{i}", "mul", {}, {}) for i in range(1, 6)]
    edges = []
    for i in range(1, 6):
        src = "x" if i == 1 else f"p{i - 1}"
        edges += [(src, f"p{i}", "a"), (src, f"p{i}", "b")]
    m = build(nodes, edges, "p5")
    t = build_trace(Session(m))
    hand = by_hand(t, m.find("x"))
    assert hand.count == 32 and len(hand.paths) == MAX_PATHS
    assert hand.agrees and hand.total == pytest.approx(32 * 1.1 ** 31, rel=1e-5)
    assert "... and 24 more paths" in hand.lines("x")


def test_a_leaf_backward_does_not_reach() -> None:
    m = load(example_paths()["detach"])
    t = build_trace(Session(m))
    hand = by_hand(t, m.find("x"))
    assert hand.total is None and not hand.agrees
    assert hand.lines("x") == ["no gradient reaches x: backward does not get there"]
