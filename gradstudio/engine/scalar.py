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
the correctly rounded double rounded to float32; PyTorch's own float32 kernels (MKL VML's
closed-source HA functions for exp, log, sin, cos, tanh, sqrt; SLEEF's exp inside sigmoid;
all within 1 ulp) agree with it for most inputs, and far more often than numpy's float32
ufuncs (``benchmarks/bench_agreement.py`` measures the share per op; benchmarks/README.md,
"Bitwise agreement", says which kernel and why MKL's bits cannot be reproduced here).
``round32`` uses ``struct``: the fastest exact way measured (about 0.13 us, against 0.2 us
for ``array('f')`` and 0.27 us for ``float(numpy.float32(v))``); it rounds half to even and
overflows to inf, as a C cast.

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

import ast
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


# The formulas that round, one expression each, written once for both dtypes: ``R(...)`` is
# the dtype's rounding, ``DIV`` IEEE division, ``SIN`` ... math's functions with IEEE answers
# where math raises. Each is compiled twice per dtype (``_compile``): a fast body (R written
# inline, DIV as ``/``, math's own functions) and the same expression on the safe helpers,
# which the fast body falls back to when Python raises (1 / 0, exp(1000), sin(inf), a
# float32 overflow). Both give the same bits wherever the fast body returns.
_FORMULAS: dict[str, tuple[str, str]] = {
    # unary: forward(x) -> o; backward(saved, g) -> gradient of x
    "sin": ("x", "R(SIN(x))"),
    "sin_backward": ("x, g", "R(g * R(COS(x)))"),
    "cos": ("x", "R(COS(x))"),
    "cos_backward": ("x, g", "R(g * -R(SIN(x)))"),
    "exp": ("x", "R(EXP(x))"),
    "exp_backward": ("o, g", "R(g * o)"),
    "log": ("x", "R(LOG(x))"),
    "log_backward": ("x, g", "R(DIV(g, x))"),
    "tanh": ("x", "R(TANH(x))"),
    # 1 - o * o fused, as PyTorch's compiled float kernel computes it: o * o is exact in
    # double, so this is the fused result (up to a double rounding landing on a float32 tie,
    # about 2**-28 of inputs); rounding o * o first disagrees with PyTorch 4 times in 5
    "tanh_backward": ("o, g", "R(g * R(1.0 - o * o))"),
    "sqrt": ("x", "R(SQRT(x))"),
    "sqrt_backward": ("o, g", "R(DIV(g, R(2.0 * o)))"),
    "abs_backward": ("x, g", "R(g * SIGN(x))"),
    "reciprocal": ("x", "R(DIV(1.0, x))"),
    "reciprocal_backward": ("o, g", "R(-g * R(o * o))"),
    "sigmoid": ("x", "R(DIV(1.0, R(1.0 + R(EXP(-x)))))"),
    "sigmoid_backward": ("o, g", "R(R(g * R(1.0 - o)) * o)"),
    # binary: forward(a, b) -> o; backward(a, b, g) -> (ga, gb)
    "add": ("a, b", "R(a + b)"),
    "sub": ("a, b", "R(a - b)"),
    "rsub": ("a, s", "R(s - a)"),  # s - a, a number minus a tensor (RsubBackward1)
    "mul": ("a, b", "R(a * b)"),
    "mul_backward": ("a, b, g", "(R(g * b), R(g * a))"),
    "div": ("a, b", "R(DIV(a, b))"),
    "div_backward": ("a, b, g", "(R(DIV(g, b)), R(-g * R(DIV(R(DIV(a, b)), b))))"),
}
_SAFE = {"DIV": _div, "SIN": _sin, "COS": _cos, "EXP": _exp, "LOG": _log, "TANH": math.tanh,
         "SQRT": _sqrt, "SIGN": _sign}
_RAW = {"SIN": math.sin, "COS": math.cos, "EXP": math.exp, "LOG": math.log,
        "TANH": math.tanh, "SQRT": math.sqrt, "SIGN": _sign}
_FAILS = (ArithmeticError, ValueError)  # what math and struct raise where IEEE has an answer


class _Lower(ast.NodeTransformer):
    """One formula's fast body: R(e) inline (``_unpack(_pack(e))[0]``, or just ``e`` in
    float64), DIV(a, b) as ``a / b``, the functions as math's own (``_RAW``)."""

    def __init__(self, float32: bool) -> None:
        self.float32 = float32

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802 - ast's visitor name
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name == "R":
            if not self.float32:
                return node.args[0]
            packed = ast.Call(ast.Name("_pack", ast.Load()), [node.args[0]], [])
            return ast.Subscript(ast.Call(ast.Name("_unpack", ast.Load()), [packed], []),
                                 ast.Constant(0), ast.Load())
        if name == "DIV":
            return ast.BinOp(node.args[0], ast.Div(), node.args[1])
        if name in _RAW:
            node.func = ast.Name(f"_raw_{name}", ast.Load())
        return node


def _compile(name: str, params: str, formula: str, r: Callable[[float], float]
             ) -> Callable[..., Any]:
    """The function ``name(params)``: the fast body, and on a Python error the formula on
    the safe helpers. Only the fixed texts of _FORMULAS are compiled."""
    fast = _Lower(r is round32).visit(ast.parse(formula, mode="eval").body)
    source = (f"def {name}({params}):\n"
              f"    try:\n        return {ast.unparse(fast)}\n"
              f"    except _FAILS:\n        return {formula}\n")
    namespace: dict[str, Any] = {"R": r, "_pack": _pack, "_unpack": _unpack, "_FAILS": _FAILS,
                                 **_SAFE, **{f"_raw_{k}": v for k, v in _RAW.items()}}
    exec(compile(source, f"<scalar.py {name}>", "exec"), namespace)  # noqa: S102 - fixed text
    fn = namespace[name]
    fn.__doc__ = f"{name}({params}) = {formula}, R rounding to the dtype"
    return fn


def _make(name: str, r: Callable[[float], float]) -> Maths:  # noqa: C901 - one table of ops
    """Every formula once, for the rounding ``r`` of one dtype."""
    m = Maths()
    m.name = name
    m.round = r
    m.number = lambda b: r(float(b))
    for key, (params, formula) in _FORMULAS.items():
        setattr(m, key, _compile(key, params, formula, r))

    # --- the formulas that need no rounding or take branches -----------------------------
    def neg(x: float) -> float:
        return -x

    def neg_backward(saved: Any, g: float) -> float:
        return -g

    def abs_(x: float) -> float:
        return math.fabs(x)

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
