"""The exported notebook's file: exactly the text nbformat writes (``file_text`` is
``v4.writes`` without its deep copy), and, for every shipped example and every step-through
test graph, exactly the notebook the export wrote before it was made fast (same cells, same
words, same code; ``data/notebooks/NAME.expected``, the .ipynb text with cell ids numbered
in order and the version left out).

After a deliberate change of the notebook's words or code, regenerate the files with
``PYTHONPATH=.:tests/graph python tests/graph/test_notebook_file.py`` and review the diff."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat
import pytest
from export_graphs import random_graphs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from nbformat import v4
from trace_graphs import all_graphs

from gradstudio import __version__
from gradstudio.graph import GraphError, GraphModel, Session
from gradstudio.graph.code_notebook import notebook, notebook_text
from gradstudio.graph.notebook_file import dumps, file_text

DATA = Path(__file__).parent / "data" / "notebooks"
_IDS = re.compile(r'"id": "[0-9a-f]{8}"')


def _normalised(text: str) -> str:
    """Cell ids (random) numbered in order; the app's version as ``{version}``."""
    numbers = iter(range(1_000_000))
    text = _IDS.sub(lambda m: f'"id": "{next(numbers)}"', text)
    return text.replace(f"GradStudio {__version__}:", "GradStudio {version}:")


@pytest.mark.parametrize("name", sorted(all_graphs()))
def test_the_notebook_is_the_one_exported_before(name: str) -> None:
    text = notebook_text(Session(all_graphs()[name]()), title=name)
    assert _normalised(text) == (DATA / f"{name}.expected").read_text(encoding="utf-8")
    assert nbformat.reads(text, as_version=4).cells  # and it reads back


@pytest.mark.parametrize("name", sorted(all_graphs()))
def test_file_text_is_what_nbformat_writes(name: str) -> None:
    book = notebook(Session(all_graphs()[name]()), title=name)
    before = copy.deepcopy(book)
    assert file_text(book) == v4.writes(book)
    assert book == before  # nothing split or stripped in the notebook itself


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_file_text_is_what_nbformat_writes_for_random_graphs(model: GraphModel) -> None:
    try:
        book = notebook(Session(model), repeat=2, title="random")
    except GraphError:
        return  # a graph that cannot be exported (test_export covers the message)
    assert file_text(book) == v4.writes(book)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_the_files_text_is_the_notebook_nbformat_writes(model: GraphModel) -> None:
    """``notebook_text`` makes its cells as plain dicts: the text is still ``notebook``'s,
    as nbformat writes it (cell ids aside: they are random)."""
    try:
        book = notebook(Session(model), repeat=2, title="random")
    except GraphError:
        return
    text = notebook_text(Session(model), repeat=2, title="random")
    assert _normalised(text) == _normalised(v4.writes(book))


_JSON = hs.recursive(
    hs.none() | hs.booleans() | hs.integers() | hs.floats() | hs.text(),
    lambda inner: hs.lists(inner, max_size=4) | hs.dictionaries(hs.text(), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_dumps_writes_what_json_dumps_writes_with_nbformats_options(value: object) -> None:
    assert dumps(value) == json.dumps(value, indent=1, sort_keys=True, separators=(",", ": "),
                                      ensure_ascii=False)


def test_cells_nbformat_would_change_go_through_nbformat() -> None:
    """Outputs, attachments and transient metadata: nbformat splits and strips them."""
    book = v4.new_notebook(cells=[
        v4.new_code_cell("print(1)\nprint(2)", outputs=[v4.new_output(
            "stream", text="1\n2\n"), v4.new_output("display_data", data={
                "text/plain": "a\nb"})]),
        v4.new_markdown_cell("![x](attachment:x.png)", attachments={
            "x.png": {"image/png": "iVBORw0KGgo=\nAAAA"}}),
        v4.new_raw_cell("raw\ntext", metadata={"trusted": True})],
        metadata={"signature": "sha256:0"})
    before = copy.deepcopy(book)
    assert file_text(book) == v4.writes(book)
    assert '"signature"' not in file_text(book) and '"trusted"' not in file_text(book)
    assert book == before


_CELL_FIELDS = hs.fixed_dictionaries({}, optional={
    "metadata": hs.sampled_from([{}, {"tags": ["a"]}, {"collapsed": True}]),
    "execution_count": hs.sampled_from([None, 3]),
    "outputs": hs.sampled_from([[], [{"output_type": "stream", "name": "stdout",
                                      "text": "1\n"}]]),
    "extra": hs.sampled_from(["x", None])})


@settings(max_examples=200, deadline=None)
@given(hs.lists(hs.tuples(hs.sampled_from(["code", "markdown", "raw"]),
                          hs.text(alphabet="ab\n\r\"\\é\u2028", max_size=8), _CELL_FIELDS),
                max_size=4))
def test_cells_of_any_shape_are_written_as_nbformat_writes_them(
        cells: list[tuple[str, str, dict]]) -> None:
    """The export's own cells are written from a template; a cell with anything else in it
    (metadata, a count, outputs, a field of its own, another type) is written as nbformat
    writes it all the same."""
    made = {"code": v4.new_code_cell, "markdown": v4.new_markdown_cell,
            "raw": v4.new_raw_cell}
    book = v4.new_notebook(cells=[])
    for i, (cell_type, source, fields) in enumerate(cells):
        cell = dict(made[cell_type](source), id=f"{i:08x}")
        if cell_type == "code" or "outputs" not in fields and "execution_count" not in fields:
            cell.update(fields)
        book["cells"].append(cell)
    assert file_text(book) == v4.writes(nbformat.from_dict(book))


def test_values_json_writes_its_own_way_go_through_nbformat() -> None:
    """Bytes (nbformat's encoder writes them as ASCII text) and keys that are not strings."""
    book = v4.new_notebook(cells=[v4.new_markdown_cell("text")],
                           metadata={"blob": b"abc", "numbers": {1: "one", 2.5: "two"}})
    assert file_text(book) == v4.writes(book)
    assert '"blob": "abc"' in file_text(book) and '"1": "one"' in file_text(book)


if __name__ == "__main__":  # regenerate data/notebooks after a deliberate change
    for graph_name, make in all_graphs().items():
        out = _normalised(notebook_text(Session(make()), title=graph_name))
        (DATA / f"{graph_name}.expected").write_text(out, encoding="utf-8")
