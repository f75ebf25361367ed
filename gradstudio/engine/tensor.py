"""Tensor: a numpy array plus what autograd needs to know about it.

A tensor is a leaf (made by the user, ``grad_fn`` is None) or the result of a recorded op
(``grad_fn`` is the Node that made it). Leaves that require grad collect gradients in
``.grad``. Its operators and methods (``x * y``, ``x.sin()``) hand over to functions.py,
which runs each op's one definition in ops.py.

A 0-d float32/float64 tensor is a *scalar* (``_k``: its scalar.py maths): ops on it take the
scalar fast path (Python floats, rounded to the dtype; see docs/architecture.md). Its value
is ``_v`` (a Python float) while no numpy view of it exists; ``_data`` is then made only when
something asks for it, as an immutable numpy scalar (``_d`` is None until then). The first view
(``detach()``, ``.data``, ``numpy()``: ``_storage``) makes a 0-d array the one truth:
``_v`` becomes None and the value is read from the array from then on, so writes through
any view are seen everywhere.
"""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import dtypes
from .autograd import (
    AccumulateGrad,
    Node,
    RemovableHandle,
    ScalarNode,
    gradient_list,
    run_backward,
)
from .grad_mode import STATE
from .printing import format_tensor
from .scalar import F32, F64, Maths

__all__ = ["Tensor", "Size"]

NO_GRAD_ERROR = "element 0 of tensors does not require grad and does not have a grad_fn"
NON_LEAF_FLAG_ERROR = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)
# PyTorch words this differently depending on the way in: factory, requires_grad_(), setter.
FACTORY_INT_GRAD_ERROR = "Only Tensors of floating point and complex dtype can require gradients"
METHOD_INT_GRAD_ERROR = "only Tensors of floating point dtype can require gradients"
SETTER_INT_GRAD_ERROR = "only Tensors of floating point and complex dtype can require gradients"
LEAF_INPLACE_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad field "
    "to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
    "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
    "github.com/pytorch/pytorch/pull/30531 for more information."
)
_DEFAULT_PRINTED = (dtypes.float32, dtypes.int64, dtypes.bool_)


def type_name(value: object) -> str:
    """A type as PyTorch's argument errors name it: ``str``, ``NoneType``, ``numpy.bool``."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__name__
    return f"{kind.__module__}.{kind.__qualname__}"


class Size(tuple):
    """A shape; prints as ``torch.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class Tensor:
    """An n-dimensional array that can record the operations made with it."""

    __slots__ = ("_d", "grad_fn", "_rg", "_grad", "_acc", "_vc", "_v", "_k", "__weakref__")
    __array_priority__ = 1000  # numpy scalars on the left defer to our operators

    def __init__(self, data: Any = ()) -> None:
        _init(self, _factories._to_array(data, dtypes.float32))

    @staticmethod
    def _from_array(array: Any) -> Tensor:
        """A plain tensor around an array: for autograd.py, which tensor.py imports."""
        return _wrap(array, None)

    @staticmethod
    def _from_scalar(v: float, k: Maths) -> Tensor:
        """A plain scalar tensor (fast path) of value v: for autograd.py."""
        return _fast(v, k, None)

    @property
    def _data(self) -> Any:
        """The numpy array (or numpy scalar) of the values; a scalar's is made from ``_v``
        when first asked for. (A property, not ``__getattr__``: that hook would slow down
        every attribute access of every tensor.)"""
        d = self._d
        if d is None:
            d = self._d = _NUMPY_TYPE[self._k](self._v)
        return d

    @_data.setter
    def _data(self, value: Any) -> None:
        self._d = value

    # --- autograd state ----------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value.__class__ is not bool:
            raise RuntimeError("requires_grad must be a bool")
        _set_requires_grad(self, value, SETTER_INT_GRAD_ERROR)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on a leaf; a computed tensor cannot be switched off."""
        if requires_grad.__class__ is not bool:  # as PyTorch: not 1, not "yes"
            raise TypeError(f"requires_grad_(): argument 'requires_grad' (position 1) must be "
                            f"bool, not {type_name(requires_grad)}")
        _set_requires_grad(self, requires_grad, METHOD_INT_GRAD_ERROR)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        if self.grad_fn is not None and self.grad_fn.retained is None:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"grad of type {type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_C_TYPE[value.dtype.name]}' "
                    f"to a tensor with grad_dtype '{self.dtype._title}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
                    "tensor's grad_dtype attribute with a specific dtype, or None to allow any "
                    "dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
                    "gradient may break downstream systems that assume they match.")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
                    f"of size '{list(self.shape)}'. Please ensure that the gradient and the "
                    "tensor are the same size")
        self._grad = value

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is not None

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` during backward."""
        if self.grad_fn is None:
            if not self._rg:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.grad_fn.retained is None:
            self.grad_fn.retained = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient."""
        if not self._rg:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn if self.grad_fn is not None else self._accumulator()
        if node.pre_hooks is None:
            node.pre_hooks = []
        node.pre_hooks.append(hook)
        return RemovableHandle(node.pre_hooks, hook)

    def _accumulator(self) -> AccumulateGrad:
        acc = self._acc
        if acc is None:
            acc = self._acc = AccumulateGrad(self)
        return acc

    def _node_for_backward(self) -> Any:
        if not self._rg:
            raise RuntimeError(NO_GRAD_ERROR)
        return self.grad_fn if self.grad_fn is not None else self._accumulator()

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Compute the gradient of this tensor with respect to every leaf that needs one,
        adding it into their ``.grad``."""
        if create_graph:
            raise NotImplementedError("create_graph=True (higher-order gradients) is not "
                                      "supported")
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...) is not supported")
        if gradient is not None and not isinstance(gradient, Tensor):
            (gradient,) = gradient_list(gradient, 1)  # a list of one, as torch.autograd.backward
        seed = _seed_gradient(self, gradient)
        run_backward((self._node_for_backward(),), (seed,), bool(retain_graph))

    def detach(self) -> Tensor:
        """The same values, sharing memory, cut from the graph (a leaf, no grad)."""
        t = _wrap(self._storage(), None)
        t._k = self._k
        t._vc = self._version_counter()
        return t

    def detach_(self) -> Tensor:
        self._version_counter()  # the node that saved this output keeps watching it
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self) -> Tensor:
        t = _wrap(self._storage(), None)
        t._k = self._k
        return t

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._storage() if value._k is not None else value._data
        self._v = None
        # a scalar only with a scalar's history: a numpy node is fed numpy gradients
        self._k = value._k if type(self.grad_fn) is not Node else None

    def _storage(self) -> np.ndarray:
        """The data as a mutable ndarray (0-d results of numpy ops are immutable scalars).
        A scalar's value lives in this array from now on: a view may write into it."""
        d = self._data
        if not isinstance(d, np.ndarray):
            d = self._data = np.array(d)
            if self._v is not None:
                _saved_output_in(d, self.grad_fn)
        self._v = None
        return d

    def _version_counter(self) -> list:
        """The counter of in-place writes, shared with detach()'s views; made when first
        needed, and then watched by the scalar node that saved this tensor as its output."""
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
            fn = self.grad_fn
            if fn.__class__ is ScalarNode:
                fn.watch_output(vc)
        return vc

    @property
    def _version(self) -> int:
        return 0 if self._vc is None else self._vc[0]

    def _assign(self, values: Any) -> None:
        """Write new values into this tensor's memory, so views made by detach() see them."""
        if self._v is not None:  # a scalar no view shares: its value is _v alone
            self._set_value(self._k.round(float(values)))
            self._version_counter()[0] += 1
            return
        d = self._storage()
        if not d.flags.writeable:
            d = self._data = np.array(d)
        np.copyto(d, values, casting="unsafe")
        self._version_counter()[0] += 1  # every in-place write counts, as in PyTorch

    def _set_value(self, v: float) -> None:
        """A scalar's new value (no view exists); the numpy cache, if made, is dropped."""
        self._v = v
        self._d = None

    def zero_(self) -> Tensor:
        self._check_inplace()
        self._assign(0)
        return self

    def fill_(self, value: float) -> Tensor:
        self._check_inplace()
        self._assign(value)
        return self

    def copy_(self, src: Any) -> Tensor:
        """Write src's values (broadcast to this shape) into this tensor. The copy is not
        recorded for backward."""
        self._check_inplace()
        values = np.asarray(src._data if isinstance(src, Tensor) else src)
        try:
            values = np.broadcast_to(values, np.shape(self._data))
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the "
                               f"size of tensor b ({list(values.shape)})") from None
        self._assign(values)
        return self

    def _check_inplace(self) -> None:
        if STATE.enabled and self._rg and self.grad_fn is None:
            raise RuntimeError(LEAF_INPLACE_ERROR)

    # --- facts ----------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        if self._k is not None:
            return _SCALAR_SHAPE
        return Size(np.shape(self._data))

    def size(self, dim: int | None = None) -> Size | int:
        shape = self.shape
        return shape if dim is None else shape[dim]

    @property
    def dtype(self) -> dtypes.dtype:
        k = self._k
        if k is not None:
            return _DTYPE[k]
        return dtypes.from_numpy(self._data.dtype)

    def dim(self) -> int:
        if self._k is not None:
            return 0
        return np.ndim(self._data)

    ndim = property(dim)

    def numel(self) -> int:
        return int(np.size(self._data))

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return _functions.reverse_dims(self)

    @property
    def device(self) -> str:
        return "cpu"

    def item(self) -> float | int | bool:
        if self._v is not None:
            return self._v
        if np.size(self._data) != 1:
            raise RuntimeError(f"a Tensor with {np.size(self._data)} elements cannot be "
                               "converted to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self) -> np.ndarray:
        if self._rg and STATE.enabled:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._storage()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return np.asarray(self._data, dtype=dtype)

    def __len__(self) -> int:
        if np.ndim(self._data) == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __bool__(self) -> bool:
        if np.size(self._data) != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self) -> float | int | bool:
        if self._v is not None:
            return self._v
        if np.size(self._data) != 1:  # item() says it differently, and raises RuntimeError
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.item()

    def __index__(self) -> int:
        if self.dtype.is_floating_point:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    # --- printing -------------------------------------------------------------------------
    def __repr__(self) -> str:
        dt = self.dtype
        fn = self.grad_fn
        return format_tensor(np.asarray(self._data), dtype_name=repr(dt),
                             default_dtype=dt in _DEFAULT_PRINTED,
                             grad_fn_name=None if fn is None else fn.name(),
                             requires_grad=self._rg)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if np.ndim(self._data) == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError("unsupported format string passed to Tensor.__format__")
        return repr(self)

    # --- operators and methods ------------------------------------------------------------
    # Each op is defined once: forward and backward in ops.py, its arguments in functions.py.
    # These are its spellings as an operator or a method and hand over to that function, so
    # ``x.sin()`` and ``torch.sin(x)`` cannot disagree. + - * / run their op directly: the
    # function forms add only what a number as first argument needs (``torch.add(2, x)``).
    def __add__(self, other: Tensor | float) -> Tensor:
        return _apply._binary(ops.ADD, self, other)

    def __sub__(self, other: Tensor | float) -> Tensor:
        return _apply._binary(ops.SUB, self, other)

    def __rsub__(self, other: float) -> Tensor:
        return _functions.rsub(self, other)

    def __mul__(self, other: Tensor | float) -> Tensor:
        return _apply._binary(ops.MUL, self, other)

    def __truediv__(self, other: Tensor | float) -> Tensor:
        return _apply._binary(ops.DIV, self, other)

    def __rtruediv__(self, other: float) -> Tensor:
        return _functions.rdiv(self, other)

    def __pow__(self, exponent: Tensor | float) -> Tensor:
        return _functions.pow(self, exponent)

    def __rpow__(self, base: float) -> Tensor:
        return _functions.rpow(self, base)

    def __neg__(self) -> Tensor:
        return _functions.neg(self)

    def __abs__(self) -> Tensor:
        return _functions.abs(self)

    add = __radd__ = __add__
    sub = __sub__
    mul = __rmul__ = __mul__
    div = __truediv__
    pow = __pow__  # noqa: A003
    neg = __neg__
    abs = __abs__  # noqa: A003

    # in place: ``w -= lr * w.grad`` writes into w's memory
    def __iadd__(self, other: Tensor | float) -> Tensor:
        return _functions.add_(self, other)

    def __isub__(self, other: Tensor | float) -> Tensor:
        return _functions.sub_(self, other)

    def __imul__(self, other: Tensor | float) -> Tensor:
        return _functions.mul_(self, other)

    def __itruediv__(self, other: Tensor | float) -> Tensor:
        return _functions.div_(self, other)

    add_, sub_, mul_, div_ = __iadd__, __isub__, __imul__, __itruediv__

    # comparisons give bool tensors; hashing stays by identity (__eq__ is elementwise)
    def __lt__(self, other: Tensor | float) -> Tensor:
        return _functions.lt(self, other)

    def __le__(self, other: Tensor | float) -> Tensor:
        return _functions.le(self, other)

    def __gt__(self, other: Tensor | float) -> Tensor:
        return _functions.gt(self, other)

    def __ge__(self, other: Tensor | float) -> Tensor:
        return _functions.ge(self, other)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return _functions.eq(self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return _functions.ne(self, other)

    __hash__ = object.__hash__

    def sin(self) -> Tensor:
        return _functions.sin(self)

    def cos(self) -> Tensor:
        return _functions.cos(self)

    def exp(self) -> Tensor:
        return _functions.exp(self)

    def log(self) -> Tensor:
        return _functions.log(self)

    def sigmoid(self) -> Tensor:
        return _functions.sigmoid(self)

    def tanh(self) -> Tensor:
        return _functions.tanh(self)

    def relu(self) -> Tensor:
        return _functions.relu(self)

    def sqrt(self) -> Tensor:
        return _functions.sqrt(self)

    def reciprocal(self) -> Tensor:
        return _functions.reciprocal(self)

    def square(self) -> Tensor:
        return _functions.square(self)

    def clone(self) -> Tensor:
        return _functions.clone(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return _functions.clamp(self, min, max)

    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False  # noqa: A003
            ) -> Tensor:
        return _functions.sum(self, dim, keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return _functions.mean(self, dim, keepdim)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        return _functions.to(self, *args, **kwargs)

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device: Any = None) -> Tensor:
        raise AssertionError("Torch not compiled with CUDA enabled")

    def double(self) -> Tensor:
        return _functions.to(self, dtypes.float64)

    def float(self) -> Tensor:  # noqa: A003 - defined last: it shadows float in this body
        return _functions.to(self, dtypes.float32)


_new = object.__new__


def _wrap(data: Any, fn: Any) -> Tensor:
    """The fast path every op result goes through."""
    t = _new(Tensor)
    t._d = data
    t.grad_fn = fn
    t._rg = fn is not None
    t._grad = None
    t._acc = None
    t._vc = None
    t._v = None
    t._k = None
    return t


def _fast(v: float, k: Maths, fn: Any) -> Tensor:
    """A 0-d float tensor of the scalar fast path: value ``v`` (already of k's dtype)."""
    t = _new(Tensor)
    t._d = None
    t._v = v
    t._k = k
    t.grad_fn = fn
    t._rg = fn is not None
    t._grad = None
    t._acc = None
    t._vc = None
    return t


def _result(out: Any, fn: Any) -> Tensor:
    """An op's result from the numpy path; a 0-d float32/float64 one is a scalar (the ops
    after it take the fast path, as after any other 0-d float value)."""
    t = _wrap(out, fn)
    if not out.ndim and out.dtype in _MATHS_OF:
        _as_scalar(t)
    return t


def _as_scalar(t: Tensor) -> Tensor:
    """A new leaf's 0-d float32/float64 array becomes a scalar of the fast path."""
    k = _MATHS_OF.get(t._d.dtype)
    if k is not None and t._d.ndim == 0:
        t._v = float(t._d)
        t._k = k
        t._d = None
    return t


def _init(t: Tensor, array: np.ndarray) -> None:
    """``Tensor(data)``: the fields _wrap sets, on an existing object."""
    t._d = array
    t.grad_fn = None
    t._rg = False
    t._grad = None
    t._acc = None
    t._vc = None
    t._v = None
    t._k = None


# The dtype, numpy scalar type and (empty) shape of the scalar fast path's tensors.
_DTYPE = {F32: dtypes.float32, F64: dtypes.float64}
_NUMPY_TYPE = {F32: np.float32, F64: np.float64}
_MATHS_OF = {np.dtype(np.float32): F32, np.dtype(np.float64): F64}
_SCALAR_SHAPE = Size(())


def _saved_output_in(array: np.ndarray, fn: Any) -> None:
    """A scalar whose grad_fn saved it as its output gets its first view: the node reads the
    array from now on, so a write through the view is seen by backward, as in PyTorch."""
    if type(fn) is ScalarNode and fn.op.saves == 2 and fn.saved is not None:  # SAVES_OUTPUT
        if fn.saved.__class__ is float:  # not freed by a backward
            fn.saved = array


def _set_requires_grad(t: Tensor, requires_grad: bool, int_message: str) -> None:
    if t.grad_fn is not None:
        if not requires_grad:
            raise RuntimeError(NON_LEAF_FLAG_ERROR)
        return
    if requires_grad and not t.dtype.is_floating_point:
        raise RuntimeError(int_message)
    t._rg = bool(requires_grad)


# PyTorch names the dtype of a rejected .grad by its C type
_C_TYPE = {"float16": "c10::Half", "float32": "float", "float64": "double", "int32": "int",
           "int64": "long int", "bool": "bool"}


def _seed_gradient(t: Tensor, gradient: Any) -> Any:
    """The gradient backward starts from: ones for a one-element tensor, else the given one,
    checked against the tensor's shape and cast to its dtype (a float for a scalar)."""
    k = t._k
    if k is not None and type(t.grad_fn) is not Node:  # a numpy node is seeded with numpy
        if gradient is None:
            return 1.0
        if gradient._k is not None:
            return k.round(gradient.item())
    dt = t._data.dtype
    if gradient is None:
        if t._rg and np.size(t._data) != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        return np.ones(np.shape(t._data), dtype=dt)
    g = np.asarray(gradient._data)
    if g.shape != np.shape(t._data):
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {Size(g.shape)!r} and output[0] "
            f"has a shape of {t.shape!r}.")
    return g.astype(dt, copy=True)


# Last, because these modules need Tensor: the methods above call into them.
from . import apply as _apply  # noqa: E402
from . import factories as _factories  # noqa: E402
from . import functions as _functions  # noqa: E402
from . import ops  # noqa: E402
