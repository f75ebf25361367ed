"""The size of every node's result, known before anything is computed.

Broadcasting lets a 120 KB file ask for 1e8 numbers (a column times a row); evaluating it
would take gigabytes before any error could be shown. So the model infers each node's shape
from its inputs' shapes (numpy's broadcast rules on shapes, never on arrays) and refuses,
naming the node, a file, a wire or a value that would make one result or the whole graph
pass the element limits (graph/limits.py). ``Budget`` keeps the shapes up to date edit by
edit: a change recomputes only the nodes downstream of it.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from . import limits
from .catalog import GraphError, NodeKind, kind, value_shape
from .limits import count
from .maths import broadcast

__all__ = ["Budget", "Change", "Shape", "broadcast", "downstream"]

Shape = tuple[int, ...]


def _text(shape: Shape) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


@dataclass
class Change:
    """The sizes of the nodes an edit changes (the rest stay as they are)."""

    shape: dict[str, Shape | None] = field(default_factory=dict)
    work: dict[str, int] = field(default_factory=dict)
    total: int = 0


Inputs = Callable[[str], Mapping[str, str]]  # a node -> {port: the node wired into it}


class Budget:
    """Each node's result shape (None: not known, e.g. an input unwired) and the elements
    it keeps, and their total over the graph. A result is checked on its broadcast shape,
    also where it is reduced to one number (mse's difference)."""

    def __init__(self) -> None:
        self._shape: dict[str, Shape | None] = {}
        self._work: dict[str, int] = {}
        self.total = 0

    def shape(self, node: str) -> Shape | None:
        return self._shape.get(node)

    def propose(self, order: Iterable[str], attrs: Callable[[str], dict], inputs: Inputs,
                value_of: Mapping[str, object] | None = None) -> Change:
        """The sizes after an edit: ``order`` holds the nodes it concerns and every node
        downstream of them, inputs first; ``inputs`` and ``value_of`` (a leaf's new value)
        are as they will be after the edit. GraphError naming the first node that would pass
        a limit; nothing changes until ``commit``."""
        change = Change()
        new_shape, new_work, old_work = change.shape, change.work, self._work
        # a new budget (a whole file sized at once) has no old shapes to fall back on
        shapes = ChainMap(new_shape, self._shape) if self._shape else new_shape
        total, most, values = self.total, limits.MAX_TOTAL_ELEMENTS, value_of or {}
        for n in order:
            a = attrs(n)
            spec = kind(a["kind"])
            if spec.is_leaf:
                shape = value_shape(values.get(n, a["params"].get("value", 0.0)))
                work = math.prod(shape)
            else:
                shape, work = _op(spec, a["label"], inputs(n), shapes)
            total += work - new_work.get(n, old_work.get(n, 0))
            new_shape[n], new_work[n] = shape, work
            if total > most:
                raise GraphError(f"{a['label']}: the graph would hold "
                                 f"{count(total, 'elements')} in all its values and "
                                 f"results; the limit is {count(most, 'elements')}")
        change.total = total
        return change

    def commit(self, change: Change) -> None:
        self._shape.update(change.shape)
        self._work.update(change.work)
        self.total = change.total

    def forget(self, node: str) -> None:
        """A node removed (what it fed is then proposed and committed anew)."""
        self.total -= self._work.pop(node, 0)
        self._shape.pop(node, None)


def _op(spec: NodeKind, label: str, wired: Mapping[str, str],
        shapes: Mapping[str, Shape | None]) -> tuple[Shape | None, int]:
    ins = [shapes.get(wired[p]) if p in wired else None for p in spec.inputs]
    if None in ins:  # (a shape is a tuple: never equal to None)
        return None, 0
    work = broadcast(ins)
    if work is None:
        return None, 0
    elements = math.prod(work)
    if elements > limits.MAX_RESULT_ELEMENTS:
        how = " and ".join(_text(s) for s in ins)
        raise GraphError(f"{label}: its result would hold {count(elements, 'elements')} "
                         f"({how} broadcast to {_text(work)}); the limit is "
                         f"{count(limits.MAX_RESULT_ELEMENTS, 'elements')} per result")
    if spec.reduces:  # the broadcast is computed on the way (mse), one number is kept
        return (), 1
    return work, elements


def downstream(succ: Mapping[str, Iterable[str]], pred: Mapping[str, Iterable[str]],
               roots: Iterable[str]) -> list[str]:
    """``roots`` and every node they feed, each after all of its inputs among them."""
    seen = set(roots)
    if len(seen) == len(succ):  # the whole graph (a file being read): every input counts
        waiting = {n: len(pred[n]) for n in seen}
    else:
        stack = list(seen)
        while stack:
            for child in succ[stack.pop()]:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        waiting = {n: sum(1 for p in pred[n] if p in seen) for n in seen}
    ready = [n for n, w in waiting.items() if w == 0]
    order = []
    while ready:
        n = ready.pop()
        order.append(n)
        for child in succ[n]:
            if child in seen:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
    return order
