"""Evaluation: compile the graph into a plan, run it forward, run backward from a target.

The plan (topological order, each op's function bound to its parameters, each input as an
index) is cached until the graph's structure changes, so replaying a fixed graph only calls
engine ops. Forward gives every node a value or an error without stopping other branches.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import networkx as nx
import numpy as np

import gradstudio.engine as ge

from .catalog import GraphError, kind
from .explain import why_not_requires_grad
from .model import GraphModel

__all__ = ["Plan", "Step", "Evaluator", "ForwardResult", "BackwardResult", "pick_target",
           "gradient_path", "CANCELLED"]

CANCELLED = "not evaluated: the run was cancelled"  # the error of each node a cancel skipped


class Step(NamedTuple):
    """One node in evaluation order. ``sources`` are plan indices of the nodes wired into
    each port (None: nothing wired). A named tuple: a plan makes one per node."""

    node: str
    fn: Callable[..., ge.Tensor] | None  # None for a leaf
    sources: tuple[int | None, ...]
    ports: tuple[str, ...]
    detach: bool
    unwired: bool  # some input port has no wire: the node cannot have a value


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    version: int
    leaves: tuple[str, ...] = ()
    node_ids: tuple[str, ...] = ()  # in evaluation order


@dataclass
class ForwardResult:
    """Each node's output (what flows on along its wires) or the reason it has none."""

    values: dict[str, ge.Tensor] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    no_grad_mode: bool = False
    cancelled: bool = False  # stopped on request: the nodes not reached have CANCELLED

    def value(self, node_id: str) -> ge.Tensor | None:
        return self.values.get(node_id)


@dataclass
class BackwardResult:
    """What a backward did, or why it could not run: ``error`` is PyTorch's message, and
    ``reason`` says in words what in this graph caused it."""

    target: str | None
    loss: ge.Tensor | None = None
    error: str | None = None
    reason: str | None = None
    received: dict[str, np.ndarray] = field(default_factory=dict)  # leaf -> what it got

    @property
    def ok(self) -> bool:
        return self.error is None


def evaluation_order(g: nx.MultiDiGraph, wires: Iterable[tuple[str, str, str]] | None = None
                     ) -> list[str]:
    """The nodes so that every input comes before its use, the smallest id first among the
    ready ones: networkx's lexicographical_topological_sort, in one pass over the wires
    into plain dicts (networkx's degree and adjacency views cost a view per node: most of
    the time of opening a big graph's plan). ``wires``: ``g``'s edges with their keys (the
    ports), when the caller has them already."""
    waiting = dict.fromkeys(g, 0)
    children: dict[str, list[str]] = {n: [] for n in waiting}
    for src, dst, _ in g.edges(keys=True) if wires is None else wires:  # each wire counts
        waiting[dst] += 1
        children[src].append(dst)
    ready = [n for n, d in waiting.items() if d == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        n = heapq.heappop(ready)
        order.append(n)
        for child in children[n]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    if len(order) != len(waiting):  # the model refuses cycles; a guard for hand-made graphs
        raise GraphError("the graph has a cycle, so it cannot be evaluated")
    return order


def compile_plan(model: GraphModel) -> Plan:
    """Order the nodes so every input comes before its use, and bind each op's parameters."""
    g = model.graph
    wires = list(g.edges(keys=True))  # one pass over networkx's edge view, read twice
    order = evaluation_order(g, wires)
    index = {n: i for i, n in enumerate(order)}
    inputs: dict[str, dict[str, str]] = {n: {} for n in order}
    for src, dst, port in wires:
        inputs[dst][port] = src
    steps = []
    for n in order:
        data = model.node(n)
        spec = kind(data.kind)
        wired = inputs[n]
        fn = None if spec.is_leaf else spec.build(data.params)
        if fn is not None and data.flags["no_grad"]:
            fn = _no_grad(fn)  # bound once here, not on every run
        sources = tuple(index[wired[p]] if p in wired else None for p in spec.inputs)
        steps.append(Step(n, fn, sources, spec.inputs, data.flags["detach"],
                          None in sources))
    return Plan(tuple(steps), model.structure_version,
                tuple(s.node for s in steps if s.fn is None), tuple(order))


class Evaluator:
    """Runs a model's plan. Leaf tensors come from outside (the Session keeps them alive)."""

    def __init__(self, model: GraphModel) -> None:
        self.model = model
        self._plan: Plan | None = None

    def plan(self) -> Plan:
        if self._plan is None or self._plan.version != self.model.structure_version:
            self._plan = compile_plan(self.model)
        return self._plan

    def forward(self, leaves: dict[str, ge.Tensor], *, no_grad: bool = False,
                retain_grads: bool = False, should_stop: Callable[[], bool] | None = None
                ) -> ForwardResult:
        """Compute every node. With ``retain_grads``, intermediate results keep their
        gradient after backward (for display). ``should_stop`` is asked before each op
        node: once it says yes, the nodes not computed get the error CANCELLED."""
        plan = self.plan()
        with ge.set_grad_enabled(not no_grad), gc_paused():
            values, errors = _run(plan, leaves, retain_grads, self.model, should_stop)
        result = ForwardResult(no_grad_mode=no_grad, errors=errors,
                               cancelled=CANCELLED in errors.values())
        result.values = dict(zip(plan.node_ids, values, strict=True))
        if errors:  # nodes without a value are not in ``values``
            result.values = {n: v for n, v in result.values.items() if v is not None}
        return result

    def backward(self, forward: ForwardResult, target: str | None = None) -> BackwardResult:
        """Backward from ``target`` (default: the loss, else the single end node)."""
        try:
            target = pick_target(self.model) if target is None else self.model.find(target)
        except GraphError as e:
            return BackwardResult(None, error="backward needs a target", reason=str(e))
        label = self.model.label(target)
        if forward.cancelled:
            return BackwardResult(target, error="backward cancelled",
                                  reason="the run was cancelled before backward started")
        if target in forward.errors:
            return BackwardResult(target, error=f"{label} has no value",
                                  reason=f"{label} has an error: {forward.errors[target]}")
        loss = forward.values[target]
        result = BackwardResult(target, loss=loss)
        if not loss.requires_grad:
            result.error = f"RuntimeError: {_NO_GRAD}"
            result.reason = why_not_requires_grad(self.model, target, forward.no_grad_mode)
            return result
        if loss.numel() != 1:
            result.error = "RuntimeError: grad can be implicitly created only for scalar outputs"
            result.reason = (f"{label} holds {loss.numel()} values; backward starts from one "
                             "number: add a mean or sum node after it")
            return result
        try:
            with ge.trace_backward(leaves_only=True) as steps, gc_paused():
                loss.backward()
        except RuntimeError as e:
            result.error = f"RuntimeError: {e}"
            result.reason = "the engine refused this backward"
            return result
        _summarize(result, steps, forward, self.plan())
        return result


def _summarize(result: BackwardResult, steps: list, forward: ForwardResult, plan: Plan
               ) -> None:
    """What each leaf received, from the engine's trace of the leaves."""
    arrived = {id(step.node.variable): step.grad_output for step in steps}
    for n in plan.leaves:
        v = forward.values.get(n)
        if v is not None and id(v) in arrived:
            result.received[n] = np.array(arrived[id(v)])


def gradient_path(model: GraphModel, forward: ForwardResult, target: str) -> frozenset[str]:
    """The nodes a backward from ``target`` passes through: every node on the way to it
    whose output requires grad (the engine runs exactly those)."""
    upstream = nx.ancestors(model.graph, target) | {target}
    return frozenset(n for n in upstream if n in forward.values
                     and forward.values[n].requires_grad)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Running a big graph makes thousands of short-lived objects, none in reference cycles;
    the cycle collector would rescan the whole graph many times over while they are made."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_NO_GRAD = "element 0 of tensors does not require grad and does not have a grad_fn"


def _no_grad(fn: Callable[..., ge.Tensor]) -> Callable[..., ge.Tensor]:
    def run(*args: ge.Tensor) -> ge.Tensor:
        with ge.no_grad():
            return fn(*args)

    return run


def _run(plan: Plan, leaves: dict[str, ge.Tensor], retain: bool, model: GraphModel,
         should_stop: Callable[[], bool] | None = None) -> tuple[list, dict[str, str]]:
    """The hot loop: one engine call per node; inputs checked only once something failed;
    ``should_stop`` (if any) asked before each op node."""
    values: list[Any] = []
    errors: dict[str, str] = {}
    append = values.append
    for i, step in enumerate(plan.steps):
        fn = step.fn
        if fn is None:
            out = leaves[step.node]
        else:
            if should_stop is not None and should_stop():
                errors.update((s.node, CANCELLED) for s in plan.steps[i:])
                values.extend(None for _ in plan.steps[i:])
                break
            sources = step.sources
            if (errors or step.unwired) and _input_missing(step, values, plan, model, errors):
                append(None)
                continue
            try:
                if len(sources) == 1:
                    out = fn(values[sources[0]])
                elif len(sources) == 2:
                    out = fn(values[sources[0]], values[sources[1]])
                else:
                    out = fn(*[values[s] for s in sources])
            except (RuntimeError, ValueError, TypeError, FloatingPointError) as e:
                errors[step.node] = _describe(e, [values[s] for s in sources])
                append(None)
                continue
            if retain and out.grad_fn is not None and not step.detach:
                out.retain_grad()
        append(out.detach() if step.detach else out)
    return values, errors


def _input_missing(step: Step, values: list, plan: Plan, model: GraphModel,
                   errors: dict[str, str]) -> bool:
    for port, src in zip(step.ports, step.sources, strict=True):
        if src is None or values[src] is None:
            errors[step.node] = _missing(model, plan, port, src, errors)
            return True
    return False


def _missing(model: GraphModel, plan: Plan, port: str, src: int | None,
             errors: dict[str, str]) -> str:
    if src is None:
        return f"input '{port}' is not connected"
    return f"input '{port}' has no value: {model.label(plan.steps[src].node)} has an error"


def _describe(error: Exception, args: list) -> str:
    text = str(error)
    if "must match the size" in text or "broadcast" in text:
        shapes = " and ".join(str(list(a.shape)) for a in args)
        return f"shapes {shapes} do not fit together: {text}"
    return text


def pick_target(model: GraphModel) -> str:
    """The node backward starts from: the chosen loss, else the only node nothing uses."""
    if model.loss is not None:
        return model.loss
    g = model.graph
    ends = [n for n in g.nodes if g.out_degree(n) == 0]
    computed = [n for n in ends if not kind(model.node(n).kind).is_leaf]
    ends = computed or ends
    if len(ends) == 1:
        return ends[0]
    if not ends:
        raise GraphError("the graph is empty: add nodes first")
    names = ", ".join(sorted(model.label(n) for n in ends))
    raise GraphError(f"there are several end nodes ({names}): choose the loss with "
                     "'Set as loss'")
