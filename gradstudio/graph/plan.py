"""The compiled plan: a graph turned, once per structure change, into straight-line Python.

The eager engine makes a Tensor, a grad_fn node and a version counter for every op, which
is what a person inspects; repeating a fixed graph many times (Train N, the loss at many
weights, a gradient check) needs none of that. ``compile_scalar`` lowers a graph of
one-number leaves to the engine ops its node kinds run (``plan_ops.KIND_TEMPLATES``), works
out statically which values require grad and the order the engine's backward runs its nodes
in (``_schedule``: PyTorch's ready queue, replayed on the static graph), and writes that
down as code: forward, backward with the gradients summed in the engine's order, and the
SGD loop ``w -= lr * w.grad``. Every op is Python float arithmetic rounded to the dtype
where the engine rounds (``scalar_namespace``), so the plan and the engine agree bit for bit.

Why the generated code is safe: it is assembled only from the fixed templates in
``plan_ops`` (one per engine op), local names made from integers (``v3``, ``g3``) and
numbers written by ``repr(float)`` (inf and nan as names); labels and other text a person
typed are never part of it, not even in comments. It runs with a namespace holding only the
maths it needs (no builtins).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradstudio.engine import scalar
from gradstudio.engine.scalar import _pack as scalar_pack  # round32's body
from gradstudio.engine.scalar import _unpack as scalar_unpack

from .catalog import GraphError, kind, value_shape
from .evaluate import compile_plan, pick_target
from .model import GraphModel
from .plan_ops import KIND_TEMPLATES, OP_TEMPLATES, ROUNDED_CONSTS, Lowering, OpTemplate

__all__ = ["PlanRefused", "CompiledPlan", "ScalarPlan", "NO_GRAD_TARGET", "compile_scalar",
           "scalar_namespace", "plan_key", "listing", "ARITHMETIC_ERRORS"]

# What Python float maths raises where numpy would give inf or nan (1/0, a float32 overflow,
# log(-1) in math): the caller then runs the engine for that evaluation.
ARITHMETIC_ERRORS = (ArithmeticError, ValueError)


class PlanRefused(Exception):
    """This graph (or this use of it) is not compiled; the message says why. The session then
    runs the engine, which stays the reference."""


# --- the maths the generated code calls -----------------------------------------------------
def scalar_namespace(dtype: str) -> dict[str, Any]:
    """The names the generated scalar code may use, and nothing else (no builtins): the
    dtype's functions from engine/scalar.py, which the engine's scalar path runs too."""
    m = scalar.maths(dtype)
    ns: dict[str, Any] = {"__builtins__": {}, "range": range, "INF": math.inf,
                          "NAN": math.nan, "R": m.round, "DIV": m.div, "SIN": m.sin,
                          "COS": m.cos, "EXP": m.exp, "LOG": m.log, "TANH": m.tanh,
                          "POW": m.pow, "POW_B": m.pow_backward, "CLAMP": m.clamp}
    return ns


def _rounder(dtype: str) -> Callable[[float], float]:
    return scalar.maths(dtype).round


_ROUND_CALL = re.compile(r"\bR\(")
_ROUND_OR_PAREN = re.compile(r"(\bR\(|[()])")


def _inline_rounding(code: str) -> str:
    """Generated code with ``R(e)`` written out as round32's own body, ``UNPACK(PACK(e))[0]``:
    the float32 train loop runs so, a function call less per rounding (about a fifth of a
    step). Where round32 turns a finite double beyond float32 into inf, some Pythons' struct
    raises OverflowError instead: ``ScalarPlan.train`` then runs the steps with ``R``."""
    out, closing = [], []
    for part in _ROUND_OR_PAREN.split(code):
        if part == "R(":
            out.append("UNPACK(PACK(")
            closing.append("))[0]")
        elif part == "(":
            out.append(part)
            closing.append(")")
        else:
            out.append(closing.pop() if part == ")" else part)
    return "".join(out)


def _compiled(source: str, dtype: str) -> dict[str, Any]:
    """Run a plan's code in the namespace of the maths it calls (``scalar_namespace``, and
    round32's body for ``_inline_rounding``); its functions. Safe: the code is made only of
    plan_ops' fixed templates, integers and numbers."""
    fns = {**scalar_namespace(dtype), "PACK": scalar_pack, "UNPACK": scalar_unpack}
    exec(compile(source, "<compiled plan>", "exec"), fns)  # noqa: S102
    return {k: fns[k] for k in ("forward", "loss", "backward", "train") if k in fns}


def _number(x: float) -> str:
    """A number as code: repr of a float, or a name for inf and nan."""
    x = float(x)
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INF" if x > 0 else "(-INF)"
    return repr(x)


# --- lowering ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Instr:
    op: OpTemplate
    args: tuple[int, ...]
    consts: tuple[float, ...]
    out: int
    node: int  # index of the graph node (evaluation order) this op belongs to
    name: str = ""  # the OP_TEMPLATES key


@dataclass
class _Program(Lowering):
    """The engine ops of a whole graph over numbered value slots."""

    rnd: Callable[[float], float]
    instrs: list[_Instr] = field(default_factory=list)
    rg: list[bool] = field(default_factory=list)  # the slot's value requires grad
    seq: list[float] = field(default_factory=list)  # engine node creation order; inf: leaf
    leaf_slots: list[int] = field(default_factory=list)
    shapes: list[tuple[int, ...]] = field(default_factory=list)  # each slot's value's shape
    grad_on: bool = True  # False inside a no-grad node
    node: int = 0

    def new_slot(self, rg: bool, seq: float, shape: tuple[int, ...] = ()) -> int:
        self.rg.append(rg)
        self.seq.append(seq)
        self.shapes.append(shape)
        return len(self.rg) - 1

    def op(self, name: str, *inputs: int, consts: tuple[float, ...] = ()) -> int:
        template = OP_TEMPLATES[name]
        rg = self.grad_on and bool(template.grad_fn) and any(self.rg[i] for i in inputs)
        shape = _shape_of(name, [self.shapes[i] for i in inputs])
        out = self.new_slot(rg, len(self.instrs), shape)
        if name in ROUNDED_CONSTS:
            consts = tuple(self.rnd(c) for c in consts)
        self.instrs.append(_Instr(template, inputs, consts, out, self.node, name))
        return out


def _shape_of(name: str, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """An op's result shape: a reduction gives one number, the rest broadcast elementwise."""
    if name in ("mean", "sum"):
        return ()
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise PlanRefused("the shapes of an op's inputs do not broadcast") from None


def plan_key(model: GraphModel) -> tuple:
    """What a compiled plan depends on: the structure (kinds, wires, params, detach and
    no-grad flags, loss, dtype) and each leaf's requires_grad flag and shape."""
    leaves = []
    for n, data in model.graph.nodes(data=True):
        if kind(data["kind"]).is_leaf:
            leaves.append((n, data["flags"]["requires_grad"],
                           value_shape(data["params"]["value"])))
    return (model.structure_version, tuple(leaves))


def _lower(model: GraphModel, dtype: str, vectors: bool = False
           ) -> tuple[_Program, list[int], list[str]]:
    """The program, each graph node's output slot (evaluation order) and the node ids.
    ``vectors``: leaves may hold several numbers (the vector plan), else one each."""
    plan = compile_plan(model)
    prog = _Program(_rounder(dtype))
    slots: list[int] = []
    for i, step in enumerate(plan.steps):
        data = model.node(step.node)
        prog.node = i
        if step.fn is None:
            shape = value_shape(data.params["value"])
            if shape != () and not vectors:
                raise PlanRefused("a leaf holds several numbers: the scalar plan needs one "
                                  "number per leaf")
            slot = prog.new_slot(data.flags["requires_grad"], math.inf, shape)
            prog.leaf_slots.append(slot)
        else:
            template = KIND_TEMPLATES.get(data.kind)
            if template is None:
                raise PlanRefused(f"the {data.kind} kind is not compiled")
            if step.unwired:
                raise PlanRefused("an input port is not connected")
            prog.grad_on = not data.flags["no_grad"]
            slot = template(prog, [slots[s] for s in step.sources], data.params)
            prog.grad_on = True
            if step.detach:
                slot = prog.op("detach", slot)
        slots.append(slot)
    return prog, slots, list(plan.node_ids)


# --- the backward schedule --------------------------------------------------------------------
def _schedule(prog: _Program, root: int) -> list[tuple[str, Any]]:
    """The engine's backward from slot ``root``, replayed on the static graph: events
    ("seed", slot), ("send", (instr, input position, child slot)), ("leaf", slot) in the
    order autograd.run_backward makes them: a node runs once every edge into it has
    delivered, ready leaves first, then the latest-made node (``_ReadyNodes``)."""
    made_by = {ins.out: ins for ins in prog.instrs}
    deps: dict[int, int] = {root: 0}
    stack, seen = [root], {root}
    while stack:  # count the edges into every node reachable from the root
        s = stack.pop()
        ins = made_by.get(s) if prog.seq[s] != math.inf else None
        for child in (ins.args if ins is not None else ()):
            if not prog.rg[child]:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    events: list[tuple[str, Any]] = [("seed", root)]
    leaves: deque[int] = deque()
    heap: list[tuple[float, int]] = []

    def push(s: int) -> None:
        if prog.seq[s] == math.inf:
            leaves.append(s)
        else:
            heapq.heappush(heap, (-prog.seq[s], s))

    push(root)
    while leaves or heap:
        s = leaves.popleft() if leaves else heapq.heappop(heap)[1]
        if prog.seq[s] == math.inf:
            events.append(("leaf", s))
            continue
        ins = made_by[s]
        for pos, child in enumerate(ins.args):
            if not prog.rg[child]:
                continue
            events.append(("send", (ins, pos, child)))
            deps[child] -= 1
            if deps[child] == 0:
                push(child)
    return events


# --- code -------------------------------------------------------------------------------------
class _Writer:
    def __init__(self, dtype: str) -> None:
        self.lines: list[str] = []
        self.float64 = dtype == "float64"

    def expr(self, template: str, **names: str) -> str:
        code = template.format(**names)
        return _ROUND_CALL.sub("(", code) if self.float64 else code

    def line(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)


def _names(ins: _Instr, g: str = "") -> dict[str, str]:
    names = {"o": f"v{ins.out}", "g": g}
    for key, slot in zip("ab", ins.args, strict=False):
        names[key] = f"v{slot}"
    for i, c in enumerate(ins.consts):
        names[f"c{i}"] = _number(c)
    return names


def _forward_lines(w: _Writer, prog: _Program, needed: set[int] | None, indent: int,
                   kinds: list[str]) -> None:
    node = -1
    for ins in prog.instrs:
        if needed is not None and ins.out not in needed:
            continue
        if ins.node != node:
            node = ins.node
            w.line(indent, f"# node {node}: {kinds[node]}")
        w.line(indent, f"v{ins.out} = " + w.expr(ins.op.forward, **_names(ins)))


def _backward_lines(w: _Writer, events: list, indent: int,
                    on_leaf: Callable[[int], list[str]]) -> set[int]:
    """Gradients as the engine sums them: the first contribution to a slot is assigned,
    later ones added in the order they arrive. Returns the slots that got a gradient."""
    got: set[int] = set()
    for what, data in events:
        if what == "seed":
            w.line(indent, f"g{data} = 1.0")
            got.add(data)
        elif what == "send":
            ins, pos, child = data
            contribution = w.expr(ins.op.backward[pos], **_names(ins, f"g{ins.out}"))
            if child in got:
                w.line(indent, f"g{child} = " + w.expr(f"R(g{child} + {contribution})"))
            else:
                w.line(indent, f"g{child} = {contribution}")
                got.add(child)
        else:
            for text in on_leaf(data):
                w.line(indent, text)
    return got


def _needed(prog: _Program, root: int) -> set[int]:
    """The slots the value of ``root`` depends on."""
    made_by = {ins.out: ins for ins in prog.instrs}
    needed, stack = {root}, [root]
    while stack:
        ins = made_by.get(stack.pop())
        for a in (ins.args if ins is not None else ()):
            if a not in needed:
                needed.add(a)
                stack.append(a)
    return needed


NO_GRAD_TARGET = "the target does not require grad"  # why backward and train are not compiled


@dataclass
class CompiledPlan:
    """What the scalar and the vector plan share: the structure it was compiled for (``key``,
    from ``plan_key``), its dtype and code, the leaves in the order it takes them (node ids),
    every node in evaluation order (``node_ids``), the target, what a backward reaches and
    trains, the compiled functions; and the checks before a backward or a train run."""

    key: tuple
    dtype: str
    source: str
    leaves: tuple[str, ...]
    node_ids: tuple[str, ...]
    target: str
    can_backward: bool  # the target requires grad: backward and training are compiled
    reached: tuple[str, ...]  # leaves a backward gives a gradient to
    trainable: tuple[str, ...]  # weights a train step updates (w -= lr * w.grad)
    _fns: dict[str, Callable] = field(repr=False, default_factory=dict, kw_only=True)

    def _check_backward(self) -> None:
        if not self.can_backward:
            raise PlanRefused(NO_GRAD_TARGET)

    def _check_train(self, grads: Sequence[Any]) -> None:
        """Training needs a backward and starts from zeroed gradients (None, 0 or zeros)."""
        self._check_backward()
        if any(np.any(g) if isinstance(g, np.ndarray) else g for g in grads):
            raise ValueError("train needs zeroed gradients")


@dataclass
class ScalarPlan(CompiledPlan):
    """A graph of one-number leaves, compiled. Leaves are passed in ``leaves`` order (node
    ids); ``node_ids`` are all nodes in evaluation order."""

    def leaf_values(self, values: Mapping[str, float]) -> list[float]:
        """The leaves in plan order, rounded to the dtype as the session's tensors hold them
        (6.7 is 6.699999809265137 in float32)."""
        rnd = _rounder(self.dtype)
        return [rnd(values[n]) for n in self.leaves]

    def inputs(self, arrays: Sequence[np.ndarray], copy: bool = False) -> list[float]:
        """Leaf tensors' 0-d arrays (``leaves`` order, the plan's dtype) as floats."""
        return [a.item() for a in arrays]

    def forward(self, leaves: Sequence[float]) -> tuple[float, ...]:
        """Every node's value (evaluation order) for these leaf values."""
        return self._fns["forward"](leaves)

    def loss(self, leaves: Sequence[float]) -> float:
        """The target's value only (the ops it does not depend on are skipped)."""
        return self._fns["loss"](leaves)

    def backward(self, leaves: Sequence[float], grads: list[float | None]
                 ) -> tuple[tuple[float, ...], tuple[float | None, ...]]:
        """Forward and backward; ``grads`` (one per leaf, None: no gradient yet) are
        accumulated in place as ``.grad`` is. Returns every node's value and gradient (a
        leaf's: its .grad after; an intermediate's: what reached it, as retain_grad)."""
        self._check_backward()
        return self._fns["backward"](leaves, grads)

    def train(self, leaves: list[float], grads: list[float | None], lr: float, steps: int,
              losses: list[float], path: list[tuple[float, ...]],
              received: list[float | None] | None = None) -> None:
        """``steps`` train steps (forward, backward, w -= lr * w.grad, zero grad), leaves and
        grads updated in place; each step appends its loss (before the update) to
        ``losses`` and the trainable weights after it to ``path``; ``received`` gets what
        the last backward gave each leaf. ``grads`` must hold no gradient but zeros (the
        session zeroes first); they end as zeros, as zero_grad leaves them. If an error
        stops the loop, ``path`` holds the steps that were complete."""
        self._check_train(grads)
        args = (leaves, grads, _rounder(self.dtype)(lr), steps, losses, path,
                [] if received is None else received)
        done = len(losses), len(path)
        try:
            self._fns["train"](*args)
        except OverflowError:  # struct refused a float32 overflow: R (round32) gives inf
            del losses[done[0]:], path[done[1]:]  # leaves and grads are written at the end
            self._fns["train"] = _compiled(self.source, self.dtype)["train"]
            self._fns["train"](*args)


def compile_scalar(model: GraphModel, target: str | None = None, dtype: str | None = None
                   ) -> ScalarPlan:
    """Compile the model's graph for one-number leaves (in the model's dtype, or ``dtype``),
    or PlanRefused saying why not."""
    dtype = dtype or model.settings.dtype
    key = plan_key(model)
    try:
        target = pick_target(model) if target is None else model.find(target)
    except GraphError as e:
        raise PlanRefused(str(e)) from None
    prog, slots, node_ids = _lower(model, dtype)
    kinds = [model.node(n).kind for n in node_ids]  # catalog names (checked), never labels
    leaf_index = {s: i for i, s in enumerate(prog.leaf_slots)}
    leaves = tuple(node_ids[i] for i, s in enumerate(slots)
                   if s in leaf_index and kind(model.node(node_ids[i]).kind).is_leaf)
    root = slots[node_ids.index(target)]
    w = _Writer(dtype)
    unpack = ", ".join(f"v{s}" for s in prog.leaf_slots)
    # forward: every node's value
    w.line(0, "def forward(L):")
    w.line(1, f"({unpack},) = L")
    _forward_lines(w, prog, None, 1, kinds)
    w.line(1, "return (" + "".join(f"v{s}, " for s in slots) + ")")
    # loss: only what the target needs
    needed = _needed(prog, root)
    w.line(0, "def loss(L):")
    w.line(1, f"({unpack},) = L")
    _forward_lines(w, prog, needed, 1, kinds)
    w.line(1, f"return v{root}")
    can_backward = prog.rg[root]
    reached: tuple[str, ...] = ()
    trainable: tuple[str, ...] = ()
    if can_backward:
        events = _schedule(prog, root)
        reached_slots = [d for e, d in events if e == "leaf"]
        reached = tuple(leaves[leaf_index[s]] for s in reached_slots)
        trainable = tuple(n for n in reached if kind(model.node(n).kind).trainable)
        _write_backward(w, prog, slots, events, kinds, leaf_index,
                        [kind(k).is_leaf for k in kinds])
        train_from = len(w.lines)
        _write_train(w, prog, events, needed, root, kinds, leaf_index,
                     [leaf_index[slots[node_ids.index(n)]] for n in trainable])
    source = "\n".join(w.lines) + "\n"
    if dtype == "float32" and can_backward:  # the train loop runs with the rounding inline
        w.lines[train_from:] = map(_inline_rounding, w.lines[train_from:])
    fns = _compiled("\n".join(w.lines) + "\n", dtype)
    return ScalarPlan(key, dtype, source, leaves, tuple(node_ids), target, can_backward,
                      reached, trainable, _fns=fns)


def _write_backward(w: _Writer, prog: _Program, slots: list[int], events: list,
                    kinds: list[str], leaf_index: dict[int, int], is_leaf: list[bool]) -> None:
    unpack = ", ".join(f"v{s}" for s in prog.leaf_slots)
    w.line(0, "def backward(L, G):")
    w.line(1, f"({unpack},) = L")
    _forward_lines(w, prog, None, 1, kinds)

    def accumulate(s: int) -> list[str]:
        k = leaf_index[s]
        return [f"G[{k}] = g{s} if G[{k}] is None else " + w.expr(f"R(G[{k}] + g{s})")]

    got = _backward_lines(w, events, 1, accumulate)
    grads = []  # what Session.grad shows: a leaf's .grad, a computed tensor's retained grad
    for i, s in enumerate(slots):
        if s in leaf_index:  # a leaf, or an identity passing a leaf on (no grad of its own)
            grads.append(f"G[{leaf_index[s]}]" if is_leaf[i] else "None")
        else:
            grads.append(f"g{s}" if s in got and prog.rg[s] else "None")
    w.line(1, "return (" + "".join(f"v{s}, " for s in slots) + "), ("
           + "".join(f"{g}, " for g in grads) + ")")


def _write_train(w: _Writer, prog: _Program, events: list, needed: set[int], root: int,
                 kinds: list[str], leaf_index: dict[int, int], trainable: list[int]) -> None:
    """The SGD loop: leaves and gradients live in locals and are written back after the last
    step. Each step records its loss and weights once it is complete, so when an arithmetic
    error stops the loop the caller knows the state after the last complete step."""
    unpack = ", ".join(f"v{s}" for s in prog.leaf_slots)
    grads = ", ".join(f"h{i}" for i in range(len(prog.leaf_slots)))
    weights = "".join(f"v{prog.leaf_slots[k]}, " for k in trainable)
    w.line(0, "def train(L, G, LR, n, losses, path, received):")
    w.line(1, f"({unpack},) = L")
    w.line(1, f"({grads},) = G")
    w.line(1, "for _ in range(n):")
    _forward_lines(w, prog, needed, 2, kinds)

    def accumulate(s: int) -> list[str]:
        k = leaf_index[s]
        return [f"h{k} = g{s} if h{k} is None else h{k} + g{s}"]  # h is None or 0.0

    _backward_lines(w, events, 2, accumulate)
    # before the update (the loss may be a weight itself); + 0.0 as the session's float(mean)
    w.line(2, f"loss = 0.0 + v{root}")
    for k in trainable:
        v = f"v{prog.leaf_slots[k]}"
        w.line(2, f"{v} = " + w.expr(f"R({v} - R(h{k} * LR))") + "  # w -= lr * w.grad")
    reached = sorted({leaf_index[d] for e, d in events if e == "leaf"})
    if reached:
        w.line(2, " = ".join(f"h{k}" for k in reached) + " = 0.0  # zero grad")
    w.line(2, "losses.append(loss)")
    w.line(2, f"path.append(({weights}))")
    w.line(1, f"L[:] = ({unpack},)")
    w.line(1, f"G[:] = ({grads},)")
    last = ", ".join(f"g{prog.leaf_slots[k]}" if k in reached else "None"
                     for k in range(len(prog.leaf_slots)))
    w.line(1, "if n:  # what the last step's backward gave each leaf")
    w.line(2, f"received[:] = ({last},)")


def listing(model: GraphModel, plan: ScalarPlan) -> str:
    """The plan as a person reads it (Help > Show Compiled Plan, ``gradstudio run
    --show-plan``): which node each index is, then the code. The legend is only shown, never
    compiled; labels are written with repr, so a quote or a line break in one stays visible."""
    rows = [f"# compiled plan: {len(plan.node_ids)} nodes, {plan.dtype}, backward from node "
            f"{plan.node_ids.index(plan.target)}"
            + ("" if plan.can_backward else " (forward only: the target does not require grad)"),
            "# v<slot> is a value, g<slot> its gradient; R rounds to the dtype",
            "# the nodes, in evaluation order:"]
    for i, n in enumerate(plan.node_ids):
        rows.append(f"#   node {i}: {model.node(n).kind} {model.label(n)!r}")
    return "\n".join(rows) + "\n\n" + plan.source
