"""Session: the leaf tensors that live across runs, the ledger of gradients, training.

Like a notebook kernel, a session keeps each leaf's tensor alive between runs, so pressing
Backward twice accumulates (4, then 8) exactly as running the notebook's cell twice does.
Every backward and zero-grad is written in the ledger.

A train step computes the new weight values and returns them; it never writes them into the
model. Whoever runs it applies them: the window through an undoable command, a script or the
CLI with ``apply_updates`` (``Session.train`` does that for a headless loop).

What a run changes in the session itself (gradients, ledger, loss history, the training
history) is not in the model: ``snapshot`` keeps it and ``restore`` puts it back, so undoing
a train run shows what was there before it (``ApplyTrainStep`` in the window).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

import gradstudio.engine as ge
from gradstudio.engine import scalar

from .catalog import kind
from .evaluate import BackwardResult, Evaluator, ForwardResult, gc_paused, pick_target
from .ledger import BackwardEntry, Ledger
from .model import Change, GraphModel, ModelEvent
from .train_history import HistoryMark, Prefix, TrainHistory

if TYPE_CHECKING:
    from .gradcheck import GradCheck
    from .plan import ScalarPlan
    from .plan_vector import VectorPlan

    Plan = ScalarPlan | VectorPlan

__all__ = ["Session", "SessionState", "TrainResult", "TrainStep", "TrainRun", "TrainBlock",
           "WeightStep", "PlanSteps", "MAX_TRAIN_STEPS", "apply_updates"]

MAX_TRAIN_STEPS = 100_000  # the most steps one Train N run offers
_RUNS = itertools.count(1)  # ids of headless runs, for the ledger's one entry per run


@dataclass(frozen=True)
class WeightStep:
    """What one train step did to one weight, each number as the engine computed it in the
    weight's dtype: ``value`` (w), ``grad`` (w.grad), ``delta`` (Δw = -lr * w.grad) and
    ``new`` (w' = w - lr * w.grad = w + Δw). Plain numbers or nested lists, like a value."""

    value: Any
    grad: Any
    delta: Any
    new: Any


@dataclass
class TrainResult:
    """One train step: the loss before the update, and the update itself (not yet applied
    to the model)."""

    loss: float | None
    backward: BackwardResult
    updates: dict[str, Any] = field(default_factory=dict)  # node id -> new value
    weights: dict[str, WeightStep] = field(default_factory=dict)  # node id -> the step laid open
    lr: float | None = None

    @property
    def ok(self) -> bool:
        return self.backward.ok

    def record(self, number: int) -> TrainStep:
        """This step as views keep it: no tensors, so a long run holds little memory."""
        assert self.loss is not None, "a failed step has no record"
        return TrainStep(number, self.loss, self.updates, self.weights, self.lr)


@dataclass(slots=True)
class TrainStep:
    """One step of a run: its number (1-based in the run), the loss before its update, the
    update (node id -> new value), and the update laid open (node id -> w, w.grad, Δw, w')
    with the learning rate it used. A record nobody changes; not a frozen dataclass, whose
    __init__ costs four times as much, because a run of the compiled plan makes one per step."""

    number: int
    loss: float
    updates: dict[str, Any]
    weights: dict[str, WeightStep] = field(default_factory=dict)
    lr: float | None = None


class PlanSteps(Sequence[TrainStep]):
    """The steps of a block the compiled plan ran, kept as the plan gives them (each step's
    loss and the weights after it) and made into TrainStep records when first read: after the
    plan's own loop, a record per step was most of what a long run cost, and a headless run
    that reads only its losses (``gradstudio run --steps``) needs none. The last step, laid
    open, is a record from the start."""

    def __init__(self, first: int, losses: list[float], path: list, names: tuple[str, ...],
                 last: TrainStep) -> None:
        assert len(losses) == len(path), "a loss and the weights after it for every step"
        self.losses = losses  # each step's loss before its update
        self._made: list[TrainStep] | None = None
        self._kept: tuple | None = (first, path, names, last)

    def __len__(self) -> int:
        return len(self.losses)

    def __getitem__(self, index: Any) -> Any:
        return self._records()[index]

    def __iter__(self) -> Iterator[TrainStep]:
        return iter(self._records())

    def _records(self) -> list[TrainStep]:
        if self._made is None:
            first, path, names, last = self._kept
            path = path[:-1]
            if None in path:  # a vector plan that kept no path: the last steps' weights only
                updates = [{} if w is None else dict(zip(names, w, strict=False)) for w in path]
            else:  # map: about half a comprehension's cost
                updates = list(map(dict, map(zip, itertools.repeat(names), path)))
            self._made = list(map(TrainStep, range(first, first + len(path)), self.losses,
                                  updates))
            self._made.append(last)
            self._kept = None
        return self._made


@dataclass
class TrainRun:
    """A run of train steps (Train step, Train N) and how it ended."""

    steps: Sequence[TrainStep] = field(default_factory=list)
    loss_after: float | None = None  # the loss after the last update, from a fresh forward
    failure: BackwardResult | None = None  # the step that could not run, if one could not
    cancelled: bool = False

    @property
    def losses(self) -> list[float]:
        """Each step's loss before its update."""
        if isinstance(self.steps, PlanSteps):
            return list(self.steps.losses)
        return [s.loss for s in self.steps]

    @property
    def losses_after(self) -> list[float | None]:
        """Each step's loss after its update: the next step's loss before, and for the last
        step ``loss_after``."""
        return [s.loss for s in self.steps[1:]] + ([self.loss_after] if self.steps else [])


@dataclass
class TrainBlock:
    """Train steps run at once (``Session.train_block``): their records, the weights after
    the last one (to apply to the model, as a step's ``updates``), or the step that failed."""

    steps: Sequence[TrainStep] = field(default_factory=list)
    updates: dict[str, Any] = field(default_factory=dict)
    failure: BackwardResult | None = None
    compiled: bool = False  # ran in the compiled plan (else one engine train_step)


@dataclass(frozen=True)
class SessionState:
    """What the session holds besides the model, as ``Session.snapshot`` copied it: each
    leaf's gradient (None: no .grad), the ledger, the loss history, the training history,
    the last forward (None: a fresh one shows the same) and backward, the run the cards lay
    open, and the last gradient check (while the graph was as checked)."""

    grads: dict[str, np.ndarray | None]
    ledger: Ledger
    loss_history: Prefix
    history: HistoryMark
    last_forward: ForwardResult | None
    last_backward: BackwardResult | None
    laid_open: TrainRun | None
    check: GradCheck | None = None


def apply_updates(model: GraphModel, updates: dict[str, Any]) -> None:
    """Write a train step's new values into the model's weights."""
    for node_id, value in updates.items():
        model.set_param(node_id, "value", value)


class Session:
    """Runs a model: forward, backward, zero grad, train step, with persistent leaves."""

    def __init__(self, model: GraphModel) -> None:
        self.model = model
        self.evaluator = Evaluator(model)
        self.ledger = Ledger()
        self.no_grad_mode = False
        self.retain_intermediate = True
        self.loss_history: list[float] = []  # each step's loss; only ever grows (snapshot)
        self.last_forward: ForwardResult | None = None
        self.last_backward: BackwardResult | None = None
        self.history = TrainHistory()  # the finished runs' steps, as the Training panel plots
        self.laid_open: TrainRun | None = None  # the run whose last step the cards lay open
        self.last_check: GradCheck | None = None  # Check Gradients, while the graph is as it was
        self._restored: list[Callable[[], None]] = []  # told after ``restore``
        self._leaves: dict[str, ge.Tensor] = {}
        self._dirty: set[str] | None = None  # None: check every leaf
        self._plans: dict[tuple, Plan | str] = {}  # (dtype, target) -> plan or refusal
        self._plans_for: tuple | None = None  # the model's versions and plan_key they fit
        model.subscribe(self._on_model_event)

    # --- leaves ---------------------------------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind is not Change.NODE_MOVED and not event.kind.is_annotation:
            self.laid_open = None  # the graph is no longer what the run left
            self.last_check = None  # nor what the check looked at
        if event.kind is Change.RESET:  # a different document: its leaves start fresh
            self._leaves.clear()
            self._dirty = None
        elif event.kind is Change.SETTINGS_CHANGED:
            self._dirty = None
        elif event.kind is Change.NODE_REMOVED:
            self._leaves.pop(event.node, None)
        elif event.kind in (Change.NODE_ADDED, Change.NODE_CHANGED) and self._dirty is not None:
            self._dirty.add(event.node)

    def leaf(self, node_id: str) -> ge.Tensor:
        """The live tensor of a leaf node (its .grad is the accumulated gradient)."""
        self._sync_leaves()
        return self._leaves[node_id]

    def grad(self, node_id: str) -> ge.Tensor | None:
        """A leaf's accumulated gradient, or an intermediate's from the last backward."""
        self._sync_leaves()  # a leaf whose shape was just edited has no gradient any more
        if node_id in self._leaves:
            return self._leaves[node_id].grad
        fwd = self.last_forward
        value = None if fwd is None else fwd.value(node_id)
        if value is None or value.is_leaf or not value.retains_grad:
            return None
        return value.grad

    def _sync_leaves(self) -> None:
        """Bring leaf tensors in line with the model, keeping their gradients when only the
        values or flags changed (like assigning w.data)."""
        if self._dirty is None:  # every leaf (read from the graph: no copy of every node)
            ids = [n for n, k in self.model.graph.nodes(data="kind") if kind(k).is_leaf]
        else:
            ids = list(self._dirty)
        self._dirty = set()
        dtype = getattr(ge, self.model.settings.dtype)
        for n in ids:
            if n not in self.model:
                self._leaves.pop(n, None)
                continue
            data = self.model.node(n)
            if not kind(data.kind).is_leaf:
                continue
            with np.errstate(over="ignore"):  # 1e308 in float32 is inf, as in PyTorch;
                value = np.asarray(data.params["value"], dtype=dtype.numpy)  # overflow.py
            t = self._leaves.get(n)
            if t is None or t.shape != value.shape or t.dtype is not dtype:
                if t is not None and t.grad is not None:
                    self.ledger.note(f"{data.label}.grad was cleared: its shape or dtype changed")
                t = self._leaves[n] = ge.tensor(value, dtype=dtype)
            elif np.asarray(t.detach().numpy()).tobytes() != value.tobytes():  # bit for bit:
                # -0. and 0. compare equal, but a train step that gives 0. must leave 0.
                with ge.no_grad():
                    t.copy_(ge.tensor(value, dtype=dtype))
            t.requires_grad_(data.flags["requires_grad"])

    # --- what a run leaves, and undoing it ------------------------------------------------
    def record_steps(self, steps: Sequence[TrainStep]) -> None:
        """Steps of a run just applied to the model: into the training history."""
        self.history.add(steps, self.model)

    def record_run(self, run: TrainRun) -> None:
        """A finished run (its steps recorded): the loss it left, its last step laid open."""
        self.history.finish(run)
        self.laid_open = run if run.steps else None

    def backward_is_current(self) -> bool:
        """True while the last forward is the one the last backward ran on: its results
        hold that backward's gradients (intermediate ones too), which a fresh forward
        would not."""
        last, forward = self.last_backward, self.last_forward
        return last is not None and last.ok and forward is not None and \
            forward.value(last.target) is last.loss

    def snapshot(self) -> SessionState:
        """Copies of what a run changes in the session (``restore`` puts them back). The
        last forward is kept only while it holds the last backward's gradients (else a
        fresh evaluation shows the same), and a backward without it keeps no autograd
        graph: an undo stack of many train steps holds little memory."""
        self._sync_leaves()
        grads = {n: None if t.grad is None else _numpy(t.grad) for n, t in self._leaves.items()}
        forward, backward = self.last_forward, self.last_backward
        if not self.backward_is_current():
            forward = None
            if backward is not None and backward.loss is not None:
                backward = replace(backward, loss=ge.tensor(_numpy(backward.loss),
                                                            dtype=backward.loss.dtype))
        return SessionState(grads, self.ledger.copy(), Prefix.of(self.loss_history),
                            self.history.mark(), forward, backward, self.laid_open,
                            self.last_check)

    def restore(self, state: SessionState) -> None:
        """Be as at ``state`` again, once the model is as it was then (an undo puts the
        weights back first): each leaf's gradient, the ledger, the loss and training
        histories, the last forward and backward; then tell ``on_restore``'s callbacks."""
        self._sync_leaves()
        for n, t in self._leaves.items():
            g = state.grads.get(n)
            t.grad = None if g is None or g.shape != t.shape else ge.tensor(g, dtype=t.dtype)
        self.ledger.restore(state.ledger)
        self.loss_history = state.loss_history.copy()  # new lists: a snapshot shares the old
        self.history = TrainHistory.at(state.history)
        self.last_forward, self.last_backward = state.last_forward, state.last_backward
        self.laid_open = state.laid_open
        self.last_check = state.check
        for callback in list(self._restored):
            callback()

    def forget_runs(self) -> None:
        """A new document: no ledger, no loss or training history, no last backward."""
        self.ledger.clear()
        self.loss_history = []
        self.history = TrainHistory()
        self.last_backward = None
        self.laid_open = None

    def on_restore(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every ``restore`` (the window refreshes its views)."""
        self._restored.append(callback)

    # --- running --------------------------------------------------------------------------
    def forward(self, should_stop: Callable[[], bool] | None = None) -> ForwardResult:
        """Every node's value; ``should_stop`` (asked between nodes) can cut it short."""
        self._sync_leaves()
        self.last_forward = None  # let the old values go before new ones are made (memory)
        self.last_forward = self.evaluator.forward(
            self._leaves, no_grad=self.no_grad_mode, retain_grads=self.retain_intermediate,
            should_stop=should_stop)
        return self.last_forward

    def backward(self, target: str | None = None,
                 should_stop: Callable[[], bool] | None = None) -> BackwardResult:
        """A fresh forward, then backward from the target; gradients add up in the leaves.
        A forward cut short by ``should_stop`` runs no backward (nothing accumulates)."""
        with gc_paused():  # one collection afterwards instead of one per half
            forward = self.forward(should_stop)
            result = self.evaluator.backward(forward, target)
        self.last_backward = result
        if result.ok:
            self.ledger.record(self._entry(result))
        return result

    def _entry(self, result: BackwardResult) -> BackwardEntry:
        """What each leaf received in this backward and what it holds now."""
        label = self.model.label
        order = sorted(result.received, key=label)
        return BackwardEntry(label(result.target), _numpy(result.loss),
                             {label(n): result.received[n] for n in order},
                             {label(n): _numpy(self._leaves[n].grad) for n in order})

    def zero_grad(self) -> None:
        """Set every leaf's gradient to zero in place, as x.grad.zero_() does."""
        for t in self._leaves.values():
            if t.grad is not None:
                t.grad.zero_()
        self.ledger.zero_grad()

    def train_step(self, lr: float | None = None,
                   should_stop: Callable[[], bool] | None = None) -> TrainResult:
        """Forward, backward, ``w - lr * w.grad`` for every trainable weight, zero grad. The
        new values are returned, not written: apply them before the next step.

        Gradients left over from earlier Backward presses would be added into this step's
        (the classic forgotten ``optimizer.zero_grad()``): they are zeroed first, and the
        ledger says so. A step cut short by ``should_stop`` fails before any update."""
        lr = self.model.settings.lr if lr is None else lr
        if any(t.grad is not None and bool(np.any(_numpy(t.grad))) for t in self._leaves.values()):
            self.ledger.note("zero grad before the train step: earlier backward passes had "
                             "left gradients in the leaves")
            self.zero_grad()
        result = self.backward(should_stop=should_stop)
        if not result.ok:
            return TrainResult(None, result)
        updates, weights = {}, {}
        with ge.no_grad():
            for n, t in self._leaves.items():
                data = self.model.node(n)
                if kind(data.kind).trainable and t.requires_grad and t.grad is not None:
                    new = t - lr * t.grad  # w - lr * w.grad, in w's dtype
                    updates[n] = new.tolist()
                    weights[n] = WeightStep(t.tolist(), t.grad.tolist(),
                                            (-lr * t.grad).tolist(), updates[n])
        self.zero_grad()
        loss = float(np.mean(_numpy(result.loss)))
        self.loss_history.append(loss)
        return TrainResult(loss, result, updates, weights, lr)

    def train(self, steps: int, lr: float | None = None,
              progress: Callable[[int, float], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> list[TrainResult]:
        """Repeat train_step, applying each step's updates to the model (the headless loop);
        report (step, loss) after each; stop early when asked or when a step fails."""
        results = []
        for i in range(steps):
            if should_stop is not None and should_stop():
                break
            r = self.train_step(lr)
            results.append(r)
            if not r.ok:
                break
            apply_updates(self.model, r.updates)
            if progress is not None:
                progress(i + 1, r.loss)
        return results

    def train_run(self, steps: int, lr: float | None = None) -> TrainRun:
        """``steps`` train steps headless (``gradstudio run --steps``), each block's weights
        applied to the model (``train_block``: the compiled plan when the graph compiles);
        ends early at a step that cannot run."""
        run, blocks, done = TrainRun(), [], 0
        token = next(_RUNS)
        while done < steps:
            block = self.train_block(steps - done, lr, done + 1, token)
            if block.failure is not None:
                run.failure = block.failure
                break
            blocks.append(block.steps)
            done += len(block.steps)
            apply_updates(self.model, block.updates)
        # one block (the plan's steps, made into records only if read), or the records
        run.steps = blocks[0] if len(blocks) == 1 else [s for b in blocks for s in b]
        return run

    def target(self) -> str:
        return pick_target(self.model)

    # --- the compiled plan ----------------------------------------------------------------
    def compiled(self, dtype: str | None = None, target: str | None = None) -> Plan:
        """The graph compiled for ``dtype`` (default the model's) and ``target``, once per
        structure change: the scalar plan (``graph/plan.py``) when every leaf holds one
        number, else the vector plan (``graph/plan_vector.py``); PlanRefused says why the
        graph is not compiled. The plans' modules are loaded then: the window's first
        evaluation runs on the engine, so start-up does not load them."""
        from .plan import PlanRefused, plan_key
        from .plan_vector import compile_graph

        m = self.model
        versions = (m.structure_version, m.values_version)
        if self._plans_for is None or self._plans_for[0] != versions:
            key = plan_key(m)
            if self._plans_for is None or self._plans_for[1] != key:
                self._plans.clear()
            self._plans_for = (versions, key)
        slot = (dtype or m.settings.dtype, target, self.retain_intermediate)
        plan = self._plans.get(slot)
        if plan is None:
            try:  # intermediate gradients kept as the session keeps them (backward)
                plan = compile_graph(m, target, slot[0], self.retain_intermediate)
            except PlanRefused as e:
                plan = str(e)
            self._plans[slot] = plan
        if isinstance(plan, str):
            raise PlanRefused(plan)
        return plan

    def plan_text(self) -> str:
        """The compiled plan's code with its legend, or why the engine runs this graph."""
        from .plan import PlanRefused
        from .plan import listing as plan_listing

        try:
            return plan_listing(self.model, self.compiled())
        except PlanRefused as e:
            return f"This graph is not compiled: {e}.\nThe engine runs it, op by op."

    def value_at(self, leaves: dict[str, ge.Tensor], target: str) -> np.ndarray | None:
        """The target's value for leaf tensors from ``private_leaves`` (as ``evaluate``'s,
        bit for bit): the probes' repeated evaluation (loss slice, Check Gradients). The
        compiled plan computes it when the graph compiles, else the engine."""
        from .plan import ARITHMETIC_ERRORS, PlanRefused

        first = next(iter(leaves.values()), None)
        dtype = None if first is None else first.dtype.name
        try:
            plan = self.compiled(dtype, target)
            values = plan.inputs([leaves[n]._data for n in plan.leaves])
            return np.array(plan.loss(values), dtype=first.dtype.numpy)
        except (PlanRefused, *ARITHMETIC_ERRORS):
            pass
        value = self.evaluate(leaves, no_grad=True).value(target)
        return None if value is None else value.detach().numpy()

    def train_block(self, steps: int, lr: float | None = None, first: int = 1,
                    run: int = 0, seconds: float = float("inf")) -> TrainBlock:
        """Up to ``steps`` train steps, numbered from ``first``, for about ``seconds`` at most;
        the weights are returned, not written (as train_step's). Through the compiled plan
        when the graph compiles: the same numbers as train_step bit for bit, the ledger
        summarised in one entry per run (``run``: the caller's id of it); otherwise, in
        no-grad mode, or for a single step (shown in full: its backward and zero grad in the
        ledger), one engine train_step."""
        from .plan import NO_GRAD_TARGET, PlanRefused

        lr = self.model.settings.lr if lr is None else lr
        try:
            if self.no_grad_mode or steps == 1:
                raise PlanRefused("one engine step")
            plan = self.compiled()
            if not plan.can_backward:
                raise PlanRefused(NO_GRAD_TARGET)
        except PlanRefused:
            return self._engine_block(lr, first)
        # A record per step (its tuple, dict and TrainStep, none in a cycle): without the
        # pause, the collector would rescan the whole heap (a window's is big) many times.
        with gc_paused():
            block = self._plan_block(plan, steps, lr, first, run, seconds)
        return block if block.steps else self._engine_block(lr, first)

    def _engine_block(self, lr: float, first: int) -> TrainBlock:
        r = self.train_step(lr)
        if not r.ok:
            return TrainBlock(failure=r.backward)
        return TrainBlock([r.record(first)], r.updates)

    def _plan_block(self, plan: Plan, steps: int, lr: float, first: int, run: int,
                    seconds: float) -> TrainBlock:
        from .plan import ARITHMETIC_ERRORS
        from .plan_vector import VectorPlan

        self._sync_leaves()
        if any(t.grad is not None and bool(np.any(_numpy(t.grad))) for t in self._leaves.values()):
            self.ledger.note("zero grad before the train step: earlier backward passes had "
                             "left gradients in the leaves")
            self.zero_grad()
        tensors = [self._leaves[n] for n in plan.leaves]
        values = plan.inputs([t._data for t in tensors], copy=True)
        grads = plan.inputs([t.grad._data if t.grad is not None else None for t in tensors]) \
            if isinstance(plan, VectorPlan) else [None if t.grad is None else t.grad.item()
                                                  for t in tensors]
        losses: list[float] = []
        path: list[tuple[float, ...]] = []
        received: list[float | None] = []
        before: list = []
        deadline = time.monotonic() + seconds
        while len(path) < steps:
            done = len(path)
            kept = [np.array(v) if isinstance(v, np.ndarray) else v for v in values] \
                if isinstance(plan, VectorPlan) else values
            try:
                chunk = min(steps - done, 256 if done else 16)
                if isinstance(plan, VectorPlan):
                    plan.train(values, grads, lr, chunk, losses, path, received, before)
                else:
                    plan.train(values, grads, lr, chunk, losses, path, received)
            except ARITHMETIC_ERRORS:  # that chunk is run again by the engine, a step at a time
                del losses[done:], path[done:]
                values[:] = kept  # the vector plan updates its leaves in place
                break
            if time.monotonic() > deadline:
                break
        if not path:
            return TrainBlock()
        if isinstance(plan, VectorPlan):
            path, received = _vector_path(plan, values, path, received, before)
        return self._record_block(plan, lr, first, run, losses, path, received)

    def _record_block(self, plan: Plan, lr: float, first: int, run: int,
                      losses: list[float], path: list, received: list) -> TrainBlock:
        """The session after the plan's steps as after as many train_steps: gradients zeroed
        (made where there were none), the ledger and the loss history."""
        label = self.model.label
        got = {n: g for n, g in zip(plan.leaves, received, strict=True) if g is not None}
        for n in got:
            t = self._leaves[n]
            if t.grad is None:
                t.grad = ge.zeros_like(t)
            else:
                t.grad.zero_()
        dtype = getattr(ge, plan.dtype).numpy
        arrays = {label(n): np.array(g, dtype=dtype) for n, g in sorted(
            got.items(), key=lambda item: label(item[0]))}
        self.ledger.trained(BackwardEntry(label(plan.target), np.array(losses[-1], dtype=dtype),
                                          arrays, arrays), len(path), run)
        self.loss_history.extend(losses)
        # the last step laid open (w, w.grad, dw, w'), as train_step lays open each of its
        before = path[-2] if len(path) > 1 else [
            self._leaves[n]._data.tolist() for n in plan.trainable]
        rnd = scalar.maths(plan.dtype).round
        weights = {}
        for n, w, new in zip(plan.trainable, before, path[-1], strict=True):
            g = got[n]
            if isinstance(g, np.ndarray):  # -lr * w.grad, in the weight's dtype
                weights[n] = WeightStep(w, g.tolist(), (g.dtype.type(-lr) * g).tolist(), new)
            else:
                weights[n] = WeightStep(w, g, -rnd(rnd(lr) * g), new)
        last = TrainStep(first + len(path) - 1, losses[-1],
                         dict(zip(plan.trainable, path[-1], strict=False)), weights, lr)
        return TrainBlock(PlanSteps(first, losses, path, plan.trainable, last), last.updates,
                          compiled=True)

    # --- probes: evaluations that leave the session as it is --------------------------------
    def private_leaves(self, dtype: ge.dtype | None = None) -> dict[str, ge.Tensor]:
        """Copies of the leaf tensors: the same values (cast to ``dtype`` if given) and
        requires_grad, no gradient. The step-through, Check Gradients and the loss slice run
        on them, so the session's tensors, their gradients and the ledger stay untouched."""
        self._sync_leaves()
        copies = {}
        for n in self.evaluator.plan().leaves:
            t = self._leaves[n]
            copies[n] = ge.tensor(_numpy(t), dtype=dtype or t.dtype,
                                  requires_grad=t.requires_grad)
        return copies

    def evaluate(self, leaves: dict[str, ge.Tensor], *, no_grad: bool = False,
                 retain_grads: bool = False) -> ForwardResult:
        """A forward on leaf tensors from ``private_leaves``: the evaluation a probe repeats
        (once per point of a slice, twice per element of a gradient check). Nothing in the
        session changes; in no-grad mode it is a no-grad forward, as Forward would be.
        ``retain_grads``: intermediate results keep their gradient after a backward."""
        return self.evaluator.forward(leaves, no_grad=no_grad or self.no_grad_mode,
                                      retain_grads=retain_grads)


def _vector_path(plan: VectorPlan, values: list, path: list, received: list, before: list
                 ) -> tuple[list, list]:
    """A vector plan's steps as the scalar plan's: the weights after each step as numbers
    and lists (the trainable weights of the last step only, and the ones before it, when
    a plan keeps no path: WEIGHT_PATH_LIMIT), the last gradients as arrays."""
    def plain(v: Any) -> Any:
        return v.tolist() if isinstance(v, np.ndarray) else v

    if path[-1] is None:
        last = tuple(plain(values[plan.leaves.index(n)]) for n in plan.trainable)
        path = [None] * (len(path) - 1) + [last]
        if len(path) > 1:
            path[-2] = tuple(plain(v) for v in before)
    else:
        path = [tuple(plain(v) for v in p) for p in path]
    return path, received


def _numpy(t: ge.Tensor) -> np.ndarray:
    """A copy of a tensor's values, safe to keep while the tensor changes."""
    return np.array(t.detach().numpy())
