"""The teacher's notes and frames in the exported notebook: a frame's title heads the step of
its first member, a note inside a frame goes with that step, a note beside a card with that
card's step, any other note in the introduction; the notes' markup (bold, italics, code,
line breaks) becomes markdown and anything else stays text; the code is unchanged."""

from __future__ import annotations

import nbformat

from gradstudio.app import main
from gradstudio.graph import GraphModel, Session, load, save
from gradstudio.graph.code_notebook import NEAR, notebook
from gradstudio.resources import example_paths


def _network() -> tuple[GraphModel, dict[str, str]]:
    model = load(example_paths()["small_network"])
    return model, {model.label(n): n for n in model.node_ids()}


def _cells(model: GraphModel) -> list[nbformat.NotebookNode]:
    book = notebook(Session(model), title="net")
    nbformat.validate(book)
    return book.cells


def _markdown_before(cells, code_start: str) -> str:
    """The markdown cell just before the code cell that starts with ``code_start``."""
    i = next(i for i, c in enumerate(cells) if c.cell_type == "code" and
             c.source.startswith(code_start))
    assert cells[i - 1].cell_type == "markdown"
    return cells[i - 1].source


def _notes_and_frames(model: GraphModel, ids: dict[str, str]) -> None:
    """small_network's cards: w (0, 0), x (0, 114), wx (184, 48), y_pred (552, 112), each
    about 140 wide and 100-120 high."""
    notes = model.annotations
    notes.add_frame("The weighted input", (-20, -40, 360, 300), [ids["w"], ids["x"], ids["wx"]])
    notes.add_note("Inside the frame: **w** times *x*", (200, 200, 120, 40))
    notes.add_note("The sigmoid squashes `z` into (0, 1)", (552, 112 - 40 - 10, 140, 40))
    notes.add_note("Far away: read this first.\nA second line <b>not HTML</b> [no](link)",
                   (3000, 3000, 200, 60))


def test_each_note_goes_with_its_step_or_the_introduction() -> None:
    model, ids = _network()
    plain = _cells(model)
    _notes_and_frames(model, ids)
    cells = _cells(model)
    intro = cells[0].source
    assert intro.startswith("# net")
    assert "Far away: read this first." in intro
    # the frame's first member in evaluation order is x (x, w, b, y, wx, ...): its step
    # gets the frame's title, then the note inside the frame, then the step's own words
    x_step = _markdown_before(cells, "x = torch.tensor(")
    words = _markdown_before(plain, "x = torch.tensor(")  # the step-through's, without notes
    assert x_step == f"### The weighted input\n\nInside the frame: **w** times *x*\n\n{words}"
    sigmoid_step = _markdown_before(cells, "y_pred = torch.sigmoid(z)")
    words = _markdown_before(plain, "y_pred = torch.sigmoid(z)")
    assert sigmoid_step == f"The sigmoid squashes `z` into (0, 1)\n\n{words}"
    everything = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    for text in ("Inside the frame", "The sigmoid squashes", "Far away", "The weighted input"):
        assert everything.count(text) == 1, text


def test_the_notes_markup_becomes_markdown_and_nothing_else_does() -> None:
    model, ids = _network()
    _notes_and_frames(model, ids)
    intro = _cells(model)[0].source
    # a line break stays one (two trailing spaces); HTML and links are text, escaped
    assert "Far away: read this first.  \nA second line \\<b\\>not HTML\\</b\\> " \
           "\\[no\\](link)" in intro
    assert "<b>" not in intro.replace("\\<b\\>", "")


def test_a_note_that_is_near_no_card_and_in_no_frame_is_in_the_introduction() -> None:
    model, ids = _network()
    # just beyond NEAR to the left of w's card (w at x = 0)
    model.annotations.add_note("Just too far", (-NEAR - 2 - 100, 0, 100, 40))
    model.annotations.add_note("Close to w", (-NEAR + 2 - 100, 0, 100, 40))
    cells = _cells(model)
    assert "Just too far" in cells[0].source and "Close to w" not in cells[0].source
    assert _markdown_before(cells, "w = torch.tensor(").startswith("Close to w\n\n")


def test_notes_change_no_code_cell() -> None:
    model, ids = _network()
    plain = [c.source for c in _cells(model) if c.cell_type == "code"]
    _notes_and_frames(model, ids)
    assert [c.source for c in _cells(model) if c.cell_type == "code"] == plain


def test_gradstudio_export_writes_a_saved_files_notes_into_the_notebook(tmp_path) -> None:
    model, ids = _network()
    _notes_and_frames(model, ids)
    path, out = tmp_path / "net.gsgraph", tmp_path / "net.ipynb"
    save(model, path)
    assert main(["export", str(path), "--to", "ipynb", "-o", str(out)]) == 0
    book = nbformat.read(out, as_version=4)
    sources = "\n".join(c.source for c in book.cells if c.cell_type == "markdown")
    assert "### The weighted input" in sources and "Far away: read this first." in sources
