"""The limits checked on a file before it becomes Python objects, cheaply.

A 50 MB list of numbers costs gigabytes as Python objects and minutes in jsonschema's error
path; a million nodes cost a minute to reject after parsing. So before the real parse:

1. ``check_bytes``: a list too long to be a value is found in the bytes themselves (one
   regular-expression scan and ``bytes.count``; no object is made).
2. ``census``: one pass of the JSON parser whose hooks keep nothing — every object is
   counted and dropped as soon as it is parsed — counting nodes, edges and the elements of
   every value, and stopping at the first limit passed. It also finds the numbers no float
   can hold (``1e999``, a whole number of 400 digits), which the parser would silently turn
   into inf.

Every refusal names the limit (graph/limits.py) it hit.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from . import limits
from .catalog import GraphError
from .limits import count

__all__ = ["check_bytes", "census", "Census"]

# Objects a file within the limits can hold: each node with its params and flags, each edge,
# and the optional sections (exercise questions, notes, frames) with room to spare.
_OTHER_OBJECTS = 100_000


def _max_objects() -> int:
    return 3 * limits.MAX_NODES + limits.MAX_EDGES + _OTHER_OBJECTS


_ROWS_END = re.compile(rb"\]\s*\]")
_TWO_D = re.compile(rb"\[\s*\[")


def check_bytes(raw: bytes, source: str) -> None:
    """Refuse a list with more items than a value may hold, by line and column, without
    parsing. Such a list runs over 2 * limit bytes with no brace in it (n + 1 numbers take
    2n + 1 bytes), so it covers a whole window of ``limit`` bytes that holds no brace: a
    few ``bytes.find`` per window find it. Its items are its commas plus one (also for a
    list of rows)."""
    limit = limits.MAX_VALUE_ELEMENTS
    window = max(limit, 1)
    pos = 0
    while pos < len(raw):
        stop = min(pos + window, len(raw))
        if raw.find(b"{", pos, stop) >= 0 or raw.find(b"}", pos, stop) >= 0:
            pos = stop
            continue
        run_start = max(raw.rfind(b"{", 0, pos), raw.rfind(b"}", 0, pos)) + 1
        ends = [i for i in (raw.find(b"{", stop), raw.find(b"}", stop)) if i >= 0]
        run_end = min(ends, default=len(raw))
        _check_list(raw, raw.find(b"[", run_start, run_end), run_end, source)
        pos = run_end


def _check_list(raw: bytes, start: int, run_end: int, source: str) -> None:
    if start < 0:
        return
    if _TWO_D.match(raw, start):
        rows_end = _ROWS_END.search(raw, start, run_end)
        end = rows_end.end() if rows_end else run_end
    else:
        end = raw.find(b"]", start, run_end)
        end = run_end if end < 0 else end
    items = raw.count(b",", start, end) + 1
    limit = limits.MAX_VALUE_ELEMENTS
    if items > limit:
        line = raw.count(b"\n", 0, start) + 1
        column = start - raw.rfind(b"\n", 0, start)
        raise GraphError(f"{source}: line {line}, column {column}: a list of {count(items)} "
                         f"items; the limit is {count(limit)} elements per value")


class _Over(Exception):
    """A limit passed during the census (carries the message)."""


class Census:
    """What the census counted in a file within the limits."""

    def __init__(self) -> None:
        self.nodes = 0
        self.edges = 0
        self.objects = 0
        self.elements = 0  # in all values together

    def object(self, pairs: list[tuple[str, Any]]) -> Any:
        """The parser's hook for each object, innermost first: nodes and edges are counted
        and dropped; any other object keeps only a summary of its lists."""
        self.objects += 1
        if self.objects > _max_objects():
            raise _Over(f"more than {count(_max_objects())} JSON objects, more than a graph "
                        f"within the limits holds ({count(limits.MAX_NODES)} nodes, "
                        f"{count(limits.MAX_EDGES)} edges)")
        members = dict(pairs)
        if "kind" in members:
            self._node(members)
            return None
        if "src" in members:
            self.edges += 1
            if self.edges > limits.MAX_EDGES:
                raise _Over(f"more than {count(limits.MAX_EDGES, 'edges')}; the limit is "
                            f"{count(limits.MAX_EDGES, 'edges')}")
            return None
        return {k: _Numbers.of(v) if isinstance(v, list) else v for k, v in members.items()}

    def _node(self, node: dict[str, Any]) -> None:
        index = self.nodes
        self.nodes += 1
        if self.nodes > limits.MAX_NODES:
            raise _Over(f"more than {count(limits.MAX_NODES, 'nodes')}; the limit is "
                        f"{count(limits.MAX_NODES, 'nodes')}")
        params = node.get("params")
        if not isinstance(params, dict):
            return
        name = node.get("label", node.get("id"))
        where = f"nodes[{index}] ({name})" if isinstance(name, str) else f"nodes[{index}]"
        for key, value in params.items():
            numbers = value if isinstance(value, _Numbers) else _Numbers.of([value])
            if numbers.overflow:
                raise _Over(f"{where}: params.{key} holds a number too large for any float "
                            "(such as 1e999); write Infinity if infinity is meant")
            if numbers.count > limits.MAX_VALUE_ELEMENTS:
                raise _Over(f"{where}: params.{key} holds {count(numbers.count, 'elements')}; "
                            f"the limit is {count(limits.MAX_VALUE_ELEMENTS)} elements per "
                            "value")
            self.elements += numbers.count
            if self.elements > limits.MAX_TOTAL_ELEMENTS:
                raise _Over(f"{where}: the values hold more than "
                            f"{count(limits.MAX_TOTAL_ELEMENTS, 'elements')} in all (the limit "
                            "for all values and results together)")


class _Numbers:
    """A parsed list reduced to what the limits need: how many numbers, and whether one of
    them overflowed the parser (the parser reads ``Infinity`` apart, as a constant)."""

    __slots__ = ("count", "overflow")

    def __init__(self, n: int, overflow: bool) -> None:
        self.count, self.overflow = n, overflow

    @classmethod
    def of(cls, items: list) -> _Numbers:
        if items and isinstance(items[0], list):  # rows
            rows = [r for r in items if isinstance(r, list)]
            return cls(sum(map(len, rows)), any(_overflows(r) for r in rows))
        return cls(len(items), _overflows(items))


def _overflows(items: list) -> bool:
    return math.inf in items or -math.inf in items


def census(text: str, source: str) -> Census:
    """Count what the limits count in one parse that keeps nothing; GraphError at the first
    limit passed. JSON syntax errors and too deep nesting are raised as the parser raises
    them (the caller words them)."""
    tally = Census()
    try:
        # the parser's own int and float (its fast path); Infinity and NaN kept apart as
        # text, so an inf left in a list can only come from a number too large (1e999)
        json.loads(text, object_pairs_hook=tally.object, parse_constant=str)
    except _Over as e:
        raise GraphError(f"{source}: {e}") from None
    return tally
