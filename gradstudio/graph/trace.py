"""The step-through of one forward and one backward, as a teacher would walk through it.

``build_trace(session)`` runs the graph once more on private copies of the session's leaves
(the session, its gradients and the document are left as they are) and records:

* forward steps, in the evaluation's topological order: each node, the values arriving on
  its wires, its value and ``grad_fn``;
* backward steps, in the order the engine's ``backward()`` really runs them from the loss:
  the gradient that reached the node (summed where its value fans out to several consumers)
  and, for every wire into it, ``grad out × local derivative = contribution → source``;
* leaf steps: ``old .grad + contribution = new .grad``;
* skipped steps for the nodes backward does not reach, with the graph layer's reason.

Each step has a one-line ``text`` (the words the canvas and ``gradstudio run --trace``
show) and structured fields for drawing. Building is done once; a step is then a lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

import gradstudio.engine as ge

from .catalog import NodeKind, kind
from .evaluate import BackwardResult, ForwardResult, gc_paused
from .explain import blocks_gradient, why_not_requires_grad
from .maths import broadcast, format_term, format_value, forward_line, node_maths, values_for
from .model import GraphModel, NodeData
from .session import Session

__all__ = ["FORWARD", "BACKWARD", "LEAF", "SKIPPED", "REFUSED", "Wire", "Arrival",
           "TraceStep", "Frame", "Trace", "build_trace", "node_formulas"]

FORWARD, BACKWARD, LEAF, SKIPPED, REFUSED = "forward", "backward", "leaf", "skipped", "refused"


# A trace makes tens of thousands of these, so they are slotted and not frozen: a frozen
# dataclass sets each field through object.__setattr__, four times the cost. Nothing
# changes a step once it is built.
@dataclass(slots=True, eq=False)
class Wire:
    """One wire into the step's node, on input ``port`` from ``source``.

    Forward: ``value`` flows along it into the node. Backward: the node's gradient
    ``grad_out`` times ``local`` (∂node/∂port) is the ``contribution`` sent back to the source;
    None with ``why_none`` where nothing is sent."""

    source: str
    source_label: str
    port: str
    text: str
    value: np.ndarray | None = None
    grad_out: np.ndarray | None = None
    local: np.ndarray | None = None
    contribution: np.ndarray | None = None
    why_none: str | None = None


@dataclass(slots=True, eq=False)
class Arrival:
    """A contribution that reached the step's node from one consumer, along its ``port``
    wire; a value used twice (fan-out) receives several, and they add up."""

    consumer: str
    consumer_label: str
    port: str
    value: np.ndarray


@dataclass(slots=True, eq=False)
class TraceStep:
    """One step. ``grad`` is the gradient at the node's output after this step (for a leaf:
    its new ``.grad``, with ``grad_before`` the old one)."""

    index: int
    phase: str  # FORWARD, BACKWARD, LEAF, SKIPPED or REFUSED
    node: str
    label: str
    text: str
    wires: tuple[Wire, ...] = ()
    value: np.ndarray | None = None
    grad_fn: str | None = None
    arrivals: tuple[Arrival, ...] = ()
    grad: np.ndarray | None = None
    grad_before: np.ndarray | None = None
    # the node's formulas with this step's numbers, or the function that writes them
    _maths: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    reason: str | None = None  # why skipped, refused or without a value

    @property
    def maths(self) -> tuple[str, ...]:
        """The node's formulas with this step's numbers, written when first asked for (a
        step shows them; a notebook of the whole trace never reads them)."""
        lines = self._maths
        if callable(lines):
            lines = self._maths = lines()
        return lines


@dataclass(frozen=True)
class Frame:
    """What the canvas shows after a step: every value computed so far, every gradient
    arrived so far (leaves: their ``.grad`` at that moment), the skipped nodes."""

    step: TraceStep
    values: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    skipped: dict[str, str]
    done: frozenset[str]  # nodes whose step (in the step's phase) has run


@dataclass(frozen=True)
class Trace:
    """The whole sequence. ``first_backward`` is the index where backward begins (equal to
    the number of forward steps)."""

    steps: tuple[TraceStep, ...]
    target: str | None
    backward: BackwardResult
    forward: ForwardResult
    grads_before: dict[str, np.ndarray] = field(default_factory=dict)
    versions: tuple[int, int] = (-1, -1)  # the model's (structure, values) versions
    nodes: dict[str, NodeData] = field(default_factory=dict)  # what each step was built from

    def is_current(self, model: GraphModel) -> bool:
        """False once the model was edited (moving cards does not count): the steps then
        describe a graph that is no longer on the canvas."""
        return self.versions == (model.structure_version, model.values_version)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> TraceStep:
        return self.steps[index]

    def __iter__(self) -> Iterator[TraceStep]:
        return iter(self.steps)

    @property
    def first_backward(self) -> int:
        return sum(1 for s in self.steps if s.phase == FORWARD)

    def lines(self) -> list[str]:
        """One line per step: number, phase and the step's text."""
        width = len(str(len(self.steps)))
        return [f"{s.index + 1:>{width}} {s.phase:<8} {s.text}" for s in self.steps]

    def find(self, node: str, phase: str | None = None) -> TraceStep | None:
        """The step of ``node`` (in ``phase``, or its last one)."""
        found = None
        for s in self.steps:
            if s.node == node and (phase is None or s.phase == phase):
                found = s
        return found

    def frame(self, index: int) -> Frame:
        """The picture after step ``index``: replayed from the start, O(index)."""
        values: dict[str, np.ndarray] = {}
        grads = dict(self.grads_before)
        skipped: dict[str, str] = {}
        done: set[str] = set()
        phase = self.steps[index].phase
        for s in self.steps[:index + 1]:
            if s.phase == FORWARD and s.value is not None:
                values[s.node] = s.value
            elif s.phase in (BACKWARD, LEAF) and s.grad is not None:
                grads[s.node] = s.grad
            elif s.phase in (SKIPPED, REFUSED):
                skipped[s.node] = s.reason or ""
            if (s.phase == FORWARD) == (phase == FORWARD):
                done.add(s.node)
        return Frame(self.steps[index], values, grads, skipped, frozenset(done))


# --- building -------------------------------------------------------------------------------

def _array(t: ge.Tensor) -> np.ndarray:
    """A private copy, for tensors that may change later (the session's leaves)."""
    return np.array(t.detach().numpy())


def _view(t: ge.Tensor) -> np.ndarray:
    """The values without a copy: the trace's own forward is never changed afterwards."""
    return t.detach().numpy()


def build_trace(session: Session, target: str | None = None, *, accumulate: bool = True
                ) -> Trace:
    """The steps of a forward and a backward from ``target`` (default: the loss) with the
    session's current values. Leaves start from the gradient they hold now (``accumulate``),
    so the leaf steps show what pressing Backward would add; with ``accumulate=False`` they
    start from None. Nothing in the session or the model changes."""
    with gc_paused():  # thousands of small objects, no reference cycles among them
        builder, engine_steps = _run(session, target, accumulate)
        builder.forward_steps()
        if builder.backward.ok:
            builder.backward_steps(engine_steps)
        elif builder.backward.target is not None:
            builder.refused()
        builder.skipped_steps()
    model, backward = session.model, builder.backward
    return Trace(tuple(builder.steps), backward.target, backward, builder.forward,
                 builder.before, (model.structure_version, model.values_version), builder.data)


def _run(session: Session, target: str | None, accumulate: bool
         ) -> tuple[_Builder, list[ge.BackwardStep]]:
    """One forward and one backward on private leaves, the engine's steps recorded."""
    model = session.model
    leaves = session.private_leaves()
    before = {}
    if accumulate:
        for n in leaves:
            g = session.grad(n)
            if g is not None:
                before[n] = _array(g)
    forward = session.evaluate(leaves)
    with ge.trace_backward() as engine_steps:
        backward = session.evaluator.backward(forward, target)
    plan = session.evaluator.plan()
    inputs = {st.node: {port: plan.node_ids[i] for port, i in zip(st.ports, st.sources,
                                                                    strict=True) if i is not None}
              for st in plan.steps}
    return _Builder(model, forward, backward, session.no_grad_mode, before, inputs), engine_steps


def node_formulas(model: GraphModel, forward: ForwardResult, node: str
                  ) -> tuple[str, tuple[tuple[str, np.ndarray], ...]]:
    """A node's forward formula and each input's local derivative with the numbers of
    ``forward`` substituted: ``("y_pred = σ(z) = σ(6.7000) = 0.9988", (("∂y_pred/∂z =
    y_pred·(1−y_pred) = 0.9988·(1−0.9988) = 0.0012", 0.0012),))``. For the Chain rule
    panel, a card's tooltip and the step-through alike."""
    head, local, lines = _formulas(model.node(node), forward, model.inputs_of(node),
                                   model.label, lambda n: _view(forward.values[n]))
    return head, tuple(zip(lines(), local, strict=True))


def _no_lines() -> tuple[str, ...]:
    return ()


def _inputs_valued(ports: tuple[str, ...], wired: dict[str, str], forward: ForwardResult
                   ) -> bool:
    """Whether every port is wired to a node with a value (a loop, not ``all()`` over a
    generator: a trace asks this of every node)."""
    for p in ports:
        if p not in wired or forward.value(wired[p]) is None:
            return False
    return True


def _formulas(data: NodeData, forward: ForwardResult, wired: dict[str, str],
              label: Callable[[str], str], view: Callable[[str], np.ndarray],
              words: Callable[[str], str] | None = None
              ) -> tuple[str, tuple[np.ndarray, ...], Callable[[], tuple[str, ...]]]:
    """``node_formulas`` as ``maths.node_maths`` gives it (the derivative lines written when
    asked for), with the labels, each node's values and (optionally) those values in words
    from ``label``, ``view`` and ``words`` (the trace asks each node once)."""
    spec = kind(data.kind)
    out = forward.value(data.id)
    if spec.is_leaf:
        return (forward_line(spec.maths, data.label, {}, {}, values_for({}, view(data.id), {}))
                if out is not None else data.label), (), _no_lines
    if out is None or not _inputs_valued(spec.inputs, wired, forward):
        return f"{data.label} = {spec.formula}", (), _no_lines
    sources = {p: label(wired[p]) for p in spec.inputs}
    values = values_for({p: view(wired[p]) for p in spec.inputs}, view(data.id), data.params)
    written = None if words is None else {
        "out": words(data.id), **{p: words(wired[p]) for p in spec.inputs}}
    return node_maths(spec.maths, data.label, sources, data.params, values, spec.inputs,
                      written)


def _vjp(spec: NodeKind, params: dict, inputs: list[ge.Tensor], grad: np.ndarray
         ) -> tuple[np.ndarray | None, ...]:
    """What the node's backward sends to each input for ``grad``: the node is replayed on
    private copies, so each port gets its own share even when one source feeds two ports."""
    copies = [v.detach().requires_grad_() for v in inputs]  # new leaves, same storage
    out = spec.build(params)(*copies)
    sent = ge.autograd.grad(out, copies, ge.tensor(grad, dtype=out.dtype), allow_unused=True)
    return tuple(None if s is None else _view(s) for s in sent)


class _Builder:
    def __init__(self, model: GraphModel, forward: ForwardResult, backward: BackwardResult,
                 no_grad_mode: bool, before: dict[str, np.ndarray],
                 inputs: dict[str, dict[str, str]]) -> None:
        self.model = model
        self.inputs = inputs  # node -> port -> source (from the plan: no graph queries)
        self._formulas: dict[str, tuple] = {}
        self.forward = forward
        self.backward = backward
        self.no_grad_mode = no_grad_mode
        self.before = before
        self.steps: list[TraceStep] = []
        self.order = list(inputs)  # the plan's topological order
        self.position = {n: i for i, n in enumerate(self.order)}
        # Each node's snapshot, kind, label, value, its value in words and the input it
        # passes on as its own tensor, asked once: a node's value is read and written by its
        # own step and again by each of its consumers' (plain dicts: a trace reads them
        # hundreds of thousands of times).
        self.data = {n: model.node(n) for n in self.order}
        self.specs = {n: kind(d.kind) for n, d in self.data.items()}
        self.labels = {n: d.label for n, d in self.data.items()}
        self.views = {n: _view(v) for n, v in forward.values.items()}
        self.said = {n: format_value(v) for n, v in self.views.items()}
        self.same = {n: _same_tensor(forward, n, inputs[n]) for n in forward.values}
        self.placed: set[str] = set()
        self.reached: set[str] = set()  # nodes backward runs
        self.arrivals: dict[str, list[Arrival]] = {}
        self._arrival_words: dict[str, list[str]] = {}  # the arrivals' values, written
        self._sent: dict[int, tuple] = {}  # engine node (by id) -> what it sent per edge
        self.loss_label = model.label(backward.target) if backward.target else "loss"

    def formulas(self, n: str
                 ) -> tuple[str, tuple[np.ndarray, ...], Callable[[], tuple[str, ...]]]:
        found = self._formulas.get(n)
        if found is None:
            found = self._formulas[n] = _formulas(self.data[n], self.forward, self.inputs[n],
                                                  self.labels.__getitem__,
                                                  self.views.__getitem__,
                                                  self.said.__getitem__)
        return found

    def add(self, phase: str, node: str, text: str, **fields: object) -> TraceStep:
        step = TraceStep(len(self.steps), phase, node, self.labels[node], text, **fields)
        self.steps.append(step)
        return step

    # forward -------------------------------------------------------------------------------
    def forward_steps(self) -> None:
        for n in self.order:
            self._forward_step(n)

    def _forward_step(self, n: str) -> None:
        values = self.forward.values
        data = self.data[n]
        label = data.label
        spec = self.specs[n]
        wired = self.inputs[n]
        wires = []
        for port in spec.inputs:
            src = wired.get(port)
            if src is None:
                continue
            src_label = self.labels[src]
            if values.get(src) is None:
                wires.append(Wire(src, src_label, port, f"{src_label} has no value"))
            else:
                wires.append(Wire(src, src_label, port, f"{self.said[src]} → {label}.{port}",
                                  self.views[src]))
        out = values.get(n)
        if out is None:
            error = self.forward.errors.get(n, "no value")
            self.add(FORWARD, n, f"{label}: error: {error}", wires=tuple(wires), reason=error)
            return
        head = self.formulas(n)[0]
        fn = out.grad_fn
        grad_fn = fn.name() if fn is not None else None
        same = self.same[n]
        if spec.is_leaf:
            note = f"leaf, requires_grad={out.requires_grad}"
        elif same is not None and out.requires_grad:
            note = f"the same tensor as {self.labels[same]}: " + (
                f"grad_fn=<{grad_fn}>" if grad_fn else "requires_grad=True")
        elif grad_fn is not None:
            note = f"grad_fn=<{grad_fn}>"
        else:
            why = why_not_requires_grad(self.model, n, self.forward.no_grad_mode) \
                or "nothing requires grad"
            note = f"no grad_fn: {why}"
        self.add(FORWARD, n, f"{head}  ({note})", wires=tuple(wires), value=self.views[n],
                 grad_fn=grad_fn, _maths=(head,))

    # backward ------------------------------------------------------------------------------
    def _engine_nodes(self) -> dict[int, list[str]]:
        """Engine node (by id; a leaf's accumulator by its tensor's id) -> the graph nodes
        whose output it is, downstream first (a pass-through identity shares its input's)."""
        owners: dict[int, list[str]] = {}
        for n in sorted(self.forward.values, key=self.position.__getitem__, reverse=True):
            v = self.forward.values[n]
            if v.requires_grad:
                owners.setdefault(id(v.grad_fn if v.grad_fn is not None else v), []).append(n)
        return owners

    def backward_steps(self, engine_steps: list[ge.BackwardStep]) -> None:
        owners = self._engine_nodes()
        target = self.backward.target
        seed = np.ones(tuple(self.backward.loss.shape), dtype=self.backward.loss.dtype.numpy)
        grads: dict[str, np.ndarray] = {}
        order: list[str] = []
        for step in engine_steps:
            variable = getattr(step.node, "variable", None)  # AccumulateGrad: its leaf
            if variable is None:
                self._sent[id(step.node)] = step.grad_inputs
            for n in owners.get(id(step.node if variable is None else variable), ()):
                if n not in grads:  # the engine never changes a gradient it has passed on
                    grads[n] = np.asarray(step.grad_output)
                    order.append(n)
        self.reached = set(order)
        if target in grads:
            grads[target] = seed  # a pass-through target shares its input's engine node
        for n in order:
            if self.specs[n].is_leaf:
                self._leaf_step(n, grads[n])
            else:
                self._backward_step(n, grads[n], n == target)
            self._place_skipped_inputs(n)

    def _received(self, n: str, grad: np.ndarray, is_root: bool) -> str:
        label = self.labels[n]
        if is_root:
            return f"∂{label}/∂{label} = {format_value(grad)} (backward starts here)"
        parts = [f"{words} from {a.consumer_label}"
                 for a, words in zip(self.arrivals.get(n, ()), self._arrival_words.get(n, ()),
                                     strict=True)]
        head = f"∂{self.loss_label}/∂{label} = "
        if len(parts) == 1:
            return head + parts[0]
        return head + " + ".join(parts) + f" = {format_value(grad)}"

    def _sent_to_inputs(self, n: str, grad: np.ndarray, sources: list[str]
                        ) -> tuple[np.ndarray | None, ...]:
        """What the node's backward sent to each input for ``grad``. A node that is one
        engine op with an edge straight to each input, port by port, sent what the engine's
        own backward recorded for that edge (as ``_vjp`` would give it: in the input's
        dtype, a new array); any other node (several ops, a pass-through) is replayed."""
        values = self.forward.values
        inputs = [values[s] for s in sources]
        fn = values[n].grad_fn
        sent = self._sent.get(id(fn)) if fn is not None else None
        if sent is not None and self.same[n] is None and len(fn.next) == len(inputs):
            for edge, value in zip(fn.next, inputs, strict=True):
                if not _edge_to(edge, value):
                    break
            else:
                views = self.views
                return tuple(None if g is None else np.array(g, dtype=views[s].dtype)
                             for g, s in zip(sent, sources, strict=True))
        return _vjp(self.specs[n], self.data[n].params, inputs, grad)

    def _backward_step(self, n: str, grad: np.ndarray, is_root: bool) -> None:
        data = self.data[n]
        label = data.label
        ports = self.specs[n].inputs
        wired = self.inputs[n]
        sources = [wired[p] for p in ports]
        sent = self._sent_to_inputs(n, grad, sources)
        _, local, lines = self.formulas(n)
        grad_term = format_term(grad)
        wires = tuple(self._wire(n, port, src, grad, grad_term, d, s)
                      for port, src, s, d in zip(ports, sources, sent, local, strict=True))
        fn = self.forward.values[n].grad_fn
        grad_fn = fn.name() if fn is not None else None
        op = grad_fn if grad_fn is not None and self.same[n] is None \
            else "passes the gradient on"
        text = "; ".join([f"{label} ({op}): {self._received(n, grad, is_root)}",
                          *(w.text for w in wires)])
        self.add(BACKWARD, n, text, wires=wires, value=self.views[n], grad_fn=grad_fn,
                 arrivals=tuple(self.arrivals.get(n, ())), grad=grad,
                 _maths=lines)

    def _wire(self, n: str, port: str, src: str, grad: np.ndarray, grad_term: str,
              local: np.ndarray, sent: np.ndarray | None) -> Wire:
        src_label = self.labels[src]
        if sent is None or not self.forward.values[src].requires_grad:
            why = (why_not_requires_grad(self.model, src, self.no_grad_mode)
                   or f"{src_label} does not require grad")
            return Wire(src, src_label, port, f"nothing → {src_label} ({why})", grad_out=grad,
                        local=local, why_none=why)
        shape = sent.shape  # every array here is an ndarray: .shape, not np.shape
        summed = "" if shape == broadcast([grad.shape, local.shape]) \
            else f", summed to shape {tuple(shape)}"
        sent_words = format_value(sent)
        text = f"{grad_term} × {format_term(local)}{summed} = {sent_words} → {src_label}"
        arrival = Arrival(n, self.labels[n], port, sent)
        if src in self.arrivals:
            self.arrivals[src].append(arrival)
            self._arrival_words[src].append(sent_words)
        else:  # setdefault would make a list on every call
            self.arrivals[src] = [arrival]
            self._arrival_words[src] = [sent_words]
        return Wire(src, src_label, port, text, grad_out=grad, local=local, contribution=sent)

    def _leaf_step(self, n: str, grad: np.ndarray) -> None:
        label = self.labels[n]
        old = self.before.get(n)
        new = grad.copy() if old is None else (old + grad).astype(old.dtype)
        old_text = "None" if old is None else format_value(old)
        text = (f"{label}: {self._received(n, grad, False)}; {label}.grad = {old_text} + "
                f"{format_term(grad)} = {format_value(new)}")
        self.add(LEAF, n, text, value=self.views[n],
                 arrivals=tuple(self.arrivals.get(n, ())), grad=new, grad_before=old)

    def refused(self) -> None:
        target = self.backward.target
        b = self.backward
        self.add(REFUSED, target, f"backward from {self.labels[target]} cannot run: "
                 f"{b.error} ({b.reason})", reason=b.reason)
        self.placed.add(target)
        self._place_skipped_inputs(target)

    # skipped -------------------------------------------------------------------------------
    def _place_skipped_inputs(self, n: str) -> None:
        """Right after a node's step, the inputs backward will not visit, with the reason
        (and, depth first, theirs: a stack, not recursion, for chains thousands long)."""
        self.placed.add(n)
        placed, reached = self.placed, self.reached
        for src in self.inputs[n].values():
            if src not in placed and src not in reached:
                break
        else:
            return  # the usual case: backward visits every input
        pending = [iter(dict.fromkeys(self.inputs[n].values()))]
        while pending:
            src = next(pending[-1], None)
            if src is None:
                pending.pop()
            elif src not in self.placed and src not in self.reached:
                reason = self._why_skipped(src)
                self.add(SKIPPED, src, f"{self.labels[src]} skipped: {reason}", reason=reason)
                self.placed.add(src)
                pending.append(iter(dict.fromkeys(self.inputs[src].values())))

    def skipped_steps(self) -> None:
        """The nodes the loss does not depend on, last."""
        for n in reversed(self.order):
            if n not in self.placed and n not in self.reached:
                reason = f"{self.loss_label} does not depend on it: backward never gets here"
                self.add(SKIPPED, n, f"{self.labels[n]} skipped: {reason}", reason=reason)
                self.placed.add(n)

    def _why_skipped(self, n: str) -> str:
        model, fwd = self.model, self.forward
        if n in fwd.errors:
            return f"it has no value: {fwd.errors[n]}"
        how = blocks_gradient(model, n)
        label = self.labels[n]
        if how == "detached":
            return f"{label} is detached: a detached wire cuts the gradient here"
        if how:
            return f"{label} is {how}: nothing was recorded, so the gradient stops here"
        why = why_not_requires_grad(model, n, self.no_grad_mode)
        if why is not None:
            return why
        return _cut_reason(model, n, self.backward.target, self.backward.ok)


def _edge_to(edge: object, value: ge.Tensor) -> bool:
    """Whether an engine edge leads straight to ``value``: its grad_fn, or for a leaf that
    requires grad its accumulator; None for a value that needs no gradient."""
    if edge is None:
        return not value.requires_grad
    if value.grad_fn is not None:
        return edge is value.grad_fn
    return getattr(edge, "variable", None) is value


def _same_tensor(fwd: ForwardResult, n: str, wired: dict[str, str]) -> str | None:
    """The input whose tensor the node passes on as its own output (an identity without
    detach): such a node has no engine op of its own."""
    for src in wired.values():
        if fwd.values.get(src) is fwd.values[n]:
            return src
    return None


def _cut_reason(model: GraphModel, n: str, target: str | None, ran: bool) -> str:
    """Why a node that requires grad gets no gradient: every way to the target is cut, or
    the backward did not run at all."""
    g = model.graph
    if target is None:
        return "backward did not run"
    between = (nx.descendants(g, n) & nx.ancestors(g, target)) | {target}
    cuts = sorted((m for m in between if blocks_gradient(model, m)), key=model.label)
    if not cuts:
        if not ran:
            return f"backward from {model.label(target)} did not run, so nothing reaches " \
                   f"{model.label(n)}"
        return f"no gradient reaches {model.label(n)} from {model.label(target)}"
    parts = ", ".join(f"{model.label(c)} is {blocks_gradient(model, c)}" for c in cuts)
    return f"no gradient comes back to {model.label(n)}: the way to " \
           f"{model.label(target)} is cut here ({parts})"
