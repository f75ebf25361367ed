"""Scalar maths: PyTorch's ops on one float32 or float64 number, in Python floats.

The one definition of how a 0-d float tensor computes. The engine's scalar fast path and the
graph layer's compiled plan both call these very functions, so the two give bit-identical
values and gradients; keep this API stable (add to it, do not change what a name means).

Rounding (``round32``): a float32 result is the double-precision result rounded to the
nearest float32, after every elementary step that PyTorch's float kernel takes in float
(sigmoid is ``1 / (1 + exp(-x))`` in float: three roundings; its backward
``g * (1 - o) * o``: three more). For ``+ - * /`` and ``sqrt`` of float32 operands, computing
in double and rounding once *is* the IEEE float32 operation (double carries more than
2 * 24 + 2 bits), so those steps are exact. For ``exp``, ``log``, ``sin``, ... the result is
the correctly rounded double rounded to float32; PyTorch's own float32 kernels (SLEEF/MKL,
within 1 ulp) agree with it for most inputs, and far more often than numpy's float32 ufuncs
(``benchmarks/bench_agreement.py`` measures the share per op). ``round32`` uses ``struct``:
the fastest exact way measured (about 0.13 us, against 0.2 us for ``array('f')`` and 0.27 us
for ``float(numpy.float32(v))``); it rounds half to even and overflows to inf, as a C cast.

float64: Python's float arithmetic and ``math`` as they are (``round`` is ``float``).

Special values follow IEEE, as tensors do: where ``math`` raises (``log(0)``, ``1 / 0``,
``exp(1000)``, ``sin(inf)``) these functions return -inf, inf or nan instead.

Use: ``m = maths(dtype)`` (an engine dtype, numpy dtype or name), then ``m.sin(x)``,
``m.sin_backward(x, g)``, ``m.mul(a, b)``, ``m.mul_backward(a, b, g) -> (ga, gb)``. Inputs
must already be values of the dtype (``m.round(v)``; a Python number operand next to a tensor
is ``m.number(b)``). Each backward takes what its op saves: the input ``x`` or the output
``o`` (see ``SAVES``) and the incoming gradient ``g``.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["Maths", "F32", "F64", "maths", "round32", "SAVES"]

_S = struct.Struct("f")
_pack, _unpack = _S.pack, _S.unpack
_INF, _NAN = math.inf, math.nan
_copysign = math.copysign


def round32(v: float) -> float:
    """v rounded to the nearest float32 (half to even), as a Python float."""
    try:
        return _unpack(_pack(v))[0]
    except OverflowError:  # some Pythons refuse to pack a finite double beyond float32
        return _copysign(_INF, v)


def _div(a: float, b: float) -> float:
    """a / b with IEEE's answers for b == 0."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return _NAN
        return _copysign(_INF, a) * _copysign(1.0, b)


def _nan_on_domain_error(fn: Callable[[float], float]) -> Callable[[float], float]:
    """math's sin, cos, sqrt, but nan (IEEE) where they raise: sin(inf), sqrt(-1)."""

    def safe(x: float) -> float:
        try:
            return fn(x)
        except ValueError:
            return _NAN

    return safe


_sin, _cos = _nan_on_domain_error(math.sin), _nan_on_domain_error(math.cos)
_sqrt = _nan_on_domain_error(math.sqrt)


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def _log(x: float) -> float:
    try:
        return math.log(x)
    except ValueError:  # 0 or negative
        return -_INF if x == 0 else _NAN


def _sign(x: float) -> float:
    """numpy's sign: -1, 0 (for both zeros), 1, nan."""
    return 1.0 if x > 0 else -1.0 if x < 0 else x if x != x else 0.0


# What each backward reads: "x" (the input, or both inputs for binary ops), "o" (the output),
# "" (nothing). The engine watches exactly these for in-place changes.
SAVES = {"neg": "", "sin": "x", "cos": "x", "exp": "o", "log": "x", "tanh": "o", "sqrt": "o",
         "abs": "x", "reciprocal": "o", "sigmoid": "o", "relu": "o", "pow": "x", "clamp": "x",
         "add": "", "sub": "", "rsub": "", "mul": "x", "div": "x"}


class Maths:
    """The scalar formulas of one dtype; every attribute is a plain function of floats."""

    name: str
    round: Callable[[float], float]  # noqa: A003 - a value of this dtype
    number: Callable[[Any], float]  # a Python number next to a tensor of this dtype

    def __repr__(self) -> str:
        return f"<scalar maths {self.name}>"


def _make(name: str, r: Callable[[float], float]) -> Maths:  # noqa: C901 - one table of ops
    """Every formula once, for the rounding ``r`` of one dtype."""
    m = Maths()
    m.name = name
    m.round = r
    m.number = lambda b: r(float(b))

    # --- unary: forward(x) -> o; backward(saved, g) -> gradient of x -------------------
    def neg(x: float) -> float:
        return -x

    def neg_backward(saved: Any, g: float) -> float:
        return -g

    def sin(x: float) -> float:
        return r(_sin(x))

    def sin_backward(x: float, g: float) -> float:
        return r(g * r(_cos(x)))

    def cos(x: float) -> float:
        return r(_cos(x))

    def cos_backward(x: float, g: float) -> float:
        return r(g * -r(_sin(x)))

    def exp(x: float) -> float:
        return r(_exp(x))

    def exp_backward(o: float, g: float) -> float:
        return r(g * o)

    def log(x: float) -> float:
        return r(_log(x))

    def log_backward(x: float, g: float) -> float:
        return r(_div(g, x))

    def tanh(x: float) -> float:
        return r(math.tanh(x))

    def tanh_backward(o: float, g: float) -> float:
        return r(g * r(1.0 - r(o * o)))

    def sqrt(x: float) -> float:
        return r(_sqrt(x))

    def sqrt_backward(o: float, g: float) -> float:
        return r(_div(g, r(2.0 * o)))

    def abs_(x: float) -> float:
        return math.fabs(x)

    def abs_backward(x: float, g: float) -> float:
        return r(g * _sign(x))

    def reciprocal(x: float) -> float:
        return r(_div(1.0, x))

    def reciprocal_backward(o: float, g: float) -> float:
        return r(-g * r(o * o))

    def sigmoid(x: float) -> float:
        return r(_div(1.0, r(1.0 + r(_exp(-x)))))

    def sigmoid_backward(o: float, g: float) -> float:
        return r(r(g * r(1.0 - o)) * o)

    def relu(x: float) -> float:
        return 0.0 if x < 0 else x  # keeps -0. and nan, as PyTorch

    def relu_backward(o: float, g: float) -> float:
        return 0.0 if o <= 0 else g

    def pow_(x: float, e: float) -> float:
        """x ** e for a Python number e, special-cased as PyTorch's kernel (x*x for 2, ...)."""
        if e == 2:
            return r(x * x)
        if e == 1:
            return x
        if e == 0:
            return 1.0
        if e == 3:
            return r(r(x * x) * x)
        if e == -1:
            return r(_div(1.0, x))
        if e == 0.5:
            return r(_sqrt(x))
        if e == -0.5:
            return r(_div(1.0, r(_sqrt(x))))
        if e == -2:
            return r(_div(1.0, r(x * x)))
        return _pow_general(x, r(e))

    def _pow_general(x: float, e: float) -> float:
        try:
            v = math.pow(x, e)
        except ValueError:  # negative base, fractional exponent; or 0 ** negative
            v = _NAN if x != 0 else _INF
        except OverflowError:
            v = _INF if x > 0 or e % 2 == 0 else -_INF
        return r(v)

    def pow_backward(x: float, e: float, g: float) -> float:
        """g * (e * x ** (e - 1)); e - 1 in double, as PyTorch; 0 for e == 0."""
        if e == 0:
            return 0.0
        return r(g * r(r(e) * pow_(x, e - 1)))

    def clamp(x: float, lo: float | None, hi: float | None) -> float:
        """min(max(x, lo), hi) that keeps x where it equals a bound and passes nan."""
        o = lo if lo is not None and x < lo else x
        return hi if hi is not None and o > hi else o

    def clamp_backward(x: float, lo: float | None, hi: float | None, g: float) -> float:
        inside = (lo is None or x >= lo) and (hi is None or x <= hi)
        return g if inside else 0.0

    def reduce_one(x: float, axes: Any = None, keepdim: bool = False) -> float:
        """sum or mean of one number: the sum starts from +0, so -0. gives 0."""
        return 0.0 + x

    # --- binary: forward(a, b) -> o; backward(a, b, g) -> (ga, gb) ---------------------
    def add(a: float, b: float) -> float:
        return r(a + b)

    def sub(a: float, b: float) -> float:
        return r(a - b)

    def rsub(a: float, s: float) -> float:
        """s - a, a number minus a tensor (RsubBackward1: one input)."""
        return r(s - a)

    def mul(a: float, b: float) -> float:
        return r(a * b)

    def mul_backward(a: float, b: float, g: float) -> tuple[float, float]:
        return r(g * b), r(g * a)

    def div(a: float, b: float) -> float:
        return r(_div(a, b))

    def div_backward(a: float, b: float, g: float) -> tuple[float, float]:
        return r(_div(g, b)), r(-g * r(_div(r(_div(a, b)), b)))

    for key, value in list(locals().items()):
        if callable(value) and key not in ("r", "m") and not key.startswith("_"):
            setattr(m, key.rstrip("_"), value)
    return m


F32 = _make("float32", round32)
F64 = _make("float64", float)
_BY_NAME = {"float32": F32, "float64": F64}


def maths(dtype: Any) -> Maths:
    """The formulas for an engine dtype, numpy dtype or dtype name (float32, float64)."""
    key = dtype if isinstance(dtype, str) else getattr(dtype, "name", str(dtype))
    try:
        return _BY_NAME[key.removeprefix("torch.")]
    except KeyError:
        raise TypeError(f"scalar maths is for float32 and float64, not {dtype}") from None
