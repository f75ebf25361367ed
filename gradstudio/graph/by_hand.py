"""By hand vs autograd: the notebook derives dL/dw as a product of local derivatives along
the way from the loss to w, and shows autograd agrees. ``by_hand(trace, leaf)`` writes that
product for every path from the loss to a leaf, with numbers, and their sum, which is what
the leaf received in the backward (``w.grad`` after one backward from zero).

It reads the local derivatives a built trace already holds, so it costs no engine work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradstudio.engine.autograd import sum_to_shape

from .maths import chain, format_term, format_value
from .trace import BACKWARD, LEAF, Trace

__all__ = ["Factor", "PathProduct", "ByHand", "by_hand", "MAX_PATHS"]

MAX_PATHS = 8  # a graph with more paths lists the first ones and says how many there are


@dataclass(frozen=True)
class Factor:
    """One link: ∂node/∂source along the wire into ``port``."""

    node: str
    port: str
    source: str
    symbol: str  # ∂y_pred/∂z
    local: np.ndarray


@dataclass(frozen=True)
class PathProduct:
    nodes: tuple[str, ...]  # the loss first, the leaf last
    factors: tuple[Factor, ...]
    value: np.ndarray  # this path's share of the leaf's gradient
    text: str  # ∂loss/∂y_pred · ∂y_pred/∂z · ... = 813.3619 × 0.0012 × ... = 6.6918


@dataclass(frozen=True)
class ByHand:
    leaf: str
    paths: tuple[PathProduct, ...]
    count: int  # how many paths there are in all (more than listed when > MAX_PATHS)
    total: np.ndarray | None  # the sum over all paths; None when backward did not reach it
    received: np.ndarray | None  # what autograd gave the leaf in the traced backward

    @property
    def agrees(self) -> bool:
        """The chain rule by hand equals autograd (float rounding aside)."""
        return (self.total is not None and self.received is not None
                and bool(np.allclose(self.total, self.received, rtol=1e-5, atol=1e-8)))

    def lines(self, label: str) -> list[str]:
        """The derivation a teacher writes on the board, ending with the check."""
        if self.total is None:
            return [f"no gradient reaches {label}: backward does not get there"]
        out = [p.text for p in self.paths]
        if self.count > len(self.paths):
            out.append(f"... and {self.count - len(self.paths)} more paths")
        if self.count > 1:
            out.append(f"sum over the {self.count} paths = {format_value(self.total)}")
        verdict = "equals" if self.agrees else "differs from"
        out.append(f"{format_value(self.total)} {verdict} what autograd gave {label}: "
                   f"{format_value(self.received)}")
        return out


def _links(trace: Trace) -> dict[str, list[Factor]]:
    """node -> the links from it to its inputs that carried a gradient, in port order."""
    links: dict[str, list[Factor]] = {}
    for step in trace:
        if step.phase != BACKWARD:
            continue
        ports_per_source: dict[str, int] = {}
        for w in step.wires:
            ports_per_source[w.source] = ports_per_source.get(w.source, 0) + 1
        for w in step.wires:
            if w.contribution is None:
                continue
            symbol = f"∂{step.label}/∂{w.source_label}"
            if ports_per_source[w.source] > 1:
                symbol += f" (as {w.port})"
            links.setdefault(step.node, []).append(
                Factor(step.node, w.port, w.source, symbol, w.local))
    return links


def by_hand(trace: Trace, leaf: str) -> ByHand:
    """Every path from the trace's target to ``leaf`` (the first MAX_PATHS written out) as a
    product of local derivatives, and the sum over all of them."""
    leaf_step = trace.find(leaf, LEAF)
    if leaf_step is None or not trace.backward.ok:
        return ByHand(leaf, (), 0, None, None)
    links = _links(trace)
    shapes = {s.node: np.shape(s.value) for s in trace if s.value is not None}
    counts: dict[str, int] = {leaf: 1}

    def count(n: str) -> int:  # paths from n down to the leaf, memoised
        if n not in counts:
            counts[n] = sum(count(f.source) for f in links.get(n, ()))
        return counts[n]

    seed = np.ones(tuple(trace.backward.loss.shape), dtype=trace.backward.loss.dtype.numpy)
    paths: list[PathProduct] = []
    stack: list[tuple[str, tuple[Factor, ...], np.ndarray, bool]] = [
        (trace.target, (), seed, False)]
    while stack and len(paths) < MAX_PATHS:  # depth first, ports in order
        n, factors, running, summed = stack.pop()
        if n == leaf:
            paths.append(_product(trace, factors, running, summed))
            continue
        for f in reversed(links.get(n, ())):
            if count(f.source):
                product = np.asarray(running * f.local)
                value = sum_to_shape(product, shapes[f.source])
                stack.append((f.source, (*factors, f), value,
                              summed or value.shape != product.shape))
    received = leaf_step.grad if leaf_step.grad_before is None else \
        leaf_step.grad - leaf_step.grad_before
    return ByHand(leaf, tuple(paths), count(trace.target),
                  _sum_of_paths(trace, links, shapes, seed, leaf), received)


def _sum_of_paths(trace: Trace, links: dict[str, list[Factor]], shapes: dict, seed: np.ndarray,
                  leaf: str) -> np.ndarray:
    """The sum of the products over all paths without listing them (there can be
    exponentially many): each node's share is passed on once, in the backward's order."""
    share: dict[str, np.ndarray] = {trace.target: seed}
    for step in trace:
        if step.phase != BACKWARD or step.node not in share:
            continue
        for f in links.get(step.node, ()):
            part = sum_to_shape(np.asarray(share[step.node] * f.local), shapes[f.source])
            share[f.source] = share[f.source] + part if f.source in share else part
    return share.get(leaf, np.zeros(shapes[leaf], dtype=seed.dtype))


def _product(trace: Trace, factors: tuple[Factor, ...], value: np.ndarray, summed: bool
             ) -> PathProduct:
    symbols = " · ".join(f.symbol for f in factors)
    numbers = " × ".join(format_term(f.local) for f in factors)
    if summed:
        numbers += ", summed over the broadcast"
    nodes = (trace.target, *(f.source for f in factors))
    return PathProduct(nodes, factors, value, chain(symbols, numbers, format_value(value)))
