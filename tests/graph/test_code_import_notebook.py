"""The seed autograd notebook, imported cell by cell: every code cell is fed to one
CodeImporter in file order, as a kernel runs them; after each, the graph of what the
variables hold is built and run on a fresh Session with the code's backward calls replayed,
and every output and error the notebook shows comes out of that graph.

The cells that build or change a graph are listed in BUILDS; the others in SHOWS, with why
they build nothing (a test checks both: a BUILDS cell changes the imported graph or its
replayed calls, a SHOWS cell leaves them as they were). The numbers a SHOWS cell prints are
computed from the graph: its code runs (here, in the test) on the session's tensors; a BUILDS
cell's last line (`z`, `x.grad.zero_()`) likewise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import gradstudio.engine as ge
from gradstudio.graph import Session
from gradstudio.graph.code_import import CodeImporter, ImportedGraph, replay

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from notebook_cells import CELLS, Cell  # noqa: E402
from test_notebook_replay import compare_with_notebook, execute_cell  # noqa: E402

BUILDS = {4, 5, 8, 12, 14, 16, 18, 20, 22, 23, 24, 25, 26, 29, 31, 32, 34, 41, 42, 43, 45,
          46, 47, 49, 53, 54, 55, 56, 57, 58, 60, 61, 62, 64}
SHOWS = {
    1: "import torch: makes torch known, no tensor",
    6: "shows x", 7: "shows y", 11: "shows x.grad", 13: "prints x, y and z", 15: "shows x.grad",
    17: "defines binary_cross_entropy_loss: its ops join the graph where In [18] and In [25] "
        "call it",
    19: "shows loss", 21: "prints the gradients worked out by hand in In [20]",
    28: "prints w.grad and b.grad", 30: "shows x", 33: "shows x.grad", 44: "shows x.grad",
    48: "shows x.grad", 50: "shows x", 51: "y = x ** 2 again on the same x: In [46]'s graph "
    "(this y has no grad_fn, as x stopped requiring grad in In [49], a flag of the graph's x)",
    52: "shows y", 59: "shows x.grad", 63: "shows y",
}


def test_every_cell_is_listed_once() -> None:
    numbers = [c.number for c in CELLS]
    assert sorted(BUILDS | set(SHOWS)) == sorted(numbers) and not BUILDS & set(SHOWS)


def _state(imported: ImportedGraph) -> tuple:
    doc = imported.model.to_dict()
    doc.pop("description", None)
    return doc, imported.actions


def _namespace(imported: ImportedGraph, session: Session) -> dict:
    """The variables as the graph gives them: a leaf's live tensor (with its .grad), an
    op's value from the last forward."""
    forward = session.last_forward or session.forward()
    namespace = {"torch": ge}
    for name, node in imported.names.items():
        spec = imported.model.node(node).spec
        namespace[name] = session.leaf(node) if spec.is_leaf else forward.value(node)
    return namespace


def _shown_part(line: str) -> str:
    """What a cell's last line shows, without doing it again: ``x.grad.zero_()`` and
    ``x.requires_grad_(False)`` show their tensor, which the replay already changed."""
    return re.sub(r"\.(zero_|requires_grad_)\([^)]*\)$", "", line)


def _fed() -> list[tuple[Cell, ImportedGraph, ImportedGraph]]:
    """Each cell with the import before and after it."""
    importer, out = CodeImporter(), []
    before = importer.result()
    for cell in CELLS:
        importer.feed(cell.code)
        after = importer.result()
        out.append((cell, before, after))
        before = after
    return out


FED = _fed()


@pytest.mark.parametrize("cell, before, after", FED, ids=[f"In{c.number}" for c, _, _ in FED])
def test_each_cell_imports_and_gives_the_notebooks_numbers(
        cell: Cell, before: ImportedGraph, after: ImportedGraph) -> None:
    changed = _state(before) != _state(after)
    assert changed == (cell.number in BUILDS), SHOWS.get(cell.number, "should build")
    session = Session(after.model)
    results = replay(session, after.actions)
    if cell.error is not None:  # the cell's backward is the last call, and it is refused
        assert after.actions and results, "no backward to refuse"
        assert results[-1].error == f"{cell.error[0]}: {cell.error[1]}"
        return
    if cell.output is None:
        return
    shown = cell
    if cell.number in BUILDS:  # only its last line shows something: `z`, `x.grad.zero_()`
        shown = Cell(cell.number, _shown_part(cell.code.rstrip().split("\n")[-1]),
                     cell.output, float_tolerance=cell.float_tolerance)
    run = execute_cell(shown, _namespace(after, session), "the imported graph")
    compare_with_notebook(run, "the imported graph")
    assert not run.problems, "\n".join(run.problems)


def test_the_small_network_cell_is_the_notebooks_chain_of_ops() -> None:
    """In [25]: loss = binary_cross_entropy_loss(y_pred, y) stays the function's ops."""
    after = next(a for c, _, a in FED if c.number == 25)
    model = after.model
    chain, node = [], after.names["loss"]
    while model.inputs_of(node):
        chain.append(model.node(node).kind)
        node = model.inputs_of(node).get("x") or model.inputs_of(node)["a"]
    assert chain[:3] == ["neg", "add", "mul"] and "clamp" not in chain
    kinds = {model.node(n).kind for n in model.node_ids()}
    assert {"clamp", "log", "sigmoid", "sub"} <= kinds and "bce" not in kinds
