"""Making tensors: ``torch.tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``*_like``.

Their arguments are checked the way PyTorch checks them (same exception type, and its
message where that is stable), so a wrong argument fails here, not later or silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .tensor import FACTORY_INT_GRAD_ERROR, Tensor, _set_requires_grad, _wrap, type_name

__all__ = ["tensor", "zeros", "ones", "zeros_like", "ones_like", "full", "arange", "is_tensor"]

_NUMBERS = (bool, int, float, np.bool_, np.number)


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
    kind = device.split(":")[0]
    if kind == "cpu":
        return
    if kind == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    raise RuntimeError(f"Expected one of cpu, cuda, ... device type at start of device "
                       f"string: {device}")


def _leaf(fn: str, array: Any, requires_grad: Any, device: Any) -> Tensor:
    """A new leaf around ``array``, after the checks every factory shares."""
    if requires_grad.__class__ is not bool:  # PyTorch takes a bool only (not 1, not np.True_)
        raise TypeError(f"{fn}(): argument 'requires_grad' must be bool, not "
                        f"{type_name(requires_grad)}")
    _check_device(fn, device)
    t = _wrap(array, None)
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


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (np.ndarray, np.generic)):
        dt = dtypes.from_numpy(data.dtype) if dtype is None else dtypes.as_dtype(dtype)
        return np.array(data, dtype=dt.numpy)
    if isinstance(data, (list, tuple)):
        dt = dtypes.as_dtype(dtype) if dtype is not None else None
        data = _plain(data)
        dt = _infer_dtype(data) if dt is None else dt
        sizes = _nested_sizes(data, dt)
        if 0 in sizes:
            return np.zeros(sizes, dtype=dt.numpy)
        return np.array(data, dtype=dt.numpy)
    dt = _infer_dtype(data) if dtype is None else dtypes.as_dtype(dtype)
    return np.array(data, dtype=dt.numpy)


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


def _shape_arg(size: tuple) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


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
    return _filled("zeros", _shape_arg(size), 0, _dtype_arg("zeros", dtype), requires_grad,
                   device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False, device: Any = None
         ) -> Tensor:
    return _filled("ones", _shape_arg(size), 1, _dtype_arg("ones", dtype), requires_grad,
                   device)


def full(size: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    if not isinstance(fill_value, (*_NUMBERS, Tensor)):
        raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type_name(fill_value)}")
    dt = _dtype_arg("full", dtype)
    if dt is None and isinstance(fill_value, (bool, int)):
        dt = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
    return _filled("full", tuple(size), fill_value, dt, requires_grad, device)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None
               ) -> Tensor:
    dt = _dtype_arg("zeros_like", dtype)
    return _filled("zeros_like", t.shape, 0, dt or t.dtype, requires_grad, device)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, device: Any = None
              ) -> Tensor:
    dt = _dtype_arg("ones_like", dtype)
    return _filled("ones_like", t.shape, 1, dt or t.dtype, requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           requires_grad: bool = False, device: Any = None) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dt = _dtype_arg("arange", dtype)
    if dt is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dt = dtypes.int64 if ints else dtypes.float32
    array = np.arange(start, end, step, dtype=np.float64).astype(dt.numpy)
    return _leaf("arange", array, requires_grad, device)
