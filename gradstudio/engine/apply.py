"""Applying an op: the arrays it runs on (PyTorch's type promotion), the grad_fn node it
leaves, and what that node must watch for in-place changes. Every op goes through
``_unary`` or ``_binary``; they run once per recorded operation, so they stay lean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .autograd import Node
from .grad_mode import STATE
from .tensor import Tensor, _wrap

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

    __slots__ = ("name", "forward", "backward", "saves", "saves_b", "saves_pair", "float_only")

    def __init__(self, name: str, forward: Callable, backward: Callable,
                 saves: int = SAVES_INPUTS, saves_b: int = SAVES_NOTHING) -> None:
        self.name = name  # PyTorch's grad_fn name, e.g. "SinBackward0"
        self.forward = forward
        self.backward = backward
        self.saves = saves
        self.saves_b = saves_b
        self.saves_pair = False  # saved is (a, b): drop the one no gradient will read
        self.float_only = False  # integer operands become float32 first (true division)

    def __repr__(self) -> str:
        return f"Op({self.name})"


OPS: dict[str, Op] = {}


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
        if op.saves == _A:  # the commonest record, without _versions' general walk
            node.versions = (_watch(a),)
        elif op.saves:
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
        result = _wrap(out, node)
        mask = (op.saves if a._rg else 0) | (op.saves_b if brg else 0)
        if mask and (mask != _B or b.__class__ is Tensor):  # not for a number like 1.01
            node.versions = _versions(mask, a, b, result)
        if op.saves_pair and mask != _A | _B:  # keep only what backward will read
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
