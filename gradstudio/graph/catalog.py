"""The node catalog: every kind of node, described once.

A kind says what a node is called, where it sits in the palette, its input ports, its
parameters (with defaults and ranges) and how it computes with the engine. Adding an
operation to the app means adding one entry here (and its engine op), nothing in the UI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import gradstudio.engine as ge

from . import limits
from .limits import count
from .maths import LEAF_MATHS, Derivative, Maths

__all__ = ["Param", "NodeKind", "KINDS", "CATEGORIES", "kind", "parse_tensor_value",
           "GraphError", "binary_cross_entropy", "mean_squared_error", "value_shape"]

INPUTS, OPS, LOSSES = "Inputs", "Ops", "Losses"
CATEGORIES = (INPUTS, OPS, LOSSES)


class GraphError(ValueError):
    """An edit, a value or a file that the graph refuses; the message names what and where."""


@dataclass(frozen=True)
class Param:
    """A setting of a node kind. ``type`` is "tensor" (a number or a list of numbers) or
    "float" (a number between ``minimum`` and ``maximum``)."""

    name: str
    type: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""

    def parse(self, value: Any) -> Any:
        """The value as stored in the graph, or a GraphError that says what is wrong."""
        if self.type == "tensor":
            return parse_tensor_value(value)
        number = _parse_number(value, self.name)
        if number != number:
            raise GraphError(f"{self.name} must be a number, got nan")
        if self.minimum is not None and number < self.minimum:
            raise GraphError(f"{self.name} must be at least {self.minimum:g}, got {number:g}")
        if self.maximum is not None and number > self.maximum:
            raise GraphError(f"{self.name} must be at most {self.maximum:g}, got {number:g}")
        return number


@dataclass(frozen=True)
class NodeKind:
    """One kind of node. ``build(params)`` returns the function that computes the node's
    output from its input tensors, in port order."""

    name: str
    title: str
    category: str
    inputs: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    build: Callable[[dict], Callable[..., ge.Tensor]] | None = None
    formula: str = ""  # the forward in plain text; taken from ``maths`` when not given
    doc: str = ""
    requires_grad: bool = False  # leaves: the default of their requires_grad flag
    trainable: bool = False  # a train step updates it
    default_label: str = ""
    maths: Maths = LEAF_MATHS  # forward formula and local derivative per input
    # The kind in PyTorch code (exported scripts, Compare with PyTorch): a template where
    # ``{port}`` is the variable wired into that port and ``{param}`` a parameter's value;
    # default ``torch.NAME({x}, ..., param={param})``. ``helper`` is a function the code
    # calls, written once at the top of a script.
    code: str = ""
    helper: str = ""
    reduces: bool = False  # the result is one number (mean, sum, a loss of means)

    def __post_init__(self) -> None:
        if not self.formula and not self.is_leaf:
            object.__setattr__(self, "formula", self.maths.plain())
        if not self.code and not self.is_leaf:
            args = [f"{{{p}}}" for p in self.inputs] + [f"{p.name}={{{p.name}}}"
                                                       for p in self.params]
            object.__setattr__(self, "code", f"torch.{self.name}({', '.join(args)})")

    @property
    def is_leaf(self) -> bool:
        return self.build is None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise GraphError(f"{self.title} has no parameter '{name}'")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|nan)$", re.I)


def _parse_number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise GraphError(f"{what} must be a number, got {value!r}")
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # a whole number of hundreds of digits
            raise GraphError(f"{what} is too large for any float "
                             f"({limits.short_number(value)})") from None
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip())
        if math.isinf(number) and "inf" not in value.lower():
            raise GraphError(f"{what} {value.strip()[:20]} is too large for any float (it would "
                             "be inf); type inf if infinity is meant")
        return number
    raise GraphError(f"{what} must be a number, got {value!r}")


def parse_tensor_value(value: Any) -> float | list:
    """A leaf's value: a number, or a list of numbers (nested for 2-d), from Python data or
    text such as ``3``, ``1, 2, 3`` or ``[[1, 2], [3, 4]]``."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise GraphError("value is empty: type a number like 3 or a list like 1, 2, 3")
        if not text.startswith("[") and "," in text:
            text = f"[{text}]"
        value = _parse_text(text)
    checked = _check_value(value, depth=0)
    elements = math.prod(value_shape(checked))
    if elements > limits.MAX_VALUE_ELEMENTS:
        raise GraphError(f"value holds {count(elements, 'elements')}; the limit is "
                         f"{count(limits.MAX_VALUE_ELEMENTS)} elements per value")
    return checked


def _parse_text(text: str) -> Any:
    """Numbers and brackets only: a value never runs code."""
    tokens = re.findall(r"\[|\]|,|[^\s\[\],]+", text)
    pos = 0

    def parse(depth: int) -> Any:
        nonlocal pos
        if pos >= len(tokens):
            raise GraphError(f"value {text!r} ends too early")
        tok = tokens[pos]
        pos += 1
        if tok == "[":
            if depth >= 2:  # checked here, not after: deep brackets must not recurse
                raise GraphError("values can be numbers, lists or lists of lists (at most 2-d)")
            items = []
            while pos < len(tokens) and tokens[pos] != "]":
                items.append(parse(depth + 1))
                if pos < len(tokens) and tokens[pos] == ",":
                    pos += 1
            if pos >= len(tokens):
                raise GraphError(f"value {text!r} has an unclosed '['")
            pos += 1
            return items
        return _parse_number(tok, "each element")

    result = parse(0)
    if pos != len(tokens):
        raise GraphError(f"value {text!r} has extra text after the value")
    return result


def _check_value(value: Any, depth: int) -> Any:
    if isinstance(value, (list, tuple)):
        if depth >= 2:
            raise GraphError("values can be numbers, lists or lists of lists (at most 2-d)")
        if not value:
            raise GraphError("a list value needs at least one number")
        items = [_check_value(v, depth + 1) for v in value]
        shapes = {len(v) if isinstance(v, list) else None for v in items}
        if len(shapes) != 1:
            raise GraphError("the rows of a 2-d value must all have the same length")
        return items
    return _parse_number(value, "value" if depth == 0 else "each element")


def value_shape(value: Any) -> tuple[int, ...]:
    if isinstance(value, list):
        return (len(value), *value_shape(value[0]))
    return ()


def binary_cross_entropy(prediction: ge.Tensor, target: ge.Tensor, epsilon: float = 1e-8
                         ) -> ge.Tensor:
    """The notebook's BCE, op for op: clamp by epsilon, then the log formula."""
    prediction = ge.clamp(prediction, epsilon, 1 - epsilon)
    return -(target * ge.log(prediction) + (1 - target) * ge.log(1 - prediction))


def mean_squared_error(prediction: ge.Tensor, target: ge.Tensor) -> ge.Tensor:
    return ((prediction - target) ** 2).mean()


def _value(default: Any) -> Param:
    return Param("value", "tensor", default, doc="a number, or numbers separated by commas")


def _fixed(fn: Callable[..., ge.Tensor]) -> Callable[[dict], Callable[..., ge.Tensor]]:
    return lambda params: fn


def _leaf(name: str, title: str, default: Any, label: str, requires_grad: bool,
          trainable: bool, doc: str) -> NodeKind:
    return NodeKind(name, title, INPUTS, params=(_value(default),), doc=doc,
                    requires_grad=requires_grad, trainable=trainable, default_label=label)


def _unary(name: str, fn: Callable, maths: Maths, doc: str, code: str = "",
           reduces: bool = False) -> NodeKind:
    return NodeKind(name, name, OPS, ("x",), build=_fixed(fn), doc=doc, default_label=name,
                    maths=maths, code=code, reduces=reduces)


def _binary(name: str, fn: Callable, maths: Maths, doc: str, code: str = "") -> NodeKind:
    return NodeKind(name, name, OPS, ("a", "b"), build=_fixed(fn), doc=doc,
                    default_label=name, maths=maths, code=code)


def _of_x(forward: str, rule: str, value: Callable, **more: Any) -> Maths:
    """A one-input kind's maths: the forward and ∂/∂x."""
    return Maths(forward, (Derivative("x", rule, value),), **more)


def _of_ab(forward: str, rule_a: str, value_a: Callable, rule_b: str, value_b: Callable
           ) -> Maths:
    return Maths(forward, (Derivative("a", rule_a, value_a), Derivative("b", rule_b, value_b)))


def _bce_maths() -> Maths:
    """The notebook's BCE; the clamp against log(0) passes no gradient outside [ε, 1−ε]."""
    def clamped(v: Any) -> np.ndarray:
        return np.clip(v["prediction"], v["epsilon"], 1 - v["epsilon"])

    def inside(v: Any) -> np.ndarray:
        p = v["prediction"]
        return (p >= v["epsilon"]) & (p <= 1 - v["epsilon"])

    def d_prediction(v: Any) -> np.ndarray:
        p, t = clamped(v), v["target"]
        return np.where(inside(v), -(t / p - (1 - t) / (1 - p)), 0)

    return Maths("−({target}·log {prediction} + (1−{target})·log(1−{prediction}))", (
        Derivative("prediction", "−({target}/{prediction} − (1−{target})/(1−{prediction}))",
                   d_prediction),
        Derivative("target", "−(log {prediction} − log(1−{prediction}))",
                   lambda v: -(np.log(clamped(v)) - np.log(1 - clamped(v))))),
        symbol="L", symbols={"prediction": "p", "target": "t"})


# The losses in exported PyTorch code: binary_cross_entropy above, as the notebook writes it
# (op for op, so the numbers are the app's; F.binary_cross_entropy clamps its logs at -100
# instead and differs at the ends). Code import reads a call of either function, defined
# exactly so, as the loss node again.
_BCE_CODE = '''\
def binary_cross_entropy_loss(prediction, target, epsilon=1e-08):
    """The notebook's binary cross-entropy: clamp against log(0), then the formula."""
    prediction = torch.clamp(prediction, epsilon, 1 - epsilon)
    return -(target * torch.log(prediction) + (1 - target) * torch.log(1 - prediction))
'''
# mean_squared_error above, op for op (F.mse_loss rounds its gradient in another order).
_MSE_CODE = '''\
def mse_loss(prediction, target):
    """Mean squared error, op for op as GradStudio computes it."""
    return ((prediction - target) ** 2).mean()
'''


def _one(v: Any) -> float:
    return 1.0


_KIND_LIST: list[NodeKind] = [
    _leaf("input", "Input", 3.0, "x", False, False,
          "Data fed to the graph. requires_grad is off unless you turn it on."),
    _leaf("weight", "Weight", 1.0, "w", True, True,
          "A trainable parameter: requires_grad is on and Train step updates it."),
    _leaf("constant", "Constant", 0.0, "c", False, False,
          "A fixed value such as a target label."),
    _unary("identity", lambda x: x, _of_x("{x}", "1", _one),
           "passes its input on unchanged; turn on detach to cut the gradient here, like "
           "z = x.detach()", code="{x}"),
    _unary("square", lambda x: x ** 2, _of_x("{x}²", "2·{x}", lambda v: 2 * v["x"]),
           "x squared (x ** 2), PowBackward0", code="{x} ** 2"),
    NodeKind("pow", "pow", OPS, ("x",),
             params=(Param("exponent", "float", 2.0, -100, 100, "the power"),),
             build=lambda p: (lambda x, e=p["exponent"]: x ** (int(e) if e == int(e) else e)),
             maths=_of_x("{x}^{exponent}", "{exponent}·{x}^({exponent}−1)",
                         lambda v: v["exponent"] * v["x"] ** (v["exponent"] - 1),
                         symbols={"exponent": "n"}),
             doc="x to a fixed power", default_label="pow",
             code="torch.pow({x}, {exponent})"),
    _unary("sin", ge.sin, _of_x("sin({x})", "cos({x})", lambda v: np.cos(v["x"])), "sine"),
    _unary("cos", ge.cos, _of_x("cos({x})", "−sin({x})", lambda v: -np.sin(v["x"])),
           "cosine"),
    _unary("exp", ge.exp, _of_x("exp({x})", "{out}", lambda v: v["out"], definition="e^{x}"),
           "e to the x"),
    _unary("log", ge.log, _of_x("log({x})", "1/{x}", lambda v: 1 / v["x"]),
           "natural logarithm (x > 0)"),
    _unary("sigmoid", ge.sigmoid,
           _of_x("σ({x})", "{out}·(1−{out})", lambda v: v["out"] * (1 - v["out"]),
                 definition="1/(1+e^−{x})", symbol="σ"),
           "1 / (1 + exp(-x)), squashes to (0, 1)"),
    _unary("tanh", ge.tanh, _of_x("tanh({x})", "1−{out}²", lambda v: 1 - v["out"] ** 2),
           "hyperbolic tangent"),
    _unary("relu", ge.relu,
           _of_x("max({x}, 0)", "1 if {x} > 0 else 0", lambda v: (v["x"] > 0) * 1.0),
           "rectified linear unit"),
    _unary("neg", ge.neg, _of_x("−{x}", "−1", lambda v: -1.0, symbol="(−x)"), "negation",
           code="-{x}"),
    _binary("add", ge.add, _of_ab("{a} + {b}", "1", _one, "1", _one),
            "sum of two inputs (broadcasts)", code="{a} + {b}"),
    _binary("sub", ge.sub, _of_ab("{a} − {b}", "1", _one, "−1", lambda v: -1.0),
            "difference (broadcasts)", code="{a} - {b}"),
    _binary("mul", ge.mul, _of_ab("{a} · {b}", "{b}", lambda v: v["b"], "{a}", lambda v: v["a"]),
            "product (broadcasts)", code="{a} * {b}"),
    _binary("div", ge.div, _of_ab("{a} / {b}", "1/{b}", lambda v: 1 / v["b"],
                                  "−{a}/{b}²", lambda v: -v["a"] / v["b"] ** 2),
            "quotient (broadcasts)", code="{a} / {b}"),
    _unary("mean", ge.mean, _of_x("mean({x})", "1/{N}", lambda v: 1 / v["N"],
                                  definition="Σ {x} / {N}"),
           "average of all elements", code="{x}.mean()", reduces=True),
    _unary("sum", ge.sum, _of_x("Σ {x}", "1", _one), "sum of all elements", code="{x}.sum()",
           reduces=True),
    NodeKind("clamp", "clamp", OPS, ("x",),
             params=(Param("min", "float", 0.0, doc="lower bound"),
                     Param("max", "float", 1.0, doc="upper bound")),
             build=lambda p: (lambda x, lo=p["min"], hi=p["max"]: ge.clamp(x, lo, hi)),
             maths=_of_x("clamp({x}, {min}, {max})", "1 if {min} ≤ {x} ≤ {max} else 0",
                         lambda v: ((v["x"] >= v["min"]) & (v["x"] <= v["max"])) * 1.0),
             doc="limit values to [min, max]", default_label="clamp",
             code="torch.clamp({x}, {min}, {max})"),
    NodeKind("bce", "BCE loss", LOSSES, ("prediction", "target"),
             params=(Param("epsilon", "float", 1e-8, 0.0, 0.5, "clamp margin against log(0)"),),
             build=lambda p: (lambda pred, t, eps=p["epsilon"]:
                              binary_cross_entropy(pred, t, eps)),
             maths=_bce_maths(),
             doc="binary cross-entropy, exactly as the notebook writes it", default_label="loss",
             code="binary_cross_entropy_loss({prediction}, {target}, {epsilon})",
             helper=_BCE_CODE),
    NodeKind("mse", "MSE loss", LOSSES, ("prediction", "target"),
             build=_fixed(mean_squared_error),
             maths=Maths("mean(({prediction} − {target})²)", (
                 Derivative("prediction", "2·({prediction} − {target})/{N}",
                            lambda v: 2 * (v["prediction"] - v["target"]) / v["N"]),
                 Derivative("target", "−2·({prediction} − {target})/{N}",
                            lambda v: -2 * (v["prediction"] - v["target"]) / v["N"])),
                 symbol="L", symbols={"prediction": "p", "target": "t"}),
             doc="mean squared error", default_label="loss",
             code="mse_loss({prediction}, {target})", helper=_MSE_CODE, reduces=True),
]

KINDS: dict[str, NodeKind] = {k.name: k for k in _KIND_LIST}


def kind(name: str) -> NodeKind:
    """The kind called ``name``, or a GraphError listing the known kinds."""
    try:
        return KINDS[name]
    except KeyError:
        raise GraphError(f"unknown node kind '{name}' (known: {', '.join(KINDS)})") from None

