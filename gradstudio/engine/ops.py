"""Every differentiable operation, each defined once: forward, backward, grad_fn name.

``forward(*arrays, *params) -> (out, saved)`` computes with numpy and says what backward needs.
``backward(saved, grad, needs) -> one gradient per input`` is the vector-Jacobian product;
``needs[i]`` is None when input i wants no gradient, so the work can be skipped.
Broadcasting and dtype casts are undone by the engine (autograd.Node.backward), not here.
The functions people call (``sin``, ``x * y``) are in functions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .apply import (  # noqa: F401 - Op, OPS and _unary are this module's public face too
    _A,
    _B,
    _OUT,
    OPS,
    SAVES_INPUTS,
    SAVES_NOTHING,
    SAVES_OUTPUT,
    Op,
    _binary,
    _op,
    _unary,
)
from .scalar import F32, F64


# --- unary ops: forward(a) -> (out, saved); backward(saved, g, needs) -> (ga,) -------------
def _times(g: Any, local: Any) -> Any:
    """g * local, reusing local's fresh buffer when it is an array."""
    if isinstance(local, np.ndarray) and local.shape == np.shape(g):
        local *= g
        return local
    return g * local


def _owns(fresh: Any, *others: Any) -> bool:
    """Whether ``fresh`` (an array this kernel just made) can take the result of an
    elementwise op with ``others`` in place: the same shape and dtype as that result."""
    return (isinstance(fresh, np.ndarray) and fresh.ndim > 0
            and np.broadcast_shapes(fresh.shape, *(np.shape(o) for o in others)) == fresh.shape
            and np.result_type(fresh, *others) == fresh.dtype)


def _g_times(g: Any, local: Any) -> Any:
    """``g * local`` with g first (NaN payloads follow the operand order), into local's
    fresh buffer when it fits."""
    return np.multiply(g, local, out=local) if _owns(local, g) else g * local


def _cos_backward(a: Any, g: Any, n: tuple) -> tuple:
    """``g * -sin(a)``: the sine's buffer negated and multiplied in place."""
    s = np.sin(a)
    return (_g_times(g, np.negative(s, out=s) if _owns(s) else -s),)


def _tanh_backward(o: Any, g: Any, n: tuple) -> tuple:
    """``g * (1 - o * o)``, one buffer for the three steps."""
    t = o * o
    return (_g_times(g, np.subtract(1, t, out=t) if _owns(t) else 1 - t),)


def _sqrt_backward(o: Any, g: Any, n: tuple) -> tuple:
    """``g / (2 * o)`` into the buffer of ``2 * o``."""
    t = 2 * o
    return (np.divide(g, t, out=t) if _owns(t, g) else g / t,)


def _neg_g(g: Any, local: Any) -> Any:
    """``-g * local``, in that order, into the buffer of ``-g``."""
    m = -g  # as the formula negates: a Python float stays one
    return np.multiply(m, local, out=m) if _owns(m, local) else m * local


SIN = _op("SinBackward0", lambda a: (np.sin(a), a), lambda a, g, n: (_times(g, np.cos(a)),))
COS = _op("CosBackward0", lambda a: (np.cos(a), a), _cos_backward)
EXP = _op("ExpBackward0", lambda a: (o := np.exp(a), o), lambda o, g, n: (g * o,), SAVES_OUTPUT)
LOG = _op("LogBackward0", lambda a: (np.log(a), a), lambda a, g, n: (g / a,))
NEG = _op("NegBackward0", lambda a: (-a, None), lambda s, g, n: (-g,), SAVES_NOTHING)
TANH = _op("TanhBackward0", lambda a: (o := np.tanh(a), o), _tanh_backward, SAVES_OUTPUT)
SQRT = _op("SqrtBackward0", lambda a: (o := np.sqrt(a), o), _sqrt_backward, SAVES_OUTPUT)
ABS = _op("AbsBackward0", lambda a: (np.abs(a), a),
          lambda a, g, n: (_g_times(g, np.sign(a)),))
RECIPROCAL = _op("ReciprocalBackward0", lambda a: (o := 1 / a, o),
                 lambda o, g, n: (_neg_g(g, o * o),), SAVES_OUTPUT)
CLONE = _op("CloneBackward0", lambda a: (np.array(a), None), lambda s, g, n: (g,), SAVES_NOTHING)
PERMUTE = _op("PermuteBackward0", lambda a: (np.transpose(a), None),
              lambda s, g, n: (np.transpose(g),), SAVES_NOTHING)  # x.T: dims reversed


def sigmoid_into(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))`` into ``out`` (it may be ``a``) in four in-place passes, no
    temporary; the compiled vector plan calls it with its own buffer. (Cutting the passes
    into cache-sized blocks was measured: no faster at 1e6 float32, so they are whole.)"""
    np.negative(a, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    return np.reciprocal(out, out=out)


def sigmoid_backward_into(o: np.ndarray, g: Any, out: np.ndarray) -> np.ndarray:
    """PyTorch's ``g * (1 - o) * o``, in that order, into ``out``: three passes, no
    temporary."""
    np.subtract(1, o, out=out)
    np.multiply(g, out, out=out)
    return np.multiply(out, o, out=out)


def _sigmoid(a: Any) -> tuple:
    if isinstance(a, np.ndarray) and a.ndim:  # vectors: one buffer for the whole formula
        out = sigmoid_into(a, np.empty_like(a))
    else:
        out = 1 / (1 + np.exp(-a))
    return out, out


def _sigmoid_backward(o: Any, g: Any, needs: tuple) -> tuple:
    """PyTorch's g * (1 - o) * o, in that order."""
    if isinstance(o, np.ndarray) and o.ndim and np.shape(g) == o.shape:
        return (sigmoid_backward_into(o, g, np.empty_like(o)),)
    return (g * (1 - o) * o,)


SIGMOID = _op("SigmoidBackward0", _sigmoid, _sigmoid_backward, SAVES_OUTPUT)
RELU = _op("ReluBackward0", lambda a: (o := np.where(a < 0, 0, a), o),  # keeps -0., as torch
           lambda o, g, n: (np.where(o <= 0, 0, g),), SAVES_OUTPUT)


def _powf(a: Any, e: float) -> Any:
    """``a ** e`` for a Python number e, the way PyTorch's CPU kernel computes it: common
    exponents are special-cased (x*x, 1/x, sqrt, ...), so results agree bit for bit."""
    if a.dtype.kind == "f":
        if e == 2:
            return a * a
        if e == 1:
            return np.positive(a)
        if e == 0:
            return np.ones_like(a)
        if e == 3:
            return a * a * a
        if e == -1:
            return 1 / a
        if e == 0.5:
            return np.sqrt(a)
        if e == -0.5:
            return 1 / np.sqrt(a)
        if e == -2:
            return 1 / (a * a)
        e = a.dtype.type(e)
    return a ** e


def _pow_scalar_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    a, e = saved
    if e == 0:
        return (np.zeros_like(g * a),)
    p = _powf(a, e - 1)  # e - 1 in double precision, as PyTorch; a fresh array
    return (_g_times(g, np.multiply(e, p, out=p) if _owns(p, e) else e * p),)


POW = _op("PowBackward0", lambda a, e: (_powf(a, e), (a, e)), _pow_scalar_backward)


def _clamp_forward(a: Any, lo: Any, hi: Any) -> tuple:
    """min(max(a, lo), hi) that keeps a where it equals a bound (so -0. stays -0.) and passes
    NaN through, like PyTorch's kernel; with lo > hi everything becomes hi."""
    if isinstance(a, np.ndarray) and a.ndim:  # vectors: the result and one mask, reused
        out, mask = np.array(a), np.empty(a.shape, dtype=bool)
        if lo is not None:
            np.copyto(out, lo, where=np.less(a, lo, out=mask))
        if hi is not None:
            np.copyto(out, hi, where=np.greater(out, hi, out=mask))
        return out, (a, lo, hi)
    out = a if lo is None else np.where(a < lo, lo, a)
    if hi is not None:
        out = np.where(out > hi, hi, out)
    return out, (a, lo, hi)


def _clamp_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    a, lo, hi = saved
    if lo is not None and hi is not None and isinstance(a, np.ndarray) and a.ndim:
        inside = np.greater_equal(a, lo)  # then a <= hi only where that holds: one mask
        np.less_equal(a, hi, out=inside, where=inside)
    else:
        inside = (a >= lo) if hi is None else (a <= hi) if lo is None else (a >= lo) & (a <= hi)
    return (np.where(inside, g, 0),)


CLAMP = _op("ClampBackward1", _clamp_forward, _clamp_backward)


def _reduce_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    """Sum and mean: spread the gradient back over the reduced axes."""
    shape, axes, keepdim, count = saved
    if axes is not None and not keepdim:
        g = np.expand_dims(g, axes)
    if count != 1:
        g = g / count
    return (np.broadcast_to(g, shape),)


def _sum_forward(a: Any, axes: Any, keepdim: bool) -> tuple:
    out = np.sum(a, axis=axes, keepdims=keepdim)
    return out, (np.shape(a), axes, keepdim, 1)


def _mean_forward(a: Any, axes: Any, keepdim: bool) -> tuple:
    out = np.mean(a, axis=axes, keepdims=keepdim, dtype=a.dtype)
    count = np.size(a) // max(np.size(out), 1) if np.size(a) else 1
    return out, (np.shape(a), axes, keepdim, count)


SUM = _op("SumBackward0", _sum_forward, _reduce_backward, SAVES_NOTHING)
SUM_DIM = _op("SumBackward1", _sum_forward, _reduce_backward, SAVES_NOTHING)
MEAN = _op("MeanBackward0", _mean_forward, _reduce_backward, SAVES_NOTHING)
MEAN_DIM = _op("MeanBackward1", _mean_forward, _reduce_backward, SAVES_NOTHING)
TO_COPY = _op("ToCopyBackward0", lambda a, dt: (a.astype(dt), None),
              lambda s, g, n: (g,), SAVES_NOTHING)

# --- binary ops: forward(a, b) -> (out, saved); backward -> (ga, gb) ------------------------
ADD = _op("AddBackward0", lambda a, b: (a + b, None),
          lambda s, g, n: (None if n[0] is None else g, None if n[1] is None else g),
          SAVES_NOTHING)
SUB = _op("SubBackward0", lambda a, b: (a - b, None),
          lambda s, g, n: (None if n[0] is None else g, None if n[1] is None else -g),
          SAVES_NOTHING)
RSUB = _op("RsubBackward1", lambda a, s: (s - a, None), lambda s, g, n: (-g,),
           SAVES_NOTHING)  # number - tensor: one input, as PyTorch's rsub(Tensor, Scalar)


def _mul_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    a, b = saved
    return (None if needs[0] is None else g * b, None if needs[1] is None else g * a)


def _div_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    a, b = saved
    if needs[1] is None:
        return (None if needs[0] is None else g / b, None)
    q = a / b  # -g * ((a / b) / b): the quotients in one buffer
    q = np.divide(q, b, out=q) if _owns(q, b) else q / b
    return (None if needs[0] is None else g / b, _neg_g(g, q))


def _pow_tensor_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    """As PyTorch: no gradient through a zero exponent, and none to the exponent where the
    base is 0 and the exponent >= 0 (0 ** e is flat there, though log(0) is -inf)."""
    a, e, out = saved
    ga = gb = None
    if needs[0] is not None:
        ga = np.where(e == 0, 0, g * (e * a ** (e - 1)))
    if needs[1] is not None:
        gb = g * np.where((a == 0) & (e >= 0), 0, out * np.log(a))
    return ga, gb


def _rpow_forward(e: Any, base: Any, log_base: Any) -> tuple:
    out = base ** e
    return out, (out, e, base, log_base)


def _rpow_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    """d(base ** e)/de = base ** e * log(base); 0 where base is 0 and e >= 0, as PyTorch."""
    out, e, base, log_base = saved
    if base == 0:
        return (g * np.where(e >= 0, 0, out * log_base),)
    return (g * (out * log_base),)


MUL = _op("MulBackward0", lambda a, b: (a * b, (a, b)), _mul_backward, _B, _A)
DIV = _op("DivBackward0", lambda a, b: (a / b, (a, b)), _div_backward, _B, _A | _B)
MUL.saves_pair = DIV.saves_pair = True  # saved is (a, b): a big unneeded one is dropped
DIV.float_only = True  # 7 / 2 is 3.5, as in PyTorch
POW_TENSOR = _op("PowBackward1", lambda a, b: (o := a ** b, (a, b, o)), _pow_tensor_backward,
                 _A | _B | _OUT, _A | _B | _OUT)
RPOW = _op("PowBackward2", _rpow_forward, _rpow_backward, _A | _OUT)


# --- the scalar fast path: each op's formulas from scalar.py (see apply.py) ------------------
# ``op.fast[maths] = (forward, vjp, saves, singles)``. Every scalar vjp is ``vjp(saved, g)``:
# for a one-input op it gives that input's gradient (a float); for a binary op the pair
# (ga, gb), used when both inputs want a gradient, and ``singles`` = (ga only, gb only) for
# the commoner case of one (``w * x`` with a constant x, ``y * 1.01``), so backward makes
# and walks no pair there. ``saves``: "x" input(s), "o" output, "" nothing.
def _saves_code(op: Op) -> str:
    return {SAVES_NOTHING: "", SAVES_INPUTS: "x", SAVES_OUTPUT: "o"}[op.saves]


def _with_params(backward: Callable) -> Callable:
    return lambda s, g: backward(*s, g)


def _one_of(backward: Callable, i: int) -> Callable:
    """The gradient of input i alone, from scalar.py's backward(a, b, g) -> (ga, gb)."""
    return lambda s, g: backward(s[0], s[1], g)[i]


def _scalar_formulas(op: Op, name: str, vjp_of: Callable | None = None,
                     saves: str | None = None) -> None:
    """A one-input op's scalar formulas (per scalar maths): its forward, its vjp (scalar.py's
    own backward, or made from it by ``vjp_of``), what it saves."""
    code = _saves_code(op) if saves is None else saves
    formulas = {}
    for m in (F32, F64):
        backward = getattr(m, f"{name}_backward")
        formulas[m] = (getattr(m, name), backward if vjp_of is None else vjp_of(backward), code,
                       None)
    op.set_fast(formulas)


def _binary_formulas(op: Op, name: str) -> None:
    """mul, div: both operands saved (two floats); the pair and each input's gradient alone
    from scalar.py's backward(a, b, g)."""
    formulas = {}
    for m in (F32, F64):
        backward = getattr(m, f"{name}_backward")
        formulas[m] = (getattr(m, name), lambda s, g, b=backward: b(s[0], s[1], g), "x",
                       (_one_of(backward, 0), _one_of(backward, 1)))
    op.set_fast(formulas)


def _passing(op: Op, forward_of: Callable, vjp: Callable, singles: tuple | None = None
             ) -> None:
    """An op whose scalar backward saves nothing: forward from the dtype's maths, one vjp."""
    op.set_fast({m: (forward_of(m), vjp, "", singles) for m in (F32, F64)})


def _same(s: Any, g: float) -> float:
    return g


def _negated(s: Any, g: float) -> float:
    return -g


for _op_, _name in ((SIN, "sin"), (COS, "cos"), (EXP, "exp"), (LOG, "log"), (NEG, "neg"),
                    (TANH, "tanh"), (SQRT, "sqrt"), (ABS, "abs"), (RECIPROCAL, "reciprocal"),
                    (SIGMOID, "sigmoid"), (RELU, "relu")):
    _scalar_formulas(_op_, _name)
_scalar_formulas(POW, "pow", _with_params)
_scalar_formulas(CLAMP, "clamp", _with_params)
_binary_formulas(MUL, "mul")
_binary_formulas(DIV, "div")
_passing(CLONE, lambda m: lambda x: x, _same)
_passing(RSUB, lambda m: m.rsub, _negated)
_passing(ADD, lambda m: m.add, lambda s, g: (g, g), (_same, _same))
_passing(SUB, lambda m: m.sub, lambda s, g: (g, -g), (_same, _negated))
# sum and mean of one number (any dim of a 0-d tensor): the sum starts from +0, so -0.
# becomes 0. (numpy and PyTorch alike); the gradient passes unchanged
for _op_ in (SUM, SUM_DIM, MEAN, MEAN_DIM):
    _passing(_op_, lambda m: m.reduce_one, _same)
