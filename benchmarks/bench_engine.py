"""Engine benchmarks: the same code runs on ``gradstudio.engine`` and on ``torch``.

Each ``setup(lib)`` builds the inputs (not timed) and returns ``run`` (timed), which returns
the numbers both libraries must agree on.
"""

from __future__ import annotations

from typing import Any

from .harness import Case, Run


def _chain(lib: Any, y: Any, links: int) -> Any:
    """``links`` times: sin, multiply by 1.01, add 0.1, sigmoid (four ops a link)."""
    for _ in range(links):
        y = lib.sigmoid(lib.sin(y) * 1.01 + 0.1)
    return y


def scalar_chain_1000(lib: Any) -> Run:
    """1,000 scalar ops from one leaf, forward + backward."""
    x = lib.tensor(0.5, requires_grad=True)

    def run() -> dict[str, float]:
        y = _chain(lib, x, 250)
        y.backward()
        # The chain's derivative is about 0.17 a link: x.grad underflows float32 to 0 in both.
        return {"y": y.item(), "x.grad": x.grad.item()}

    return run


def scalar_chain_1000_micrograd(mg: Any) -> Run:
    """The same chain written for the micrograd-style engine (benchmarks/micrograd.py)."""
    x = mg.Value(0.5)

    def run() -> dict[str, float]:
        y = x
        for _ in range(250):
            y = (y.sin() * 1.01 + 0.1).sigmoid()
        y.backward()
        return {"y": y.data, "x.grad": x.grad}

    return run


def small_network_10000_steps(lib: Any) -> Run:
    """The notebook's small network (w*x + b, sigmoid, its clamped BCE), 10,000 SGD steps."""
    x, y = lib.tensor(6.7), lib.tensor(0.0)
    w = lib.tensor(1.0, requires_grad=True)
    b = lib.tensor(0.0, requires_grad=True)
    lr = 0.1

    def run() -> dict[str, float]:
        nonlocal w, b
        for _ in range(10_000):
            z = w * x + b
            p = lib.sigmoid(z)
            p = lib.clamp(p, 1e-8, 1 - 1e-8)
            loss = -(y * lib.log(p) + (1 - y) * lib.log(1 - p))
            loss.backward()
            with lib.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        return {"w": w.item(), "b": b.item(), "loss": loss.item()}

    return run


def small_network_10000_steps_micrograd(mg: Any) -> Run:
    """The same training loop, micrograd-style: Values, ``w.data -= lr * w.grad``."""
    x, y = 6.7, 0.0
    w, b = mg.Value(1.0), mg.Value(0.0)
    lr = 0.1

    def run() -> dict[str, float]:
        for _ in range(10_000):
            z = w * x + b
            p = z.sigmoid().clamp(1e-8, 1 - 1e-8)
            loss = -(y * p.log() + (1 - y) * (1 - p).log())
            loss.backward()
            w.data -= lr * w.grad
            b.data -= lr * b.grad
            w.grad = 0.0
            b.grad = 0.0
        return {"w": w.data, "b": b.data, "loss": loss.data}

    return run


def vector_chain_100(lib: Any) -> Run:
    """100 ops on a 1,000,000-element float32 vector, forward + ``.sum().backward()``."""
    x = lib.full((1_000_000,), 0.5, dtype=lib.float32).requires_grad_()

    def run() -> dict[str, float]:
        y = _chain(lib, x, 25).sum()
        y.backward()
        return {"y.sum": y.item(), "x.grad.sum": x.grad.sum().item()}

    return run


CASES = [
    Case("scalar_chain_1000", "1,000 scalar ops (sin, *1.01, +0.1, sigmoid) x 250, fwd + bwd",
         scalar_chain_1000, max_ratio=0.3, repeats=30, quick_repeats=5, atol=1e-30,
         micrograd=scalar_chain_1000_micrograd),
    Case("small_network_10000_steps", "notebook network + BCE, 10,000 SGD steps, lr=0.1",
         small_network_10000_steps, max_ratio=0.35, repeats=5, quick_repeats=1, rtol=0, atol=1e-4,
         micrograd=small_network_10000_steps_micrograd),
    Case("vector_chain_100", "100 ops on a 1M-element float32 vector, fwd + sum().backward()",
         vector_chain_100, max_ratio=1.0, repeats=10, quick_repeats=2, rtol=1e-3, atol=1e-30),
]
