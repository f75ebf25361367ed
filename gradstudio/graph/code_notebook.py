"""A graph as a Jupyter notebook: the exported script's code, one cell per step, each after
a markdown cell that explains it in the app's own words.

The words come from the step-through (``graph/trace.py``: ``y_pred = σ(z) = σ(6.7000) =
0.9988  (grad_fn=<SigmoidBackward0>)``, the backward's ``∂loss/∂z = … → wx``) and the catalog
(a helper's doc), so the notebook says what the canvas says. The teacher's notes and frames
(``graph/annotations.py``) go in too (``_placed``): a frame's title heads the step of its first
member, a note inside a frame goes with that step, a note near a card with that card's step,
and any other note in the introduction. The code cells are the script's statements
(``code_export.program``). Written with nbformat and validated against nbformat's schema
before it is returned (``notebook_schema``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator

import nbformat
from nbformat import NotebookNode, v4

from gradstudio import __version__

from .annotations import Rect, note_markdown
from .annotations import markdown_text as _md
from .catalog import KINDS
from .code_export import Program, program
from .evaluate import gc_paused
from .layout import GAP_X, estimated_box
from .model import GraphModel
from .notebook_file import file_text
from .notebook_schema import validate
from .session import Session
from .trace import FORWARD, Trace, build_trace

__all__ = ["notebook", "notebook_text", "NEAR"]

NEAR = GAP_X  # scene units between a note and a card for the note to be about that card


def notebook(session: Session, *, repeat: int = 1, title: str = "") -> nbformat.NotebookNode:
    """The notebook of the session's graph (a GraphError when it cannot be exported)."""
    with gc_paused():  # tens of thousands of cells and step words, none in a cycle
        return _validated(session, repeat, title, NotebookNode)


def notebook_text(session: Session, *, repeat: int = 1, title: str = "") -> str:
    """The notebook as the text of an ``.ipynb`` file: the same notebook as ``notebook``,
    validated as it is, in plain dicts (nothing here reads a cell as an object, and a
    ``NotebookNode`` costs seven times a dict to make); nbformat.writes would validate it a
    second time."""
    with gc_paused():
        return file_text(_validated(session, repeat, title, dict))


def _validated(session: Session, repeat: int, title: str, node: type[dict]) -> dict:
    """The notebook in ``node`` (NotebookNode or dict), validated once as a whole."""
    book = _book(_cells(session, repeat, title), node)
    validate(book)  # nbformat's schema, as nbformat.validate checks it
    return book


CODE, MARKDOWN = "code", "markdown"


def _cells(session: Session, repeat: int, title: str) -> list[tuple[str, str]]:
    """Every cell as (type, source): the introduction, the helpers, a markdown and a code
    cell per node, the backward and the prints."""
    trace = _trace(session)
    prog = program(session, repeat, ran=(trace.forward, trace.backward),  # the same run
                   nodes=trace.nodes)
    steps = {"forward": {s.node: s.text for s in trace if s.phase == FORWARD},
             "backward": [s.text for s in trace if s.phase != FORWARD]}
    model = session.model
    intro = [f"# {_md(title or 'graph')}", ""]
    if model.description:
        intro += [_md(model.description), ""]
    intro.append(f"Exported from GradStudio {__version__}: one cell per node, in the order "
                 "the app computes them, each with the words of its step-through. Run the "
                 "cells in order and PyTorch gives the app's numbers.")
    intro_notes, step_notes = _placed(model, [st.node for st in prog.statements])
    for text in intro_notes:
        intro += ["", text]
    cells = [(MARKDOWN, "\n".join(intro)), (CODE, "import torch")]
    for helper in prog.helpers:
        spec = next(k for k in KINDS.values() if k.helper == helper)
        cells += [(MARKDOWN, _md(f"{spec.title}: {spec.doc}.")), (CODE, helper.rstrip("\n"))]
    forward = steps["forward"]
    nodes = trace.nodes
    for st in prog.statements:
        label = nodes[st.node].label
        words = _md(forward.get(st.node, label))
        if st.name != label:
            words += f"\n\n(In the code: `{st.name}`.)"
        if st.node in step_notes:
            words = "\n\n".join([*step_notes[st.node], words])
        cells += [(MARKDOWN, words), (CODE, "\n".join([*st.lines(), st.name]))]
    return cells + _backward_cells(prog, steps["backward"])


def _book(cells: list[tuple[str, str]], node: type[dict]) -> dict:
    """The notebook of ``cells``, each cell made as ``v4.new_code_cell`` or
    ``v4.new_markdown_cell`` makes it (in ``node``: NotebookNode or dict), without their
    check of each cell on its own (jsonschema, slow enough to take seconds for 10,000
    cells): the caller validates the whole notebook once."""
    book = node(v4.new_notebook(metadata={  # validates what it is given: no cells yet
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}))
    ids = _cell_ids()  # as many as asked
    book["cells"] = [
        node(id=next(ids), cell_type=CODE, metadata=node(), execution_count=None,
             source=source, outputs=[]) if cell_type == CODE else
        node(id=next(ids), cell_type=MARKDOWN, source=source, metadata=node())
        for cell_type, source in cells]
    return book


def _cell_ids() -> Iterator[str]:
    """Random cell ids of eight hex digits, as nbformat's ``generate_corpus_id`` makes them,
    drawn in bulk and never the same twice in one notebook (among 20,000 of nbformat's own
    two are often alike, which validation repairs with a warning)."""
    seen: set[str] = set()
    while True:
        block = os.urandom(4 * 1024).hex()
        for i in range(0, len(block), 8):
            cell_id = block[i:i + 8]
            if cell_id not in seen:
                seen.add(cell_id)
                yield cell_id


def _placed(model: GraphModel, order: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The notes and frame titles as markdown: those of the introduction, and those of each
    node's step (a frame's title first, then the notes in reading order, top to bottom)."""
    index = {n: i for i, n in enumerate(order)}
    boxes: dict[str, Rect] = {}  # each card's, once a note needs them
    frames = sorted((f for f in model.annotations.frames() if set(f.members) & index.keys()),
                    key=lambda f: f.rect[2] * f.rect[3])  # the innermost frame first
    steps: dict[str, list[str]] = defaultdict(list)
    first = {f.id: min(set(f.members) & index.keys(), key=index.__getitem__) for f in frames}
    for f in sorted(frames, key=lambda f: index[first[f.id]]):
        if f.title.strip():
            steps[first[f.id]].append(f"### {_md(f.title)}")
    intro: list[str] = []
    for note in sorted(model.annotations.notes(), key=lambda n: (n.rect[1], n.rect[0])):
        if not note.text.strip():
            continue
        cx, cy = note.rect[0] + note.rect[2] / 2, note.rect[1] + note.rect[3] / 2
        frame = next((f for f in frames if _inside(cx, cy, f.rect)), None)
        if frame is not None:
            node: str | None = first[frame.id]
        else:
            boxes = boxes or {n: _card(model, n) for n in order}
            gaps = [(_gap(note.rect, boxes[n]), index[n], n) for n in order]
            gap, _, node = min(gaps, default=(NEAR + 1, 0, None))
            node = node if gap <= NEAR else None
        (steps[node] if node is not None else intro).append(note_markdown(note.text))
    return intro, steps


def _card(model: GraphModel, node: str) -> Rect:
    """Where a node's card is on the canvas (its size as the layout estimates it)."""
    data = model.node(node)
    box = estimated_box(data.kind)
    return (*data.position, box.width, box.height)


def _inside(x: float, y: float, rect: Rect) -> bool:
    return rect[0] <= x <= rect[0] + rect[2] and rect[1] <= y <= rect[1] + rect[3]


def _gap(a: Rect, b: Rect) -> float:
    """The distance between two rectangles (0 when they overlap)."""
    dx = max(b[0] - (a[0] + a[2]), a[0] - (b[0] + b[2]), 0.0)
    dy = max(b[1] - (a[1] + a[3]), a[1] - (b[1] + b[3]), 0.0)
    return (dx * dx + dy * dy) ** 0.5


def _trace(session: Session) -> Trace:
    """The step-through whose words the cells take (each node's forward step, then the
    backward's steps in order): the trace of the graph itself, as the export writes it
    (no-grad mode off, the leaves without gradients)."""
    mode, session.no_grad_mode = session.no_grad_mode, False
    try:
        return build_trace(session, accumulate=False)
    finally:
        session.no_grad_mode = mode


def _backward_cells(prog: Program, texts: list[str]) -> list[tuple[str, str]]:
    words = "\n".join(f"- {_md(t)}" for t in texts)
    if prog.repeat > 1 and prog.backward.ok:
        words += f"\n\nBackward runs {prog.repeat} times: each leaf's .grad adds them up."
    return [(MARKDOWN, words), (CODE, "\n".join(prog.backward_lines())),
            (MARKDOWN, "What each leaf's .grad holds now (None: no gradient reached it)."),
            (CODE, "\n".join(prog.print_lines()))]
