"""A notebook's ``.ipynb`` text, byte for byte what nbformat's ``v4.writes`` writes, for less.

``v4.writes`` deep-copies the whole notebook, splits each cell's source into lines and
strips transient metadata in the copy, then ``json.dumps`` it with ``indent=1`` — Python's
pure-Python encoder, as any indent turns the C one off. For 10,000 nodes (20,000 cells)
that is as long as the rest of the export. ``file_text`` copies only the top level and
the cells (shallowly, their source split as nbformat splits it) and writes the JSON with
``dumps``, which follows ``json.dumps``'s rules for that indent exactly (strings through
json's own C escaping). A notebook with anything else for nbformat to change (outputs,
attachments, transient metadata) or a value JSON has no plain form for goes through
``v4.writes`` itself. ``tests/graph/test_notebook_file.py`` holds both to the same text.
"""

from __future__ import annotations

import math
from json.encoder import encode_basestring
from typing import Any

import nbformat
from nbformat import v4

__all__ = ["file_text", "dumps"]

_TRANSIENT = frozenset({"orig_nbformat", "orig_nbformat_minor", "signature"})


def file_text(book: dict[str, Any]) -> str:
    """``v4.writes(book)``, byte for byte (``book`` a NotebookNode or the same in plain
    dicts); ``book`` is left as it is."""
    cells = book["cells"]
    if _TRANSIENT & book["metadata"].keys() or any(
            "attachments" in c or c.get("outputs") or "trusted" in c["metadata"] for c in cells):
        return v4.writes(nbformat.from_dict(book))
    top = dict(book, cells=[_cell(c) for c in cells])
    try:
        return dumps(top)
    except _NoPlainForm:
        return v4.writes(nbformat.from_dict(book))


class _Written(str):
    """JSON already written at its place in the file (a cell): ``_dump`` copies it."""


_CELL = "\n  "  # a cell's nesting: in the top level's list
_FIELD = _CELL + " "
_LINE = _FIELD + " "
_PLAIN_CELL = {"markdown": ("cell_type", "id", "metadata", "source"),
               "code": ("cell_type", "execution_count", "id", "metadata", "outputs", "source")}


def _cell(c: dict[str, Any]) -> Any:
    """A cell as the file holds it: its source split into lines as nbformat splits it. A
    cell as the export makes it (a plain dict, nothing in its metadata, outputs or count) is
    written here at once in its fields' fixed order (20,000 of them in a big notebook:
    ``_dump`` would sort and look at each field of each); any other goes through ``_dump``."""
    source = c.get("source")
    if source.__class__ is not str:
        return c
    lines = source.splitlines(True)
    keys = _PLAIN_CELL.get(c.get("cell_type"))
    if (keys is None or tuple(sorted(c)) != keys
            or c["metadata"] != {} or c.get("outputs", []) != []
            or c.get("execution_count") is not None or c["id"].__class__ is not str):
        return dict(c, source=lines)
    if lines:
        written = f"[{_LINE}{(',' + _LINE).join(map(encode_basestring, lines))}{_FIELD}]"
    else:
        written = "[]"
    is_code = c["cell_type"] == "code"
    code = f'{_FIELD}"execution_count": null,' if is_code else ""
    outputs = f'{_FIELD}"outputs": [],' if is_code else ""
    return _Written(
        f'{{{_FIELD}"cell_type": {encode_basestring(c["cell_type"])},{code}'
        f'{_FIELD}"id": {encode_basestring(c["id"])},{_FIELD}"metadata": {{}},{outputs}'
        f'{_FIELD}"source": {written}{_CELL}}}')


class _NoPlainForm(Exception):
    """A value ``dumps`` leaves to json itself (bytes, a key that is not a string, …)."""


def dumps(value: Any) -> str:
    """``json.dumps(value, indent=1, sort_keys=True, separators=(",", ": "),
    ensure_ascii=False)`` for dicts, lists, tuples, strings, numbers, booleans and None
    (``_NoPlainForm`` for anything else)."""
    return _dump(value, "\n")


def _dump(o: Any, indent: str) -> str:
    """``o`` written at the nesting ``indent`` (a newline and one space per level)."""
    if o.__class__ is str:
        return encode_basestring(o)
    if o.__class__ is _Written:
        return o
    if o is None:
        return "null"
    inner = indent + " "
    if isinstance(o, dict):
        if not o:
            return "{}"
        try:
            keys = sorted(o)  # the keys are distinct: as json sorts the items
        except TypeError:
            raise _NoPlainForm(o) from None
        items = []
        for k in keys:
            if k.__class__ is not str:
                raise _NoPlainForm(o)
            v = o[k]
            if v.__class__ is str:  # a cell's fields, written here rather than one call each
                text = encode_basestring(v)
            elif v is None:
                text = "null"
            elif isinstance(v, dict) and not v:
                text = "{}"
            elif isinstance(v, list | tuple) and not v:
                text = "[]"
            else:
                text = _dump(v, inner)
            items.append(f"{encode_basestring(k)}: {text}")
        return f"{{{inner}{(',' + inner).join(items)}{indent}}}"
    if isinstance(o, list | tuple):
        if not o:
            return "[]"
        items = [encode_basestring(v) if v.__class__ is str else _dump(v, inner) for v in o]
        return f"[{inner}{(',' + inner).join(items)}{indent}]"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, str):
        return encode_basestring(o)
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    raise _NoPlainForm(o)


def _float(f: float) -> str:
    """As json writes a float (``allow_nan``: NaN and Infinity as JavaScript spells them)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return float.__repr__(f)
