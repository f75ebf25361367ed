"""The hostile corpus of issue 12: each input that once froze, flooded or killed the app,
made on the fly in a folder (small on disk, or generated in chunks when big), with the
words the person must read about it.

Used by the tests (tests/test_hostile_corpus.py: ``gradstudio run``, the file as a
command-line argument; tests/ui/test_hostile_open.py: File > Open) and by the benchmark
``bench_hostile`` (time and peak memory of each refusal).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Hostile", "CORPUS", "by_name"]

_HEAD = '{"format": "gradstudio-graph", "version": 2, '


@dataclass(frozen=True)
class Hostile:
    """One input: ``make(folder)`` creates it and returns its path. ``says`` is a part of
    the message the person reads (the refusal, or the warning of a file that opens);
    ``opens``: the file is fine to open (the app must open it, not refuse it); ``big``: it
    is tens of MB, generated in chunks (pytest -m "not big" leaves it out)."""

    name: str
    make: Callable[[Path], Path]
    says: str
    opens: bool = False
    big: bool = False


def _write(path: Path, parts: Iterator[str] | list[str]) -> Path:
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
        for part in parts:
            f.write(part)
    return path


def _doc(nodes: list[dict], edges: list[tuple[str, str, str]] = (), **more: object) -> str:
    return json.dumps({"format": "gradstudio-graph", "version": 2, "nodes": nodes,
                       "edges": [{"src": s, "dst": d, "port": p} for s, d, p in edges],
                       **more}, separators=(",", ":"))


def _fifo(folder: Path) -> Path:
    path = folder / "x.gsgraph"
    os.mkfifo(path)
    return path


def _dev_zero(folder: Path) -> Path:
    path = folder / "zero.gsgraph"
    path.symlink_to("/dev/zero")
    return path


def _digits(folder: Path) -> Path:
    return _write(folder / "digits.gsgraph", [
        _HEAD, '"nodes": [{"id": "a", "kind": "input", "params": {"value": ', "7" * 5000,
        '}}], "edges": []}'])


def _surrogate(folder: Path) -> Path:
    # the JSON escape of a lone surrogate, as json.dumps writes it: valid JSON, invalid text
    return _write(folder / "surrogate.gsgraph", [_doc(
        [{"id": "a", "kind": "input", "label": "\ud800", "params": {"value": 1.0}}])])


def _broadcast(folder: Path) -> Path:
    """120 KB: a column of 10,000 times a row of 10,000 (1e8 numbers), then 12 sin and a
    mean: 5.4 GB and a 20 s freeze before the budget."""
    column = [[0.5]] * 10_000
    row = [0.25] * 10_000
    nodes = [{"id": "c", "kind": "input", "label": "column", "params": {"value": column}},
             {"id": "r", "kind": "input", "label": "row", "params": {"value": row}},
             {"id": "m", "kind": "mul", "label": "outer"}]
    edges = [("c", "m", "a"), ("r", "m", "b")]
    last = "m"
    for i in range(12):
        nodes.append({"id": f"s{i}", "kind": "sin", "label": f"sin{i}"})
        edges.append((last, f"s{i}", "x"))
        last = f"s{i}"
    nodes.append({"id": "loss", "kind": "mean", "label": "loss"})
    edges.append((last, "loss", "x"))
    return _write(folder / "broadcast.gsgraph", [_doc(nodes, edges, loss="loss")])


def _chunks(item: str, n: int, per_chunk: int = 100_000) -> Iterator[str]:
    """``n`` copies of ``item`` joined by commas, a chunk at a time (little memory)."""
    for start in range(0, n, per_chunk):
        k = min(per_chunk, n - start)
        yield ("," if start else "") + ",".join([item] * k)


def _value_25m(folder: Path) -> Path:
    """50 MB: one value of 25,000,000 numbers (the limit is 1,000,000 per value)."""
    return _write(folder / "value25m.gsgraph", [
        _HEAD, '"nodes": [{"id": "a", "kind": "input", "params": {"value": [',
        *_chunks("0", 25_000_000), "]}}], \"edges\": []}"])


def _nodes(n: int, label: bool) -> Iterator[str]:
    for start in range(0, n, 50_000):
        ids = range(start, min(start + 50_000, n))
        text = ",".join(
            f'{{"id": "n{i}", "kind": "input", "label": "n{i}"}}'
            if label else f'{{"id": "n{i}", "kind": "input"}}' for i in ids)
        yield ("," if start else "") + text


def _million_nodes(folder: Path) -> Path:
    """62 MB: 1,000,000 nodes (the limit is 100,000)."""
    return _write(folder / "million.gsgraph",
                  [_HEAD, '"nodes": [', *_nodes(1_000_000, True), '], "edges": []}'])


def _unlabelled(folder: Path) -> Path:
    """100,000 nodes without labels or positions (allowed): named and laid out linearly."""
    return _write(folder / "unlabelled.gsgraph",
                  [_HEAD, '"nodes": [', *_nodes(100_000, False), '], "edges": []}'])


def _float32_1e308(folder: Path) -> Path:
    return _write(folder / "big_number.gsgraph", [_doc(
        [{"id": "a", "kind": "input", "label": "a", "params": {"value": 1e308}},
         {"id": "s", "kind": "sin", "label": "s"}], [("a", "s", "x")],
        settings={"dtype": "float32"})])


def _1e999(folder: Path) -> Path:
    return _write(folder / "e999.gsgraph", [
        _HEAD, '"nodes": [{"id": "a", "kind": "input", "params": {"value": 1e999}}], '
        '"edges": []}'])


def _huge_version(folder: Path) -> Path:
    return _write(folder / "version.gsgraph", [
        '{"format": "gradstudio-graph", "version": 1', "0" * 400,
        ', "nodes": [], "edges": []}'])


CORPUS: tuple[Hostile, ...] = (
    Hostile("fifo", _fifo, "it is a pipe (FIFO), not a graph file"),
    Hostile("dev_zero_symlink", _dev_zero, "it is a device, not a graph file"),
    Hostile("int_5000_digits", _digits,
            "holds a whole number too long to read (more than 4,300 digits)"),
    Hostile("lone_surrogate_label", _surrogate, "", opens=True),
    Hostile("broadcast_to_1e8", _broadcast,
            "outer: its result would hold 100,000,000 elements ([10000, 1] and [10000] "
            "broadcast to [10000, 10000]); the limit is 1,000,000 elements per result"),
    Hostile("value_25m_elements", _value_25m,
            "a list of 25,000,000 items; the limit is 1,000,000 elements per value", big=True),
    Hostile("nodes_1e6", _million_nodes,
            "more than 100,000 nodes; the limit is 100,000 nodes", big=True),
    Hostile("unlabelled_100k", _unlabelled, "", opens=True, big=True),
    Hostile("float32_1e308", _float32_1e308,
            "a: 1e+308 does not fit in float32 (its largest number is 3.403e+38)", opens=True),
    Hostile("value_1e999", _1e999, "a number too large for any float (such as 1e999)"),
    Hostile("version_10_400", _huge_version,
            "written by a newer GradStudio (format version a whole number of 401 digits)"),
)


def by_name(name: str) -> Hostile:
    return next(h for h in CORPUS if h.name == name)
