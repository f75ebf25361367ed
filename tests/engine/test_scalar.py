"""The scalar maths module (engine/scalar.py): its float32 rounding is the IEEE cast, its
elementary float32 steps are numpy's float32 operations bit for bit, and special values come
out as IEEE says (where Python's math raises)."""

from __future__ import annotations

import math
import random
import struct

import numpy as np
import pytest

from gradstudio.engine import dtypes, scalar
from gradstudio.engine.scalar import F32, F64, round32


def _bits(v: float) -> bytes:
    return struct.pack("d", v)


def _doubles(n: int, seed: int = 3) -> list[float]:
    """Doubles over float32's whole range and beyond, subnormals and the overflow edge."""
    rng = random.Random(seed)
    values = [rng.uniform(-1, 1) * 2.0 ** rng.randint(-160, 140) for _ in range(n)]
    edge = float(np.finfo(np.float32).max)
    values += [edge, math.nextafter(edge, math.inf), edge * (1 + 2**-25), edge * (1 + 2**-24),
               1e-45, 7e-46, 1.4e-45, 0.0, -0.0, math.inf, -math.inf, 1 + 2**-24, 1 + 3 * 2**-24]
    return values


def test_round32_is_the_ieee_cast_to_float32() -> None:
    with np.errstate(over="ignore"):
        for v in _doubles(20_000):
            assert _bits(round32(v)) == _bits(float(np.float32(v))), v
    assert math.isnan(round32(math.nan))


def _float32_pairs(n: int, seed: int = 5) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)).astype(np.float32)
    b = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)).astype(np.float32)
    return list(zip(a.tolist(), b.tolist(), strict=True))


@pytest.mark.parametrize("name, ufunc", [("add", np.add), ("sub", np.subtract),
                                         ("mul", np.multiply), ("div", np.divide)])
def test_float32_arithmetic_is_numpys_float32_arithmetic(name: str, ufunc: np.ufunc) -> None:
    fn = getattr(F32, name)
    with np.errstate(all="ignore"):
        for a, b in _float32_pairs(5_000):
            expected = float(ufunc(np.float32(a), np.float32(b)))
            assert _bits(fn(a, b)) == _bits(expected), (a, b)


def test_float32_sqrt_is_correctly_rounded() -> None:
    for a, _ in _float32_pairs(5_000):
        a = abs(a)
        assert _bits(F32.sqrt(a)) == _bits(float(np.sqrt(np.float32(a)))), a


def test_float32_results_are_float32_values() -> None:
    """Every transcendental result is a float32 value (rounded), not the raw double."""
    for x in (0.1, 0.7, 2.5, -3.3):
        x = round32(x)
        for name in ("sin", "cos", "exp", "log", "tanh", "sigmoid", "reciprocal"):
            v = getattr(F32, name)(abs(x) if name == "log" else x)
            assert v == float(np.float32(v)), name
        assert F32.exp(x) != math.exp(x)  # so it really was rounded


def test_sigmoid_rounds_each_float_step() -> None:
    """1 / (1 + exp(-x)) in float: exp rounded, the sum rounded, the quotient rounded."""
    x = round32(0.3)
    e = np.float32(math.exp(-x))
    assert F32.sigmoid(x) == float(np.float32(1) / (np.float32(1) + e))
    o = F32.sigmoid(x)
    g = round32(0.7)
    assert F32.sigmoid_backward(o, g) == float(
        (np.float32(g) * (np.float32(1) - np.float32(o))) * np.float32(o))


def test_float64_is_plain_python_arithmetic() -> None:
    for a, b in _float32_pairs(1_000):
        a, b = a * 1.1, b * 0.3  # not float32 values
        assert F64.mul(a, b) == a * b and F64.add(a, b) == a + b
        if a > -700:
            assert F64.sigmoid(a) == 1 / (1 + math.exp(-a))
        assert F64.mul_backward(a, b, 0.5) == (0.5 * b, 0.5 * a)


@pytest.mark.parametrize("m", [F32, F64], ids=["float32", "float64"])
def test_special_values_follow_ieee(m: scalar.Maths) -> None:
    inf, nan = math.inf, math.nan
    assert m.log(0.0) == -inf and math.isnan(m.log(-1.0))
    assert m.div(1.0, 0.0) == inf and m.div(1.0, -0.0) == -inf and math.isnan(m.div(0.0, 0.0))
    assert m.reciprocal(-0.0) == -inf
    assert m.exp(1000.0) == inf and m.exp(-1000.0) == 0.0
    assert math.isnan(m.sin(inf)) and math.isnan(m.cos(-inf)) and math.isnan(m.sqrt(-1.0))
    assert m.sigmoid(-1000.0) == 0.0 and m.sigmoid(1000.0) == 1.0
    assert m.log_backward(0.0, 1.0) == inf
    assert math.isnan(m.pow(-8.0, 1 / 3))
    assert str(m.relu(-0.0)) == "-0.0" and math.isnan(m.relu(nan))
    assert m.clamp(nan, 0.0, 1.0) != m.clamp(nan, 0.0, 1.0)  # nan passes through
    assert m.abs_backward(0.0, 2.0) == 0.0 and m.abs_backward(-3.0, 2.0) == -2.0


def test_float32_overflows_where_float32_does() -> None:
    assert F32.exp(89.0) == math.inf and F64.exp(89.0) < math.inf
    assert F32.mul(3e38, 10.0) == math.inf


def test_pow_special_cases_match_the_engine_kernel() -> None:
    x = round32(1.7)
    assert F32.pow(x, 2) == F32.mul(x, x)
    assert F32.pow(x, 3) == F32.mul(F32.mul(x, x), x)
    assert F32.pow(x, -1) == F32.reciprocal(x)
    assert F32.pow(x, 0.5) == F32.sqrt(x)
    assert F32.pow(x, 0) == 1.0 and F32.pow_backward(x, 0, 5.0) == 0.0
    assert F32.pow_backward(x, 2, 1.0) == F32.mul(2.0, x)


def test_maths_by_dtype() -> None:
    assert scalar.maths(dtypes.float32) is F32 and scalar.maths("torch.float64") is F64
    assert scalar.maths(np.dtype(np.float32)) is F32
    with pytest.raises(TypeError, match="float32 and float64"):
        scalar.maths(dtypes.int64)
