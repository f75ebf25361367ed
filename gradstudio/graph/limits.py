"""The limits a graph lives within, each defined once, and how they are said in messages.

A file, a graph built by hand and ``gradstudio run`` meet the same numbers: they keep a
hostile or merely huge file from freezing the app or eating the machine's memory, and every
refusal states the limit it hit. The JSON schemas repeat some of them (maxItems);
tests/graph/test_limits.py keeps those equal to these.
"""

from __future__ import annotations

__all__ = ["MAX_BYTES", "MAX_NODES", "MAX_EDGES", "MAX_VALUE_ELEMENTS", "MAX_RESULT_ELEMENTS",
           "MAX_TOTAL_ELEMENTS", "MAX_CODE_BYTES", "MAX_CODE_NESTING", "MAX_COORDINATE",
           "count", "mebibytes", "short_number"]

MAX_BYTES = 64 * 1024 * 1024  # a .gsgraph file: 64 MiB
MAX_NODES = 100_000
MAX_EDGES = 400_000
MAX_VALUE_ELEMENTS = 1_000_000  # numbers in one leaf's value
MAX_RESULT_ELEMENTS = 1_000_000  # numbers in one node's result, after broadcasting
# numbers in all values and results of a graph together: room for 60 results of the largest
# size (issue 15's 50-node graph over 1,000,000-element vectors), about 240 MB per copy in
# float32; a hostile file's 1e8 is refused by the per-result limit long before
MAX_TOTAL_ELEMENTS = 60_000_000
MAX_CODE_BYTES = 2_000_000  # PyTorch code to import (about 50,000 lines), refused unparsed
MAX_CODE_NESTING = 100  # levels of an expression in imported code (the reader recurses)
MAX_COORDINATE = 1e7  # a card's x and y on the canvas, either way from 0


def count(n: int, what: str = "") -> str:
    """``1,000,000 elements``: thousands separated, so a limit reads at a glance (and
    ``1 item``, not ``1 items``)."""
    if n == 1 and what.endswith("s"):
        what = what[:-1]
    return f"{n:,}" + (f" {what}" if what else "")


def mebibytes(n: int) -> str:
    """A size in MiB (the unit the file limit is defined in)."""
    value = n / (1024 * 1024)
    return f"{value:.0f} MiB" if value >= 10 else f"{value:.1f} MiB"


def short_number(value: object, digits: int = 20) -> str:
    """``repr(value)``, but a whole number too long to read is said by its length (a file's
    ``version`` may be 10**400)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** digits:
        try:
            return f"a whole number of {len(str(abs(value)))} digits"
        except ValueError:  # past Python's int-to-text limit
            return f"a whole number of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
