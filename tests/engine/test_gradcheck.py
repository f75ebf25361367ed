"""gradcheck: backward agrees with finite differences for every op, and a wrong backward is
reported (so gradcheck is not a function that always says yes)."""

from __future__ import annotations

import numpy as np
import pytest

import gradstudio.engine as ge
from gradstudio.engine import ops
from gradstudio.engine.gradcheck import GradcheckError

F64 = ge.float64

# Inputs stay away from kinks (0 for abs/relu, the bounds for clamp) by far more than eps.
VECTOR = [0.7, -1.3, 2.1]
POSITIVE = [0.7, 1.3, 2.1]
SCALAR = 0.8

UNARY = {
    "neg": lambda a: -a,
    "sin": ge.sin,
    "cos": ge.cos,
    "exp": ge.exp,
    "log": lambda a: ge.log(a.abs() + 0.5),
    "sigmoid": ge.sigmoid,
    "tanh": ge.tanh,
    "relu": ge.relu,
    "sqrt": lambda a: ge.sqrt(a.abs() + 0.5),
    "abs": ge.abs,
    "square": ge.square,
    "reciprocal": lambda a: ge.reciprocal(a.abs() + 0.5),
    "clamp": lambda a: ge.clamp(a, -1.0, 1.0),
    "clamp_min": lambda a: ge.clamp(a, min=0.1),
    "clamp_max": lambda a: ge.clamp(a, max=0.1),
    "clone": ge.clone,
    "mean": ge.mean,
    "sum": ge.sum,
    "sum_dim": lambda a: ge.sum(a, dim=0, keepdim=True),
    "mean_dim": lambda a: ge.mean(a, dim=-1),
    "pow_2": lambda a: a**2,
    "pow_3": lambda a: a**3,
    "pow_0": lambda a: a**0,
    "pow_neg1": lambda a: (a.abs() + 0.5) ** -1,
    "pow_neg2": lambda a: (a.abs() + 0.5) ** -2,
    "pow_half": lambda a: (a.abs() + 0.5) ** 0.5,
    "pow_1_5": lambda a: (a.abs() + 0.5) ** 1.5,
    "pow_0_3": lambda a: (a.abs() + 0.5) ** 0.3,
    "rsub": lambda a: 2.5 - a,
    "rdiv": lambda a: 2.5 / (a.abs() + 0.5),
    "rpow": lambda a: 2.5**a,
    "rpow_fn": lambda a: ge.pow(0.5, a),
    "add_number": lambda a: a + 1.5,
    "sub_number": lambda a: a - 1.5,
    "mul_number": lambda a: a * -1.5,
    "div_number": lambda a: a / -1.5,
    "number_first_sub": lambda a: ge.sub(2.0, a),
    "number_first_div": lambda a: ge.div(2.0, a.abs() + 0.5),
}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b.abs() + 0.5),
    "pow": lambda a, b: (a.abs() + 0.5) ** b,
    "mixed": lambda a, b: ge.sigmoid(a * b + ge.sin(a)) / (b * b + 1),
}


def leaf(values):
    return ge.tensor(values, dtype=F64, requires_grad=True)


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", ["scalar", "vector"])
def test_unary_ops(name, shape):
    x = leaf(SCALAR if shape == "scalar" else VECTOR)
    assert ge.gradcheck(UNARY[name], (x,))


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [("scalar", "scalar"), ("vector", "vector"),
                                    ("vector", "scalar"), ("scalar", "vector")])
def test_binary_ops_with_broadcasting(name, shapes):
    a = leaf(SCALAR if shapes[0] == "scalar" else VECTOR)
    b = leaf(-0.6 if shapes[1] == "scalar" else [0.4, 1.1, -0.6])
    assert ge.gradcheck(BINARY[name], (a, b))


def test_matrix_broadcasting_and_transpose():
    m = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    r = leaf([1.0, 2.0, 3.0])
    c = leaf([[0.5], [-1.0]])
    assert ge.gradcheck(lambda m, r, c: (m * r + c).T * 2, (m, r, c))


def test_only_inputs_that_require_grad_are_checked():
    x = leaf(VECTOR)
    constant = ge.tensor([2.0, 3.0, 4.0], dtype=F64)
    assert ge.gradcheck(lambda a, k: a * k, (x, constant))


def test_several_outputs():
    x = leaf(VECTOR)
    assert ge.gradcheck(lambda a: (ge.sin(a), a.sum() * 3), (x,))


def test_notebook_network_in_float64():
    x = ge.tensor(6.7, dtype=F64)
    w, b = leaf(1.0), leaf(0.0)

    def loss(w, b):
        p = ge.clamp(ge.sigmoid(w * x + b), 1e-8, 1 - 1e-8)
        return -(0.0 * ge.log(p) + (1 - 0.0) * ge.log(1 - p))

    assert ge.gradcheck(loss, (w, b))


# --- a wrong backward must be reported ----------------------------------------------------------
def test_reports_a_monkeypatched_wrong_backward(monkeypatch):
    x = leaf(VECTOR)
    assert ge.gradcheck(ge.sin, (x,))
    # sin's backward with the sign flipped: -cos instead of cos
    monkeypatch.setattr(ops.SIN, "backward", lambda a, g, n: (g * -np.cos(a),))
    assert ge.gradcheck(ge.sin, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        ge.gradcheck(ge.sin, (x,))


def test_reports_a_broken_op():
    # a new op whose backward forgets the chain rule's incoming gradient
    broken = ops.Op("BrokenExpBackward0", lambda a: (np.exp(a), a),
                    lambda a, g, n: (np.exp(a),))
    def apply(t):
        return ops._unary(broken, t)

    # on a scalar output seeded with 1 the mistake cannot show ...
    assert ge.gradcheck(apply, (leaf(SCALAR),)) is True
    # ... but any other incoming gradient reveals it
    assert ge.gradcheck(lambda t: apply(t) * 3, (leaf(SCALAR),), raise_exception=False) is False
    assert ge.gradcheck(apply, (leaf(VECTOR),), raise_exception=False) is False


def test_reports_a_wrong_gradient_in_one_input_only(monkeypatch):
    a, b = leaf(VECTOR), leaf([0.4, 1.1, -0.6])
    right = ops.MUL.backward
    monkeypatch.setattr(ops.MUL, "backward",
                        lambda s, g, n: (right(s, g, n)[0], None if n[1] is None else g * 0))
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        ge.gradcheck(lambda p, q: p * q, (a, b))


def test_reports_a_wrong_broadcast_reduction(monkeypatch):
    # if the engine forgot to sum a broadcast gradient back to the scalar's shape, the
    # scalar's column would be wrong
    from gradstudio.engine import autograd

    v, s = leaf(VECTOR), leaf(SCALAR)
    monkeypatch.setattr(autograd, "sum_to_shape",
                        lambda g, shape: np.asarray(g).reshape(-1)[:1].reshape(shape))
    assert ge.gradcheck(lambda p, q: p * q, (v, s), raise_exception=False) is False


def test_requires_double_precision_and_an_input_that_requires_grad():
    with pytest.raises(GradcheckError, match="not a double precision"):
        ge.gradcheck(ge.sin, (ge.tensor(VECTOR, requires_grad=True),))
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        ge.gradcheck(ge.sin, (ge.tensor(VECTOR, dtype=F64),))


def test_leaves_inputs_as_they_were():
    x = leaf(VECTOR)
    assert ge.gradcheck(ge.exp, (x,))
    assert x.tolist() == VECTOR and x.grad is None
