"""The engine's functions: ``torch.sin(x)``, and behind Tensor's operators and methods
(``x * 2``, ``x.sin()``, ``w -= lr * g``, defined in tensor.py) the same functions again.
Each checks its arguments, then runs its one op from ops.py through apply.py.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes, ops
from . import factories as _factories
from .apply import _SCALARS, Op, _binary, _edge, _number, _operands, _scalar_unary, _unary
from .autograd import scalar_node
from .grad_mode import STATE
from .scalar import F32, F64
from .tensor import _MATHS_OF, LEAF_INPLACE_ERROR, Tensor, _as_scalar, _fast, _wrap

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "sin", "cos", "exp", "log",
           "sigmoid", "tanh", "relu", "clamp", "mean", "sum", "sqrt", "abs", "reciprocal",
           "square", "clone"]

# --- the public functions ---------------------------------------------------------------------
def _number_first(name: str, number: Any, other: Any) -> Tensor:
    """``torch.add(2, x)``: the number becomes the 0-d tensor PyTorch wraps it in, typed the
    way a Python number next to ``other`` is (it never widens a float tensor)."""
    if not isinstance(number, _SCALARS) or not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(number).__name__}")
    return _as_scalar(_wrap(np.asarray(_operands(other, number)[1]), None))


def _arithmetic(op: Op, name: str) -> Callable[[Any, Any], Tensor]:
    """add, sub, mul, div: a Python number may come first (``torch.add(2, x)``); that is all
    they add to the operators ``x + y`` (Tensor.__add__), which run the op directly."""

    def apply(a: Any, b: Any) -> Tensor:
        if a.__class__ is not Tensor and not isinstance(a, Tensor):
            a = _number_first(name, a, b)
        return _binary(op, a, b)

    apply.__name__ = apply.__qualname__ = name
    return apply


add, sub = _arithmetic(ops.ADD, "add"), _arithmetic(ops.SUB, "sub")
mul = _arithmetic(ops.MUL, "mul")
div = _arithmetic(ops.DIV, "div")


def pow(a: Tensor, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    if not isinstance(a, Tensor):
        if not isinstance(exponent, Tensor) or not isinstance(a, _SCALARS):
            raise TypeError(f"pow(): unsupported operand types: {type(a).__name__} and "
                            f"{type(exponent).__name__}")
        return rpow(exponent, a)
    if isinstance(exponent, Tensor):
        return _binary(ops.POW_TENSOR, a, exponent)
    if not isinstance(exponent, _SCALARS):
        raise TypeError(f"unsupported exponent type: {type(exponent).__name__}")
    if a._k is None and a._data.dtype.kind != "f":
        if isinstance(exponent, (float, np.floating)):
            a = a.to(dtypes.float32)
        elif exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _unary(ops.POW, a, exponent)


def neg(a: Tensor) -> Tensor:
    return _unary(ops.NEG, a)


def square(a: Tensor) -> Tensor:
    return pow(a, 2)


def _float_op(op: Op, name: str) -> Callable[[Tensor], Tensor]:
    """sin, exp, ...: integer input becomes the default float type first, as in PyTorch."""

    def apply(a: Tensor) -> Tensor:
        if a.__class__ is Tensor:
            k = a._k
            if k is not None and op.fast is not None:
                return _scalar_unary(op, a, k)
            if a._data.dtype.kind == "f":
                return _unary(op, a)
        return _unary(op, _float(a))

    apply.__name__ = apply.__qualname__ = name
    return apply


sin, cos = _float_op(ops.SIN, "sin"), _float_op(ops.COS, "cos")
exp, log = _float_op(ops.EXP, "exp"), _float_op(ops.LOG, "log")
sigmoid, tanh = _float_op(ops.SIGMOID, "sigmoid"), _float_op(ops.TANH, "tanh")
sqrt, reciprocal = _float_op(ops.SQRT, "sqrt"), _float_op(ops.RECIPROCAL, "reciprocal")


def relu(a: Tensor) -> Tensor:
    return _unary(ops.RELU, a)


def abs(a: Tensor) -> Tensor:  # noqa: A001
    return _unary(ops.ABS, a)


def clone(a: Tensor) -> Tensor:
    return _unary(ops.CLONE, a)


def clamp(a: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    for bound in (min, max):
        if bound is not None and not isinstance(bound, _SCALARS):
            raise TypeError("clamp bounds must be numbers")
    cast = a._k.number if a._k is not None else a._data.dtype.type
    return _unary(ops.CLAMP, a, None if min is None else cast(min),
                  None if max is None else cast(max))


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
    return _unary(ops.SUM if dim is None else ops.SUM_DIM, a, axes, keepdim)


def mean(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    if not a.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {a.dtype._title}")
    axes = _axes(dim, a.dim())
    return _unary(ops.MEAN if dim is None else ops.MEAN_DIM, a, axes, keepdim)


def to(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other)``: the
    arguments read and refused as PyTorch reads them (``factories.to_arguments``)."""
    dt = dtypes.as_dtype(args[0]) if len(args) == 1 and not kwargs and \
        isinstance(args[0], dtypes.dtype) else _factories.to_arguments(args, kwargs)
    if dt is not None and a._k is not None and dt.numpy in _MATHS_OF:
        return a if _MATHS_OF[dt.numpy] is a._k else _scalar_to(a, _MATHS_OF[dt.numpy])
    if dt is None or dt.numpy == a._data.dtype:
        return a
    out = _unary(ops.TO_COPY, a, dt.numpy)
    if out.grad_fn is None and not np.ndim(out._data):
        return _as_scalar(out)  # an integer number made float: a scalar from now on
    if out.grad_fn is not None:
        out.grad_fn.meta = ((np.shape(a._data), a._data.dtype),)
        if not dt.is_floating_point:
            out.grad_fn, out._rg = None, False
    return out


def _scalar_to(a: Tensor, k: Any) -> Tensor:
    """A scalar in the other float dtype (ToCopyBackward0: the gradient goes back in a's)."""
    x = a._v
    t = _fast(k.round(float(a._data) if x is None else x), k, None)
    if STATE.enabled and a._rg:
        edges = (_edge(a),)
        node = scalar_node(ops.TO_COPY, None, edges, _CAST_BACK[a._k], k, 0)
        t.grad_fn = node.feeds(edges, a._k)
        t._rg = True
    return t


_CAST_BACK = {m: (lambda s, g, r=m.round: r(g)) for m in (F32, F64)}


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
    return _unary(ops.PERMUTE, a)


_T_0D_WARNING = ("Tensor.T is deprecated on 0-D tensors. This function is the identity in these "
                 "cases.")
_T_ND_WARNING = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
    "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
    "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
    "tensor.")


# --- the reflected, comparing and in-place forms behind Tensor's operators -------------------
def rsub(a: Tensor, b: Any) -> Tensor:
    """``b - a`` for a number (or array) b: Tensor.__rsub__."""
    if not isinstance(b, _SCALARS):  # an array or list: an ordinary tensor subtraction
        from .factories import tensor

        return sub(tensor(b), a)
    if a._k is not None and (b.__class__ is float or b.__class__ is int):
        return _unary(ops.RSUB, a, _number(a._k, b))
    ad, bd, _ = _operands(a, b)
    if ad.dtype != a._data.dtype:  # an integer tensor made float: it cannot require grad
        return _wrap(bd - ad, None)
    return _unary(ops.RSUB, a, bd)


def rdiv(a: Tensor, b: Any) -> Tensor:
    """``b / a``: Tensor.__rtruediv__, recorded as PyTorch does (reciprocal, then mul)."""
    return mul(reciprocal(a), b)


def rpow(a: Tensor, b: Any) -> Tensor:
    """``b ** a`` for a Python number b (PowBackward2). log(b) is taken in double precision
    and rounded to a's type, as PyTorch's backward does."""
    if not isinstance(b, _SCALARS):
        return NotImplemented
    ad, base, _ = _operands(a, b)
    if a._data.dtype.kind != "f":  # no grad for integer tensors; 2 ** int tensor stays int
        return _wrap(np.power(base, ad), None)
    b = float(b)
    log_base = math.log(b) if b > 0 else -math.inf if b == 0 else math.nan
    return _unary(ops.RPOW, a, base, ad.dtype.type(log_base))


def _compare(ufunc: np.ufunc) -> Callable[[Tensor, Any], Tensor]:
    """lt, eq, ...: a bool tensor, never recorded."""

    def compare(a: Tensor, b: Any) -> Tensor:
        ad, bd, _ = _operands(a, b)
        return _wrap(ufunc(ad, bd), None)

    compare.__name__ = compare.__qualname__ = ufunc.__name__
    return compare


lt, le = _compare(np.less), _compare(np.less_equal)
gt, ge = _compare(np.greater), _compare(np.greater_equal)
eq, ne = _compare(np.equal), _compare(np.not_equal)


def _inplace(fn: Callable[[Tensor, Any], Tensor]) -> Callable[[Tensor, Any], Tensor]:
    """``a -= b`` and ``a.sub_(b)``: values written into a's memory. On a leaf that requires
    grad this is refused (outside no_grad); on a computed tensor the op is recorded as a's new
    history, as in PyTorch."""

    def update(a: Tensor, b: Any) -> Tensor:
        b_rg = isinstance(b, Tensor) and b._rg
        if STATE.enabled and (a._rg or b_rg):
            if a._rg and a.grad_fn is None:
                raise RuntimeError(LEAF_INPLACE_ERROR)
            if a._k is not None:  # a scalar: a copy of its value, with its history
                before = _fast(a.item(), a._k, a.grad_fn)
            else:
                before = _wrap(np.array(a._data), a.grad_fn)
            before._rg = a._rg
            before._vc = [0]  # its own: the node that saved a's value watches a's counter
            result = fn(before, b)
            _store(a, result)
            a.grad_fn, a._rg = result.grad_fn, True
            return a
        _store(a, fn(a, b))
        return a

    update.__name__ = update.__qualname__ = f"{fn.__name__}_"
    return update


add_, sub_, mul_, div_ = _inplace(add), _inplace(sub), _inplace(mul), _inplace(div)


def _store(a: Tensor, result: Tensor) -> None:
    if a._k is not None:
        if result._k is a._k:  # scalar into scalar of the same dtype
            a._assign(result.item())
            return
        a._storage()  # a numpy result (another dtype): a leaves the scalar path for good,
        a._k = None  # as its history is a numpy node from now on
    new, old = result._data, a._data
    if new.shape == old.shape and new.dtype == old.dtype:  # the usual w -= lr * w.grad
        a._assign(new)
        return
    if result.shape != a.shape:
        raise RuntimeError(f"output with shape {list(a.shape)} doesn't match the broadcast "
                           f"shape {list(result.shape)}")
    if result.dtype.category > a.dtype.category:  # float64 into float32 is fine, float into int not
        raise RuntimeError(f"result type {result.dtype._title} can't be cast to the desired "
                           f"output type {a.dtype._title}")
    a._assign(result._data)
