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


def _grad_leaves(model: GraphModel, n: str) -> tuple[list[str], list[str]]:
    """Leaves that reach n: those with requires_grad on, and those with it off."""
    g = model.graph
    sources = [a for a in nx.ancestors(g, n) | {n} if _is_leaf(model, a)]
    on = sorted((a for a in sources if model.node(a).flags["requires_grad"]), key=model.label)
    off = sorted((a for a in sources if not model.node(a).flags["requires_grad"]),
                 key=model.label)
    return on, off


def requires_grad_reason(model: GraphModel, n: str, no_grad_mode: bool = False
                         ) -> tuple[bool, str]:
    """Whether n's output requires grad, and why, judged from the graph's switches."""
    why_not = why_not_requires_grad(model, n, no_grad_mode)
    if why_not is not None:
        return False, why_not
    label = model.label(n)
    if _is_leaf(model, n):
        return True, f"{label} requires grad: requires_grad is on"
    on, _ = _grad_leaves(model, n)
    names = ", ".join(model.label(a) for a in on if _passes(model, a, n))
    return True, f"{label} requires grad: it depends on {names}, which require grad"


def _passes(model: GraphModel, leaf: str, n: str) -> bool:
    """Is there a path from leaf to n along which no node blocks the gradient?"""
    g = model.graph
    open_nodes = [m for m in g.nodes if m in (leaf, n) or blocks_gradient(model, m) is None]
    if blocks_gradient(model, leaf) or blocks_gradient(model, n):
        return False
    return nx.has_path(g.subgraph(open_nodes), leaf, n)


def why_not_requires_grad(model: GraphModel, n: str, no_grad_mode: bool = False) -> str | None:
    """None if n's output requires grad; otherwise the cause, e.g. "x does not require grad:
    requires_grad is off" or "the only path from w passes through z, which is detached"."""
    label = model.label(n)
    if no_grad_mode and not _is_leaf(model, n):
        return "no-grad mode is on: operations are not recorded, so nothing can flow back"
    own = blocks_gradient(model, n)
    if own is not None:
        return f"{label} is {own}: its output does not require grad"
    on, off = _grad_leaves(model, n)
    if _is_leaf(model, n):
        return None if on else f"{label} does not require grad: requires_grad is off"
    if any(_passes(model, a, n) for a in on):
        return None
    if not on:
        if len(off) == 1:
            return f"{model.label(off[0])} does not require grad: requires_grad is off"
        names = ", ".join(model.label(a) for a in off)
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
