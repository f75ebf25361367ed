"""Graphs for the step-through tests, beside the shipped examples: fan-out, a value used
twice by one node, broadcasting, pass-through identities, a vector BCE and every op kind."""

from __future__ import annotations

from collections.abc import Callable

from gradstudio.graph import GraphModel, load
from gradstudio.resources import example_paths

Node = tuple  # (label, kind, params, flags)


def build(nodes: list[Node], edges: list[tuple[str, str, str]], loss: str) -> GraphModel:
    m = GraphModel()
    ids = {}
    for label, kind, params, flags in nodes:
        ids[label] = m.add_node(kind, label=label, params=params, flags=flags)
    for src, dst, port in edges:
        m.connect(ids[src], ids[dst], port)
    m.set_loss(ids[loss])
    return m


RG = {"requires_grad": True}


def fan_out() -> GraphModel:
    """x feeds two consumers: its gradient is the sum of two contributions."""
    return build([("x", "weight", {"value": 0.5}, RG), ("a", "square", {}, {}),
                  ("b", "sin", {}, {}), ("c", "add", {}, {})],
                 [("x", "a", "x"), ("x", "b", "x"), ("a", "c", "a"), ("b", "c", "b")], "c")


def self_mul() -> GraphModel:
    """mul(x, x): one source on both ports."""
    return build([("x", "weight", {"value": 3.0}, RG), ("p", "mul", {}, {})],
                 [("x", "p", "a"), ("x", "p", "b")], "p")


def broadcast() -> GraphModel:
    """A scalar weight times a vector input, plus a scalar bias, then MSE against a vector."""
    return build([("w", "weight", {"value": 2.0}, RG), ("x", "input", {"value": [1, 2, 3]}, {}),
                  ("b", "weight", {"value": 0.5}, RG), ("t", "constant", {"value": [1, 0, 2]}, {}),
                  ("wx", "mul", {}, {}), ("z", "add", {}, {}), ("h", "tanh", {}, {}),
                  ("loss", "mse", {}, {})],
                 [("w", "wx", "a"), ("x", "wx", "b"), ("wx", "z", "a"), ("b", "z", "b"),
                  ("z", "h", "x"), ("h", "loss", "prediction"), ("t", "loss", "target")], "loss")


def pass_through() -> GraphModel:
    """Identities without detach share their input's tensor (no engine op of their own)."""
    return build([("w", "weight", {"value": [0.1, -0.2]}, RG), ("i", "identity", {}, {}),
                  ("e", "exp", {}, {}), ("j", "identity", {}, {}), ("s", "sum", {}, {})],
                 [("w", "i", "x"), ("i", "e", "x"), ("e", "j", "x"), ("j", "s", "x")], "s")


def bce_vector() -> GraphModel:
    """Six predictions (more than a step shows whole) against labels, averaged."""
    return build([("w", "weight", {"value": [-1, 0.5, 2, 3, -4, 0.1]}, RG),
                  ("p", "sigmoid", {}, {}), ("y", "constant", {"value": [0, 1, 0, 1, 1, 0]}, {}),
                  ("bce", "bce", {}, {}), ("loss", "mean", {}, {})],
                 [("w", "p", "x"), ("p", "bce", "prediction"), ("y", "bce", "target"),
                  ("bce", "loss", "x")], "loss")


def every_op() -> GraphModel:
    """Each remaining op kind once, with a detached side branch that is skipped."""
    return build([("w", "weight", {"value": [0.5, 1.5, -0.7]}, RG),
                  ("k", "constant", {"value": 2.0}, {}),
                  ("r", "relu", {}, {}), ("c", "clamp", {"min": -0.5, "max": 1.0}, {}),
                  ("rk", "add", {}, {}), ("d", "div", {}, {}), ("cw", "cos", {}, {}),
                  ("n", "neg", {}, {}), ("s", "sub", {}, {}), ("p3", "pow", {"exponent": 3}, {}),
                  ("pk", "add", {}, {}), ("pk2", "square", {}, {}), ("lg", "log", {}, {}),
                  ("q", "mul", {}, {}), ("cut", "identity", {}, {"detach": True}),
                  ("q2", "mul", {}, {}), ("loss", "sum", {}, {})],
                 [("w", "r", "x"), ("w", "c", "x"), ("r", "rk", "a"), ("k", "rk", "b"),
                  ("c", "d", "a"), ("rk", "d", "b"), ("w", "cw", "x"), ("cw", "n", "x"),
                  ("d", "s", "a"), ("n", "s", "b"), ("w", "p3", "x"), ("p3", "pk2", "x"),
                  ("pk2", "pk", "a"), ("k", "pk", "b"), ("pk", "lg", "x"), ("s", "q", "a"),
                  ("lg", "q", "b"), ("q", "cut", "x"), ("q", "q2", "a"), ("cut", "q2", "b"),
                  ("q2", "loss", "x")], "loss")


BUILT: dict[str, Callable[[], GraphModel]] = {
    "fan_out": fan_out, "self_mul": self_mul, "broadcast": broadcast,
    "pass_through": pass_through, "bce_vector": bce_vector, "every_op": every_op}


def all_graphs() -> dict[str, Callable[[], GraphModel]]:
    """Every shipped example (loaded fresh each call) and the graphs above."""
    graphs: dict[str, Callable[[], GraphModel]] = {
        name: (lambda p=path: load(p)) for name, path in example_paths().items()}
    graphs.update(BUILT)
    return graphs
