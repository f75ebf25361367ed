"""Vector memory of the engine's kernels (engine/ops.py) and backward (engine/autograd.py):
the backward formulas that work in their own fresh buffers give the plain formula's bits,
and a BCE, MSE or tanh forward + backward on a 1e6 vector keeps a stated number of
full-size buffers alive at its peak (tracemalloc: numpy reports its buffers to it)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

import gradstudio.engine as ge
from gradstudio.engine import ops
from gradstudio.graph.catalog import binary_cross_entropy, mean_squared_error

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _inputs(dtype: str, seed: int, n: int = 4_000) -> tuple[np.ndarray, np.ndarray]:
    """Random numbers of both signs and several magnitudes, with the special values."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 4, n)).astype(dtype)
    g = (rng.standard_normal(n) * 3).astype(dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-40, 1.0], dtype)
    x[:8], g[8:16] = special, special
    return x, g


def _same_bits(got: object, want: object) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    return got.dtype == want.dtype and got.shape == want.shape \
        and got.tobytes() == want.tobytes()


# each op's backward as the plain formula (what the engine computed before its kernels
# worked in their own buffers): input (or saved output) x, incoming gradient g
PLAIN: dict[str, tuple[ops.Op, Callable, Callable]] = {
    "cos": (ops.COS, lambda a: a, lambda a, g: g * -np.sin(a)),
    "tanh": (ops.TANH, np.tanh, lambda o, g: g * (1 - o * o)),
    "sqrt": (ops.SQRT, np.sqrt, lambda o, g: g / (2 * o)),
    "abs": (ops.ABS, lambda a: a, lambda a, g: g * np.sign(a)),
    "reciprocal": (ops.RECIPROCAL, lambda a: 1 / a, lambda o, g: -g * (o * o)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(PLAIN))
def test_unary_backwards_give_the_plain_formulas_bits(name: str, dtype: str) -> None:
    op, saved_of, plain = PLAIN[name]
    for seed in range(3):
        x, g = _inputs(dtype, seed)
        saved = saved_of(x)
        for grad in (g, np.broadcast_to(g[:1], g.shape), 0.75):  # own, a broadcast, a float
            (got,) = op.backward(saved, grad, (True,))
            assert _same_bits(got, plain(saved, grad)), (name, seed, type(grad))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("e", [2, 3, 0.5, -1, -2, 2.5, 1])
def test_pow_backward_gives_the_plain_formulas_bits(e: float, dtype: str) -> None:
    x, g = _inputs(dtype, 4)
    (got,) = ops.POW.backward((x, e), g, (True,))
    assert _same_bits(got, g * (e * ops._powf(x, e - 1)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_div_backward_gives_the_plain_formulas_bits(dtype: str) -> None:
    a, g = _inputs(dtype, 5)
    b, _ = _inputs(dtype, 6)
    for needs in ((True, True), (None, True), (True, None)):
        ga, gb = ops.DIV.backward((a, b), g, needs)
        assert (ga is None) == (needs[0] is None) and (gb is None) == (needs[1] is None)
        if ga is not None:
            assert _same_bits(ga, g / b)
        if gb is not None:
            assert _same_bits(gb, -g * ((a / b) / b))
    _, gb = ops.DIV.backward((a, b[:1]), g, (None, True))  # b broadcast: a fresh result
    assert _same_bits(gb, -g * ((a / b[:1]) / b[:1]))


def test_clamp_backward_is_the_two_sided_mask() -> None:
    x, g = _inputs("float32", 7)
    lo, hi = np.float32(-0.5), np.float32(2.0)
    (got,) = ops.CLAMP.backward((x, lo, hi), g, (True,))
    assert _same_bits(got, np.where((x >= lo) & (x <= hi), g, 0))


def test_bce_through_the_engine_gives_the_plain_formulas_bits() -> None:
    """The catalog's BCE node, forward and backward, against its formula written in numpy
    (clamp, the two logs, d/dp = -(t/q - (1-t)/(1-q)) inside [eps, 1-eps], op for op)."""
    rng = np.random.default_rng(8)
    p = rng.random(5_000).astype(np.float32)
    p[:4] = [0.0, 1.0, 1e-9, 1 - 1e-9]
    t = (rng.random(5_000) < 0.5).astype(np.float32)
    pt = ge.tensor(p).requires_grad_()
    loss = binary_cross_entropy(pt, ge.tensor(t))
    g = rng.standard_normal(5_000).astype(np.float32)
    loss.backward(ge.tensor(g))
    eps = np.float32(1e-8)
    one_minus = np.float32(1 - 1e-8)
    q = np.array(p)
    np.copyto(q, eps, where=q < eps)
    np.copyto(q, one_minus, where=q > one_minus)
    value = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    n = -g
    dq = -((n * (1 - t)) / (1 - q)) + (n * t) / q  # the later product arrives first
    want = np.where((p >= eps) & (p <= one_minus), dq, 0)
    assert _same_bits(loss.detach().numpy(), value)
    assert _same_bits(pt.grad.numpy(), want)


def _peak_buffers(run: Callable[[], None], n: int) -> float:
    """The peak of ``run`` above what was alive before it, in float32 vectors of n."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return (tracemalloc.get_traced_memory()[1] - base) / (4 * n)
    finally:
        tracemalloc.stop()


N = 1_000_000


def _forward_backward(loss_of: Callable[[ge.Tensor, ge.Tensor], ge.Tensor]) -> float:
    rng = np.random.default_rng(9)
    p = ge.tensor(rng.random(N, dtype=np.float32)).requires_grad_()
    t = ge.tensor((rng.random(N) < 0.5).astype(np.float32))

    def run() -> None:
        loss_of(p, t).backward()  # p.grad stays: one of the counted buffers

    return _peak_buffers(run, N)


# (loss, full-size buffers at the peak of forward + backward; before these kernels: 8.25,
# 3, 3): BCE's forward keeps q, 1 - t and 1 - q for backward and adds two products.
@pytest.mark.parametrize(("name", "loss_of", "most"), [
    ("bce", lambda p, t: binary_cross_entropy(p, t).mean(), 6.05),
    ("mse", mean_squared_error, 2.05),
    ("tanh", lambda p, t: ge.tanh(p).mean(), 2.05),
    ("sigmoid", lambda p, t: ge.sigmoid(p).mean(), 2.05),
])
def test_a_1e6_forward_and_backward_keeps_few_buffers(name: str, loss_of: Callable,
                                                      most: float) -> None:
    assert _forward_backward(loss_of) <= most, name


def test_backward_releases_what_each_node_watched() -> None:
    """After backward (no retain_graph) the inputs a node saved are gone with its saved
    values: the graph's intermediate arrays are freed though the loss tensor lives."""
    rng = np.random.default_rng(10)
    p = ge.tensor(rng.random(N, dtype=np.float32)).requires_grad_()
    t = ge.tensor(np.zeros(N, np.float32))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        loss = binary_cross_entropy(p, t).mean()
        kept = tracemalloc.get_traced_memory()[0] - base
        loss.backward()
        after = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert kept >= 3 * 4 * N  # q, 1 - t and 1 - q, for backward
    assert after <= 1.05 * 4 * N  # p.grad only
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
