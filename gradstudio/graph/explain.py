"""Why a node does or does not require grad, in words that name the cause in this graph.

The engine only says "element 0 of tensors does not require grad"; a learner wants to know
which switch did it: a leaf's requires_grad, a detached node, a no-grad node, no-grad mode.
"""

from __future__ import annotations

from itertools import islice

import networkx as nx

from .catalog import kind
from .model import GraphModel

__all__ = ["why_not_requires_grad", "requires_grad_reason", "blocks_gradient"]


def _is_leaf(model: GraphModel, n: str) -> bool:
    return kind(model.node(n).kind).is_leaf


def blocks_gradient(model: GraphModel, n: str) -> str | None:
    """How node n stops gradients from passing through its output, if it does."""
    flags = model.node(n).flags
    if flags["detach"]:
        return "detached"
    if flags["no_grad"]:
        return "computed under no-grad"
    return None


class _Flow:
    """One pass over the graph in topological order: for every node, the requires-grad
    leaves that reach it at all, those whose gradient could flow back from it (no detach or
    no-grad in the way), and the requires_grad-off leaves that reach it."""

    def __init__(self, model: GraphModel, no_grad_mode: bool) -> None:
        self.on: dict[str, frozenset] = {}
        self.off: dict[str, frozenset] = {}
        self.flows: dict[str, frozenset] = {}
        g = model.graph
        for n in nx.topological_sort(g):
            data = model.node(n)
            if kind(data.kind).is_leaf:
                rg = data.flags["requires_grad"]
                self.on[n] = frozenset([n]) if rg else frozenset()
                self.off[n] = frozenset() if rg else frozenset([n])
                self.flows[n] = self.on[n] if not data.flags["detach"] else frozenset()
                continue
            preds = list(g.predecessors(n))
            self.on[n] = frozenset().union(*(self.on[p] for p in preds))
            self.off[n] = frozenset().union(*(self.off[p] for p in preds))
            blocked = no_grad_mode or data.flags["detach"] or data.flags["no_grad"]
            self.flows[n] = frozenset() if blocked else frozenset().union(
                *(self.flows[p] for p in preds))


def _flow(model: GraphModel, no_grad_mode: bool) -> _Flow:
    """The analysis, cached until the graph or a requires_grad switch changes."""
    key = (model.structure_version, model.values_version, no_grad_mode)
    cached = model.derived.get("grad_flow")
    if cached is None or cached[0] != key:
        cached = (key, _Flow(model, no_grad_mode))
        model.derived["grad_flow"] = cached
    return cached[1]


def _names(model: GraphModel, nodes: frozenset, most: int = 6) -> str:
    """``w``, ``b and w``, ``a, b and c``, ``a, b, … and 3 more``: the labels, sorted."""
    labels = sorted(model.label(a) for a in nodes)
    more = len(labels) - most
    if more > 0:
        return ", ".join(labels[:most]) + f" and {more} more"
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def requires_grad_reason(model: GraphModel, n: str, no_grad_mode: bool = False
                         ) -> tuple[bool, str]:
    """Whether n's output requires grad, and why, judged from the graph's switches."""
    why_not = why_not_requires_grad(model, n, no_grad_mode)
    if why_not is not None:
        return False, why_not
    label = model.label(n)
    if _is_leaf(model, n):
        return True, f"{label} requires grad: requires_grad is on"
    leaves = _flow(model, no_grad_mode).flows[n]
    verb = "requires" if len(leaves) == 1 else "require"
    return True, f"{label} requires grad: it depends on {_names(model, leaves)}, which {verb} grad"


def why_not_requires_grad(model: GraphModel, n: str, no_grad_mode: bool = False) -> str | None:
    """None if n's output requires grad; otherwise the cause, e.g. "x does not require grad:
    requires_grad is off" or "the only path from w passes through z, which is detached"."""
    label = model.label(n)
    if no_grad_mode and not _is_leaf(model, n):
        return "no-grad mode is on: operations are not recorded, so nothing can flow back"
    own = blocks_gradient(model, n)
    if own is not None:
        return f"{label} is {own}: its output does not require grad"
    if _is_leaf(model, n):  # its own switch: no need to analyse the whole graph
        return None if model.node(n).flags["requires_grad"] else \
            f"{label} does not require grad: requires_grad is off"
    flow = _flow(model, no_grad_mode)
    on = sorted(flow.on[n], key=model.label)
    if flow.flows[n]:
        return None
    if not on:
        off = flow.off[n]
        if not off:  # nothing wired in yet, or only ops that have no inputs themselves
            return f"{label} does not require grad: no input, weight or constant reaches it yet"
        if len(off) == 1:
            return f"{model.label(next(iter(off)))} does not require grad: requires_grad is off"
        names = _names(model, off, most=len(off))
        return (f"{label} does not require grad: requires_grad is off on every leaf that "
                f"reaches it ({names})")
    return "; ".join(_cut_paths(model, a, n) for a in on)


def _cut_paths(model: GraphModel, leaf: str, n: str) -> str:
    g = model.graph
    between = (nx.descendants(g, leaf) & nx.ancestors(g, n)) | {leaf}
    cuts = sorted((m for m in between if blocks_gradient(model, m)), key=model.label)
    # Only nodes on some leaf -> n path, so the search never wanders; stop at two paths.
    paths = list(islice(nx.all_simple_paths(g.subgraph(between | {n}), leaf, n), 2))
    src = model.label(leaf)
    if len(cuts) == 1:
        cut = cuts[0]
        how = blocks_gradient(model, cut)
        if cut == leaf:
            return f"{src} is {how}, so nothing reaches {model.label(n)} from it"
        lead = "the only path" if len(paths) == 1 else "every path"
        return f"{lead} from {src} passes through {model.label(cut)}, which is {how}"
    parts = ", ".join(f"{model.label(c)} ({blocks_gradient(model, c)})" for c in cuts)
    return f"every path from {src} to {model.label(n)} is cut: at {parts}"
