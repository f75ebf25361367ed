"""The element types a tensor can hold, named and promoted the way PyTorch does it."""

from __future__ import annotations

import numpy as np

__all__ = ["dtype", "float16", "float32", "float64", "int32", "int64", "bool_", "from_numpy",
           "as_dtype", "promote_types", "get_default_dtype"]

# Categories order the kinds of number: a float beats an int beats a bool.
_BOOL, _INT, _FLOAT = 0, 1, 2


class dtype:  # noqa: N801 - spelled like torch.dtype
    """A tensor element type; prints as ``torch.float32`` so error texts match PyTorch."""

    __slots__ = ("name", "numpy", "category", "is_floating_point", "itemsize", "_title")

    def __init__(self, name: str, numpy_type: type, category: int, title: str) -> None:
        self.name = name
        self.numpy = np.dtype(numpy_type)
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.itemsize = self.numpy.itemsize
        self._title = title  # PyTorch's scalar-type name, used in some messages ("Float")

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name if self.name != "bool" else "bool_"


float16 = dtype("float16", np.float16, _FLOAT, "Half")
float32 = dtype("float32", np.float32, _FLOAT, "Float")
float64 = dtype("float64", np.float64, _FLOAT, "Double")
int32 = dtype("int32", np.int32, _INT, "Int")
int64 = dtype("int64", np.int64, _INT, "Long")
bool_ = dtype("bool", np.bool_, _BOOL, "Bool")

_ALL = (float16, float32, float64, int32, int64, bool_)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32}
_ALIASES.update({d.name: d for d in _ALL})


def get_default_dtype() -> dtype:
    """Floats are float32 unless asked otherwise, as in PyTorch."""
    return float32


def from_numpy(np_dtype: np.dtype) -> dtype:
    """The engine dtype for a numpy dtype; unsupported kinds are refused by name."""
    try:
        return _BY_NUMPY[np_dtype]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only "
            "supported types are: float64, float32, float16, int64, int32, and bool."
        ) from None


def as_dtype(value: object) -> dtype:
    """Accept an engine dtype, a numpy dtype or type, or a name like 'float64'."""
    if isinstance(value, dtype):
        return value
    if isinstance(value, str) and value.removeprefix("torch.") in _ALIASES:
        return _ALIASES[value.removeprefix("torch.")]
    try:
        return from_numpy(np.dtype(value))
    except TypeError:
        raise TypeError(f"unknown dtype {value!r}: use float32, float64, float16, int32, "
                        "int64 or bool") from None


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest type both fit in: the higher category wins, else the wider type."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


def combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """PyTorch's rule for mixing priority groups (dimensioned tensors over 0-d over numbers):
    a lower group only matters when it brings a higher category of number."""
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher.category == _BOOL or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher
