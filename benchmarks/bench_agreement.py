"""Bitwise agreement with PyTorch (issue 15): how often the engine gives PyTorch's very bits.

Per unary op, 10,000 random float32 scalars (0-d tensors, the engine's scalar fast path):
the share whose forward value is bit-identical with PyTorch 2.13's, and the share whose
gradient is (``y.backward(g)`` with a random float32 ``g``, so the backward's own roundings
count). For comparison, the same inputs as one 10,000-element engine vector (numpy's float32
kernels, the engine's vector semantics) against PyTorch's 0-d results. Then the notebook
network: its first step's loss and gradients, and the share of training steps after which
loss, w and b all carry PyTorch's bits.

Run by ``python -m benchmarks`` (full runs and ``--only agreement``); the table goes to its
own section of benchmarks/README.md. Both libraries run in this one process: the numbers
are bits, not times.
"""

from __future__ import annotations

import datetime
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

N_INPUTS = 10_000
NOTEBOOK_STEPS = 2_000
# op -> (inputs as a function of a numpy Generator and a count, how the range reads)
_Draw = Callable[[np.random.Generator, int], np.ndarray]
DOMAINS: dict[str, tuple[_Draw, str]] = {
    "exp": (lambda r, n: r.uniform(-20, 20, n), "U(-20, 20)"),
    "log": (lambda r, n: np.exp(r.uniform(-20, 20, n)), "exp(U(-20, 20))"),
    "sigmoid": (lambda r, n: r.uniform(-12, 12, n), "U(-12, 12)"),
    "tanh": (lambda r, n: r.uniform(-6, 6, n), "U(-6, 6)"),
    "sin": (lambda r, n: r.uniform(-10, 10, n), "U(-10, 10)"),
    "cos": (lambda r, n: r.uniform(-10, 10, n), "U(-10, 10)"),
    "sqrt": (lambda r, n: np.exp(r.uniform(-20, 20, n)), "exp(U(-20, 20))"),
    "reciprocal": (lambda r, n: r.uniform(-10, 10, n), "U(-10, 10)"),
    "relu": (lambda r, n: r.uniform(-10, 10, n), "U(-10, 10)"),
    "abs": (lambda r, n: r.uniform(-10, 10, n), "U(-10, 10)"),
    "neg": (lambda r, n: r.uniform(-10, 10, n), "U(-10, 10)"),
}
TARGETS = {"exp": 0.99, "log": 0.99, "sigmoid": 0.99, "tanh": 0.99, "sin": 0.95, "cos": 0.95}
# PyTorch 2.13's numbers for the notebook's first step (tests/engine/data)
NOTEBOOK = {"loss": 6.701176166534424, "w.grad": 6.6917619705200195, "b.grad": 0.9987704753875732}


@dataclass(frozen=True)
class OpAgreement:
    op: str
    domain: str
    forward: float  # share of inputs with PyTorch's bits
    gradient: float
    vector_forward: float  # the engine's vector (numpy float32) path, for comparison
    vector_gradient: float

    @property
    def target(self) -> float | None:
        return TARGETS.get(self.op)

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        return "pass" if self.forward >= self.target else "FAIL"


def _bits(values: Any) -> bytes:
    return np.asarray(values, dtype=np.float32).tobytes()


def _same(a: list[float], b: list[float]) -> np.ndarray:
    return np.frombuffer(_bits(a), np.uint32) == np.frombuffer(_bits(b), np.uint32)


def _scalars(lib: Any, op: str, xs: list[float], gs: list[float]) -> tuple[list, list]:
    """Each input as its own 0-d float32 tensor: the value and the gradient for g."""
    values, grads = [], []
    fn = getattr(lib, op)
    for x, g in zip(xs, gs, strict=True):
        t = lib.tensor(x, requires_grad=True)
        y = fn(t)
        y.backward(lib.tensor(g))
        values.append(y.item())
        grads.append(t.grad.item())
    return values, grads


def _vector(lib: Any, op: str, xs: list[float], gs: list[float]) -> tuple[list, list]:
    t = lib.tensor(xs, requires_grad=True)
    y = getattr(lib, op)(t)
    y.backward(lib.tensor(gs))
    return y.detach().tolist(), t.grad.tolist()


def measure_ops(engine: Any, torch: Any, n: int = N_INPUTS, seed: int = 0
                ) -> list[OpAgreement]:
    rng = np.random.default_rng(seed)
    rows = []
    for op, (draw, domain) in DOMAINS.items():
        xs = draw(rng, n).astype(np.float32).tolist()
        gs = rng.uniform(-2, 2, n).astype(np.float32).tolist()
        tv, tg = _scalars(torch, op, xs, gs)
        ev, eg = _scalars(engine, op, xs, gs)
        vv, vg = _vector(engine, op, xs, gs)
        rows.append(OpAgreement(op, domain, float(_same(ev, tv).mean()),
                                float(_same(eg, tg).mean()), float(_same(vv, tv).mean()),
                                float(_same(vg, tg).mean())))
    return rows


def _notebook_run(lib: Any, steps: int) -> tuple[dict[str, float], list[tuple]]:
    """The notebook network (tests/engine/data/autograd_notebook.txt) trained ``steps``
    times with lr 0.1: the first step's numbers and (loss, w, b) after every step."""
    x, y = lib.tensor(6.7), lib.tensor(0.0)
    w = lib.tensor(1.0, requires_grad=True)
    b = lib.tensor(0.0, requires_grad=True)
    first: dict[str, float] = {}
    path = []
    for _ in range(steps):
        p = lib.clamp(lib.sigmoid(w * x + b), 1e-8, 1 - 1e-8)
        loss = -(y * lib.log(p) + (1 - y) * lib.log(1 - p))
        loss.backward()
        if not first:
            first = {"loss": loss.item(), "w.grad": w.grad.item(), "b.grad": b.grad.item()}
        with lib.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        w.grad.zero_()
        b.grad.zero_()
        path.append((loss.item(), w.item(), b.item()))
    return first, path


@dataclass(frozen=True)
class NotebookAgreement:
    first: dict[str, float]  # the engine's first-step numbers
    exact: bool  # they are PyTorch's (NOTEBOOK), bit for bit
    steps: int
    same_steps: float  # share of steps whose loss, w and b are PyTorch's bits


def measure_notebook(engine: Any, torch: Any, steps: int = NOTEBOOK_STEPS
                     ) -> NotebookAgreement:
    first, path = _notebook_run(engine, steps)
    _, torch_path = _notebook_run(torch, steps)
    same = [struct.pack("3f", *a) == struct.pack("3f", *b)
            for a, b in zip(path, torch_path, strict=True)]
    exact = all(struct.pack("d", first[k]) == struct.pack("d", v) for k, v in NOTEBOOK.items())
    return NotebookAgreement(first, exact, steps, sum(same) / steps)


def _share(v: float) -> str:
    return f"{100 * v:.2f}%"


def render(rows: list[OpAgreement], notebook: NotebookAgreement, n: int) -> list[str]:
    """The README section: one row per op, then the notebook."""
    head = ("op", "inputs (float32)", "forward = PyTorch", "gradient = PyTorch", "target",
            "pass/fail", "engine vector forward", "engine vector gradient")
    cells = [head] + [(f"`{r.op}`", r.domain, _share(r.forward), _share(r.gradient),
                       "-" if r.target is None else f">= {100 * r.target:g}%", r.verdict,
                       _share(r.vector_forward), _share(r.vector_gradient)) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
              for row in cells[1:]]
    numbers = ", ".join(f"{k} {v!r}" for k, v in notebook.first.items())
    lines += ["", f"{n:,} inputs per op, each a 0-d tensor; gradient: `y.backward(g)` with a "
              "random float32 g in U(-2, 2). \"engine vector\": the same inputs as one "
              f"{n:,}-element engine tensor (numpy's float32 kernels) against PyTorch's 0-d "
              "results.",
              f"Notebook network: first step {numbers} "
              f"({'bit-exact with PyTorch' if notebook.exact else 'NOT PyTorch bits'}); "
              f"after {notebook.steps:,} SGD steps (lr 0.1) loss, w and b are PyTorch's bits "
              f"at {_share(notebook.same_steps)} of the steps."]
    return lines


def run(quick: bool = False) -> tuple[list[str], bool]:
    """Measure and render; ``ok`` is False when an op misses its target or the notebook is
    not bit-exact. Raises ImportError when PyTorch is missing."""
    import torch

    import gradstudio.engine as engine

    torch.set_num_threads(1)
    n = 2_000 if quick else N_INPUTS
    rows = measure_ops(engine, torch, n)
    notebook = measure_notebook(engine, torch, 200 if quick else NOTEBOOK_STEPS)
    ok = notebook.exact and all(r.verdict != "FAIL" for r in rows)
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    head = [f"Measured {stamp}: PyTorch {torch.__version__}, numpy {np.__version__}, "
            f"seed 0{' (--quick)' if quick else ''}.", ""]
    return head + render(rows, notebook, n), ok
