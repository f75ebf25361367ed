"""Applying an op: the arrays it runs on (PyTorch's type promotion), the grad_fn node it
leaves, and what that node must watch for in-place changes. Every op goes through
``_unary`` or ``_binary``; they run once per recorded operation, so they stay lean.

Scalar fast path: when every tensor operand is a scalar (a 0-d float32/float64 tensor,
``Tensor._k``) of one dtype and the op has scalar formulas (``Op.fast``, from scalar.py),
the op computes on Python floats and leaves a ``ScalarNode``; the same versions are watched
and the same grad_fn name is shown. Anything else (mixed dtypes, a dimensioned operand, an
integer tensor) takes the numpy path below, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .autograd import Node, scalar_node
from .grad_mode import STATE
from .scalar import F32, F64
from .tensor import Tensor, _result, _wrap

__all__ = ["Op", "OPS", "SAVES_NOTHING", "SAVES_INPUTS", "SAVES_OUTPUT"]

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

    __slots__ = ("name", "_forward", "_backward", "saves", "saves_b", "saves_pair",
                 "float_only", "fast", "_formulas")

    def __init__(self, name: str, forward: Callable, backward: Callable,
                 saves: int = SAVES_INPUTS, saves_b: int = SAVES_NOTHING) -> None:
        self.name = name  # PyTorch's grad_fn name, e.g. "SinBackward0"
        self._forward = forward
        self._backward = backward
        self._formulas: tuple = (None, None, None)
        self.fast: dict | None = None
        self.saves = saves
        self.saves_b = saves_b
        self.saves_pair = False  # saved is (a, b): drop the one no gradient will read
        self.float_only = False  # integer operands become float32 first (true division)

    # The scalar fast path's formulas (``fast``: scalar maths -> (forward, vjp, what it saves:
    # "x" input(s), "o" output, "" nothing; whether vjp is scalar.py's own backward(saved, g)
    # of a one-input op)) are this op's forward and backward for one number. They hold only
    # while ``forward`` and ``backward`` are the ones they were written beside: replace either
    # (as a test planting a wrong derivative does) and every tensor takes the replacement.
    @property
    def forward(self) -> Callable:
        return self._forward

    @forward.setter
    def forward(self, fn: Callable) -> None:
        self._forward = fn
        self._refresh_fast()

    @property
    def backward(self) -> Callable:
        return self._backward

    @backward.setter
    def backward(self, fn: Callable) -> None:
        self._backward = fn
        self._refresh_fast()

    def set_fast(self, formulas: dict) -> None:
        """The scalar formulas of this op as it is now defined."""
        self._formulas = (formulas, self._forward, self._backward)
        self._refresh_fast()

    def _refresh_fast(self) -> None:
        formulas, forward, backward = self._formulas
        self.fast = formulas if (self._forward is forward and self._backward is backward
                                 ) else None

    def __repr__(self) -> str:
        return f"Op({self.name})"


OPS: dict[str, Op] = {}
_new = object.__new__


def _op(name: str, forward: Callable, backward: Callable, saves: int = SAVES_INPUTS,
        saves_b: int = SAVES_NOTHING) -> Op:
    OPS[name] = op = Op(name, forward, backward, saves, saves_b)
    return op


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
        vc = t._version_counter()
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
        k = a._k
        if k is not None and op.fast is not None:
            return _scalar_unary(op, a, k, params)
        out, saved = op.forward(a._data, *params)
    except AttributeError:
        if isinstance(a, Tensor):
            raise
        raise TypeError(_not_a_tensor(op, a)) from None
    if STATE.enabled and a._rg:
        fn = a.grad_fn
        node = Node(op, saved, (fn if fn is not None else a._accumulator(),))
        result = _result(out, node)
        if op.saves == _A:  # the commonest record, without _versions' general walk
            node.versions = (_watch(a),)
        elif op.saves:
            node.versions = _versions(op.saves, a, None, result)
        return result
    return _result(out, None)


def _scalar_unary(op: Op, a: Tensor, k: Any, params: tuple = ()) -> Tensor:
    """A unary op on a scalar: Python floats, a ScalarNode; written flat, as it runs for
    every scalar op (a call or two less is a tenth of the op)."""
    forward, vjp, saves, _ = op.fast[k]
    x = a._v
    if x is None:  # a scalar some view shares: its array holds the value
        x = float(a._data)
    t = _new(Tensor)
    t._d = None
    t._v = forward(x, *params) if params else forward(x)
    t._k = k
    t._grad = t._acc = t._vc = None
    if STATE.enabled and a._rg:
        fn = a.grad_fn
        if fn is None:
            fn = a._acc
            if fn is None:
                fn = a._accumulator()
        if saves == "x" and not params:  # the input itself and its version now: backward
            vc = a._vc  # reads its value then (a view may have written it), no tuples here
            node = scalar_node(op, a, (fn,), vjp, k, 0, None, None,  # then (positional):
                               0 if vc is None else vc[0])
        elif saves == "x":  # pow, clamp: the input's value beside the op's numbers
            node = scalar_node(op, (x, *params), (fn,), vjp, k, 0, (_watch(a),), _PLACE_0)
        elif saves:  # the output: watched once it has a version counter (watch_output)
            node = scalar_node(op, t._v, (fn,), vjp, k, 0)
        else:
            node = scalar_node(op, None, (fn,), vjp, k, 0)
        if fn.__class__ is Node:
            node.feeds((fn,), k)
        t.grad_fn = node
        t._rg = True
        return t
    t.grad_fn = None
    t._rg = False
    return t


_PLACE_0, _PLACE_1, _PLACE_01 = (0,), (1,), (0, 1)


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
        if ad.dtype is not bd.dtype and ad.dtype != bd.dtype:
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
    if isinstance(b, Tensor):  # a subclass of Tensor: promoted as a plain one
        ad, bd, _ = _operands(a, _wrap(b._data, None))
        return ad, bd, b._rg
    if isinstance(b, _SCALARS):
        dkind = ad.dtype.kind
        if dkind == "f" or (dkind in "iu" and not isinstance(b, (float, np.floating))):
            return ad, ad.dtype.type(b), False
        wrapped = (dtypes.float32 if isinstance(b, (float, np.floating)) else
                   dtypes.bool_ if isinstance(b, (bool, np.bool_)) else dtypes.int64)
        dt = dtypes.combine_categories(dtypes.from_numpy(ad.dtype), wrapped).numpy
        return ad.astype(dt), dt.type(b), False
    if isinstance(b, (np.ndarray, list, tuple)):
        from .factories import tensor

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


def _binary(op: Op, a: Tensor, b: Any) -> Tensor:
    k = a._k
    if k is not None and op.fast is not None:
        kind = b.__class__
        if kind is float or kind is int:
            v = _NUMBERS[k].get(b)
            return _scalar_binary(op, a, k, _number(k, b) if v is None else v, None)
        if kind is Tensor and b._k is k:
            return _scalar_binary(op, a, k, None, b)
    ad, bd, brg = _operands(a, b)
    if op.float_only and ad.dtype.kind != "f":
        ad, bd = ad.astype(np.float32), np.asarray(bd).astype(np.float32)[()]
    try:
        out, saved = op.forward(ad, bd)
    except ValueError as e:
        raise RuntimeError(_shape_message(ad, bd)) from e
    if STATE.enabled and (a._rg or brg):
        node = Node(op, saved, (_edge(a), _edge(b) if brg else None))
        # Reshaping/casting the gradients is needed only after broadcasting or a cast.
        if ad.shape != bd.shape or ad is not a._data or (brg and bd is not b._data):
            node.meta = ((ad.shape, a._data.dtype),
                         (bd.shape, b._data.dtype if brg else bd.dtype))
        result = _result(out, node)
        mask = (op.saves if a._rg else 0) | (op.saves_b if brg else 0)
        if mask and (mask != _B or b.__class__ is Tensor):  # not for a number like 1.01
            node.versions = _versions(mask, a, b, result)
        if op.saves_pair and mask != _A | _B:  # keep only what backward will read
            node.saved = (ad if mask & _A else None, bd if mask & _B else None)
        return result
    return _result(out, None)


def _scalar_binary(op: Op, a: Tensor, k: Any, bv: Any, b: Tensor | None) -> Tensor:
    """A binary op on two scalars of one dtype (b), or on a scalar and a Python number (bv,
    already of a's dtype; b None). Flat, as _scalar_unary."""
    forward, vjp, saves, singles = op.fast[k]
    av = a._v
    if av is None:
        av = float(a._data)
    if b is not None:
        bv = b._v
        if bv is None:
            bv = float(b._data)
    t = _new(Tensor)
    t._d = None
    t._v = forward(av, bv)
    t._k = k
    t._grad = t._acc = t._vc = None
    arg = a._rg
    if b is None:  # a number: only a may want a gradient, and a number is never watched
        if STATE.enabled and arg:
            edges = (a.grad_fn or a._accumulator(), None)
            node = scalar_node(op, (av, bv) if saves else None, edges, singles[0], k, 0)
        else:
            edges = node = None
    elif STATE.enabled and (arg or b._rg):
        brg = b._rg
        versions = where = None
        mask = (op.saves if arg else 0) | (op.saves_b if brg else 0)  # what the grads read
        if mask & _B:
            if mask & _A:
                versions, where = (_watch(a), _watch(b)), _PLACE_01
            else:
                versions, where = (_watch(b),), _PLACE_1
        elif mask & _A:
            versions, where = (_watch(a),), _PLACE_0
        edges = ((a.grad_fn or a._accumulator()) if arg else None,
                 (b.grad_fn or b._accumulator()) if brg else None)
        one = None  # both inputs want a gradient: vjp gives the pair
        if not brg:
            one, vjp = 0, singles[0]
        elif not arg:
            one, vjp = 1, singles[1]
        node = scalar_node(op, (av, bv) if saves else None, edges, vjp, k, one, versions,
                           where)
    else:
        edges = node = None
    if node is None:
        t.grad_fn = None
        t._rg = False
        return t
    if edges[0].__class__ is Node or edges[1].__class__ is Node:
        node.feeds(edges, k)
    t.grad_fn = node
    t._rg = True
    return t


_NUMBERS: dict = {F32: {}, F64: {}}  # python number -> its value in the dtype


def _number(k: Any, b: float) -> float:
    """A Python number next to a scalar, in the scalar's dtype (it never widens it)."""
    cache = _NUMBERS[k]
    v = cache.get(b)
    if v is None:
        v = k.number(b)
        if b and b == b and len(cache) < 4096:  # not 0.0 / -0.0 (equal keys), not nan
            cache[b] = v
    return v


def _shape_message(ad: Any, bd: Any) -> str:
    sa, sb = np.shape(ad)[::-1], np.shape(bd)[::-1]
    for i, (x, y) in enumerate(zip(sa, sb, strict=False)):
        if x != y and x != 1 and y != 1:
            dim = max(len(sa), len(sb)) - 1 - i
            return (f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                    f"non-singleton dimension {dim}")
    return f"shapes {np.shape(ad)} and {np.shape(bd)} cannot be broadcast together"
