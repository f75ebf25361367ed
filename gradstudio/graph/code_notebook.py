"""A graph as a Jupyter notebook: the exported script's code, one cell per step, each after
a markdown cell that explains it in the app's own words.

The words come from the step-through (``graph/trace.py``: ``y_pred = σ(z) = σ(6.7000) =
0.9988  (grad_fn=<SigmoidBackward0>)``, the backward's ``∂loss/∂z = … → wx``) and the catalog
(a helper's doc), so the notebook says what the canvas says. The code cells are the script's
statements (``code_export.program``). Written with nbformat and validated before it is returned.
"""

from __future__ import annotations

import re

import nbformat
from nbformat import v4

from gradstudio import __version__

from .catalog import KINDS
from .code_export import Program, program
from .session import Session
from .trace import FORWARD, build_trace

__all__ = ["notebook", "notebook_text"]

_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~&])")


def _md(text: str) -> str:
    """Plain text in markdown as it is: labels and formulas must not turn into emphasis,
    links or HTML."""
    return _MARKDOWN.sub(r"\\\1", text)


def notebook(session: Session, *, repeat: int = 1, title: str = "") -> nbformat.NotebookNode:
    """The notebook of the session's graph (a GraphError when it cannot be exported)."""
    prog = program(session, repeat)
    steps = _trace_texts(session)
    model = session.model
    intro = [f"# {_md(title or 'graph')}", ""]
    if model.description:
        intro += [_md(model.description), ""]
    intro.append(f"Exported from GradStudio {__version__}: one cell per node, in the order "
                 "the app computes them, each with the words of its step-through. Run the "
                 "cells in order and PyTorch gives the app's numbers.")
    cells = [v4.new_markdown_cell("\n".join(intro)), v4.new_code_cell("import torch")]
    for helper in prog.helpers:
        spec = next(k for k in KINDS.values() if k.helper == helper)
        cells += [v4.new_markdown_cell(_md(f"{spec.title}: {spec.doc}.")),
                  v4.new_code_cell(helper.rstrip("\n"))]
    for st in prog.statements:
        label = model.label(st.node)
        words = _md(steps["forward"].get(st.node, label))
        if st.name != label:
            words += f"\n\n(In the code: `{st.name}`.)"
        cells += [v4.new_markdown_cell(words),
                  v4.new_code_cell("\n".join([*st.lines(), st.name]))]
    cells += _backward_cells(prog, steps["backward"])
    book = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(book)
    return book


def notebook_text(session: Session, *, repeat: int = 1, title: str = "") -> str:
    """The notebook as the text of an ``.ipynb`` file."""
    return nbformat.writes(notebook(session, repeat=repeat, title=title))


def _trace_texts(session: Session) -> dict[str, dict[str, str] | list[str]]:
    """The step-through's words: each node's forward step, then the backward's steps in
    order. The trace of the graph itself, as the export writes it (no-grad mode off)."""
    mode, session.no_grad_mode = session.no_grad_mode, False
    try:
        trace = build_trace(session, accumulate=False)
    finally:
        session.no_grad_mode = mode
    return {"forward": {s.node: s.text for s in trace if s.phase == FORWARD},
            "backward": [s.text for s in trace if s.phase != FORWARD]}


def _backward_cells(prog: Program, texts: list[str]) -> list[nbformat.NotebookNode]:
    words = "\n".join(f"- {_md(t)}" for t in texts)
    if prog.repeat > 1 and prog.backward.ok:
        words += f"\n\nBackward runs {prog.repeat} times: each leaf's .grad adds them up."
    return [v4.new_markdown_cell(words), v4.new_code_cell("\n".join(prog.backward_lines())),
            v4.new_markdown_cell("What each leaf's .grad holds now (None: no gradient "
                                 "reached it)."),
            v4.new_code_cell("\n".join(prog.print_lines()))]
