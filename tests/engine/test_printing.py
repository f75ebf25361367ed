"""Printed forms of tensors: exact text recorded from PyTorch 2.13, plus a live torch parity check.

The expected strings below are the "Printed forms" section of
tests/engine/data/pytorch_reference.md; inputs are rebuilt in numpy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradstudio.engine.printing import (
    PRINT_OPTIONS,
    PrintOptions,
    format_tensor,
    format_values,
    set_printoptions,
)

F16, F32, F64 = np.float16, np.float32, np.float64
I32, I64 = np.int32, np.int64

_TORCH_NAMES = {
    "float16": "torch.float16",
    "float32": "torch.float32",
    "float64": "torch.float64",
    "int32": "torch.int32",
    "int64": "torch.int64",
    "bool": "torch.bool",
}
_HIDDEN = {"torch.float32", "torch.int64", "torch.bool"}


def show(values: np.ndarray, grad_fn: str | None = None, requires_grad: bool = False) -> str:
    """format_tensor with the dtype arguments derived from the numpy dtype."""
    name = _TORCH_NAMES[values.dtype.name]
    return format_tensor(
        values,
        dtype_name=name,
        default_dtype=name in _HIDDEN,
        grad_fn_name=grad_fn,
        requires_grad=requires_grad,
    )


@pytest.fixture(autouse=True)
def _default_printoptions() -> Iterator[None]:
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")


def a(values: object, dtype: type = F32) -> np.ndarray:
    return np.array(values, dtype=dtype)


# (description from the reference, input, grad_fn, requires_grad, exact expected output)
REFERENCE = [
    ("tensor(3.)", a(3.0), None, False, "tensor(3.)"),
    ("tensor(9.) w/ grad_fn", a(9.0), "PowBackward0", True, "tensor(9., grad_fn=<PowBackward0>)"),
    ("tensor(-0.)", a(-0.0), None, False, "tensor(-0.)"),
    ("tensor(0.)", a(0.0), None, False, "tensor(0.)"),
    ("tensor(0.41211849)", a(0.41211849), None, False, "tensor(0.4121)"),
    ("tensor(100.5)", a(100.5), None, False, "tensor(100.5000)"),
    ("tensor(12345.678)", a(12345.678), None, False, "tensor(12345.6777)"),
    ("tensor(123456789.)", a(123456789.0), None, False, "tensor(1.2346e+08)"),
    ("tensor(1e8)", a(1e8), None, False, "tensor(100000000.)"),
    ("tensor(1.5e8)", a(1.5e8), None, False, "tensor(1.5000e+08)"),
    ("tensor(1e-4)", a(1e-4), None, False, "tensor(1.0000e-04)"),
    ("tensor(1e-4, f64)", a(1e-4, F64), None, False, "tensor(0.0001, dtype=torch.float64)"),
    ("tensor(9.9e-5)", a(9.9e-5), None, False, "tensor(9.9000e-05)"),
    ("tensor(0.00012345)", a(0.00012345), None, False, "tensor(0.0001)"),
    ("tensor(1e-12)", a(1e-12), None, False, "tensor(1.0000e-12)"),
    ("tensor(1e12)", a(1e12), None, False, "tensor(1.0000e+12)"),
    ("tensor(0.00015, f64)", a(0.00015, F64), None, False, "tensor(0.0001, dtype=torch.float64)"),
    ("tensor(0.00025, f64)", a(0.00025, F64), None, False, "tensor(0.0003, dtype=torch.float64)"),
    ("tensor(0.12345)", a(0.12345), None, False, "tensor(0.1235)"),
    ("tensor(0.12345, f64)", a(0.12345, F64), None, False, "tensor(0.1235, dtype=torch.float64)"),
    ("tensor(2.5)", a(2.5), None, False, "tensor(2.5000)"),
    ("tensor(inf)", a(math.inf), None, False, "tensor(inf)"),
    ("tensor(-inf)", a(-math.inf), None, False, "tensor(-inf)"),
    ("tensor(nan)", a(math.nan), None, False, "tensor(nan)"),
    ("tensor(3) int64", a(3, I64), None, False, "tensor(3)"),
    ("tensor(True)", a(True, bool), None, False, "tensor(True)"),
    ("tensor(3, int32)", a(3, I32), None, False, "tensor(3, dtype=torch.int32)"),
    ("tensor(3., f64)", a(3.0, F64), None, False, "tensor(3., dtype=torch.float64)"),
    ("tensor(3., f16)", a(3.0, F16), None, False, "tensor(3., dtype=torch.float16)"),
    (
        "tensor(3., f64, requires_grad)",
        a(3.0, F64),
        None,
        True,
        "tensor(3., dtype=torch.float64, requires_grad=True)",
    ),
    ("[1,2,3] float", a([1, 2, 3]), None, False, "tensor([1., 2., 3.])"),
    ("[0.6667,1.3333,2.]", a([2, 4, 6]) / F32(3), None, False, "tensor([0.6667, 1.3333, 2.0000])"),
    ("[0.2, 4, 60]", a([0.2, 4, 60]), None, False, "tensor([ 0.2000,  4.0000, 60.0000])"),
    ("[1, -2, 3]", a([1, -2, 3]), None, False, "tensor([ 1., -2.,  3.])"),
    ("[0.5, -0.25]", a([0.5, -0.25]), None, False, "tensor([ 0.5000, -0.2500])"),
    ("[100., 2., 3.] (padding)", a([100, 2, 3]), None, False, "tensor([100.,   2.,   3.])"),
    ("[1., inf, nan]", a([1, math.inf, math.nan]), None, False, "tensor([1., inf, nan])"),
    (
        "[0.5, inf, nan]",
        a([0.5, math.inf, math.nan]),
        None,
        False,
        "tensor([0.5000,    inf,    nan])",
    ),
    ("[0., 0.]", a([0, 0]), None, False, "tensor([0., 0.])"),
    ("[1., 1001.] ratio>1000, int", a([1, 1001]), None, False, "tensor([1.0000e+00, 1.0010e+03])"),
    ("[1., 1000.] ratio==1000", a([1, 1000]), None, False, "tensor([   1., 1000.])"),
    ("[0.1, 100.1] ratio 1001", a([0.1, 100.1]), None, False, "tensor([1.0000e-01, 1.0010e+02])"),
    (
        "[0.5, 1000.] ratio 2000 float",
        a([0.5, 1000]),
        None,
        False,
        "tensor([5.0000e-01, 1.0000e+03])",
    ),
    ("[1e-5, 1.]", a([1e-5, 1]), None, False, "tensor([1.0000e-05, 1.0000e+00])"),
    ("[0., 1e-5]", a([0, 1e-5]), None, False, "tensor([0.0000e+00, 1.0000e-05])"),
    ("[1, 2, 3] int64", a([1, 2, 3], I64), None, False, "tensor([1, 2, 3])"),
    ("[True, False]", a([True, False], bool), None, False, "tensor([ True, False])"),
    ("[] float", a([]), None, False, "tensor([])"),
    ("[] int", a([], I64), None, False, "tensor([], dtype=torch.int64)"),
    ("zeros(2,0)", np.zeros((2, 0), F32), None, False, "tensor([], size=(2, 0))"),
    (
        "2x3 float",
        a([[1, 2, 3], [4, 5, 6.5]]),
        None,
        False,
        "tensor([[1.0000, 2.0000, 3.0000],\n        [4.0000, 5.0000, 6.5000]])",
    ),
    (
        "2x2x2 int",
        np.arange(8, dtype=I64).reshape(2, 2, 2),
        None,
        False,
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]])",
    ),
    (
        "arange(30.)/7 (wrap)",
        np.arange(30, dtype=F32) / F32(7),
        None,
        False,
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n"
        "        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n"
        "        3.8571, 4.0000, 4.1429])",
    ),
    (
        "arange(1001.) (summarize)",
        np.arange(1001, dtype=F32),
        None,
        False,
        "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])",
    ),
    (
        "arange(25.) (wrap at linewidth 80)",
        np.arange(25, dtype=F32),
        None,
        False,
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24.])",
    ),
    (
        "ones(50,50) summarize 2D (2500 > 1000 elements)",
        np.ones((50, 50), F32),
        None,
        False,
        "tensor([[1., 1., 1.,  ..., 1., 1., 1.],\n"
        "        [1., 1., 1.,  ..., 1., 1., 1.],\n"
        "        [1., 1., 1.,  ..., 1., 1., 1.],\n"
        "        ...,\n"
        "        [1., 1., 1.,  ..., 1., 1., 1.],\n"
        "        [1., 1., 1.,  ..., 1., 1., 1.],\n"
        "        [1., 1., 1.,  ..., 1., 1., 1.]])",
    ),
    (
        "vector w/ grad_fn",
        a([1, 4, 9]),
        "PowBackward0",
        True,
        "tensor([1., 4., 9.], grad_fn=<PowBackward0>)",
    ),
    (
        "vector f64 w/ grad_fn wrap",
        np.arange(12, dtype=F64) / 7,
        "DivBackward0",
        True,
        "tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n"
        "        1.2857, 1.4286, 1.5714], dtype=torch.float64, grad_fn=<DivBackward0>)",
    ),
    (
        "long grad_fn wrap scalar f64",
        a(6.70123, F64),
        "BinaryCrossEntropyWithLogitsBackward0",
        True,
        "tensor(6.7012, dtype=torch.float64,\n"
        "       grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)",
    ),
    (
        "requires_grad vector",
        a([0.1, 0.2]),
        None,
        True,
        "tensor([0.1000, 0.2000], requires_grad=True)",
    ),
]


@pytest.mark.parametrize(
    ("values", "grad_fn", "requires_grad", "expected"),
    [case[1:] for case in REFERENCE],
    ids=[case[0] for case in REFERENCE],
)
def test_reference_printed_forms(
    values: np.ndarray, grad_fn: str | None, requires_grad: bool, expected: str
) -> None:
    assert show(values, grad_fn, requires_grad) == expected


def test_precision_2() -> None:
    set_printoptions(precision=2)
    assert show(a([1.2345, 2.0])) == "tensor([1.23, 2.00])"


def test_sci_mode_false() -> None:
    set_printoptions(sci_mode=False)
    assert show(a([1e-5, 1.0])) == "tensor([0.0000, 1.0000])"


def test_defaults_and_profiles() -> None:
    assert PRINT_OPTIONS == PrintOptions()
    set_printoptions(profile="short")
    assert (PRINT_OPTIONS.precision, PRINT_OPTIONS.edgeitems) == (2, 2)
    assert show(np.arange(1001, dtype=F32) / 10) == "tensor([  0.00,   0.10,  ...,  99.90, 100.00])"
    set_printoptions(profile="full")
    assert PRINT_OPTIONS.threshold == math.inf
    assert show(np.arange(1001, dtype=F32)).count(",") == 1000
    set_printoptions(profile="default", precision=6)  # explicit arguments override the profile
    assert PRINT_OPTIONS.precision == 6


def test_sci_mode_is_reset_by_any_call() -> None:
    """Like torch, every set_printoptions call assigns sci_mode (None when omitted)."""
    set_printoptions(sci_mode=True)
    assert show(a([1.0, 2.0])) == "tensor([1.0000e+00, 2.0000e+00])"
    set_printoptions(precision=4)
    assert PRINT_OPTIONS.sci_mode is None
    assert show(a([1.0, 2.0])) == "tensor([1., 2.])"


def test_edgeitems_zero_shows_size() -> None:
    set_printoptions(threshold=3, edgeitems=0)
    assert show(np.arange(10, dtype=I64)) == "tensor([...], size=(10,))"
    assert show(np.ones((4, 5), F32)) == "tensor([...], size=(4, 5))"


def test_format_values_is_the_body_only() -> None:
    assert format_values(a([1.0, 2.0])) == "[1., 2.]"
    assert format_values(a(0.5)) == "0.5000"
    assert format_values(a([])) == "[]"
    assert format_values(np.eye(2, dtype=F32), indent=0) == "[[1., 0.],\n [0., 1.]]"


# ---------------------------------------------------------------- parity with live PyTorch

_FLOAT_KINDS = {
    "ordinary": st.floats(-100, 100, allow_nan=False),
    "decimal": st.integers(-(10**6), 10**6).map(lambda i: i / 10**4),
    "binary": st.integers(-(10**5), 10**5).map(lambda i: i / 2**12),
    "tiny": st.floats(1e-30, 1e-4),
    "huge": st.floats(1e4, 1e30),
    "integer": st.integers(-(10**9), 10**9).map(float),
    "special": st.sampled_from([0.0, -0.0, math.inf, -math.inf, math.nan]),
}
_INT_KINDS = {
    "small": st.integers(-20, 20),
    "large": st.integers(-(2**40), 2**40),
}
_DTYPES = ["float32", "float64", "float16", "int64", "int32", "bool"]


@st.composite
def tensors_data(draw: st.DrawFn) -> np.ndarray:
    """A small numpy array of a torch-supported dtype, values mixed from a few magnitudes."""
    dtype = draw(st.sampled_from(_DTYPES))
    ndim = draw(st.sampled_from([0, 1, 1, 1, 2, 2, 3]))
    if ndim == 0:
        shape: tuple[int, ...] = ()
    elif ndim == 1:
        shape = (draw(st.integers(0, 40)),)
    else:
        shape = tuple(
            draw(st.integers(0 if ndim == 2 else 1, 6 if ndim == 2 else 3)) for _ in range(ndim)
        )
    if dtype == "bool":
        elements = st.booleans()
    else:
        table = _FLOAT_KINDS if dtype.startswith("float") else _INT_KINDS
        kinds = draw(st.lists(st.sampled_from(sorted(table)), min_size=1, max_size=3, unique=True))
        elements = st.one_of([table[k] for k in kinds])
        if dtype.startswith("float"):
            elements = st.tuples(elements, st.booleans()).map(lambda p: -p[0] if p[1] else p[0])
    count = math.prod(shape)
    values = draw(st.lists(elements, min_size=count, max_size=count))
    if dtype == "int32":
        values = [int(np.clip(v, -(2**31), 2**31 - 1)) for v in values]
    with np.errstate(over="ignore"):
        return np.array(values, dtype=dtype).reshape(shape)


@pytest.mark.torch
@settings(max_examples=300, deadline=None)
@given(arr=tensors_data(), mode=st.sampled_from(["plain", "requires_grad", "grad_fn"]))
def test_parity_with_torch(arr: np.ndarray, mode: str) -> None:
    torch = pytest.importorskip("torch")
    floating = arr.dtype.kind == "f"
    if mode == "plain" or not floating:
        expected = repr(torch.tensor(arr))
        assert show(arr) == expected
    elif mode == "requires_grad":
        expected = repr(torch.tensor(arr, requires_grad=True))
        assert show(arr, requires_grad=True) == expected
    else:
        expected = repr(torch.tensor(arr, requires_grad=True) * 1)
        assert show(arr, grad_fn="MulBackward0", requires_grad=True) == expected


_OPTIONS = st.fixed_dictionaries(
    {
        "precision": st.integers(0, 8),
        "threshold": st.integers(1, 60),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(10, 120),
        "sci_mode": st.sampled_from([None, True, False]),
    }
)


@pytest.mark.torch
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arr=tensors_data(), options=_OPTIONS)
def test_parity_with_torch_under_print_options(arr: np.ndarray, options: dict) -> None:
    torch = pytest.importorskip("torch")
    try:
        torch.set_printoptions(**options)
        set_printoptions(**options)
        assert show(arr) == repr(torch.tensor(arr))
    finally:
        torch.set_printoptions(profile="default")
        set_printoptions(profile="default")
