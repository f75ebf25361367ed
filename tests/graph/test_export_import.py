"""Import of export is the same graph, up to layout: every shipped example, the step-through's
test graphs and random graphs, written as a script by code_export and read back by
code_import, give the same nodes (name, kind, values, parameters, flags), wires, loss and
dtype.

Two things PyTorch code cannot say, so they are compared as the code says them: an identity
without detach is an alias in PyTorch (``j = e``: the same tensor, no op), so it is taken
out of the original with its wires joined; and a loss whose backward the app refuses is not
called in the script (it would raise), so it is not in the code."""

from __future__ import annotations

import pytest
from export_graphs import random_graphs
from trace_graphs import all_graphs

from gradstudio.graph import GraphModel, Session
from gradstudio.graph.code_export import script
from gradstudio.graph.code_import import import_code

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

GRAPHS = all_graphs()


def _as_code_says(model: GraphModel, backward_ok: bool) -> tuple:
    """Nodes by name, wires by names, the loss, the dtype; aliases (identities without
    detach) joined through."""
    nodes = {n.id: n for n in model.nodes()}
    alias = {n.id: model.inputs_of(n.id)["x"] for n in nodes.values()
             if n.kind == "identity" and not n.flags["detach"]}

    def source(node_id: str) -> str:
        while node_id in alias:
            node_id = alias[node_id]
        return node_id

    kept = {n.label: (n.kind, n.params, n.flags) for i, n in nodes.items() if i not in alias}
    wires = sorted((nodes[source(e.src)].label, nodes[e.dst].label, e.port)
                   for e in model.edges() if e.dst not in alias)
    loss = model.label(source(model.loss)) if backward_ok and model.loss else None
    return kept, wires, loss, model.settings.dtype


def check_round_trip(model: GraphModel) -> None:
    session = Session(model)
    backward_ok = session.backward().ok
    text = script(Session(model))
    back = import_code(text).model
    assert _as_code_says(back, backward_ok) == _as_code_says(model, backward_ok), text


@pytest.mark.parametrize("name", list(GRAPHS))
def test_import_of_export_is_the_same_graph_up_to_layout(name: str) -> None:
    model = GRAPHS[name]()
    if model.loss is None:  # the single end node, named: the script's backward names it
        model.set_loss(Session(model).target())
    check_round_trip(model)


def test_the_aliases_really_were_joined_through() -> None:
    """The pass-through graph has two identities: without joining them the round trip would
    differ, so the comparison above is not vacuous for it."""
    model = GRAPHS["pass_through"]()
    back = import_code(script(Session(model))).model
    assert sorted(n.label for n in back.nodes()) == ["e", "s", "w"]
    assert len(model) == 5


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_graphs())
def test_import_of_export_of_random_graphs(model: GraphModel) -> None:
    check_round_trip(model)
