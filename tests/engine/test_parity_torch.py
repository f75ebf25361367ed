"""gradstudio.engine against real PyTorch on random expression graphs.

Hypothesis draws a *recipe*: a few leaves (0-d scalars, shape (1,) and length-3 vectors,
float32 or float64, some requiring grad) and a list of steps, each making a new value from
earlier ones with one of the engine's ops, in-place updates included. The same recipe is built
once with ``gradstudio.engine`` and once with ``torch``; the two must agree on:

* values, dtypes and shapes of every result (rel/abs tolerance 1e-5 in float32, 1e-10 in
  float64; NaN/inf count as equal when both libraries give them at the same place),
* the grad_fn name of every result and the whole backward graph's node names,
* which step raises, with which exception and message (and the same for backward),
* the order backward runs the nodes in (torch node pre-hooks against ``trace_backward``),
* every leaf's ``.grad`` (None where torch has None; the same warnings),
* ``repr()`` of the output and of every gradient, string for string where the values are
  identical (see ``_check_repr`` for the float32 last-ulp caveat).

Inputs of log, sqrt, reciprocal, divisions and powers with fractional or tensor exponents go
through ``abs(v) + 0.5`` first, so most examples stay finite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import gradstudio.engine as ge  # noqa: E402

pytestmark = [
    pytest.mark.torch,
    # inf/nan are legitimate results here (0 ** -x, exp overflow); numpy reports them as
    # RuntimeWarnings where PyTorch is silent. The engine filters them at import, but pytest
    # imports test modules inside warnings.catch_warnings(), which drops that filter.
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
]

VECTOR = 3
TOL = {"float32": 1e-5, "float64": 1e-10}


def pos(m, v):
    """A positive version of v, for ops whose domain is x > 0."""
    return m.abs(v) + 0.5


# name -> how to apply it, given the library module m
UNARY = {
    "neg": lambda m, v: -v,
    "neg_fn": lambda m, v: m.neg(v),
    "sin": lambda m, v: m.sin(v),
    "cos": lambda m, v: v.cos(),
    "exp": lambda m, v: m.exp(v),
    "log": lambda m, v: m.log(pos(m, v)),
    "sigmoid": lambda m, v: m.sigmoid(v),
    "tanh": lambda m, v: v.tanh(),
    "relu": lambda m, v: m.relu(v),
    "sqrt": lambda m, v: m.sqrt(pos(m, v)),
    "abs": lambda m, v: m.abs(v),
    "abs_op": lambda m, v: abs(v),
    "square": lambda m, v: m.square(v),
    "square_method": lambda m, v: v.square(),
    "reciprocal": lambda m, v: m.reciprocal(pos(m, v)),
    "clone": lambda m, v: m.clone(v),
    "double": lambda m, v: v.double(),
    "float": lambda m, v: v.float(),
}

BINARY = {
    "add": lambda m, a, b: a + b,
    "add_fn": lambda m, a, b: m.add(a, b),
    "sub": lambda m, a, b: a - b,
    "sub_fn": lambda m, a, b: m.sub(a, b),
    "mul": lambda m, a, b: a * b,
    "mul_fn": lambda m, a, b: m.mul(a, b),
    "div": lambda m, a, b: a / pos(m, b),
    "div_fn": lambda m, a, b: m.div(a, pos(m, b)),
    "pow_tensor": lambda m, a, b: pos(m, a) ** m.clamp(b, -3, 3),
    "pow_tensor_fn": lambda m, a, b: m.pow(pos(m, a), m.clamp(b, -3, 3)),
}

CONSTANTS = [-2.5, -1, -0.5, 0, 0.5, 1, 2, 3.25]
POSITIVE_CONSTANTS = [0.5, 1, 2, 2.5, 3]
EXPONENTS = [0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.5, 2.0]

# name -> (apply(m, v, c), constants to draw c from)
WITH_NUMBER = {
    "add_c": (lambda m, v, c: v + c, CONSTANTS),
    "sub_c": (lambda m, v, c: v - c, CONSTANTS),
    "mul_c": (lambda m, v, c: v * c, CONSTANTS),
    "div_c": (lambda m, v, c: v / c, [c for c in CONSTANTS if c != 0]),
    "pow_c": (lambda m, v, c: (v if isinstance(c, int) and c >= 0 else pos(m, v)) ** c,
              EXPONENTS),
    "pow_c_fn": (lambda m, v, c: m.pow(v if isinstance(c, int) and c >= 0 else pos(m, v), c),
                 EXPONENTS),
    "radd": (lambda m, v, c: c + v, CONSTANTS),
    "rsub": (lambda m, v, c: c - v, CONSTANTS),
    "rmul": (lambda m, v, c: c * v, CONSTANTS),
    "rdiv": (lambda m, v, c: c / pos(m, v), CONSTANTS),
    "rpow": (lambda m, v, c: c ** m.clamp(v, -4, 4), POSITIVE_CONSTANTS + [0]),
    "add_number_first": (lambda m, v, c: m.add(c, v), CONSTANTS),
    "sub_number_first": (lambda m, v, c: m.sub(c, v), CONSTANTS),
    "mul_number_first": (lambda m, v, c: m.mul(c, v), CONSTANTS),
    "div_number_first": (lambda m, v, c: m.div(c, pos(m, v)), CONSTANTS),
    "pow_number_first": (lambda m, v, c: m.pow(c, m.clamp(v, -4, 4)), POSITIVE_CONSTANTS),
}

CLAMPS = {
    "clamp": lambda m, v, lo, hi: m.clamp(v, lo, hi),
    "clamp_min": lambda m, v, lo, hi: v.clamp(min=lo),
    "clamp_max": lambda m, v, lo, hi: v.clamp(max=hi),
}


def reduce(m, v, how: str, dim, keepdim: bool):
    fn = m.sum if how == "sum" else m.mean
    if dim is None:
        return fn(v)
    return fn(v, dim=dim, keepdim=keepdim)


INPLACE = {
    "+=": lambda w, o: w.__iadd__(o),
    "-=": lambda w, o: w.__isub__(o),
    "*=": lambda w, o: w.__imul__(o),
    "/=": lambda w, o: w.__itruediv__(o),
    "add_": lambda w, o: w.add_(o),
    "sub_": lambda w, o: w.sub_(o),
    "mul_": lambda w, o: w.mul_(o),
    "div_": lambda w, o: w.div_(o),
}


def inplace(m, name, target, operand):
    if "/" in name or "div" in name:
        operand = pos(m, operand) if not isinstance(operand, (int, float)) else operand or 2
    return INPLACE[name](target, operand)


SHAPES = {"scalar": 1, "vector": VECTOR, "one": 1}


@dataclass(frozen=True)
class Leaf:
    values: tuple
    shape: str  # "scalar" (0-d), "vector" (VECTOR,) or "one" (1,)
    dtype: str
    requires_grad: bool


@st.composite
def recipes(draw, dtype: str):
    n_leaves = draw(st.integers(1, 3))
    width = 32 if dtype == "float32" else 64
    number = st.floats(-2, 2, allow_nan=False, allow_subnormal=False, width=width)
    leaves = []
    for _ in range(n_leaves):
        shape = draw(st.sampled_from(["scalar", "scalar", "vector", "vector", "one"]))
        n = SHAPES[shape]
        values = tuple(draw(st.lists(number, min_size=n, max_size=n)))
        leaf_dtype = dtype if draw(st.integers(0, 5)) else ("float64" if dtype == "float32"
                                                            else "float32")
        leaves.append(Leaf(values, shape, leaf_dtype, draw(st.integers(0, 4)) > 0))
    steps = []
    n_values = n_leaves
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "number", "clamp",
                                     "reduce", "inplace"]))
        i = draw(st.integers(0, n_values - 1))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), i))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), i,
                          draw(st.integers(0, n_values - 1))))
        elif kind == "number":
            name = draw(st.sampled_from(sorted(WITH_NUMBER)))
            steps.append(("number", name, i, draw(st.sampled_from(WITH_NUMBER[name][1]))))
        elif kind == "clamp":
            lo = draw(st.sampled_from([-1.5, -0.5, 0.0, 0.25]))
            hi = draw(st.sampled_from([-0.25, 0.0, 0.5, 1.0, 2.0]))
            steps.append(("clamp", draw(st.sampled_from(sorted(CLAMPS))), i, lo, hi))
        elif kind == "reduce":
            steps.append(("reduce", draw(st.sampled_from(["sum", "mean"])), i,
                          draw(st.sampled_from([None, 0, -1])), draw(st.booleans())))
        else:
            # on a clone, or on the value itself (which may be a leaf, or saved by an
            # earlier op: then PyTorch refuses, now or at backward, and so must the engine)
            operand = (("value", draw(st.integers(0, n_values - 1))) if draw(st.booleans())
                       else ("number", draw(st.sampled_from(CONSTANTS))))
            steps.append(("inplace", draw(st.sampled_from(sorted(INPLACE))), i, operand,
                          draw(st.booleans())))
        n_values += 1
    seed = tuple(draw(st.lists(st.sampled_from([1.0, -1.0, 0.5, 2.0, 0.1]), min_size=VECTOR,
                               max_size=VECTOR)))
    return leaves, steps, seed


def apply_step(m, values, step):
    kind, name, i = step[:3]
    v = values[i]
    if kind == "unary":
        return UNARY[name](m, v)
    if kind == "binary":
        return BINARY[name](m, v, values[step[3]])
    if kind == "number":
        return WITH_NUMBER[name][0](m, v, step[3])
    if kind == "clamp":
        return CLAMPS[name](m, v, step[3], step[4])
    if kind == "reduce":
        return reduce(m, v, name, step[3], step[4])
    (source, operand), clone = step[3], step[4]
    operand = values[operand] if source == "value" else operand
    return inplace(m, name, m.clone(v) if clone else v, operand)


def build(m, leaves, steps):
    """Run a recipe with library m: (leaf tensors, every value made in order, the step that
    raised and its exception, or None)."""
    tensors = []
    for leaf in leaves:
        data = leaf.values[0] if leaf.shape == "scalar" else list(leaf.values)
        tensors.append(m.tensor(data, dtype=getattr(m, leaf.dtype),
                                requires_grad=leaf.requires_grad))
    values = list(tensors)
    for k, step in enumerate(steps):
        try:
            values.append(apply_step(m, values, step))
        except (RuntimeError, TypeError, ValueError) as exc:
            return tensors, values, (k, exc)
    return tensors, values, None


def assert_same_error(ours, theirs, what: str) -> None:
    assert (ours is None) == (theirs is None), f"{what}: engine {ours!r}, torch {theirs!r}"
    if theirs is not None:
        assert type(ours) is type(theirs) and str(ours) == str(theirs), what


def as_array(t) -> np.ndarray:
    return np.array(t.detach().tolist(), dtype=np.float64)


def assert_same_tensor(ours, theirs, tol: float, what: str) -> None:
    assert str(ours.dtype) == str(theirs.dtype), f"{what}: dtype {ours.dtype} vs {theirs.dtype}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {ours.shape} vs {theirs.shape}"
    np.testing.assert_allclose(as_array(ours), as_array(theirs), rtol=tol, atol=tol,
                               equal_nan=True, err_msg=what)


def record_order(fn) -> list:
    """Register a pre-hook on every node of a torch graph; the list fills as backward runs."""
    order, seen, stack = [], set(), [fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        node.register_prehook(lambda grads, node=node: order.append(node.name()))
        stack.extend(n for n, _ in node.next_functions)
    return order


def graph_names(fn) -> list:
    """Names of the backward graph reachable from fn, depth first, with None edges."""
    names, stack, seen = [], [fn], set()
    while stack:
        node = stack.pop()
        if node is None:
            names.append(None)
            continue
        names.append(node.name())
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(n for n, _ in reversed(node.next_functions))
    return names


NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[+-]\d+)?|inf|nan)")


def _check_repr(ours, theirs, what: str) -> None:
    """repr() must be identical whenever the values are identical, bit for bit.

    Where they differ in the last ulp (numpy's and PyTorch's float32 transcendental kernels
    are not the same code, and a cancellation such as 1/p - p/p**2 shows that difference as
    -5.96e-08 against 0.), the digits legitimately differ; then everything but the numbers
    (brackets, padding, dtype=, grad_fn=, requires_grad=) must still be identical.
    """
    a, b = as_array(ours), as_array(theirs)
    same_bits = np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a),
                                                                         np.signbit(b))
    if same_bits:
        assert repr(ours) == repr(theirs), f"{what}: repr differs for identical values"
    else:
        def skeleton(t):
            return re.sub(r" +", " ", NUMBER.sub("#", repr(t)))

        assert skeleton(ours) == skeleton(theirs), f"{what}: repr differs beyond the digits"


def run_recipe(leaves, steps, seed, dtype: str) -> None:
    our_leaves, ours, our_error = build(ge, leaves, steps)
    their_leaves, theirs, their_error = build(torch, leaves, steps)
    assert (our_error and our_error[0]) == (their_error and their_error[0]), "failing step"
    assert_same_error(our_error and our_error[1], their_error and their_error[1], "step")
    # float64 results computed through a float32 value carry float32 rounding
    tol = TOL["float32" if any(str(t.dtype) == "torch.float32" for t in theirs) else dtype]
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        what = f"value {k} ({'leaf' if k < len(leaves) else steps[k - len(leaves)]})"
        assert_same_tensor(a, b, tol, what)
        assert a.requires_grad == b.requires_grad, what
        assert a.is_leaf == b.is_leaf, what
        our_fn, their_fn = a.grad_fn, b.grad_fn
        assert (our_fn is None) == (their_fn is None), what
        if our_fn is not None:
            assert graph_names(our_fn) == graph_names(their_fn), what

    out, their_out = ours[-1], theirs[-1]
    _check_repr(out, their_out, "output")
    if not their_out.requires_grad:
        return
    their_order = record_order(their_out.grad_fn)
    errors = []
    with ge.trace_backward() as steps:
        for o, lib in ((out, ge), (their_out, torch)):
            try:
                if o.numel() == 1:
                    o.backward()
                else:
                    o.backward(lib.tensor(list(seed[: o.shape[0]]), dtype=o.dtype))
                errors.append(None)
            except RuntimeError as exc:  # e.g. a saved tensor was changed in place
                errors.append(exc)
    assert_same_error(*errors, "backward")
    # the nodes ran in PyTorch's order (torch's pre-hook also saw the node that failed;
    # a leaf output has no grad_fn to hook)
    if their_out.grad_fn is not None:
        ran = their_order[: len(their_order) - (errors[1] is not None)]
        assert [s.name for s in steps] == ran, "backward order"
    for k, (a, b) in enumerate(zip(our_leaves, their_leaves, strict=True)):
        # (an in-place op can have made a leaf a non-leaf: then .grad warns, in both)
        our_grad, our_warnings = grad_and_warnings(a)
        their_grad, their_warnings = grad_and_warnings(b)
        assert our_warnings == their_warnings, f"leaf {k}: .grad warnings"
        if their_grad is None:
            assert our_grad is None, f"leaf {k}: torch has no grad, engine has {our_grad}"
            continue
        assert our_grad is not None, f"leaf {k}: engine has no grad, torch has {their_grad}"
        assert_same_tensor(our_grad, their_grad, tol, f"grad of leaf {k}")
        _check_repr(our_grad, their_grad, f"grad of leaf {k}")


def grad_and_warnings(t) -> tuple:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = t.grad
    return g, [type(w.message) for w in caught]


# GS_PARITY_EXAMPLES=5000 for a longer hunt; the default keeps the file at a few seconds.
SETTINGS = settings(max_examples=int(os.environ.get("GS_PARITY_EXAMPLES", "250")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(recipe=recipes("float32"))
def test_random_graphs_float32(recipe):
    run_recipe(*recipe, "float32")


@SETTINGS
@given(recipe=recipes("float64"))
def test_random_graphs_float64(recipe):
    run_recipe(*recipe, "float64")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_every_unary_op_on_a_vector(name, dtype):
    leaves = [Leaf((-1.5, -0.0, 2.0), "vector", dtype, True)]
    run_recipe(leaves, [("unary", name, 0)], (1.0, -1.0, 0.5), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(BINARY))
def test_every_binary_op_scalar_with_vector(name, dtype):
    leaves = [Leaf((-1.5, 0.25, 2.0), "vector", dtype, True),
              Leaf((0.75,), "scalar", dtype, True)]
    run_recipe(leaves, [("binary", name, 0, 1), ("binary", name, 1, 0)], (1.0, -1.0, 0.5),
               dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(WITH_NUMBER))
def test_every_op_with_a_python_number(name, dtype):
    leaves = [Leaf((-1.5, 0.25, 2.0), "vector", dtype, True)]
    for c in WITH_NUMBER[name][1]:
        run_recipe(leaves, [("number", name, 0, c)], (1.0, -1.0, 0.5), dtype)


@pytest.mark.parametrize(("exponent", "backward_too"), [(2, True), (3, True), (-1, True),
                                                      (-2, False), (0, True), (1, True)])
def test_pow_special_exponents_agree_bit_for_bit(exponent, backward_too):
    # PyTorch's CPU kernel computes these exponents as x*x, x*x*x, 1/x, 1/(x*x); the engine
    # does the same, so even float32 results are identical. (x ** -2's backward needs
    # x ** -3, a general power: last-ulp differences there are expected.)
    values = np.random.default_rng(7).uniform(-3, 3, 1000).astype(np.float32)
    ours, theirs = ge.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    a, b = ours**exponent, theirs**exponent
    assert a.tolist() == b.tolist()
    if backward_too:
        a.sum().backward()
        b.sum().backward()
        assert ours.grad.tolist() == theirs.grad.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(INPLACE))
@pytest.mark.parametrize("operand", [("value", 1), ("number", 2.5)], ids=["tensor", "number"])
def test_every_in_place_op(name, operand, dtype):
    leaves = [Leaf((-1.5, 0.25, 2.0), "vector", dtype, True),
              Leaf((0.75,), "scalar", dtype, True)]
    # on a clone; on the vector leaf itself (refused); on a value a later backward needs
    run_recipe(leaves, [("inplace", name, 0, operand, True)], (1.0, -1.0, 0.5), dtype)
    run_recipe(leaves, [("inplace", name, 0, operand, False)], (1.0, -1.0, 0.5), dtype)
    run_recipe(leaves, [("unary", "exp", 0), ("unary", "sin", 2),
                        ("inplace", name, 2, operand, False)], (1.0, -1.0, 0.5), dtype)


def test_transpose():
    values = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
    results = []
    for m in (ge, torch):
        x = m.tensor(values, requires_grad=True)
        y = x.T
        (y * m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
        results.append((repr(y), repr(x.grad), y.grad_fn.name()))
    assert results[0] == results[1]


@pytest.mark.parametrize("how", ["sum", "mean"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("scalar", [False, True])
def test_reductions(how, dim, keepdim, scalar):
    leaves = [Leaf((2.5,) if scalar else (-1.5, 0.25, 2.0), "scalar" if scalar else "vector",
                   "float32", True)]
    run_recipe(leaves, [("reduce", how, 0, dim, keepdim)], (1.0, -1.0, 0.5), "float32")


@pytest.mark.parametrize("name", sorted(CLAMPS))
def test_clamp_boundaries_pass_the_gradient(name):
    # values exactly on the bounds: PyTorch passes the gradient there (min <= x <= max)
    leaves = [Leaf((-0.5, 0.0, 0.5), "vector", "float32", True)]
    run_recipe(leaves, [("clamp", name, 0, -0.5, 0.5)], (1.0, 1.0, 1.0), "float32")


ENGINE_IMPORT = "import gradstudio.engine as torch\n"


def test_semantics_expectations_are_pytorchs(tmp_path):
    """test_semantics.py hard-codes what PyTorch prints and raises; run it against real
    PyTorch too, so a wrong expectation cannot hide there."""
    source = Path(__file__).with_name("test_semantics.py").read_text()
    assert source.count(ENGINE_IMPORT) == 1
    copy = tmp_path / "test_semantics_on_pytorch.py"
    copy.write_text(source.replace(ENGINE_IMPORT, "import torch\n"))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(copy)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " skipped" in result.stdout  # only the engine_only tests
