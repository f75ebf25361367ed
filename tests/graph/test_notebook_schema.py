"""The exported notebook's check (``graph/notebook_schema.validate``): jsonschema-rs on
nbformat's schema file, nbformat.validate for whatever it does not pass. Both must give the
same verdict as ``nbformat.validate`` on any notebook, valid or broken in any way."""

from __future__ import annotations

import copy
import functools
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from nbformat import v4

from gradstudio.graph import Session, load
from gradstudio.graph import notebook_schema as schema
from gradstudio.graph.code_notebook import _book, _cells
from gradstudio.resources import example_paths

EXAMPLES = example_paths()

_JSON = hs.recursive(
    hs.none() | hs.booleans() | hs.integers(-3, 7) | hs.floats(allow_nan=False)
    | hs.sampled_from(["code", "markdown", "raw", "x", "", "0123abcd", "a b", "-_az09"])
    | hs.text(max_size=4),
    lambda inner: hs.lists(inner, max_size=3) | hs.dictionaries(
        hs.sampled_from(["id", "cell_type", "metadata", "source", "outputs",
                         "execution_count", "output_type", "name", "text", "tags", "x"]),
        inner, max_size=3),
    max_leaves=8)
_CELL_KEYS = ["id", "cell_type", "metadata", "source", "outputs", "execution_count",
              "attachments", "extra"]
_TOP_KEYS = ["nbformat", "nbformat_minor", "metadata", "cells", "extra"]


def _verdict(check: Any, book: dict) -> str | None:
    """The name of what ``check`` raised on a copy of ``book`` (None: it passed)."""
    try:
        check(copy.deepcopy(book))
    except Exception as error:  # noqa: BLE001 - the verdict is the exception's kind
        return type(error).__name__
    return None


@functools.cache
def _exported() -> dict:
    return _book(_cells(Session(load(EXAMPLES["small_network"])), 1, "t"), dict)


def _small_book() -> dict:
    """small_network's notebook, a copy to break."""
    return copy.deepcopy(_exported())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.data())
def test_the_verdict_is_nbformats_on_any_broken_notebook(data: hs.DataObject) -> None:
    """Cells broken (a field gone, of another value, one too many, an id used twice), then
    perhaps the notebook itself (its version, metadata, cells)."""
    book = _small_book()
    for _ in range(data.draw(hs.integers(0, 3))):
        cell = data.draw(hs.sampled_from(book["cells"]))
        how = data.draw(hs.sampled_from(["drop", "set", "id of another"]))
        key = data.draw(hs.sampled_from(_CELL_KEYS))
        if how == "drop":
            cell.pop(key, None)
        elif how == "set":
            cell[key] = data.draw(_JSON)
        else:
            cell["id"] = data.draw(hs.sampled_from(book["cells"])).get("id")
    if data.draw(hs.booleans()):
        key = data.draw(hs.sampled_from(_TOP_KEYS))
        book[key] = data.draw(_JSON | hs.integers(3, 6))
    assert _verdict(schema.validate, book) == _verdict(nbformat.validate, book)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_an_exported_notebook_passes_without_nbformats_slow_check(name, monkeypatch) -> None:
    book = _book(_cells(Session(load(EXAMPLES[name])), 1, name), dict)
    assert _verdict(nbformat.validate, book) is None
    asked: list[dict] = []
    monkeypatch.setattr(schema.nbformat, "validate", asked.append)
    schema.validate(book)
    assert asked == []  # jsonschema-rs vouched for it


def test_what_jsonschema_rs_cannot_vouch_for_goes_to_nbformat(monkeypatch) -> None:
    """A repeated cell id (nbformat repairs it), a future minor version (nbformat relaxes
    its schema), a key JSON cannot hold: nbformat.validate decides, and its words stand."""
    twice = _small_book()
    twice["cells"][1]["id"] = twice["cells"][0]["id"]
    future = dict(_small_book(), nbformat_minor=9)
    odd = dict(_small_book(), metadata={1: "one"})
    broken = _small_book()
    broken["cells"][0]["cell_type"] = "kode"
    asked: list[dict] = []
    monkeypatch.setattr(schema.nbformat, "validate", asked.append)
    for book in (twice, future, odd, broken):
        schema.validate(book)
    assert asked == [twice, future, odd, broken]
    monkeypatch.undo()
    with pytest.raises(nbformat.ValidationError, match="oneOf"):
        schema.validate(broken)
    schema.validate(twice)  # repaired, with nbformat's warning
    assert twice["cells"][0]["id"] != twice["cells"][1]["id"]


def test_the_schema_is_nbformats_for_the_notebooks_version() -> None:
    book = v4.new_notebook(cells=[v4.new_code_cell("x = 1")])
    assert (book["nbformat"], book["nbformat_minor"]) == (4, 5)
    assert schema._checker(4, 5) is not None
    assert schema._checker(4, 5).is_valid(book)
    book["cells"][0]["id"] = "not an id!"  # 4.5's cell id pattern
    assert not schema._checker(4, 5).is_valid(book)
    del book["cells"][0]["id"]
    assert schema._checker(4, 4).is_valid(dict(book, nbformat_minor=4))  # 4.4: no ids
    assert not schema._checker(4, 5).is_valid(book)
