"""Cooperative cancel in the graph layer: ``should_stop`` is asked between nodes; the nodes
not reached say they were not evaluated, a cancelled backward accumulates nothing, and a
cancelled train step updates nothing."""

from __future__ import annotations

from gradstudio.graph import GraphModel, Session
from gradstudio.graph.evaluate import CANCELLED


def _chain() -> tuple[GraphModel, list[str]]:
    model = GraphModel()
    ids = [model.add_node("weight", label="w")]
    for kind in ("sin", "cos", "exp"):
        ids.append(model.add_node(kind))
        model.connect(ids[-2], ids[-1], "x")
    return model, ids


def _stop_after(n: int):
    asked = []

    def should_stop() -> bool:
        asked.append(1)
        return len(asked) > n

    return should_stop, asked


def test_a_forward_stops_between_nodes_and_names_what_it_did_not_reach():
    model, (w, s, c, e) = _chain()
    should_stop, asked = _stop_after(1)  # sin runs, then the stop comes
    result = Session(model).forward(should_stop)
    assert result.cancelled and len(asked) == 2
    assert float(result.values[s].item()) == float(Session(model).forward().values[s].item())
    assert result.errors == {c: CANCELLED, e: CANCELLED}


def test_a_forward_not_stopped_is_whole():
    model, ids = _chain()
    should_stop, asked = _stop_after(10)
    result = Session(model).forward(should_stop)
    assert not result.cancelled and not result.errors and len(asked) == 3  # once per op


def test_a_cancelled_backward_accumulates_nothing():
    model, (w, *_rest) = _chain()
    session = Session(model)
    result = session.backward(should_stop=_stop_after(2)[0])
    assert not result.ok and result.error == "backward cancelled"
    assert session.grad(w) is None and session.ledger.entries == []
    assert session.backward().ok and session.grad(w) is not None


def test_a_cancelled_train_step_updates_nothing():
    model, (w, *_rest) = _chain()
    session = Session(model)
    step = session.train_step(0.1, should_stop=_stop_after(0)[0])
    assert not step.ok and step.updates == {} and session.loss_history == []
    assert model.node(w).params["value"] == 1.0
