"""The compiled plan's templates: one per engine op and one per node kind, in one table each.

A node kind is lowered to the engine ops its catalog entry runs, in the order the engine
makes them (``KIND_TEMPLATES``; e.g. BCE is clamp, log, mul, rsub, rsub, log, mul, add, neg,
as ``catalog.binary_cross_entropy`` writes it). Each engine op has one fixed code template
for its forward and one per input for its backward (``OP_TEMPLATES``), written the way
engine/scalar.py computes it (the engine's maths for one number), with ``R(...)`` wherever
the result is rounded to the tensor's dtype. The templates are filled in only with slot
names made from integers (``v12``, ``g12``) and numbers written by ``repr(float)``: nothing
a person typed ever reaches the generated code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["OpTemplate", "OP_TEMPLATES", "ROUNDED_CONSTS", "KIND_TEMPLATES", "Lowering"]


@dataclass(frozen=True)
class OpTemplate:
    """An engine op as code. ``forward`` uses ``{a}`` and ``{b}`` (the inputs), ``{c0}``,
    ``{c1}`` (numbers fixed at compile time); ``backward[i]`` is the gradient sent to input i
    and may also use ``{g}`` (the gradient arriving) and ``{o}`` (the op's output). ``None``:
    the op passes no gradient to that input. ``grad_fn`` is the engine's node name."""

    grad_fn: str
    forward: str
    backward: tuple[str | None, ...]


# Scalar templates: Python floats. ``R`` is the dtype's rounding and the upper-case names are
# engine/scalar.py's per-op functions (the ones the engine's scalar path runs), so plan and
# engine compute alike; + - * and comparisons are written out (``R(a * b)`` is
# ``scalar.mul``), the rest calls scalar.py (see plan.scalar_namespace).
OP_TEMPLATES: dict[str, OpTemplate] = {
    "add": OpTemplate("AddBackward0", "R({a} + {b})", ("{g}", "{g}")),
    "sub": OpTemplate("SubBackward0", "R({a} - {b})", ("{g}", "-{g}")),
    "mul": OpTemplate("MulBackward0", "R({a} * {b})", ("R({g} * {b})", "R({g} * {a})")),
    "div": OpTemplate("DivBackward0", "DIV({a}, {b})",
                      ("DIV({g}, {b})", "R(-{g} * DIV(DIV({a}, {b}), {b}))")),
    "rsub": OpTemplate("RsubBackward1", "R({c0} - {a})", ("-{g}",)),
    "neg": OpTemplate("NegBackward0", "-{a}", ("-{g}",)),
    "sin": OpTemplate("SinBackward0", "SIN({a})", ("R({g} * COS({a}))",)),
    "cos": OpTemplate("CosBackward0", "COS({a})", ("R({g} * -SIN({a}))",)),
    "exp": OpTemplate("ExpBackward0", "EXP({a})", ("R({g} * {o})",)),
    "log": OpTemplate("LogBackward0", "LOG({a})", ("DIV({g}, {a})",)),
    "tanh": OpTemplate("TanhBackward0", "TANH({a})", ("R({g} * R(1.0 - {o} * {o}))",)),
    "sigmoid": OpTemplate("SigmoidBackward0", "DIV(1.0, R(1.0 + EXP(-{a})))",
                          ("R(R({g} * R(1.0 - {o})) * {o})",)),
    "relu": OpTemplate("ReluBackward0", "(0.0 if {a} < 0.0 else {a})",
                       ("(0.0 if {o} <= 0.0 else {g})",)),
    "clamp": OpTemplate("ClampBackward1", "CLAMP({a}, {c0}, {c1})",
                        ("({g} if {c0} <= {a} <= {c1} else 0.0)",)),
    # the sum of one number starts from +0, so -0. becomes 0. (numpy and PyTorch alike)
    "mean": OpTemplate("MeanBackward0", "(0.0 + {a})", ("{g}",)),
    "sum": OpTemplate("SumBackward0", "(0.0 + {a})", ("{g}",)),
    "detach": OpTemplate("", "{a}", (None,)),  # .detach(): the same number, no history
    # x ** e for a fixed Python number e (``{c0}``, not rounded: POW special-cases 2, 0.5,
    # ... and rounds the rest itself); x ** 2 written out.
    "pow": OpTemplate("PowBackward0", "POW({a}, {c0})", ("POW_B({a}, {c0}, {g})",)),
    "square": OpTemplate("PowBackward0", "R({a} * {a})", ("R({g} * R(2.0 * {a}))",)),
}
# The ops whose numbers are a tensor's dtype (clamp's bounds, the 1 of 1 - x), rounded to it
# when the plan is compiled; pow's exponent stays a Python number, as in the engine.
ROUNDED_CONSTS = frozenset({"clamp", "rsub"})


class Lowering:
    """Collects the engine ops a node kind runs: ``op(name, *inputs, consts=...)`` returns
    the slot of the result. Implemented by the plan compiler."""

    def op(self, name: str, *inputs: int, consts: tuple[float, ...] = ()) -> int:
        raise NotImplementedError  # the interface


def _exponent(e: float) -> float:
    return int(e) if e == int(e) else e  # the catalog's pow: x ** 3, not x ** 3.0


def _pow(b: Lowering, x: int, e: float) -> int:
    return b.op("square", x) if e == 2 else b.op("pow", x, consts=(e,))


def _bce(b: Lowering, ins: list[int], p: dict[str, Any]) -> int:
    """catalog.binary_cross_entropy op for op: ``-(t * log(q) + (1 - t) * log(1 - q))``
    with ``q = clamp(prediction, eps, 1 - eps)``, the engine making them in this order."""
    pred, t = ins
    eps = p["epsilon"]
    q = b.op("clamp", pred, consts=(eps, 1 - eps))
    left = b.op("mul", t, b.op("log", q))
    one_minus_t = b.op("rsub", t, consts=(1.0,))
    right = b.op("mul", one_minus_t, b.op("log", b.op("rsub", q, consts=(1.0,))))
    return b.op("neg", b.op("add", left, right))


def _mse(b: Lowering, ins: list[int], p: dict[str, Any]) -> int:
    """catalog.mean_squared_error: ``((prediction - target) ** 2).mean()``."""
    return b.op("mean", _pow(b, b.op("sub", *ins), 2))


def _one(name: str) -> Callable[[Lowering, list[int], dict], int]:
    return lambda b, ins, p: b.op(name, *ins)


# One entry per compiled node kind: (lowering, params) -> the output slot. A kind missing
# here is not compiled (the session runs the engine for it). identity passes its input's
# slot on: the catalog's ``lambda x: x`` makes no op.
KIND_TEMPLATES: dict[str, Callable[[Lowering, list[int], dict[str, Any]], int]] = {
    "identity": lambda b, ins, p: ins[0],
    "square": lambda b, ins, p: _pow(b, ins[0], 2),
    "pow": lambda b, ins, p: _pow(b, ins[0], _exponent(p["exponent"])),
    **{name: _one(name) for name in ("sin", "cos", "exp", "log", "sigmoid", "tanh", "relu",
                                     "neg", "add", "sub", "mul", "div", "mean", "sum")},
    "clamp": lambda b, ins, p: b.op("clamp", ins[0], consts=(p["min"], p["max"])),
    "bce": _bce,
    "mse": _mse,
}
