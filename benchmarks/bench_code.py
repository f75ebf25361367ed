"""Code benchmarks: importing PyTorch code into a graph (read with ``ast``, never run).

The script is generated once: leaves, then one statement per line over earlier variables,
with numbers, method forms and a no_grad block among them, and a backward at the end, as a
long notebook cell would be. The time covers parsing, reading every statement, building the
graph model and laying it out as Arrange does.
"""

from __future__ import annotations

import random
from typing import Any

from .harness import Case, Run

LINES = 5_000
_FORMS = ("v{i} = torch.sigmoid({a} * {w} + 0.1)", "v{i} = ({a} - {b}).tanh() * 0.5",
          "v{i} = {a} ** 2 / ({b} * {b} + 1)", "v{i} = torch.clamp({a}, -1.0, 1.0) + {w}",
          "v{i} = -{a}.sin() + torch.exp({b} * 0.01)")


def script(lines: int = LINES, seed: int = 3) -> str:
    """A ``lines``-line straight-line script (every variable still used at the end)."""
    rng = random.Random(seed)
    out = ["import torch", "import torch.nn.functional as F"]
    weights = [f"w{k}" for k in range(20)]
    out += [f"{w} = torch.tensor({rng.uniform(-1, 1):.4f}, requires_grad=True)"
            for w in weights]
    out.append("v0 = torch.tensor([0.5, -0.25, 1.0])")
    i = 1
    while len(out) < lines - 4:
        form = rng.choice(_FORMS)
        line = form.format(i=i, a=f"v{i - 1}", b=f"v{rng.randrange(max(0, i - 10), i)}",
                           w=rng.choice(weights))
        out.append(line)
        i += 1
    out += ["with torch.no_grad():", f"    shown = v{i - 1} * 2",
            f"loss = F.mse_loss(v{i - 1}, torch.tensor([0.0, 0.0, 0.0]))", "loss.backward()"]
    return "\n".join(out) + "\n"


def import_5000_lines(lib: Any) -> Run:
    """Import a generated 5,000-line script (no PyTorch twin: the code is never run)."""
    from gradstudio.graph.code_import import import_code

    source = script()

    def run() -> dict[str, float]:
        imported = import_code(source)
        return {"nodes": float(len(imported.model))}

    return run


CASES = [
    Case("code_import_5000_lines", f"import a generated {LINES:,}-line PyTorch script as a "
         "graph (parse, read, build, lay out)", import_5000_lines, max_seconds=1.0,
         against_torch=False, repeats=3, quick_repeats=1),
]


EXPORT_NODES = 10_000


def _export(fmt: str) -> Any:
    def setup(lib: Any) -> Run:
        """Export a 10,000-node graph (bench_graph's recipe) as a script or a notebook:
        the program, the app's own backward, and for the notebook the step-through's
        words of every step and nbformat's validation."""
        from gradstudio.graph import Session
        from gradstudio.graph.code_export import export_text

        from .bench_graph import build_model, recipe

        session = Session(build_model(recipe(EXPORT_NODES), 0.3))

        def run() -> dict[str, float]:
            text = export_text(session, fmt, title="big.gsgraph")
            return {"characters": float(len(text))}

        return run
    return setup


_EXPORTS = (("py", "a PyTorch script (program, the app's backward)"),
            ("ipynb", "a Jupyter notebook (program, backward, the step-through's words, "
             "nbformat's validation)"))
CASES += [
    Case(f"code_export_{EXPORT_NODES}_nodes_{fmt}", f"export a {EXPORT_NODES:,}-node graph as "
         f"{what}", _export(fmt), max_seconds=1.0, against_torch=False, repeats=3,
         quick_repeats=1)
    for fmt, what in _EXPORTS
]
