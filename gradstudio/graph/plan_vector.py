"""The compiled plan for graphs with vector values: numpy code over buffers made once.

The scalar plan (plan.py) writes Python float arithmetic; a graph whose leaves hold several
numbers is lowered the same way (``plan._lower``: the same engine ops, the same backward
schedule) and written as numpy calls that put every result into a buffer allocated when
the plan is compiled (``out=``): values ``B<slot>``, gradients ``D<slot>``, scratch
``T<n>`` (names bound by ``plan_pool.Pool``, per function, to arrays shared by liveness:
a buffer is reused once dead) and two masks ``M<n>``, ``N<n>`` per shape. A
repeated evaluation or train step then allocates no big array (what is left: a sum over
broadcast axes, pow's rarer exponents and numpy's 0-d results). Each template below is the
engine op's own numpy formula in the engine's order (engine/ops.py), so values and
gradients agree bit for bit; a value of one number in a vector graph (a constant, a mean)
stays a Python float and runs the scalar plan's templates, as the engine's 0-d path does.

Safe as the scalar plan: the code is assembled from the fixed templates here and in
plan_ops, slot numbers, shapes and counts (integers) and names bound to dtype constants;
nothing a person typed reaches it. It runs with a namespace of the few numpy functions the
templates call (no builtins).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from gradstudio.engine import ops
from gradstudio.engine.autograd import sum_to_shape

from .catalog import GraphError, kind, value_shape
from .evaluate import pick_target
from .model import GraphModel
from .plan import (
    CompiledPlan,
    PlanRefused,
    ScalarPlan,
    _Instr,
    _lower,
    _needed,
    _number,
    _Program,
    _rounder,
    _schedule,
    _Writer,
    compile_scalar,
    plan_key,
    scalar_namespace,
)
from .plan import _names as scalar_names
from .plan_ops import ROUNDED_CONSTS
from .plan_pool import Pool

__all__ = ["VectorPlan", "compile_vector", "compile_graph", "VECTOR_TEMPLATES",
           "WEIGHT_PATH_LIMIT"]

WEIGHT_PATH_LIMIT = 1_000  # trainable numbers up to which every step's weights are kept


@dataclass(frozen=True)
class VectorTemplate:
    """An engine op over arrays. ``forward``: statements writing ``{o}`` (the op's buffer)
    or one expression (a string: its value, no buffer). ``backward[i]``: statements writing
    the gradient for input i into ``{t}``, or an expression (``"{g}"``: the gradient arriving,
    passed on as it is), or None (no gradient). ``{m}``, ``{n}`` are bool scratch masks,
    ``{c0}``, ``{c1}`` the op's numbers as dtype constants, ``{count}``/``{shape}`` a
    reduction's element count and input shape."""

    forward: tuple[str, ...] | str
    backward: tuple[tuple[str, ...] | str | None, ...]


_T = VectorTemplate
VECTOR_TEMPLATES: dict[str, VectorTemplate] = {
    "add": _T(("np.add({a}, {b}, out={o})",), ("{g}", "{g}")),
    "sub": _T(("np.subtract({a}, {b}, out={o})",), ("{g}", ("np.negative({g}, out={t})",))),
    "mul": _T(("np.multiply({a}, {b}, out={o})",),
              (("np.multiply({g}, {b}, out={t})",), ("np.multiply({g}, {a}, out={t})",))),
    # -g * ((a / b) / b): negating last gives the same bits (the sign is exact)
    "div": _T(("np.divide({a}, {b}, out={o})",),
              (("np.divide({g}, {b}, out={t})",),
               ("np.divide({a}, {b}, out={t})", "np.divide({t}, {b}, out={t})",
                "np.multiply({t}, {g}, out={t})", "np.negative({t}, out={t})"))),
    "rsub": _T(("np.subtract({c0}, {a}, out={o})",), (("np.negative({g}, out={t})",),)),
    "neg": _T(("np.negative({a}, out={o})",), (("np.negative({g}, out={t})",),)),
    "sin": _T(("np.sin({a}, out={o})",),
              (("np.cos({a}, out={t})", "np.multiply({t}, {g}, out={t})"),)),
    "cos": _T(("np.cos({a}, out={o})",),
              (("np.sin({a}, out={t})", "np.negative({t}, out={t})",
                "np.multiply({g}, {t}, out={t})"),)),
    "exp": _T(("np.exp({a}, out={o})",), (("np.multiply({g}, {o}, out={t})",),)),
    "log": _T(("np.log({a}, out={o})",), (("np.divide({g}, {a}, out={t})",),)),
    "tanh": _T(("np.tanh({a}, out={o})",),
               (("np.multiply({o}, {o}, out={t})", "np.subtract(1, {t}, out={t})",
                 "np.multiply({g}, {t}, out={t})"),)),
    # the engine's own in-place formulas (engine/ops.py), in blocks
    "sigmoid": _T(("SIGMOID({a}, {o})",), (("SIGMOID_B({o}, {g}, {t})",),)),
    "relu": _T(("np.copyto({o}, {a})", "np.copyto({o}, 0, where=np.less({a}, 0, out={m}))"),
               (("np.copyto({t}, {g})",
                 "np.copyto({t}, 0, where=np.less_equal({o}, 0, out={m}))"),)),
    "clamp": _T(("np.copyto({o}, {a})",
                 "np.copyto({o}, {c0}, where=np.less({a}, {c0}, out={m}))",
                 "np.copyto({o}, {c1}, where=np.greater({o}, {c1}, out={m}))"),
                (("np.greater_equal({a}, {c0}, out={m})",
                  "np.logical_and({m}, np.less_equal({a}, {c1}, out={n}), out={m})",
                  "np.copyto({t}, 0)", "np.copyto({t}, {g}, where={m})"),)),
    "square": _T(("np.multiply({a}, {a}, out={o})",),
                 (("np.multiply({a}, 2, out={t})", "np.multiply({g}, {t}, out={t})"),)),
    # the rarer exponents: the engine's own functions (they allocate their result)
    "pow": _T("POWF({a}, {c0})", ("POWF_B({a}, {c0}, {g})",)),
    "mean": _T("float(np.mean({a}, dtype=DT))", ("BCAST(np.divide(F({g}), {count}), {shape})",)),
    "sum": _T("float(np.sum({a}))", ("BCAST(F({g}), {shape})",)),
    "detach": _T("{a}", (None,)),
}


def vector_namespace(dtype: str) -> dict[str, Any]:
    """What the generated code may call: the scalar plan's maths (for one-number values) and
    the numpy functions the vector templates name."""
    dt = np.dtype(dtype)
    fns = ("add", "subtract", "multiply", "divide", "negative", "sin", "cos", "exp", "log",
           "tanh", "copyto", "less", "less_equal", "greater", "greater_equal", "logical_and",
           "mean", "sum")
    ns = scalar_namespace(dtype)
    ns.update({"np": SimpleNamespace(**{f: getattr(np, f) for f in fns}), "DT": dt,
               "F": dt.type, "BCAST": np.broadcast_to, "SUM_TO": sum_to_shape,
               "COPY": np.array, "SIGMOID": ops.sigmoid_into,
               "SIGMOID_B": ops.sigmoid_backward_into, "POWF": ops._powf,
               "POWF_B": lambda a, e, g: ops._pow_scalar_backward((a, e), g, (True,))[0],
               "FIRST": _first, "ZERO": dt.type(0), "float": float})
    return ns


def _first(dst: np.ndarray, src: Any) -> np.ndarray:
    """A leaf's first gradient: a copy (into the plan's buffer), as .grad's first is."""
    np.copyto(dst, src)
    return dst


class _Code:
    """Writes the vector plan: each op's lines, and gradients with who owns their buffer."""

    def __init__(self, prog: _Program, dtype: str, kinds: list[str]) -> None:
        self.prog, self.kinds = prog, kinds
        self.w = _Writer(dtype)
        self.buf = Pool(np.dtype(dtype))
        self.consts: dict[str, Any] = {}
        self.dtype = np.dtype(dtype)
        self.made_by = {ins.out: ins for ins in prog.instrs}

    def vector(self, s: int) -> bool:
        return self.prog.shapes[s] != ()

    def is_vector_op(self, ins: _Instr) -> bool:
        return any(self.vector(a) for a in ins.args) or self.vector(ins.out)

    def const(self, x: float) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = self.dtype.type(x)
        return name

    def names(self, ins: _Instr, g: str = "", t: str = "") -> dict[str, str]:
        shape = self.prog.shapes[ins.out] if self.vector(ins.out) else self.prog.shapes[ins.args[0]]
        names = {"g": g, "t": t, "o": f"v{ins.out}",
                 "m": self.buf.shared("M", shape, bool), "n": self.buf.shared("N", shape, bool)}
        for key, slot in zip("ab", ins.args, strict=False):
            names[key] = f"v{slot}" if self.vector(slot) else f"F(v{slot})"
        for i, c in enumerate(ins.consts):  # pow's exponent stays a Python number
            names[f"c{i}"] = self.const(c) if ins.name in ROUNDED_CONSTS else _number(c)
        if ins.name in ("mean", "sum"):
            in_shape = self.prog.shapes[ins.args[0]]
            names["shape"] = repr(tuple(int(n) for n in in_shape))
            names["count"] = str(int(math.prod(in_shape)))
        return names

    # --- forward ----------------------------------------------------------------------------
    def forward(self, needed: set[int] | None, indent: int) -> None:
        node = -1
        for ins in self.prog.instrs:
            if needed is not None and ins.out not in needed:
                continue
            if ins.node != node:
                node = ins.node
                self.w.line(indent, f"# node {node}: {self.kinds[node]}")
            if not self.is_vector_op(ins):
                self.w.line(indent, f"v{ins.out} = " + self.w.expr(ins.op.forward,
                                                                   **scalar_names(ins)))
                continue
            template = VECTOR_TEMPLATES[ins.name].forward
            names = self.names(ins)
            if isinstance(template, str):
                self.w.line(indent, f"v{ins.out} = " + template.format(**names))
                continue
            names["o"] = self.buf.slot("B", ins.out, self.prog.shapes[ins.out])
            for statement in template:
                self.w.line(indent, statement.format(**names))
            self.w.line(indent, f"v{ins.out} = {names['o']}")

    # --- backward ---------------------------------------------------------------------------
    def backward(self, events: list, indent: int, on_leaf: Callable[[int], list[str]]
                 ) -> set[int]:
        """Gradients summed in the engine's order; ``owned``: the slots whose gradient is in
        a buffer of their own (may be added into in place), not passed on from another."""
        got: set[int] = set()
        owned: set[int] = set()
        line = self.w.line
        for what, data in events:
            if what == "seed":
                if self.vector(data):
                    ones = self.buf.slot("ONES", data, self.prog.shapes[data])
                    self.buf.fixed[ones].fill(1)
                    line(indent, f"g{data} = {ones}")
                else:
                    line(indent, f"g{data} = 1.0")
                got.add(data)
            elif what == "send":
                self._send(*data, indent, got, owned)
            else:
                for text in on_leaf(data):
                    line(indent, text)
        return got

    def _send(self, ins: _Instr, pos: int, child: int, indent: int, got: set[int],
              owned: set[int]) -> None:
        line, w = self.w.line, self.w
        g = f"g{ins.out}"
        if not self.is_vector_op(ins):  # one number in, one number out: the scalar template
            contribution = w.expr(ins.op.backward[pos], **scalar_names(ins, g))
            line(indent, f"g{child} = " + (w.expr(f"R(g{child} + {contribution})")
                                           if child in got else contribution))
            got.add(child)
            return
        template = VECTOR_TEMPLATES[ins.name].backward[pos]
        shape = self.prog.shapes[child]
        # what the template gives: the output's shape, a reduction's input shape
        out_shape = shape if ins.name in ("mean", "sum") else self.prog.shapes[ins.out]
        fits = shape == out_shape and self.vector(child)
        if isinstance(template, str):
            value = template.format(**self.names(ins, g))
        else:  # statements: into the child's own buffer if this is its first gradient
            first_here = fits and child not in got
            t = (self.buf.slot("D", child, shape) if first_here
                 else self.buf.temp(out_shape))
            for statement in template:
                line(indent, statement.format(**self.names(ins, g, t)))
            value = t
            if first_here:
                line(indent, f"g{child} = {t}")
                got.add(child)
                owned.add(child)
                return
        if not self.vector(child):  # a number (a constant, a weight) used by a vector op
            value = f"float(SUM_TO({value}, ()))"
            line(indent, f"g{child} = " + (w.expr(f"R(g{child} + {value})")
                                           if child in got else value))
            got.add(child)
            return
        fresh = not fits  # a sum over broadcast axes makes a new array
        if fresh:
            value = f"SUM_TO({value}, {shape!r})"
        if child not in got:
            line(indent, f"g{child} = {value}")
            got.add(child)
            if fresh:
                owned.add(child)
        elif child in owned:
            line(indent, f"np.add(g{child}, {value}, out=g{child})")
        else:
            d = self.buf.slot("D", child, shape)
            line(indent, f"g{child} = np.add(g{child}, {value}, out={d})")
            owned.add(child)


@dataclass
class VectorPlan(CompiledPlan):
    """A graph with vector values, compiled. The same interface as ScalarPlan, with arrays
    where a leaf holds several numbers; the arrays it returns are its own buffers, valid until
    its next call of any of its functions (copy to keep)."""

    shapes: tuple[tuple[int, ...], ...]  # each leaf's shape, in ``leaves`` order
    keeps_path: bool  # train appends every step's weights (else None per step)
    buffer_bytes: int = 0  # what the arrays it owns hold (values, gradients, scratch)

    def leaf_values(self, values: Mapping[str, Any]) -> list[Any]:
        """The leaves in plan order in the dtype: arrays (copies) and one-number floats."""
        out: list[Any] = []
        rnd = _rounder(self.dtype)
        for n, shape in zip(self.leaves, self.shapes, strict=True):
            v = np.array(values[n], dtype=self.dtype)
            if v.shape != shape:
                raise PlanRefused("a leaf's shape changed")
            out.append(rnd(float(v)) if shape == () else v)
        return out

    def inputs(self, arrays: Sequence[np.ndarray], copy: bool = False) -> list[Any]:
        """Leaf tensors' arrays (``leaves`` order, the plan's dtype) as the plan takes them:
        the arrays themselves (copies with ``copy``: train updates them in place), a
        one-number leaf as a float."""
        return [a if a is None else (np.array(a) if copy else a) if shape != () else a.item()
                for a, shape in zip(arrays, self.shapes, strict=True)]

    def forward(self, leaves: Sequence[Any]) -> tuple[Any, ...]:
        with np.errstate(all="ignore"):
            return self._fns["forward"](leaves)

    def loss(self, leaves: Sequence[Any]) -> Any:
        with np.errstate(all="ignore"):
            return self._fns["loss"](leaves)

    def backward(self, leaves: Sequence[Any], grads: list[Any]) -> tuple[tuple, tuple]:
        """As ScalarPlan.backward: ``grads`` (None or an array/float per leaf) accumulate in
        place as .grad does."""
        self._check_backward()
        with np.errstate(all="ignore"):
            return self._fns["backward"](leaves, grads)

    def train(self, leaves: list[Any], grads: list[Any], lr: float, steps: int,
              losses: list[float], path: list, received: list | None = None,
              before: list | None = None) -> None:
        """As ScalarPlan.train; vector leaves are updated in place. ``path`` gets the
        trainable weights after each step (copies) when they hold at most
        WEIGHT_PATH_LIMIT numbers in all, else None per step (the weights are in
        ``leaves``; ``before`` gets the trainable weights before the last step). An error
        stops it with the vector leaves part-way: keep a copy."""
        self._check_train(grads)
        with np.errstate(all="ignore"):
            self._fns["train"](leaves, grads, _rounder(self.dtype)(lr), steps, losses, path,
                               [] if received is None else received,
                               [] if before is None else before)


def compile_vector(model: GraphModel, target: str | None = None, dtype: str | None = None,
                   retain_grads: bool = True) -> VectorPlan:
    """Compile a graph whose leaves may hold several numbers, or PlanRefused saying why.
    ``retain_grads``: backward returns every node's gradient, as the engine keeps them with
    "retain intermediate gradients" on; off, only the leaves' (the rest None, as the
    engine's), and the other gradients' buffers are shared once passed on."""
    dtype = dtype or model.settings.dtype
    key = plan_key(model)
    try:
        target = pick_target(model) if target is None else model.find(target)
    except GraphError as e:
        raise PlanRefused(str(e)) from None
    prog, slots, node_ids = _lower(model, dtype, vectors=True)
    kinds = [model.node(n).kind for n in node_ids]
    leaf_index = {s: i for i, s in enumerate(prog.leaf_slots)}
    leaves = tuple(node_ids[i] for i, s in enumerate(slots)
                   if s in leaf_index and kind(model.node(node_ids[i]).kind).is_leaf)
    root = slots[node_ids.index(target)]
    code = _Code(prog, dtype, kinds)
    w = code.w
    unpack = ", ".join(f"v{s}" for s in prog.leaf_slots)
    w.line(0, "def forward(L):")
    w.line(1, f"({unpack},) = L")
    code.forward(None, 1)
    w.line(1, "return (" + "".join(f"v{s}, " for s in slots) + ")")
    needed = _needed(prog, root)
    w.line(0, "def loss(L):")
    w.line(1, f"({unpack},) = L")
    code.forward(needed, 1)
    w.line(1, f"return v{root}")
    can_backward = prog.rg[root] and math.prod(prog.shapes[root]) == 1
    reached: tuple[str, ...] = ()
    trainable: tuple[str, ...] = ()
    keeps_path = True
    if can_backward:
        events = _schedule(prog, root)
        reached = tuple(leaves[leaf_index[d]] for e, d in events if e == "leaf")
        trainable = tuple(n for n in reached if kind(model.node(n).kind).trainable)
        trained = [leaf_index[slots[node_ids.index(n)]] for n in trainable]
        keeps_path = sum(math.prod(prog.shapes[prog.leaf_slots[k]]) for k in trained) \
            <= WEIGHT_PATH_LIMIT
        _write_backward(code, slots, events, leaf_index,
                        [kind(k).is_leaf for k in kinds], retain_grads)
        _write_train(code, events, needed, root, leaf_index, trained, keeps_path)
    fns = _functions(code, dtype)
    shapes = tuple(prog.shapes[prog.leaf_slots[leaf_index[slots[node_ids.index(n)]]]]
                   for n in leaves)
    return VectorPlan(key, dtype, "\n".join(w.lines) + "\n", leaves, tuple(node_ids), target,
                      can_backward, reached, trainable, shapes, keeps_path, code.buf.nbytes,
                      _fns=fns)


def _functions(code: _Code, dtype: str) -> dict[str, Callable]:
    """Each generated function made in a namespace of its own, where its buffer names are
    bound to the arrays the pool shares by liveness in that function (a call of one
    function may reuse what another's call left)."""
    lines = code.w.lines
    starts = [i for i, line in enumerate(lines) if line.startswith("def ")] + [len(lines)]
    fns: dict[str, Callable] = {}
    for a, b in zip(starts, starts[1:], strict=False):
        ns = vector_namespace(dtype)
        ns.update(code.consts)
        ns.update(code.buf.share(lines[a:b]))
        name = lines[a][4:lines[a].index("(")]
        # Safe: the code is made only of the fixed templates, integers and bound names.
        exec(compile("\n".join(lines[a:b]) + "\n", "<compiled vector plan>", "exec"),  # noqa: S102
             ns)
        fns[name] = ns[name]
    return fns


def _write_backward(code: _Code, slots: list[int], events: list, leaf_index: dict[int, int],
                    is_leaf: list[bool], retain_grads: bool) -> None:
    prog, w = code.prog, code.w
    unpack = ", ".join(f"v{s}" for s in prog.leaf_slots)
    w.line(0, "def backward(L, G):")
    w.line(1, f"({unpack},) = L")
    code.forward(None, 1)

    def accumulate(s: int) -> list[str]:
        k = leaf_index[s]
        if code.vector(s):  # .grad: a copy first, then added into in place
            return [f"if G[{k}] is None:", f"    G[{k}] = COPY(g{s})", "else:",
                    f"    np.add(G[{k}], g{s}, out=G[{k}])"]
        return [f"G[{k}] = g{s} if G[{k}] is None else " + w.expr(f"R(G[{k}] + g{s})")]

    got = code.backward(events, 1, accumulate)
    grads = []
    for i, s in enumerate(slots):
        if s in leaf_index:
            grads.append(f"G[{leaf_index[s]}]" if is_leaf[i] else "None")
        else:
            grads.append(f"g{s}" if retain_grads and s in got and prog.rg[s] else "None")
    w.line(1, "return (" + "".join(f"v{s}, " for s in slots) + "), ("
           + "".join(f"{g}, " for g in grads) + ")")


def _write_train(code: _Code, events: list, needed: set[int], root: int,
                 leaf_index: dict[int, int], trainable: list[int], keeps_path: bool) -> None:
    """The SGD loop. A vector leaf's .grad lives in ``H<k>``: the first gradient copied in,
    later ones added to the zeroed .grad (0 + g, which makes -0. into 0. as the engine's
    does); w -= lr * w.grad in place. One-number leaves as in the scalar plan."""
    prog, w = code.prog, code.w
    unpack = ", ".join(f"v{s}" for s in prog.leaf_slots)
    grads = ", ".join(f"h{i}" for i in range(len(prog.leaf_slots)))
    w.line(0, "def train(L, G, LR, n, losses, path, received, before):")
    w.line(1, f"({unpack},) = L")
    w.line(1, f"({grads},) = G")
    if any(code.vector(prog.leaf_slots[k]) for k in trainable):
        w.line(1, "LRF = F(LR)  # lr * w.grad: lr in the dtype")
    copies = "".join(f"COPY(v{prog.leaf_slots[k]}), " if code.vector(prog.leaf_slots[k])
                     else f"v{prog.leaf_slots[k]}, " for k in trainable)
    w.line(1, "for i in range(n):")
    if not keeps_path:
        w.line(2, f"if i == n - 1: before[:] = ({copies})")
    code.forward(needed, 2)

    def accumulate(s: int) -> list[str]:
        k = leaf_index[s]
        if code.vector(s):
            h = code.buf.slot("H", k, prog.shapes[s])
            return [f"h{k} = FIRST({h}, g{s}) if h{k} is None else "
                    f"np.add(ZERO, g{s}, out={h})"]
        return [f"h{k} = g{s} if h{k} is None else h{k} + g{s}"]

    code.backward(events, 2, accumulate)
    if code.vector(root):
        w.line(2, f"loss = float(np.mean(v{root}))")
    else:
        w.line(2, f"loss = 0.0 + v{root}")
    for k in trainable:
        s = prog.leaf_slots[k]
        v = f"v{s}"
        if code.vector(s):
            t = code.buf.temp(prog.shapes[s])
            w.line(2, f"np.subtract({v}, np.multiply(h{k}, LRF, out={t}), out={v})"
                   "  # w -= lr * w.grad")
        else:
            w.line(2, f"{v} = " + w.expr(f"R({v} - R(h{k} * LR))") + "  # w -= lr * w.grad")
    reached = sorted({leaf_index[d] for e, d in events if e == "leaf"})
    numbers = [k for k in reached if not code.vector(prog.leaf_slots[k])]
    if numbers:
        w.line(2, " = ".join(f"h{k}" for k in numbers) + " = 0.0  # zero grad")
    w.line(2, "losses.append(loss)")
    if keeps_path:
        w.line(2, f"path.append(({copies}))")
    else:
        w.line(2, "path.append(None)")
    w.line(1, f"L[:] = ({unpack},)")
    for k in numbers:
        w.line(1, f"G[{k}] = h{k}")
    last = ", ".join((f"COPY(g{prog.leaf_slots[k]})" if code.vector(prog.leaf_slots[k])
                      else f"g{prog.leaf_slots[k]}") if k in reached else "None"
                     for k in range(len(prog.leaf_slots)))
    w.line(1, "if n:  # what the last step's backward gave each leaf")
    w.line(2, f"received[:] = ({last},)")


def compile_graph(model: GraphModel, target: str | None = None, dtype: str | None = None,
                  retain_grads: bool = True) -> ScalarPlan | VectorPlan:
    """The scalar plan when every leaf holds one number, else the vector plan
    (``retain_grads``: see compile_vector; the scalar plan's gradients are floats, all
    kept)."""
    if all(value_shape(model.node(n).params["value"]) == () for n in model.node_ids()
           if kind(model.node(n).kind).is_leaf):
        return compile_scalar(model, target, dtype)
    return compile_vector(model, target, dtype, retain_grads)
