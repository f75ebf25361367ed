"""The layered layout: columns by topological generation, no overlaps whatever the card
sizes, fewer crossings than the order given, straight wires where possible, and files
without positions laid out when they load."""

from __future__ import annotations

import itertools
import json
import random

import networkx as nx
import pytest

from gradstudio.graph import fileformat, load
from gradstudio.graph.layout import GAP_X, Box, estimated_box, layered
from gradstudio.resources import example_paths


def _overlaps(pos: dict, boxes: dict) -> list[tuple[str, str]]:
    def rect(n):
        x, y = pos[n]
        return x, y, x + boxes[n].width, y + boxes[n].height

    out = []
    for a, b in itertools.combinations(pos, 2):
        ax0, ay0, ax1, ay1 = rect(a)
        bx0, by0, bx1, by1 = rect(b)
        if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
            out.append((a, b))
    return out


def _crossings(g: nx.MultiDiGraph, pos: dict, boxes: dict) -> int:
    """Pairs of wires between the same two columns whose ends are in opposite order."""
    ends = [(pos[u][0], pos[u][1] + boxes[u].out_port(), pos[v][1] + boxes[v].in_port(k))
            for u, v, k in g.edges(keys=True)]
    return sum(1 for (xa, a0, a1), (xb, b0, b1) in itertools.combinations(ends, 2)
               if xa == xb and (a0 - b0) * (a1 - b1) < 0)


def _network() -> nx.MultiDiGraph:
    """small_network's shape: z = w*x + b, sigmoid, bce against y."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(["x", "w", "b", "y", "wx", "z", "y_pred", "loss"])
    g.add_edges_from([("x", "wx", "b"), ("w", "wx", "a"), ("wx", "z", "a"), ("b", "z", "b"),
                      ("z", "y_pred", "x"), ("y_pred", "loss", "prediction"),
                      ("y", "loss", "target")])
    return g


def _boxes(g, heights=None) -> dict[str, Box]:
    heights = heights or {}
    return {n: Box(140, heights.get(n, 80), 30, {"a": 30, "b": 48, "x": 30, "prediction": 30,
                                                 "target": 48}) for n in g}


def test_columns_follow_the_topological_generations_and_leaves_sit_before_their_user():
    g = _network()
    boxes = _boxes(g)
    pos = layered(g, boxes)
    column = {n: round(x / (140 + GAP_X)) for n, (x, _) in pos.items()}
    assert column == {"x": 0, "w": 0, "wx": 1, "b": 1, "z": 2, "y_pred": 3, "y": 3, "loss": 4}
    for u, v in g.edges():
        assert pos[u][0] < pos[v][0]  # every wire runs left to right


def test_cards_of_different_heights_never_overlap():
    g = _network()
    boxes = _boxes(g, {"w": 200, "x": 50, "wx": 140, "b": 300, "y": 120})
    pos = layered(g, boxes)
    assert _overlaps(pos, boxes) == []
    assert min(y for _, y in pos.values()) == 0 and min(x for x, _ in pos.values()) == 0


def test_the_order_within_a_column_removes_crossings():
    """Two chains given in crossed order (a1 above a2 but b2 above b1) come out uncrossed."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(["a1", "a2", "b2", "b1", "c1", "c2"])
    g.add_edges_from([("a1", "b1", "x"), ("a2", "b2", "x"), ("b1", "c2", "x"),
                      ("b2", "c1", "x")])
    boxes = _boxes(g)
    assert _crossings(g, {"a1": (0, 0), "a2": (0, 100), "b2": (1, 0), "b1": (1, 100),
                          "c1": (2, 0), "c2": (2, 100)}, boxes) > 0
    pos = layered(g, boxes)
    assert _crossings(g, pos, boxes) == 0


def test_inputs_arrive_in_port_order():
    """The node wired into port a sits above the one wired into b, so the two wires into
    the card do not cross; x is listed first but feeds b."""
    g = nx.MultiDiGraph()
    g.add_nodes_from(["x", "w", "mul"])
    g.add_edges_from([("x", "mul", "b"), ("w", "mul", "a")])
    pos = layered(g, _boxes(g))
    assert pos["w"][1] < pos["x"][1]


def test_a_chain_of_equal_cards_is_a_straight_line():
    g = nx.MultiDiGraph()
    g.add_edges_from([("x", "sq", "x"), ("sq", "sin", "x")])
    boxes = _boxes(g)
    pos = layered(g, boxes)
    assert pos["x"][1] == pos["sq"][1] == pos["sin"][1]
    assert [pos[n][0] for n in ("x", "sq", "sin")] == [0, 140 + GAP_X, 2 * (140 + GAP_X)]


def test_a_random_graph_has_no_overlaps_and_every_wire_runs_left_to_right():
    rnd = random.Random(7)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(120))
    for v in range(1, 120):
        for port in ("a", "b")[: rnd.randint(0, 2)]:
            g.add_edge(rnd.randrange(v), v, port)
    boxes = {n: Box(rnd.choice([120, 140, 170]), rnd.uniform(40, 160)) for n in g}
    pos = layered(g, boxes)
    assert set(pos) == set(g)
    assert _overlaps(pos, boxes) == []
    assert all(pos[u][0] < pos[v][0] for u, v in g.edges())


def test_an_empty_graph_has_no_positions():
    assert layered(nx.MultiDiGraph(), {}) == {}


def _without_positions(name: str) -> dict:
    data = json.loads(example_paths()[name].read_text())
    for n in data["nodes"]:
        del n["position"]
    return data


def test_a_file_without_positions_is_laid_out_when_it_loads():
    model = fileformat.loads(json.dumps(_without_positions("small_network")))
    pos = {n.id: n.position for n in model.nodes()}
    boxes = {n.id: estimated_box(n.kind) for n in model.nodes()}
    assert _overlaps(pos, boxes) == []
    assert all(pos[e.src][0] < pos[e.dst][0] for e in model.edges())
    assert len({x for x, _ in pos.values()}) == 5  # five columns


def test_nodes_without_positions_go_to_the_right_of_those_that_have_one():
    data = json.loads(example_paths()["small_network"].read_text())
    placed = {n["id"]: tuple(n["position"]) for n in data["nodes"][1:]}
    del data["nodes"][0]["position"]
    model = fileformat.loads(json.dumps(data))
    lone = model.node(data["nodes"][0]["id"])
    assert {n: model.node(n).position for n in placed} == placed
    assert lone.position[0] > max(x for x, _ in placed.values())


@pytest.mark.parametrize("name", sorted(example_paths()))
def test_files_with_positions_keep_them(name: str):
    model = load(example_paths()[name])
    data = json.loads(example_paths()[name].read_text())
    assert [list(n.position) for n in model.nodes()] == [n["position"] for n in data["nodes"]]


def test_many_unwired_nodes_without_positions_load_in_a_grid_within_the_canvas() -> None:
    """Unwired nodes without positions once made one column: 100,000 of them (allowed by the
    schema) ran 13 million pixels high, past the canvas, and the file was refused. Beyond a
    few they now sit in a grid beside the wired ones, every card apart."""
    n = 5_000
    nodes = [{"id": f"n{i}", "kind": "input"} for i in range(n)]
    nodes += [{"id": "s", "kind": "sin"}]
    data = {"format": "gradstudio-graph", "version": 2, "nodes": nodes,
            "edges": [{"src": "n0", "dst": "s", "port": "x"}]}
    model = fileformat.loads(json.dumps(data))
    spots = {model.node(i).position for i in model.node_ids()}
    assert len(spots) == n + 1  # no two cards at one place
    assert max(max(abs(x), abs(y)) for x, y in spots) < 20_000  # a column: 670,000 high
    first, sin = model.node("n0").position, model.node("s").position
    assert first[1] == sin[1] and first[0] < sin[0]  # the wired pair stays in its layers
    assert model.node("n1").position[0] > sin[0]  # the grid is to the right of them
    assert model.label("n4999") == "x5000"  # named in order
