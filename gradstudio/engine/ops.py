"""Every differentiable operation, each defined once: forward, backward, grad_fn name.

``forward(*arrays, *params) -> (out, saved)`` computes with numpy and says what backward needs.
``backward(saved, grad, needs) -> one gradient per input`` is the vector-Jacobian product;
``needs[i]`` is None when input i wants no gradient, so the work can be skipped.
Broadcasting and dtype casts are undone by the engine (autograd.Node.backward), not here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .autograd import Node
from .grad_mode import STATE
from .tensor import LEAF_INPLACE_ERROR, Tensor, _wrap

__all__ = ["Op", "OPS", "add", "sub", "mul", "div", "neg", "pow", "sin", "cos", "exp", "log",
           "sigmoid", "tanh", "relu", "clamp", "mean", "sum", "sqrt", "abs", "reciprocal",
           "square", "clone"]

# What a gradient formula reads, as bits: the first input, the output, the second input.
# Backward refuses to run (as PyTorch does) when one of these was modified in place since.
_A, _OUT, _B = 1, 2, 4
SAVES_NOTHING, SAVES_INPUTS, SAVES_OUTPUT = 0, _A, _OUT


class Op:
    """One differentiable operation.

    ``saves`` says what the gradient of the first input reads, ``saves_b`` what the gradient
    of the second input reads (binary ops). Only what PyTorch would save for the inputs that
    require grad is watched for in-place changes.
    """

    __slots__ = ("name", "forward", "backward", "saves", "saves_b")

    def __init__(self, name: str, forward: Callable, backward: Callable,
                 saves: int = SAVES_INPUTS, saves_b: int = SAVES_NOTHING) -> None:
        self.name = name  # PyTorch's grad_fn name, e.g. "SinBackward0"
        self.forward = forward
        self.backward = backward
        self.saves = saves
        self.saves_b = saves_b

    def __repr__(self) -> str:
        return f"Op({self.name})"


OPS: dict[str, Op] = {}


def _op(name: str, forward: Callable, backward: Callable, saves: int = SAVES_INPUTS,
        saves_b: int = SAVES_NOTHING) -> Op:
    OPS[name] = op = Op(name, forward, backward, saves, saves_b)
    return op


# --- unary ops: forward(a) -> (out, saved); backward(saved, g, needs) -> (ga,) -------------
def _times(g: Any, local: Any) -> Any:
    """g * local, reusing local's fresh buffer when it is an array."""
    if isinstance(local, np.ndarray) and local.shape == np.shape(g):
        local *= g
        return local
    return g * local


SIN = _op("SinBackward0", lambda a: (np.sin(a), a), lambda a, g, n: (_times(g, np.cos(a)),))
COS = _op("CosBackward0", lambda a: (np.cos(a), a), lambda a, g, n: (g * -np.sin(a),))
EXP = _op("ExpBackward0", lambda a: (o := np.exp(a), o), lambda o, g, n: (g * o,), SAVES_OUTPUT)
LOG = _op("LogBackward0", lambda a: (np.log(a), a), lambda a, g, n: (g / a,))
NEG = _op("NegBackward0", lambda a: (-a, None), lambda s, g, n: (-g,), SAVES_NOTHING)
TANH = _op("TanhBackward0", lambda a: (o := np.tanh(a), o),
           lambda o, g, n: (g * (1 - o * o),), SAVES_OUTPUT)
SQRT = _op("SqrtBackward0", lambda a: (o := np.sqrt(a), o),
           lambda o, g, n: (g / (2 * o),), SAVES_OUTPUT)
ABS = _op("AbsBackward0", lambda a: (np.abs(a), a), lambda a, g, n: (g * np.sign(a),))
RECIPROCAL = _op("ReciprocalBackward0", lambda a: (o := 1 / a, o),
                 lambda o, g, n: (-g * (o * o),), SAVES_OUTPUT)
CLONE = _op("CloneBackward0", lambda a: (np.array(a), None), lambda s, g, n: (g,), SAVES_NOTHING)
PERMUTE = _op("PermuteBackward0", lambda a: (np.transpose(a), None),
              lambda s, g, n: (np.transpose(g),), SAVES_NOTHING)  # x.T: dims reversed


def _sigmoid(a: Any) -> tuple:
    if isinstance(a, np.ndarray) and a.ndim:  # vectors: one buffer for the whole formula
        out = np.negative(a)
        np.exp(out, out=out)
        out += 1
        np.reciprocal(out, out=out)
    else:
        out = 1 / (1 + np.exp(-a))
    return out, out


def _sigmoid_backward(o: Any, g: Any, needs: tuple) -> tuple:
    """PyTorch's g * (1 - o) * o, in that order."""
    if isinstance(o, np.ndarray) and o.ndim and np.shape(g) == o.shape:
        r = np.subtract(1, o, dtype=o.dtype)
        np.multiply(g, r, out=r)
        r *= o
        return (r,)
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
    return (g * (e * _powf(a, e - 1)),)  # e - 1 in double precision, as PyTorch


POW = _op("PowBackward0", lambda a, e: (_powf(a, e), (a, e)), _pow_scalar_backward)


def _clamp_forward(a: Any, lo: Any, hi: Any) -> tuple:
    """min(max(a, lo), hi) that keeps a where it equals a bound (so -0. stays -0.) and passes
    NaN through, like PyTorch's kernel; with lo > hi everything becomes hi."""
    out = a if lo is None else np.where(a < lo, lo, a)
    if hi is not None:
        out = np.where(out > hi, hi, out)
    return out, (a, lo, hi)


def _clamp_backward(saved: tuple, g: Any, needs: tuple) -> tuple:
    a, lo, hi = saved
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
    return (None if needs[0] is None else g / b,
            None if needs[1] is None else -g * ((a / b) / b))


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
_SAVES_PAIR = (MUL, DIV)  # saved is (a, b); a big unneeded one should not stay alive
POW_TENSOR = _op("PowBackward1", lambda a, b: (o := a ** b, (a, b, o)), _pow_tensor_backward,
                 _A | _B | _OUT, _A | _B | _OUT)
RPOW = _op("PowBackward2", _rpow_forward, _rpow_backward, _A | _OUT)


# --- applying an op ---------------------------------------------------------------------------
def _edge(t: Tensor) -> Any:
    """Where a gradient for ``t`` goes: its grad_fn, its AccumulateGrad, or nowhere."""
    if not t._rg:
        return None
    fn = t.grad_fn
    return fn if fn is not None else t._accumulator()


def _watch(t: Tensor) -> tuple:
    vc = t._vc
    if vc is None:
        vc = t._vc = [0]
    return vc, vc[0], t


def _versions(mask: int, a: Tensor, b: Any, result: Tensor) -> tuple:
    """Remember the versions of the tensors backward will read (``mask``: _A, _B, _OUT), so
    an in-place change made before backward is refused instead of giving wrong gradients.
    A saved output is remembered by its array: the node is its grad_fn (no cycle)."""
    versions: tuple = ()
    if mask & _A:
        versions = (_watch(a),)
    if mask & _B and b.__class__ is Tensor:
        versions += (_watch(b),)
    if mask & _OUT:
        vc = result._vc = [0]
        versions += ((vc, 0, result._data),)
    return versions


def _unary(op: Op, a: Tensor, *params: Any) -> Tensor:
    try:
        out, saved = op.forward(a._data, *params)
    except AttributeError:
        if isinstance(a, Tensor):
            raise
        raise TypeError(_not_a_tensor(op, a)) from None
    if STATE.enabled and a._rg:
        fn = a.grad_fn
        node = Node(op, saved, (fn if fn is not None else a._accumulator(),))
        result = _wrap(out, node)
        if op.saves:
            node.versions = _versions(op.saves, a, None, result)
        return result
    return _wrap(out, None)


def _not_a_tensor(op: Op, value: Any) -> str:
    name = op.name.split("Backward")[0].lower()
    return f"{name}(): argument 'input' (position 1) must be Tensor, not {type(value).__name__}"


_SCALARS = (int, float, bool, np.number, np.bool_)


_F32 = np.dtype(np.float32)
_F32_NUMBERS: dict = {}  # python number -> np.float32: converting costs more than the op


def _operands(a: Tensor, b: Any) -> tuple:
    """Arrays for a binary op between a tensor and a tensor or Python number, promoted the
    way PyTorch does (a number never widens a float tensor), plus whether b requires grad."""
    ad = a._data
    kind = b.__class__
    if kind is Tensor:
        bd = b._data
        if ad.dtype != bd.dtype:
            dt = _result_dtype(a, b).numpy
            ad, bd = ad.astype(dt), bd.astype(dt)
        return ad, bd, b._rg
    if (kind is float or kind is int) and ad.dtype is _F32:
        s = _F32_NUMBERS.get(b)
        if s is None:
            s = np.float32(b)
            if b and b == b and len(_F32_NUMBERS) < 4096:  # not 0.0 / -0.0 (equal keys), not nan
                _F32_NUMBERS[b] = s
        return ad, s, False
    if isinstance(b, Tensor):
        return _operands(a, Tensor._from_array(b._data)) if not b._rg else (
            *_operands(a, Tensor._from_array(b._data))[:2], True)
    if isinstance(b, _SCALARS):
        dkind = ad.dtype.kind
        if dkind == "f" or (dkind in "iu" and not isinstance(b, (float, np.floating))):
            return ad, ad.dtype.type(b), False
        wrapped = (dtypes.float32 if isinstance(b, (float, np.floating)) else
                   dtypes.bool_ if isinstance(b, (bool, np.bool_)) else dtypes.int64)
        dt = dtypes.combine_categories(dtypes.from_numpy(ad.dtype), wrapped).numpy
        return ad.astype(dt), dt.type(b), False
    if isinstance(b, (np.ndarray, list, tuple)):
        from .tensor import tensor

        return _operands(a, tensor(b))
    raise TypeError(f"unsupported operand type for a Tensor operation: {type(b).__name__}")


def _result_dtype(a: Tensor, b: Tensor) -> dtypes.dtype:
    """Dimensioned tensors decide the type; a 0-d tensor only when it brings a higher kind."""
    da, db = a.dtype, b.dtype
    dims = [d for d, t in ((da, a), (db, b)) if np.ndim(t._data) > 0]
    zero = [d for d, t in ((da, a), (db, b)) if np.ndim(t._data) == 0]
    dim_type = dtypes.promote_types(*dims) if len(dims) == 2 else (dims[0] if dims else None)
    zero_type = dtypes.promote_types(*zero) if len(zero) == 2 else (zero[0] if zero else None)
    return dtypes.combine_categories(dim_type, zero_type)


def _binary(op: Op, a: Tensor, b: Any, float_only: bool = False) -> Tensor:
    ad, bd, brg = _operands(a, b)
    if float_only and ad.dtype.kind != "f":
        ad, bd = ad.astype(np.float32), np.asarray(bd).astype(np.float32)[()]
    try:
        out, saved = op.forward(ad, bd)
    except ValueError as e:
        raise RuntimeError(_shape_message(ad, bd)) from e
    if STATE.enabled and (a._rg or brg):
        node = Node(op, saved, (_edge(a), _edge(b) if brg else None))
        if ad.shape != bd.shape or ad.dtype != a._data.dtype or (brg and bd.dtype != b._data.dtype):
            node.meta = ((ad.shape, a._data.dtype),
                         (bd.shape, b._data.dtype if brg else bd.dtype))
        result = _wrap(out, node)
        mask = (op.saves if a._rg else 0) | (op.saves_b if brg else 0)
        if mask and (mask != _B or b.__class__ is Tensor):  # not for a number like 1.01
            node.versions = _versions(mask, a, b, result)
            if op in _SAVES_PAIR and mask != _A | _B:  # keep only what backward will read
                node.saved = (ad if mask & _A else None, bd if mask & _B else None)
        return result
    return _wrap(out, None)


def _shape_message(ad: Any, bd: Any) -> str:
    sa, sb = np.shape(ad)[::-1], np.shape(bd)[::-1]
    for i, (x, y) in enumerate(zip(sa, sb, strict=False)):
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - 1 - i
            return (f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {dim}")
    return f"shapes {np.shape(ad)} and {np.shape(bd)} cannot be broadcast together"


# --- the public functions ---------------------------------------------------------------------
def _number_first(name: str, number: Any, other: Any) -> Tensor:
    """``torch.add(2, x)``: the number becomes the 0-d tensor PyTorch wraps it in, typed the
    way a Python number next to ``other`` is (it never widens a float tensor)."""
    if not isinstance(number, _SCALARS) or not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(number).__name__}")
    return _wrap(np.asarray(_operands(other, number)[1]), None)


def add(a: Tensor, b: Any) -> Tensor:
    if a.__class__ is not Tensor and not isinstance(a, Tensor):
        a = _number_first("add", a, b)
    return _binary(ADD, a, b)


def sub(a: Tensor, b: Any) -> Tensor:
    if a.__class__ is not Tensor and not isinstance(a, Tensor):
        a = _number_first("sub", a, b)
    return _binary(SUB, a, b)


def mul(a: Tensor, b: Any) -> Tensor:
    if a.__class__ is not Tensor and not isinstance(a, Tensor):
        a = _number_first("mul", a, b)
    return _binary(MUL, a, b)


def div(a: Tensor, b: Any) -> Tensor:
    if a.__class__ is not Tensor and not isinstance(a, Tensor):
        a = _number_first("div", a, b)
    return _binary(DIV, a, b, float_only=True)


def pow(a: Tensor, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    if not isinstance(a, Tensor):
        if not isinstance(exponent, Tensor) or not isinstance(a, _SCALARS):
            raise TypeError(f"pow(): unsupported operand types: {type(a).__name__} and "
                            f"{type(exponent).__name__}")
        return _rpow(exponent, a)
    if isinstance(exponent, Tensor):
        return _binary(POW_TENSOR, a, exponent)
    if not isinstance(exponent, _SCALARS):
        raise TypeError(f"unsupported exponent type: {type(exponent).__name__}")
    if a._data.dtype.kind != "f":
        if isinstance(exponent, (float, np.floating)):
            a = a.to(dtypes.float32)
        elif exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _unary(POW, a, exponent)


def neg(a: Tensor) -> Tensor:
    return _unary(NEG, a)


def square(a: Tensor) -> Tensor:
    return pow(a, 2)


def _float_op(op: Op, name: str) -> Callable[[Tensor], Tensor]:
    """sin, exp, ...: integer input becomes the default float type first, as in PyTorch."""

    def apply(a: Tensor) -> Tensor:
        return _unary(op, a if a.__class__ is Tensor and a._data.dtype.kind == "f"
                      else _float(a))

    apply.__name__ = apply.__qualname__ = name
    return apply


sin, cos, exp, log = (_float_op(SIN, "sin"), _float_op(COS, "cos"), _float_op(EXP, "exp"),
                      _float_op(LOG, "log"))
sigmoid, tanh = _float_op(SIGMOID, "sigmoid"), _float_op(TANH, "tanh")
sqrt, reciprocal = _float_op(SQRT, "sqrt"), _float_op(RECIPROCAL, "reciprocal")


def relu(a: Tensor) -> Tensor:
    return _unary(RELU, a)


def abs(a: Tensor) -> Tensor:  # noqa: A001
    return _unary(ABS, a)


def clone(a: Tensor) -> Tensor:
    return _unary(CLONE, a)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for bound in (min, max):
        if bound is not None and not isinstance(bound, _SCALARS):
            raise TypeError("clamp bounds must be numbers")
    cast = a._data.dtype.type
    return _unary(CLAMP, a, None if min is None else cast(min), None if max is None else cast(max))


def _axes(dim: Any, ndim: int) -> tuple | None:
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})")
    return tuple(d % max(ndim, 1) for d in dims) if ndim else None


def sum(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    if not a.dtype.is_floating_point:
        a = a.to(dtypes.int64)
    axes = _axes(dim, a.dim())
    return _unary(SUM if dim is None else SUM_DIM, a, axes, keepdim)


def mean(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if not a.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {a.dtype._title}")
    axes = _axes(dim, a.dim())
    return _unary(MEAN if dim is None else MEAN_DIM, a, axes, keepdim)


def to(a: Tensor, dtype: Any) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    if dt.numpy == a._data.dtype:
        return a
    out = _unary(TO_COPY, a, dt.numpy)
    if out.grad_fn is not None:
        out.grad_fn.meta = ((np.shape(a._data), a._data.dtype),)
        if not dt.is_floating_point:
            out.grad_fn, out._rg = None, False
    return out


def _float(a: Tensor) -> Tensor:
    """Functions like sin turn integer input into the default float type, as PyTorch does."""
    if not isinstance(a, Tensor) or a._data.dtype.kind == "f":
        return a  # a non-tensor is named by _unary's TypeError
    return to(a, dtypes.float32)


def reverse_dims(a: Tensor) -> Tensor:
    """``x.T``: the dimensions in reverse order (PyTorch's PermuteBackward0)."""
    if a.dim() != 2:
        warnings.warn(_T_0D_WARNING if a.dim() == 0 else _T_ND_WARNING, UserWarning,
                      stacklevel=3)
    return _unary(PERMUTE, a)


_T_0D_WARNING = ("Tensor.T is deprecated on 0-D tensors. This function is the identity in these "
                 "cases.")
_T_ND_WARNING = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
    "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
    "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
    "tensor.")


# --- operators, reversed forms and in-place updates on Tensor ----------------------------------
def _rsub(a: Tensor, b: Any) -> Tensor:
    if not isinstance(b, _SCALARS):  # an array or list: an ordinary tensor subtraction
        from .tensor import tensor

        return sub(tensor(b), a)
    ad, bd, _ = _operands(a, b)
    if ad.dtype != a._data.dtype:  # an integer tensor made float: it cannot require grad
        return _wrap(bd - ad, None)
    return _unary(RSUB, a, bd)


def _rtruediv(a: Tensor, b: Any) -> Tensor:
    return mul(reciprocal(a), b)


def _rpow(a: Tensor, b: Any) -> Tensor:
    """``b ** a`` for a Python number b (PowBackward2). log(b) is taken in double precision
    and rounded to a's type, as PyTorch's backward does."""
    if not isinstance(b, _SCALARS):
        return NotImplemented
    ad, base, _ = _operands(a, b)
    if a._data.dtype.kind != "f":  # no grad for integer tensors; 2 ** int tensor stays int
        return _wrap(np.power(base, ad), None)
    b = float(b)
    log_base = math.log(b) if b > 0 else -math.inf if b == 0 else math.nan
    return _unary(RPOW, a, base, ad.dtype.type(log_base))


def _compare(ufunc: np.ufunc) -> Callable:
    def compare(a: Tensor, b: Any) -> Tensor:
        ad, bd, _ = _operands(a, b)
        return _wrap(ufunc(ad, bd), None)

    return compare


def _inplace(fn: Callable) -> Callable:
    """``a -= b`` and friends: values written into a's memory. On a leaf that requires grad
    this is refused (outside no_grad); on a computed tensor the op is recorded as a's new
    history, as in PyTorch."""

    def update(a: Tensor, b: Any) -> Tensor:
        b_rg = isinstance(b, Tensor) and b._rg
        if STATE.enabled and (a._rg or b_rg):
            if a._rg and a.grad_fn is None:
                raise RuntimeError(LEAF_INPLACE_ERROR)
            before = _wrap(np.array(a._data), a.grad_fn)
            before._rg = a._rg
            result = fn(before, b)
            _store(a, result)
            a.grad_fn, a._rg = result.grad_fn, True
            return a
        _store(a, fn(a, b))
        return a

    return update


def _store(a: Tensor, result: Tensor) -> None:
    if result.shape != a.shape:
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if result.dtype.category > a.dtype.category:  # float64 into float32 is fine, float into int not
        raise RuntimeError(f"result type {result.dtype._title} can't be cast to the desired "
                           f"output type {a.dtype._title}")
    a._assign(result._data)


def _install() -> None:
    """Give Tensor its operators and methods; each points at the one definition above."""
    methods = {
        "__add__": add, "__radd__": add, "__sub__": sub, "__rsub__": _rsub,
        "__mul__": mul, "__rmul__": mul, "__truediv__": div, "__rtruediv__": _rtruediv,
        "__pow__": pow, "__rpow__": _rpow, "__neg__": neg, "__abs__": abs,
        "__iadd__": _inplace(add), "__isub__": _inplace(sub), "__imul__": _inplace(mul),
        "__itruediv__": _inplace(div),
        "add_": _inplace(add), "sub_": _inplace(sub), "mul_": _inplace(mul),
        "div_": _inplace(div),
        "__lt__": _compare(np.less), "__le__": _compare(np.less_equal),
        "__gt__": _compare(np.greater), "__ge__": _compare(np.greater_equal),
        "__eq__": _compare(np.equal), "__ne__": _compare(np.not_equal),
        "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg,
        "sin": sin, "cos": cos, "exp": exp, "log": log, "sigmoid": sigmoid, "tanh": tanh,
        "relu": relu, "sqrt": sqrt, "abs": abs, "reciprocal": reciprocal, "clamp": clamp,
        "sum": sum, "mean": mean, "to": to, "clone": clone, "square": square,
        "float": lambda a: to(a, dtypes.float32), "double": lambda a: to(a, dtypes.float64),
    }
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    Tensor.__hash__ = object.__hash__  # __eq__ is elementwise; identity stays the hash


_install()
