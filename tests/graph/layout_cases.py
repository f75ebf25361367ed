"""Graphs whose Arrange layout is pinned (tests/graph/test_layout_positions.py): the shipped
examples, imported scripts as the code-import benchmark writes them, and random graphs of
every shape the layout's branches care about (0-3 inputs, a node wired twice into one card,
cards of mixed sizes and ports, unwired nodes, graphs not given in topological order).

The positions were recorded with the layout as it was before it was made faster
(``PYTHONPATH=. python tests/graph/layout_cases.py`` writes them again): a faster layout
must place every card exactly where the old one did.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from gradstudio.graph import fileformat, load
from gradstudio.graph.layout import Box, estimated_box, layered, place_missing
from gradstudio.resources import example_paths

RECORDED = Path(__file__).parent / "data" / "layout_positions.json"
SHOWN = 80  # graphs up to this many nodes are recorded card by card, bigger ones as a digest
_PORTS = ("a", "b", "x", "c")


def _random_graph(seed: int, n: int, multi: bool = True) -> tuple[nx.DiGraph, dict]:
    rnd = random.Random(seed)
    g = nx.MultiDiGraph() if multi else nx.DiGraph()
    names = [f"v{i}" for i in range(n)]
    shown = names[:]
    rnd.shuffle(shown)  # the graph's own order is not a topological one
    g.add_nodes_from(shown)
    for i in range(1, n):
        if rnd.random() < 0.1:
            continue  # a source (or, if nothing uses it, an unwired node)
        width = rnd.choice((1, 1, 2, 2, 3)) if multi else rnd.choice((1, 2))
        window = rnd.choice((3, 10, i))  # near neighbours make wide layers, far ones long wires
        for port in _PORTS[:width]:
            src = names[rnd.randrange(max(0, i - window), i)]
            if multi and rnd.random() < 0.15 and g.in_degree(names[i]):
                src = next(iter(g.predecessors(names[i])))  # mul(x, x)
            if multi:
                g.add_edge(src, names[i], port)
            else:
                g.add_edge(src, names[i])
    boxes = {}
    for v in g:
        height = rnd.choice((0.0, 40.0, 80.0, 82.0, rnd.uniform(30, 200)))
        in_y = {p: rnd.uniform(0, height) for p in _PORTS if rnd.random() < 0.5}
        out_y = rnd.choice((None, rnd.uniform(0, height)))
        boxes[v] = Box(rnd.choice((120.0, 140.0, 171.5)), height, out_y, in_y)
    return g, boxes


def _import_script(lines: int) -> tuple[dict, dict]:
    """The imported graph's cards' places, and the whole graph as its file says it (kinds,
    names, values, flags, wires, loss): an import made faster must make the same graph."""
    from benchmarks.bench_code import script
    from gradstudio.graph.code_import import import_code

    model = import_code(script(lines)).model
    document = json.loads(fileformat.dumps(model))
    return {n.id: list(n.position) for n in model.nodes()}, {
        "file": hashlib.sha256(fileformat.dumps(model).encode()).hexdigest(),
        "nodes": len(document["nodes"]), "edges": len(document["edges"])}


def _layered(g: nx.DiGraph, boxes: dict) -> dict:
    return {str(n): list(p) for n, p in layered(g, boxes).items()}


def _example_data(path: Path) -> dict:
    return json.loads(path.read_text())


def _placed(data: dict) -> dict:
    return {n["id"]: list(n["position"]) for n in _filled(data)["nodes"]}


def _filled(data: dict) -> dict:
    return place_missing(copy.deepcopy(data))


def _stripped(data: dict, keep: float, seed: int) -> dict:
    """``data`` with most nodes' positions taken away (``keep`` of them stay)."""
    rnd = random.Random(seed)
    data = copy.deepcopy(data)
    for n in data["nodes"]:
        if rnd.random() >= keep:
            n.pop("position", None)
    return data


def _random_file(seed: int, n: int, unwired: int) -> dict:
    """A file's plain data: a random chain-and-fan graph of catalog kinds and ``unwired``
    lone inputs, no positions."""
    rnd = random.Random(seed)
    nodes = [{"id": f"n{i}", "kind": "input"} for i in range(3)]
    edges = []
    for i in range(3, n):
        k = rnd.choice(("sin", "add", "mul", "square", "bce", "clamp"))
        nodes.append({"id": f"n{i}", "kind": k})
        ports = {"sin": ("x",), "square": ("x",), "clamp": ("x",), "add": ("a", "b"),
                 "mul": ("a", "b"), "bce": ("prediction", "target")}[k]
        for p in ports:
            edges.append({"src": f"n{rnd.randrange(max(0, i - 6), i)}", "dst": f"n{i}",
                          "port": p})
    nodes += [{"id": f"u{i}", "kind": "weight"} for i in range(unwired)]
    rnd.shuffle(nodes)
    return {"nodes": nodes, "edges": edges}


def cases() -> Iterator[tuple[str, Any]]:
    """(name, what laying it out gives) for every pinned graph, computed now."""
    for name, path in sorted(example_paths().items()):
        model = load(path)
        boxes = {n.id: estimated_box(n.kind) for n in model.nodes()}
        yield f"example {name} arranged", _layered(model.graph, boxes)
        data = _example_data(path)
        yield f"example {name} without positions", _placed(_stripped(data, 0.0, 0))
        yield f"example {name} with some positions", _placed(_stripped(data, 0.5, 1))
    for seed in range(40):
        n = random.Random(seed).choice((2, 3, 5, 8, 13, 30, 60, 150, 400))
        yield f"random {seed} ({n} nodes)", _layered(*_random_graph(seed, n))
    for seed in range(40, 46):
        yield f"random digraph {seed}", _layered(*_random_graph(seed, 50, multi=False))
    for seed, n in ((100, 2_000), (101, 5_000)):
        yield f"random {seed} ({n} nodes)", _layered(*_random_graph(seed, n))
    for seed, (n, unwired) in enumerate(((40, 10), (300, 250), (1_000, 0))):
        data = _random_file(200 + seed, n, unwired)
        yield f"file {seed} without positions", _placed(data)
        yield f"file {seed} with some positions", _placed(_stripped(_filled(data), 0.3, seed))
    for lines in (300, 5_000):
        positions, graph = _import_script(lines)
        yield f"imported script {lines} lines", positions
        yield f"imported script {lines} lines: the graph", graph


def digest(positions: dict) -> str:
    text = json.dumps(sorted(positions.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def recorded_form(positions: dict) -> Any:
    """What the record keeps of a layout: every card's place when few, else a digest."""
    return positions if len(positions) <= SHOWN else {"sha256": digest(positions),
                                                      "nodes": len(positions)}


def as_text(form: Any) -> str:
    """One recorded graph as JSON text (ints stay ints, floats floats: both are compared)."""
    return json.dumps(form, sort_keys=True, separators=(",", ":"))


def record() -> None:
    """Write every graph's layout, one graph a line."""
    lines = [f"{json.dumps(name)}: {as_text(recorded_form(p))}" for name, p in cases()]
    RECORDED.write_text("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    record()
