"""Learn-by-doing benchmarks (issue 14): the loss slice of the notebook network and Check
Gradients on a 1,000-node scalar graph, both through the session's evaluation
(``Session.evaluate``), the way the window runs them. No PyTorch twin: absolute targets.
"""

from __future__ import annotations

from typing import Any

from .harness import Case, Run

WEIGHT_EVERY = 4  # one node in four of the check's graph is a weight that requires grad


def check_graph(n_nodes: int) -> Any:
    """A scalar graph of ``n_nodes`` nodes in blocks of four: a weight w_k, v * w_k, its
    tanh, and that plus v (the next v), then sines up to ``n_nodes``, the last one the loss.
    Every weight is on the loss's
    path, so the check does two forwards of the whole graph per weight."""
    from gradstudio.graph import GraphModel

    model = GraphModel()
    v = model.add_node("input", label="x", params={"value": 0.3})
    for k in range((n_nodes - 1) // WEIGHT_EVERY):
        w = model.add_node("weight", label=f"w{k}", params={"value": 0.5 + (k % 7) / 7},
                           position=(k * 40.0, 0.0))
        mul = model.add_node("mul", label=f"m{k}", position=(k * 40.0, 40.0))
        model.connect(v, mul, "a")
        model.connect(w, mul, "b")
        th = model.add_node("tanh", label=f"t{k}", position=(k * 40.0, 80.0))
        model.connect(mul, th, "x")
        nxt = model.add_node("add", label=f"v{k}", position=(k * 40.0, 120.0))
        model.connect(th, nxt, "a")
        model.connect(v, nxt, "b")
        v = nxt
    while len(model) < n_nodes:  # the rest: sines, so the graph has exactly n_nodes nodes
        nxt = model.add_node("sin", label=f"s{len(model)}")
        model.connect(v, nxt, "x")
        v = nxt
    model.set_loss(v)
    return model


def gradcheck_1000(lib: Any) -> Run:
    """Run ▸ Check Gradients on a 1,000-node scalar graph with 249 weights."""
    from gradstudio.graph import Session
    from gradstudio.graph.gradcheck import check_gradients

    session = Session(check_graph(1_000))
    session.forward()  # the plan is compiled, as in the window before the check

    def run() -> dict[str, float]:
        check = check_gradients(session)
        assert check.ok, check.summary()
        return {"elements": float(check.done), "nodes": float(len(session.model))}

    return run


def slice_200(lib: Any) -> Run:
    """The loss slice of w on the notebook's small network: 200 points and the tangent."""
    from gradstudio.graph import Session, load
    from gradstudio.graph.loss_slice import loss_slice
    from gradstudio.resources import example_paths

    session = Session(load(example_paths()["small_network"]))
    session.forward()
    w = session.model.find("w")

    def run() -> dict[str, float]:
        s = loss_slice(session, w, points=200)
        return {"points": float(len(s.xs)), "slope": s.slope}

    return run


CASES = [
    Case("slice_small_network_200", "loss slice of w on the small network: 200 points + "
         "tangent", slice_200, max_seconds=0.05, against_torch=False, repeats=20,
         quick_repeats=3),
    Case("gradcheck_1000_nodes", "Check Gradients on a 1,000-node scalar graph (249 weights, "
         "two forwards each)", gradcheck_1000, max_seconds=2.0, against_torch=False,
         repeats=3, quick_repeats=1),
]
