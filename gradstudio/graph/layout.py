"""Layered left-to-right layout: each node in a column by topological generation, the order
within a column chosen to reduce wire crossings, and cards of any size never overlapping.

No Qt: the canvas passes each card's size (and where its ports sit) as ``Box`` values, so
the layout is the same for the Arrange command, for files that carry no positions, and for
headless tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import networkx as nx

from .catalog import GraphError, kind
from .limits import MAX_COORDINATE

__all__ = ["Box", "GAP_X", "GAP_Y", "layered", "estimated_box", "place_missing"]

GAP_X = 48.0  # between columns: room for the wires
GAP_Y = 28.0  # between cards in a column
SWEEPS = 4  # crossing-reduction passes (each one left to right, then right to left)
# More unwired nodes than this (a generated file) go in a grid beside the layers: a column of
# 100,000 cards would run past the canvas (limits.MAX_COORDINATE) and take long to lay out.
UNWIRED_IN_COLUMNS = 200


@dataclass(frozen=True)
class Box:
    """A card's size, and the height of its ports below its top edge (default: the middle),
    so wires between neighbours can run straight."""

    width: float
    height: float
    out_y: float | None = None
    in_y: Mapping[str, float] = field(default_factory=dict)

    def out_port(self) -> float:
        return self.height / 2 if self.out_y is None else self.out_y

    def in_port(self, port: object) -> float:
        return self.in_y.get(port, self.height / 2) if isinstance(port, str) else \
            self.height / 2


@dataclass
class _Wires:
    """The graph as plain lists, read once, nodes numbered in the graph's order: per node
    its incoming wires (source, port) and outgoing ones (target, port), in the order a
    networkx copy of the graph would give them. The sweeps below read these thousands of
    times; networkx's edge views would be built anew each time."""

    nodes: list
    ins: list[list[tuple[int, object]]]
    outs: list[list[tuple[int, object]]]

    @classmethod
    def of(cls, graph: nx.MultiDiGraph | nx.DiGraph) -> _Wires:
        edges = graph.edges(keys=True) if graph.is_multigraph() else \
            ((u, v, 0) for u, v in graph.edges)
        nodes = list(graph.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        return cls._of_ordered(nodes, ((index[u], index[v], k) for u, v, k in edges))

    @classmethod
    def of_edges(cls, nodes: Iterable, edges: Iterable[tuple]) -> _Wires:
        """The same lists from (source, target, port) triples as a file lists them, in the
        order a networkx MultiDiGraph built from them would iterate (by source in node
        order, then target in first-wired order, then port; a repeated wire once), without
        building one."""
        nodes = list(dict.fromkeys(nodes))
        index = {n: i for i, n in enumerate(nodes)}
        wired: list[dict] = [{} for _ in nodes]  # source -> target -> ports, in wiring order
        for u, v, k in edges:
            wired[index[u]].setdefault(index[v], {})[k] = None
        return cls._of_ordered(nodes, ((u, v, k) for u, targets in enumerate(wired)
                                       for v, ports in targets.items() for k in ports))

    @classmethod
    def _of_ordered(cls, nodes: list, edges: Iterable[tuple[int, int, object]]) -> _Wires:
        ins: list[list] = [[] for _ in nodes]
        outs: list[list] = [[] for _ in nodes]
        for u, v, k in edges:
            ins[v].append((u, k))
            outs[u].append((v, k))
        return cls(nodes, ins, outs)


class _Cycle(Exception):
    """The wires close a cycle: there are no layers."""


def _layers(w: _Wires) -> list[list[int]]:
    """Columns by topological generation; a source (a leaf) moves right to sit just before
    the first node that uses it, so a constant fed into the loss is not far away on the left."""
    ins, outs = w.ins, w.outs
    waiting = [len(wires) for wires in ins]
    generation = [n for n, count in enumerate(waiting) if not count]
    column, i = [-1] * len(waiting), 0
    placed = 0
    while generation:
        following = []
        for n in generation:
            column[n] = i
            for v, _ in outs[n]:
                waiting[v] -= 1
                if not waiting[v]:
                    following.append(v)
        placed += len(generation)
        generation, i = following, i + 1
    if placed != len(waiting):
        raise _Cycle
    for n, wires in enumerate(outs):
        if wires and not ins[n]:
            column[n] = min([column[v] for v, _ in wires]) - 1
    layers: list[list[int]] = [[] for _ in range(max(column, default=-1) + 1)]
    for n, c in enumerate(column):  # keeps the graph's own order as the starting order
        layers[c].append(n)
    return [layer for layer in layers if layer]


def _slot(box: Box, port: object) -> float:
    """Where on a card an input arrives, 0 (top) to 1 (bottom): orders wires into one card."""
    return box.in_port(port) / box.height if box.height else 0.5


def _order(w: _Wires, layers: list[list[int]], cards: list[Box]) -> None:
    """Barycenter heuristic: sort each column by the mean rank of its neighbours in the
    column just placed, sweeping both ways; nodes without such neighbours keep their rank.
    A column of one card has nothing to sort, and a pass that moves nothing would be
    repeated unchanged, so both are skipped (a long chain costs one pass, not SWEEPS).

    A column's sort depends only on its own order and its neighbours' ranks, so a sort that
    moved nothing stays a no-op until one of those changes (``settled``): only the columns
    near a change are sorted again, with the orders sorting every column would give."""
    rank, column = [0] * len(w.nodes), [0] * len(w.nodes)
    for i, layer in enumerate(layers):
        for r, n in enumerate(layer):
            rank[n], column[n] = r, i
    wide = [i for i, layer in enumerate(layers) if len(layer) > 1]
    # each neighbour, with the port the wire arrives at as a fraction of the card (halved)
    up: list[list] = [[] for _ in w.nodes]
    down: list[list] = [[] for _ in w.nodes]
    for i in wide:
        for n in layers[i]:
            up[n] = [(u, _slot(cards[n], k) * 0.5) for u, k in w.ins[n]]
            down[n] = [(v, _slot(cards[v], k) * 0.5) for v, k in w.outs[n]]
    settled_up, settled_down = [False] * len(layers), [False] * len(layers)

    def reranked(n: int, r: int) -> None:
        """n's rank is now r: the sorts that read it may move something again."""
        rank[n] = r
        for v, _ in w.outs[n]:
            settled_up[column[v]] = False
        for u, _ in w.ins[n]:
            settled_down[column[u]] = False

    def sweep(columns: Iterable[int], upstream: bool) -> bool:
        near, moved = up if upstream else down, False
        settled = settled_up if upstream else settled_down
        for i in columns:
            if settled[i]:
                continue
            keyed = []  # (mean rank of the neighbours, rank now, node); sum() written out
            for r, n in enumerate(layers[i]):
                ends = near[n]
                if len(ends) == 1:
                    m, slot = ends[0]
                    key = rank[m] + slot
                elif len(ends) == 2:
                    (m, slot), (m2, slot2) = ends
                    key = (rank[m] + slot + (rank[m2] + slot2)) / 2
                else:
                    key = sum([rank[m] + slot for m, slot in ends]) / len(ends) if ends else r
                keyed.append((key, r, n))
            keyed.sort()
            order = [n for _, _, n in keyed]
            if order == layers[i]:
                settled[i] = True
                continue
            layers[i], moved = order, True
            settled_up[i] = settled_down[i] = False
            for r, n in enumerate(order):
                if rank[n] != r:
                    reranked(n, r)
        return moved

    for _ in range(SWEEPS):
        moved = sweep([i for i in wide if i >= 1], upstream=True)
        moved = sweep([i for i in reversed(wide) if i <= len(layers) - 2],
                      upstream=False) or moved
        if not moved:
            break


def _pack(wanted: list[float], heights: list[float], gap: float) -> list[float]:
    """Tops as close as possible (least squares) to ``wanted``, in order, never overlapping:
    pool-adjacent-violators on the tops less the room the cards above need."""
    if len(wanted) == 2:  # the commonest column of several cards, written out
        off = heights[0] + gap
        first, second = wanted[0] - 0.0, wanted[1] - off
        if first > second:
            both = (first + second) / 2
            return [both + 0.0, both + off]
        return [first + 0.0, second + off]
    offsets, room = [], 0.0
    for h in heights:
        offsets.append(room)
        room += h + gap
    blocks: list[list[float]] = []  # [sum of targets, count]
    for want, off in zip(wanted, offsets, strict=True):
        blocks.append([want - off, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    tops = []
    for total, count in blocks:
        tops.extend([total / count] * count)
    return [t + off for t, off in zip(tops, offsets, strict=True)]


def _place_y(w: _Wires, layers: list[list[int]], cards: list[Box], gap: float) -> list[float]:
    """Each card's top, so wires run as straight as the no-overlap rule allows. A column of
    one card goes where its wires want it (what packing one card gives), and once a pass
    moves nothing the rest would not either. What each column reads is laid out once per
    direction, in sweep order: a chain's one card (the commonest) as its one wire."""
    heights = [card.height for card in cards]
    top = [0.0] * len(cards)
    for layer in layers:  # a first guess: each column stacked around y = 0
        height = sum([heights[n] for n in layer]) + gap * (len(layer) - 1)
        y = -height / 2
        for n in layer:
            top[n] = y
            y += heights[n] + gap
    out = [card.out_port() for card in cards]
    # each neighbour, with the heights of the two ports the wire joins on its two cards
    up = [[(u, out[u], cards[n].in_port(k)) for u, k in w.ins[n]] for n in range(len(cards))]
    down = [[(v, cards[v].in_port(k), out[n]) for v, k in w.outs[n]] for n in range(len(cards))]

    def plan(near: list[list], order: Iterable[int]) -> list[tuple]:
        """Per column, in sweep order, what it reads: a lone card with one wire (a chain's,
        the commonest) as (card, neighbour, there, here), with two wires as both in one
        tuple of 7, with none as (card,); any other column as (its cards with their
        wires, their heights)."""
        steps: list[tuple] = []
        for c in order:
            layer = layers[c]
            ends = near[layer[0]]
            if len(layer) == 1 and len(ends) <= 2:
                steps.append((layer[0], *[x for end in ends for x in end]))
            elif len(layer) == 2 and all(near[n] for n in layer):  # packed as _pack does
                steps.append((layer[0], ends, layer[1], near[layer[1]],
                              heights[layer[0]] + gap))
            else:
                steps.append(([(n, near[n]) for n in layer], [heights[n] for n in layer]))
        return steps

    def sweep(steps: list[tuple]) -> bool:
        moved = False
        for step in steps:
            size = len(step)
            if size == 4:
                n, m, there, here = step
                y = top[m] + there - here
            elif size == 7:
                n, m, there, here, m2, there2, here2 = step
                y = (top[m] + there - here + (top[m2] + there2 - here2)) / 2
            elif size == 1:  # no wire this way: the card stays (moved only if not a number)
                n = step[0]
                y = top[n]
            elif size == 5:  # two cards, each with wires: _pack's two-card case
                n, ends, n2, ends2, off = step
                first, second = _wish(top, ends) - 0.0, _wish(top, ends2) - off
                if first > second:
                    first = second = (first + second) / 2
                y, y2 = first + 0.0, second + off
                if y2 != top[n2]:
                    top[n2], moved = y2, True
            else:
                moved = _place_column(top, *step, gap) or moved
                continue
            if y != top[n]:
                top[n], moved = y, True
        return moved

    leftward = plan(down, range(len(layers) - 2, -1, -1))
    rightward = plan(up, range(1, len(layers)))
    for _ in range(SWEEPS):
        moved = sweep(leftward)
        moved = sweep(rightward) or moved
        if not moved:
            break
    return top


def _wish(top: list[float], ends: list[tuple[int, float, float]]) -> float:
    """Where a card's wires (at least one) want its top: their mean (sum() written out)."""
    if len(ends) == 1:
        m, there, here = ends[0]
        return top[m] + there - here
    if len(ends) == 2:
        (m, there, here), (m2, there2, here2) = ends
        return (top[m] + there - here + (top[m2] + there2 - here2)) / 2
    return sum([top[m] + there - here for m, there, here in ends]) / len(ends)


def _place_column(top: list[float], column: list[tuple[int, list]], tall: list[float],
                  gap: float) -> bool:
    """A column's cards where their wires want them (a card without wires this way where it
    is), packed so they do not overlap; whether any moved."""
    wanted = [_wish(top, ends) if ends else top[n] for n, ends in column]
    moved = False
    for (n, _), y in zip(column, wanted if len(column) == 1 else _pack(wanted, tall, gap),
                         strict=True):
        if y != top[n]:
            top[n], moved = y, True
    return moved


def layered(graph: nx.MultiDiGraph | nx.DiGraph, boxes: Mapping[str, Box],
            gap_x: float = GAP_X, gap_y: float = GAP_Y) -> dict[str, tuple[float, float]]:
    """Top-left corners for every node of an acyclic ``graph``, columns left to right.
    Edge keys (as in GraphModel's graph) name the input port they arrive at."""
    try:
        return _layout(_Wires.of(graph), boxes, gap_x, gap_y)
    except _Cycle:
        raise nx.NetworkXUnfeasible("the graph has a cycle: it cannot be laid out in "
                                    "layers") from None


def _layout(wires: _Wires, boxes: Mapping[str, Box], gap_x: float,
            gap_y: float) -> dict[str, tuple[float, float]]:
    cards = [boxes[n] for n in wires.nodes]
    layers = _layers(wires)
    _order(wires, layers, cards)
    top = _place_y(wires, layers, cards, gap_y)
    shift = min(top, default=0.0)
    names, out, x = wires.nodes, {}, 0.0
    for layer in layers:
        for n in layer:
            out[names[n]] = (round(x), round(top[n] - shift))
        x += (cards[layer[0]].width if len(layer) == 1 else
              max([cards[n].width for n in layer])) + gap_x
    return out


# An upper bound of a canvas card's size (gradstudio/ui/canvas/node_item.py draws them; a
# GUI test checks the bound), for files opened before any card exists to measure.
_EST_WIDTH, _EST_TITLE, _EST_ROW, _EST_BODY = 140.0, 24.0, 18.0, 64.0


@cache  # one per kind: a file of 100,000 nodes asks 100,000 times
def estimated_box(kind_name: str) -> Box:
    """One Box per kind, made once (a big file asks for thousands)."""
    spec = kind(kind_name)
    rows = max(len(spec.inputs), 1)
    return Box(_EST_WIDTH, _EST_TITLE + rows * _EST_ROW + _EST_BODY, _EST_TITLE + _EST_ROW / 2,
               {p: _EST_TITLE + (i + 0.5) * _EST_ROW for i, p in enumerate(spec.inputs)})


def place_missing(data: dict) -> dict:
    """Positions for a file's nodes that carry none (a hand-written or generated file): the
    layered layout of those nodes, to the right of any that have one. Works on the file's
    plain data before a model is built, and leaves anything malformed for the model's own
    checks to report; ``data`` is returned, changed in place."""
    nodes = data.get("nodes", [])
    missing = {n["id"]: n for n in nodes if "position" not in n}
    if not missing:
        return data
    wires = [(e["src"], e["dst"], e["port"]) for e in data.get("edges", [])
             if e["src"] in missing and e["dst"] in missing]
    wired = {end for src, dst, _ in wires for end in (src, dst)}
    alone = [n for n in missing if n not in wired]
    if len(alone) <= UNWIRED_IN_COLUMNS:  # a few: in the first column, with the rest
        alone = []
    apart = set(alone)
    try:
        boxes = {i: estimated_box(n["kind"]) for i, n in missing.items()}
        spots = _layout(_Wires.of_edges([n for n in missing if n not in apart], wires),
                        boxes, GAP_X, GAP_Y)
    except (GraphError, _Cycle):
        return data
    placed = [n["position"] for n in nodes if "position" in n]
    left = max((p[0] for p in placed), default=-_EST_WIDTH - GAP_X) + _EST_WIDTH + GAP_X
    top = min((p[1] for p in placed), default=0.0)
    right = max((x + _EST_WIDTH + GAP_X for x, _ in spots.values()), default=0.0)
    spots.update(_grid(alone, boxes, right))
    if any(max(abs(left + x), abs(top + y)) > MAX_COORDINATE for x, y in spots.values()):
        spots = _grid(list(missing), boxes, 0.0)  # one huge column: a grid still fits
    for i, (x, y) in spots.items():
        missing[i]["position"] = [left + x, top + y]
    return data


def _grid(nodes: list, boxes: Mapping[str, Box], left: float) -> dict:
    """Cards in a square-ish grid from ``left``, rows of equal height: for nodes that no wire
    orders (or too many for columns)."""
    if not nodes:
        return {}
    per_row = max(1, math.isqrt(len(nodes) - 1) + 1)
    step_x = max(boxes[n].width for n in nodes) + GAP_X
    step_y = max(boxes[n].height for n in nodes) + GAP_Y
    return {n: (round(left + (i % per_row) * step_x), round((i // per_row) * step_y))
            for i, n in enumerate(nodes)}
