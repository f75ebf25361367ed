"""Compiled-plan benchmarks (issue 15): the notebook network's train step in the plan, the
same steps as ``gradstudio run small_network.gsgraph --steps N`` runs them, and Train N in
the window with the Training panel's plot.

The PyTorch and micrograd-style twins are the eager training loops of
``bench_engine.small_network_10000_steps`` (the notebook's code), so each ratio is "this
path of the app" against "the same training written in that library".
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from .bench_engine import small_network_10000_steps, small_network_10000_steps_micrograd
from .harness import Case, Run

STEPS = 10_000


def _example() -> str:
    from gradstudio.resources import example_paths

    return str(example_paths()["small_network"])


def plan_train(lib: Any) -> Run:
    """The compiled plan's SGD loop, 10,000 steps, from the file's w = 1, b = 0."""
    if lib.__name__ != "gradstudio.engine":
        return small_network_10000_steps(lib)
    from gradstudio.graph import Session, load

    session = Session(load(_example()))
    plan = session.compiled()
    start = plan.inputs([session.leaf(n)._data for n in plan.leaves])
    w, b = (plan.leaves.index(session.model.find(n)) for n in ("w", "b"))

    def run() -> dict[str, float]:
        leaves, losses, path = list(start), [], []
        plan.train(leaves, [None] * len(leaves), 0.1, STEPS, losses, path)
        return {"w": leaves[w], "b": leaves[b], "loss": losses[-1]}

    return run


def cli_run(lib: Any) -> Run:
    """``gradstudio run small_network.gsgraph --steps 10000 --json`` in this process (the
    interpreter's start-up and imports excluded; the file's load, the run, the last forward
    and the JSON report included)."""
    if lib.__name__ != "gradstudio.engine":
        return small_network_10000_steps(lib)
    from gradstudio.app import main

    def run() -> dict[str, float]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["run", _example(), "--steps", str(STEPS), "--lr", "0.1", "--json"])
        assert code == 0, out.getvalue()
        report = json.loads(out.getvalue())
        values = report["values"]
        return {"w": values["w"]["value"], "b": values["b"]["value"],
                "loss": report["losses"][-1]}

    return run


def ui_train(lib: Any) -> Run:
    """Train 10,000 steps from the Training panel of the window, the plot drawn: from the
    press to the run's end (the last forward, the plot and the panel refreshed)."""
    from PySide6.QtWidgets import QApplication

    from .bench_ui import _window

    window = _window()
    window.load(_example())
    panel = window.panels["training"]
    panel.parentWidget().show()
    panel.steps_box.setValue(STEPS)
    QApplication.processEvents()

    def run() -> dict[str, float]:
        panel.reset_history()  # each repeat plots its own 10,000 steps, as a first run does
        panel.train()
        while panel.job is not None:
            QApplication.processEvents()
        window.view.viewport().grab()
        return {"steps": float(len(panel.losses)), "loss": panel.losses[-1]}

    return run


CASES = [
    Case("plan_train_10000_steps", "the notebook network's train step in the compiled plan, "
         "10,000 steps (Session.compiled().train)", plan_train, max_micrograd_ratio=0.25,
         repeats=5, quick_repeats=1, rtol=0, atol=1e-4,
         micrograd=small_network_10000_steps_micrograd),
    Case("run_steps_10000", "`gradstudio run small_network.gsgraph --steps 10000 --json`, "
         "in-process", cli_run, max_micrograd_ratio=0.25, repeats=5, quick_repeats=1, rtol=0,
         atol=1e-4, micrograd=small_network_10000_steps_micrograd),
    Case("ui_train_10000_steps", "Train 10,000 steps from the Training panel, plot drawn",
         ui_train, max_seconds=0.3, against_torch=False, repeats=3, quick_repeats=1),
]
