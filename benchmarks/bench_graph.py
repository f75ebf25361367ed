"""Graph benchmarks: forward + backward through the compiled plan of a GraphModel, against
the same computation written directly in PyTorch; loading a 10,000-node file; building and
stepping through the step-through trace of a 1,000-node graph.

A recipe (a list of ops over earlier values) is generated once; the engine side builds a
GraphModel from it and replays it through a Session, the PyTorch side evaluates the recipe.
"""

from __future__ import annotations

import random
from typing import Any

from .harness import Case, Run

UNARY = ("sin", "sigmoid", "tanh", "square")
BINARY = ("add", "mul")


def recipe(n_nodes: int, seed: int = 7) -> list[tuple[str, tuple[int, ...]]]:
    """Node i is (kind, inputs): two leaves first, then ops over recent earlier nodes, so
    every node lies on a path to the last one."""
    rng = random.Random(seed)
    steps: list[tuple[str, tuple[int, ...]]] = [("c", ()), ("x", ())]
    for i in range(2, n_nodes):
        if i % 3 == 0:
            steps.append((rng.choice(BINARY), (i - 1, rng.randrange(max(0, i - 8), i - 1))))
        else:
            steps.append((rng.choice(UNARY), (i - 1,)))
    steps.append(("mean", (n_nodes - 1,)))
    return steps


def _torch_eval(lib: Any, steps: list, x: Any, c: Any) -> Any:
    values: list[Any] = []
    for kind, ins in steps:
        if kind == "x":
            values.append(x)
        elif kind == "c":
            values.append(c)
        elif kind == "square":
            values.append(values[ins[0]] ** 2)
        elif kind in UNARY or kind == "mean":
            values.append(getattr(lib, kind)(values[ins[0]]))
        elif kind == "add":
            values.append(values[ins[0]] + values[ins[1]])
        else:
            values.append(values[ins[0]] * values[ins[1]])
    return values[-1]


def build_model(steps: list, x_value: Any) -> Any:
    """The recipe as a graph (``graph_vector_50``: 50 million numbers, within
    ``limits.MAX_TOTAL_ELEMENTS``)."""
    from gradstudio.graph import GraphModel

    model = GraphModel()
    ids = []
    for i, (kind, ins) in enumerate(steps):
        if kind == "x":
            ids.append(model.add_node("input", label="x", params={"value": x_value},
                                      flags={"requires_grad": True}))
        elif kind == "c":
            ids.append(model.add_node("constant", label="c", params={"value": 0.5}))
        else:
            node = model.add_node(kind, label=f"v{i}", position=(i * 10.0, 0.0))
            ports = ("x",) if len(ins) == 1 else ("a", "b")
            for port, src in zip(ports, ins, strict=True):
                model.connect(ids[src], node, port)
            ids.append(node)
    model.set_loss(ids[-1])
    return model


def _graph_case(n_nodes: int, vector: int | None, compiled: bool = True) -> Any:
    """Forward + backward of the recipe's graph: through the session's compiled plan (the
    scalar or the vector plan, as Train N and the probes run it), or with ``compiled=False``
    through ``Session.backward`` (the engine, op by op, as the Backward button)."""
    steps = recipe(n_nodes)
    x_value = 0.3 if vector is None else [0.3] * vector

    def setup(lib: Any) -> Run:
        if lib.__name__ == "gradstudio.engine":
            from gradstudio.graph import Session

            model = build_model(steps, x_value)
            session = Session(model)
            session.retain_intermediate = False
            if compiled:  # compiled once, as Train N and the probes compile it
                return _plan_run(session, model.find("x"))
            session.forward()  # as the app does after an edit
            session.last_forward = None  # the PyTorch side starts with no graph alive either
            x = session.leaf(model.find("x"))

            def run() -> dict[str, float]:
                result = session.backward()
                assert result.ok, result.error
                return {"loss": result.loss.item(), "x.grad.sum": x.grad.sum().item()}

            return run
        x = (lib.tensor(0.3) if vector is None else lib.full((vector,), 0.3)).requires_grad_()
        c = lib.tensor(0.5)

        def run() -> dict[str, float]:
            loss = _torch_eval(lib, steps, x, c)
            loss.backward()
            return {"loss": loss.item(), "x.grad.sum": x.grad.sum().item()}

        return run

    return setup


def _plan_run(session: Any, x_id: str) -> Run:
    """The compiled plan's backward; its leaf gradients accumulate run after run, as x.grad
    does on the PyTorch side."""
    import numpy as np

    plan = session.compiled()
    leaves = plan.inputs([session.leaf(n)._data for n in plan.leaves])
    grads: list[Any] = [None] * len(plan.leaves)
    target, x = plan.node_ids.index(plan.target), plan.node_ids.index(x_id)

    def run() -> dict[str, float]:
        values, got = plan.backward(leaves, grads)
        return {"loss": float(np.mean(values[target])), "x.grad.sum": float(np.sum(got[x]))}

    return run


def load_10000(lib: Any) -> Run:
    """Parse, schema-check and build a 10,000-node file (no PyTorch twin)."""
    import tempfile
    from pathlib import Path

    from gradstudio.graph import fileformat

    model = build_model(recipe(10_000), 0.3)
    folder = tempfile.mkdtemp()
    path = Path(folder) / "big.gsgraph"
    fileformat.save(model, path)

    def run() -> dict[str, float]:
        loaded = fileformat.load(path)
        return {"nodes": float(len(loaded))}

    return run


STEPS_SHOWN = 50  # steps visited per run of trace_step_1000


def _traced_session(n_nodes: int) -> Any:
    from gradstudio.graph import Session

    session = Session(build_model(recipe(n_nodes), 0.3))
    session.forward()  # the plan is compiled, as in the app before Step Through
    return session


def trace_build_1000(lib: Any) -> Run:
    """Entering step-through: the whole trace of a 1,000-node graph, built once."""
    from gradstudio.graph.trace import build_trace

    session = _traced_session(1_000)

    def run() -> dict[str, float]:
        trace = build_trace(session)
        return {"steps": float(len(trace))}

    return run


def trace_step_1000(lib: Any) -> Run:
    """One step on a built 1,000-node trace: the step itself (its text and wires) and the
    frame the canvas redraws after a jump or Step back, at evenly spread steps."""
    import time

    from gradstudio.graph.trace import build_trace

    trace = build_trace(_traced_session(1_000))
    spread = [i * (len(trace) - 1) // (STEPS_SHOWN - 1) for i in range(STEPS_SHOWN)]

    def run() -> dict[str, float]:
        t0 = time.perf_counter()
        wires = 0
        for i in spread:
            step = trace[i]
            wires += len(step.text) > 0 and len(step.wires)
            trace.frame(i)
        return {"seconds_per_step": (time.perf_counter() - t0) / STEPS_SHOWN,
                "wires": float(wires)}

    return run


CASES = [
    Case("graph_scalar_1000", "1,000-node scalar graph, plan forward + backward",
         _graph_case(1_000, None), max_ratio=0.5, repeats=20, quick_repeats=3, rtol=1e-4,
         atol=1e-6),
    Case("graph_scalar_10000", "10,000-node scalar graph, plan forward + backward",
         _graph_case(10_000, None), max_ratio=0.15, repeats=5, quick_repeats=1, rtol=1e-3,
         atol=1e-6),
    Case("graph_vector_50", "50-node graph over 1M-element float32 vectors, vector plan "
         "fwd + bwd", _graph_case(50, 1_000_000), max_ratio=0.6, repeats=10, quick_repeats=2,
         rtol=1e-3, atol=1e-6),
    Case("graph_scalar_10000_engine", "the same 10,000 nodes through Session.backward (the "
         "engine, op by op)", _graph_case(10_000, None, compiled=False), max_ratio=0.5,
         repeats=5, quick_repeats=1, rtol=1e-3, atol=1e-6),
    Case("graph_vector_50_engine", "the same 50 vector nodes through Session.backward",
         _graph_case(50, 1_000_000, compiled=False), max_ratio=1.0, repeats=10,
         quick_repeats=2, rtol=1e-3, atol=1e-6),
    Case("trace_build_1000", "build the step-through of a 1,000-node graph (once per Step "
         "Through)", trace_build_1000, max_seconds=1.0, against_torch=False, repeats=5,
         quick_repeats=1),
    Case("trace_step_1000", f"{STEPS_SHOWN} steps on a 1,000-node trace: step + frame each",
         trace_step_1000, max_seconds=STEPS_SHOWN * 0.016, against_torch=False, repeats=5,
         quick_repeats=1),
    Case("load_10000_nodes", "load + validate a 10,000-node .gsgraph file", load_10000,
         max_seconds=1.0, against_torch=False, repeats=3, quick_repeats=1),
]
