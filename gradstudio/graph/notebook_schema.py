"""A notebook checked against nbformat's own JSON schema for its version, by jsonschema-rs.

``nbformat.validate`` checks with fastjsonschema, where each cell's ``oneOf`` tries the raw,
markdown and code cell schemas in turn and raises on two of them: for the 20,000 cells of a
10,000-node export that is a quarter of a second, a quarter of the whole export.
jsonschema-rs checks the same schema file (``nbformat/v4/nbformat.v4.N.schema.json``) in a
twentieth of that. Anything it does not pass, and any notebook it cannot vouch for (another
format version, cell ids used twice, no jsonschema-rs), goes to ``nbformat.validate``
itself: a fault is reported, or a duplicate id repaired, in nbformat's own words.
``tests/graph/test_notebook_schema.py`` holds the two to the same verdicts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import nbformat
from nbformat import v4

__all__ = ["validate"]


def validate(book: dict[str, Any]) -> None:
    """``nbformat.validate(book)``: raises nbformat's ValidationError when it would."""
    major, minor = book.get("nbformat"), book.get("nbformat_minor")
    checker = _checker(major, minor) if major.__class__ is int and minor.__class__ is int \
        else None
    cells = book.get("cells")
    if checker is not None and cells.__class__ is list and _ids_distinct(cells):
        try:
            if checker.is_valid(book):
                return
        except ValueError:  # something JSON cannot hold (a key that is not a string)
            pass
    nbformat.validate(book)


def _ids_distinct(cells: list[Any]) -> bool:
    """No cell id used twice (the schema cannot say so; nbformat repairs it with a
    warning)."""
    seen: set[str] = set()
    for cell in cells:
        cell_id = cell.get("id") if isinstance(cell, dict) else None
        if cell_id.__class__ is str:
            if cell_id in seen:
                return False
            seen.add(cell_id)
    return True


@lru_cache(maxsize=8)
def _checker(major: int, minor: int) -> Any:
    """jsonschema-rs's validator of nbformat's schema file for ``major.minor``; None for a
    version nbformat has no file of its own for (it then relaxes the latest schema) or
    without jsonschema-rs."""
    name = v4.nbformat_schema.get((major, minor)) if major == 4 else None
    if name is None:
        return None
    try:
        import jsonschema_rs
    except ImportError:
        return None
    schema = json.loads(resources.files("nbformat.v4").joinpath(name).read_text("utf-8"))
    return jsonschema_rs.validator_for(schema)
