"""Making tensors: ``torch.tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``*_like``.

Their arguments are checked the way PyTorch checks them (same exception type, and its
message where that is stable), so a wrong argument fails here, not later or silently.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from . import dtypes
from .tensor import (
    FACTORY_INT_GRAD_ERROR,
    Tensor,
    _as_scalar,
    _set_requires_grad,
    _wrap,
    type_name,
)

__all__ = ["tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "arange", "is_tensor"]

_NUMBERS = (bool, int, float, np.bool_, np.number)
_DEVICE = re.compile(r"[a-zA-Z_]+(:(0|[1-9][0-9]*))?")  # PyTorch's device string: type[:index]
_INT64 = (-(2**63), 2**63 - 1)
_OVERFLOW = "value cannot be converted to type int64_t without overflow"


def _dtype_arg(fn: str, dtype: Any) -> dtypes.dtype | None:
    """A dtype argument: an engine dtype, or Python's float, int or bool as PyTorch allows;
    a name such as "float32" or a numpy type is refused, as PyTorch refuses it."""
    if dtype is None or isinstance(dtype, dtypes.dtype):
        return dtype
    if dtype is float or dtype is int or dtype is bool:
        return dtypes.as_dtype(dtype)
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type_name(dtype)}")


def _check_device(fn: str, device: Any) -> None:
    """Only the CPU exists here; asking for CUDA fails as in PyTorch built without it."""
    if device is None:
        return
    if not isinstance(device, str):
        if type(device).__name__ == "device":  # a torch.device-like object: read its name
            device = str(device)
        elif isinstance(device, int):
            raise RuntimeError("Cannot access accelerator device when none is available.")
        else:
            raise TypeError(f"{fn}(): argument 'device' must be torch.device, not "
                            f"{type_name(device)}")
    if not _DEVICE.fullmatch(device):
        raise RuntimeError(f"Invalid device string: '{device}'")
    kind = device.split(":")[0]
    if kind == "cpu":
        return
    if kind == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    raise RuntimeError(f"Expected one of cpu, cuda, ... device type at start of device "
                       f"string: {device}")


_TO_USAGE = ("but expected one of: (torch.device device = None, torch.dtype dtype = None, "
             "bool non_blocking = False, bool copy = False), (torch.dtype dtype, bool "
             "non_blocking = False, bool copy = False), (Tensor tensor, bool non_blocking = "
             "False, bool copy = False)")


def _is_dtype(value: Any) -> bool:
    return isinstance(value, dtypes.dtype) or value is float or value is int or value is bool


def to_arguments(args: tuple, kwargs: dict) -> dtypes.dtype | None:
    """The dtype ``Tensor.to(*args, **kwargs)`` asks for (None: keep it), after PyTorch's
    checks: a string is a device (only the CPU exists), a keyword dtype must be a dtype."""
    kwargs = {k: v for k, v in kwargs.items() if k not in ("non_blocking", "copy")}
    given = dict(kwargs)

    def invalid() -> TypeError:
        got = [_arg_type(a) if not isinstance(a, dtypes.dtype) else "torch.dtype"
               for a in args]
        got += [f"{k}={_arg_type(v)}" for k, v in given.items()]
        return TypeError(f"to() received an invalid combination of arguments - got "
                         f"({', '.join(got)}, ), {_TO_USAGE}" if given and not args else
                         f"to() received an invalid combination of arguments - got "
                         f"({', '.join(got)}), {_TO_USAGE}")

    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    if kwargs or len(args) > 2:
        raise invalid()
    if dtype is not None and not _is_dtype(dtype):
        raise invalid()
    rest = list(args)
    if rest and (isinstance(rest[0], (str, int)) and not isinstance(rest[0], bool) or
                 type(rest[0]).__name__ == "device"):
        device = rest.pop(0)
    if rest:
        first = rest.pop(0)
        if isinstance(first, Tensor):
            dtype = first.dtype
        elif _is_dtype(first):
            dtype = first
        elif first is not None:
            raise invalid()
    if rest:
        raise invalid()
    _check_device("to", device)
    return None if dtype is None else dtypes.as_dtype(dtype)


def _leaf(fn: str, array: Any, requires_grad: Any, device: Any) -> Tensor:
    """A new leaf around ``array``, after the checks every factory shares."""
    if requires_grad.__class__ is not bool:  # PyTorch takes a bool only (not 1, not np.True_)
        raise TypeError(f"{fn}(): argument 'requires_grad' must be bool, not "
                        f"{type_name(requires_grad)}")
    _check_device(fn, device)
    t = _as_scalar(_wrap(array, None))
    if requires_grad:
        _set_requires_grad(t, True, FACTORY_INT_GRAD_ERROR)
    return t


def _infer_dtype(data: Any) -> dtypes.dtype:
    """The dtype PyTorch would pick for nested Python numbers: bool < int < float."""
    kinds = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (bool, np.bool_)):
            kinds.add(0)
        elif isinstance(item, (int, np.integer)):
            kinds.add(1)
        elif isinstance(item, (float, np.floating)):
            kinds.add(2)
        elif isinstance(item, str):
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(item).__name__}")
    return {0: dtypes.bool_, 1: dtypes.int64}.get(max(kinds, default=2), dtypes.float32)


def _plain(data: Any) -> Any:
    """Nested sequences with tensors and arrays inside turned into lists of numbers (a tuple
    into a _TupleList, so messages can still call it a tuple)."""
    if isinstance(data, tuple):
        return _TupleList(_plain(x) for x in data)
    if isinstance(data, list):
        return [_plain(x) for x in data]
    if isinstance(data, Tensor):
        return data._data.tolist()
    if isinstance(data, np.ndarray):
        return data.tolist()
    return data


def _nested_sizes(data: list, dt: dtypes.dtype) -> list:
    """The shape of nested lists, read along the first elements, then every list checked
    against it, with PyTorch's messages for ragged data."""
    sizes = []
    seq = data
    while isinstance(seq, list):
        sizes.append(len(seq))
        if not seq:
            break
        seq = seq[0]
    if 0 not in sizes:
        _check_nested(data, sizes, 0, dt)
    return sizes


def _check_nested(obj: Any, sizes: list, dim: int, dt: dtypes.dtype) -> None:
    if dim == len(sizes):
        if isinstance(obj, list):
            raise TypeError(f"must be real number, not {_SEQ_NAME[type(obj)]}"
                            if dt.is_floating_point else
                            f"'{_SEQ_NAME[type(obj)]}' object cannot be interpreted as an integer")
        return
    if not isinstance(obj, list):
        raise TypeError("not a sequence")
    if len(obj) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                         f"(got {len(obj)})")
    for item in obj:
        _check_nested(item, sizes, dim + 1, dt)


class _TupleList(list):
    """A tuple in the user's data."""


_SEQ_NAME = {list: "list", _TupleList: "tuple"}


def _to_array(data: Any, dtype: dtypes.dtype | None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (np.ndarray, np.generic)):
        dt = dtypes.from_numpy(data.dtype) if dtype is None else dtype
        return np.array(data, dtype=dt.numpy)
    if isinstance(data, (list, tuple)):
        data = _plain(data)
        dt = _infer_dtype(data) if dtype is None else dtype
        sizes = _nested_sizes(data, dt)
        if 0 in sizes:
            return np.zeros(sizes, dtype=dt.numpy)
        return _numbers_array(data, dt)
    return _numbers_array(data, _infer_dtype(data) if dtype is None else dtype)


def _numbers_array(data: Any, dt: dtypes.dtype) -> np.ndarray:
    try:
        return np.array(data, dtype=dt.numpy)
    except OverflowError:  # a Python int beyond int64 (or the integer dtype asked for)
        raise ValueError("Overflow when unpacking long long") from None


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
           ) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (a number, nested lists, an array)."""
    dt = _dtype_arg("tensor", dtype)
    return _leaf("tensor", _to_array(data, dt), requires_grad, device)


def is_tensor(obj: object) -> bool:
    return isinstance(obj, Tensor)


def _arg_type(value: object) -> str:
    return "Tensor" if isinstance(value, Tensor) else type_name(value)


def _whole(value: object) -> bool:
    """A size PyTorch takes: a Python or numpy int (bool too, inside a sequence) or a
    one-element integer tensor."""
    if isinstance(value, Tensor):
        return value._data.dtype.kind in "iub" and value._data.size == 1
    return isinstance(value, (int, np.integer))


def _size_arg(fn: str, size: tuple, bare_int: bool = True) -> tuple[int, ...]:
    """A size given as ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros([2, 3])``, checked as
    PyTorch's argument parser checks it (its messages, quirks included: the first element's
    position counts from 0, a later one's from 1)."""
    if len(size) == 1:
        only = size[0]
        if isinstance(only, (tuple, list)):
            items = only
        elif bare_int and _whole(only) and not isinstance(only, bool):
            return (int(only),)
        else:
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{_arg_type(only)}")
    else:
        if any(isinstance(s, (tuple, list)) for s in size):
            raise TypeError(f"{fn}() takes 1 positional argument but {len(size)} were given")
        items = size
    for i, item in enumerate(items):
        if not _whole(item):
            if i == 0:
                raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, "
                                f"but found element of type {_arg_type(item)} at pos 0")
            raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{_arg_type(item)}\"")
    return tuple(int(item) for item in items)


def _tensor_arg(fn: str, t: Any) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type_name(t)}")
    return t


def _filled(fn: str, shape: tuple, value: Any, dtype: dtypes.dtype | None,
            requires_grad: Any, device: Any) -> Tensor:
    dt = dtypes.float32 if dtype is None else dtype
    negative = [n for n in shape if n < 0]
    if negative:
        raise RuntimeError("zeros: Dimension size must be non-negative." if fn == "zeros" else
                           f"Trying to create tensor with negative dimension {negative[0]}: "
                           f"{list(shape)}")
    try:
        array = np.full(shape, value, dtype=dt.numpy)
    except MemoryError:
        size = int(np.prod(shape, dtype=np.float64)) * dt.itemsize
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to "
                           f"allocate {size} bytes.") from None
    return _leaf(fn, array, requires_grad, device)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
          ) -> Tensor:
    return _filled("zeros", _size_arg("zeros", size), 0, _dtype_arg("zeros", dtype), requires_grad,
                   device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
         ) -> Tensor:
    return _filled("ones", _size_arg("ones", size), 1, _dtype_arg("ones", dtype), requires_grad,
                   device)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    if not isinstance(fill_value, (*_NUMBERS, Tensor)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type_name(fill_value)}")
    shape = _size_arg("full", (size,), bare_int=False)
    dt = _dtype_arg("full", dtype)
    if dt is None and isinstance(fill_value, (bool, int)):
        dt = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
    if isinstance(fill_value, int) and not isinstance(fill_value, bool) and \
            not dt.is_floating_point:
        _check_int64(fill_value)
    return _filled("full", shape, fill_value, dt, requires_grad, device)


def _check_int64(value: int) -> None:
    """A Python int as PyTorch's int64 scalar takes it: past int64 but within uint64 is its
    overflow error, further out the unpacker's."""
    if _INT64[0] <= value <= _INT64[1]:
        return
    if 0 <= value < 2**64:
        raise RuntimeError(_OVERFLOW)
    raise OverflowError("int too big to convert" if value > 0 else
                        "can't convert negative int to unsigned")


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None
               ) -> Tensor:
    t = _tensor_arg("zeros_like", t)
    dt = _dtype_arg("zeros_like", dtype)
    return _filled("zeros_like", t.shape, 0, dt or t.dtype, requires_grad, device)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None
              ) -> Tensor:
    t = _tensor_arg("ones_like", t)
    dt = _dtype_arg("ones_like", dtype)
    return _filled("ones_like", t.shape, 1, dt or t.dtype, requires_grad, device)


_ONE = object()  # arange's step when none is given (a step of None is refused)


def arange(start: float, end: float | None = None, step: Any = _ONE, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    given = (start,) if end is None else (start, end) if step is _ONE else (start, end, step)
    step = 1 if step is _ONE else step
    bad = [v for v in given if not isinstance(v, (*_NUMBERS, Tensor))]
    if bad and end is None:
        raise TypeError(f"arange(): argument 'end' (position 1) must be Number, not "
                        f"{type_name(start)}")
    if bad:
        raise TypeError(f"arange() received an invalid combination of arguments - got "
                        f"({', '.join(_arg_type(v) for v in given)}), but expected one of: "
                        f"(Number end), (Number start, Number end), "
                        f"(Number start, Number end, Number step)")
    if end is None:
        start, end = 0, start
    for v in (start, end, step):
        if isinstance(v, int) and not isinstance(v, bool) and not \
                _INT64[0] <= v <= _INT64[1]:
            raise RuntimeError(_OVERFLOW)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {_number(start)} -> {_number(end)}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = _dtype_arg("arange", dtype)
    if dt is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dt = dtypes.int64 if ints else dtypes.float32
    count = math.ceil((end - start) / step) if math.isfinite(step) else 0
    if count > _INT64[1]:
        raise RuntimeError("invalid size, possible overflow?")
    try:
        array = np.arange(start, end, step, dtype=np.float64).astype(dt.numpy) if count \
            else np.zeros(0, dtype=dt.numpy)
    except (MemoryError, ValueError):  # numpy's "Maximum allowed size exceeded"
        raise RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to "
                           f"allocate {count * dt.itemsize} bytes.") from None
    return _leaf("arange", array, requires_grad, device)


def _number(value: float) -> str:
    """A number as PyTorch's C++ prints a double in messages (6 significant digits)."""
    return str(value) if isinstance(value, int) else f"{value:g}"
