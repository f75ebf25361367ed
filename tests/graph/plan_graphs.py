"""Graphs for the compiled-plan tests: a hypothesis strategy over every compiled kind (pow's
special exponents, fan-out into three and more consumers so the order gradients are summed
in matters, detach, no-grad nodes, BCE and MSE), and the engine's answers to compare with."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as hs

from gradstudio.graph import GraphModel, Session

UNARY = ("identity", "square", "pow", "sin", "cos", "exp", "log", "sigmoid", "tanh", "relu",
         "neg", "mean", "sum", "clamp")
BINARY = ("add", "sub", "mul", "div", "bce", "mse")
PORTS = {"bce": ("prediction", "target"), "mse": ("prediction", "target")}
EXPONENTS = (2, 1, 0, 3, -1, 0.5, -0.5, -2, 1.5, 2.5, -3, 0.3)


def params_for(draw: hs.DrawFn, kind: str) -> dict[str, Any]:
    if kind == "pow":
        return {"exponent": draw(hs.sampled_from(EXPONENTS))}
    if kind == "clamp":
        lo = draw(hs.floats(-1, 0.5))
        return {"min": lo, "max": lo + draw(hs.floats(-0.2, 1.5))}
    if kind == "bce":
        return {"epsilon": draw(hs.sampled_from([1e-8, 1e-3, 0.1]))}
    return {}


@hs.composite
def scalar_graphs(draw: hs.DrawFn, max_ops: int = 9) -> GraphModel:
    """Two to four one-number leaves (weights, inputs, constants; some requiring grad), then
    ops each over the value before it and, for two inputs, any earlier value; a mean or the
    last op is the loss."""
    m = GraphModel()
    if draw(hs.booleans()):
        m.set_setting("dtype", draw(hs.sampled_from(["float32", "float64"])))
    ids = []
    for i in range(draw(hs.integers(2, 4))):
        leaf = draw(hs.sampled_from(["weight", "weight", "input", "constant"]))
        value = draw(hs.floats(-2, 2, allow_subnormal=False))
        ids.append(m.add_node(leaf, label=f"l{i}", params={"value": value}, flags={
            "requires_grad": leaf == "weight" or draw(hs.integers(0, 3)) == 0}))
    _draw_ops(draw, m, ids, max_ops)
    m.set_loss(ids[-1])
    return m


def _draw_ops(draw: hs.DrawFn, m: GraphModel, ids: list[str], max_ops: int) -> None:
    """Ops each over the value before it (the first over a leaf) and, for two inputs, any
    earlier value; their ids are appended to ``ids`` (the leaves')."""
    leaves = len(ids)
    for i in range(draw(hs.integers(1, max_ops))):
        kind = draw(hs.sampled_from(BINARY if draw(hs.booleans()) else UNARY))
        flags = {"detach": kind == "identity" and draw(hs.integers(0, 2)) == 0,
                 "no_grad": draw(hs.integers(0, 12)) == 0}
        node = m.add_node(kind, label=f"n{i}", flags=flags, params=params_for(draw, kind))
        first = ids[-1] if len(ids) > leaves else ids[draw(hs.integers(0, leaves - 1))]
        ports = PORTS.get(kind, ("a", "b") if kind in BINARY else ("x",))
        m.connect(first, node, ports[0])
        if len(ports) == 2:
            m.connect(ids[draw(hs.integers(0, len(ids) - 1))], node, ports[1])
        ids.append(node)


def same(a: float | None, b: float | None) -> bool:
    """Bit for bit (as doubles): equal with the same sign of zero, or both NaN."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1, a) == math.copysign(1, b)


def engine_answers(model: GraphModel) -> tuple[dict, dict, Session]:
    """Every node's value and gradient after one backward through the engine."""
    s = Session(model)
    result = s.backward()
    assert result.ok, result.error
    forward = s.last_forward
    values = {n: float(v.item()) for n, v in forward.values.items()}
    grads = {}
    for n in model.node_ids():
        g = s.grad(n)
        grads[n] = None if g is None else float(g.item())
    return values, grads, s


def leaf_values(s: Session, names: tuple[str, ...]) -> list[float]:
    return [float(np.asarray(s.leaf(n).detach().numpy())) for n in names]


SHAPES = ((), (3,), (1, 3), (2, 3))  # any two broadcast together


@hs.composite
def vector_graphs(draw: hs.DrawFn, max_ops: int = 8) -> GraphModel:
    """As scalar_graphs, with leaves of several shapes that broadcast together (one number,
    3, 1x3, 2x3) and at least one vector; ends in a mean or sum when the last op is a
    vector, so backward starts from one number."""
    m = GraphModel()
    if draw(hs.booleans()):
        m.set_setting("dtype", draw(hs.sampled_from(["float32", "float64"])))
    ids = []
    count = draw(hs.integers(2, 4))
    shapes = [draw(hs.sampled_from(SHAPES)) for _ in range(count)]
    if all(s == () for s in shapes):
        shapes[0] = draw(hs.sampled_from(SHAPES[1:]))
    for i, shape in enumerate(shapes):
        leaf = draw(hs.sampled_from(["weight", "weight", "input", "constant"]))
        size = math.prod(shape)
        flat = draw(hs.lists(hs.floats(-2, 2, allow_subnormal=False), min_size=size,
                             max_size=size))
        value: Any = np.array(flat).reshape(shape).tolist()
        ids.append(m.add_node(leaf, label=f"l{i}", params={"value": value}, flags={
            "requires_grad": leaf == "weight" or draw(hs.integers(0, 3)) == 0}))
    _draw_ops(draw, m, ids, max_ops)
    end = m.add_node(draw(hs.sampled_from(["mean", "sum"])), label="end")
    m.connect(ids[-1], end, "x")
    m.set_loss(end)
    return m


def same_array(a: Any, b: Any) -> bool:
    """Bit for bit: the same shape, equal values with the same signs (zeros too), NaN where
    the other has NaN."""
    if a is None or b is None:
        return a is b
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and np.array_equal(
        np.signbit(a) | np.isnan(a), np.signbit(b) | np.isnan(b))


def engine_arrays(model: GraphModel) -> tuple[dict, dict, Session]:
    """Every node's value and gradient (arrays) after one backward through the engine."""
    s = Session(model)
    result = s.backward()
    assert result.ok, result.error
    values = {n: np.array(v.detach().numpy()) for n, v in s.last_forward.values.items()}
    grads = {}
    for n in model.node_ids():
        g = s.grad(n)
        grads[n] = None if g is None else np.array(g.numpy())
    return values, grads, s


def leaf_inputs(s: Session, names: tuple[str, ...]) -> list[Any]:
    """The session's leaves as a vector plan takes them: arrays, one-number leaves as floats."""
    out: list[Any] = []
    for n in names:
        data = np.array(s.leaf(n).detach().numpy())
        out.append(float(data) if data.ndim == 0 else data)
    return out
