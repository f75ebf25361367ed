"""Autograd semantics and messages of gradstudio.engine, case by case, against real PyTorch.

Expected texts come from tests/engine/data/pytorch_reference.md ("Semantics and messages"),
which records what PyTorch 2.13 printed and raised. Cases the reference does not cover were run
with real PyTorch 2.13 when these tests were written and its output is pasted here; such
constants say "(PyTorch 2.13)". Nothing below was obtained by running the engine.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import gradstudio.engine as torch

# --- PyTorch's messages (from the reference unless marked) -----------------------------------
SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling "
    "backward."
)
NO_GRAD = "element 0 of tensors does not require grad and does not have a grad_fn"
NON_LEAF_FLAG = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed "
    "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
NON_LEAF_GRAD_PREFIX = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward()."
)
UNUSED_INPUT = (
    "The differentiated Tensor at index 0 appears to not have been used in the graph. Set "
    "allow_unused=True if this is the desired behavior."
)
NON_SCALAR = "grad can be implicitly created only for scalar outputs"
SHAPE_MISMATCH = (
    "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape "
    "of torch.Size([3])."
)
BROADCAST = (
    "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"
)
VERSION_LEAF = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: [torch.FloatTensor [3]] is at version 1; expected version 0 instead. Hint: "
    "enable anomaly detection to find the operation that failed to compute its gradient, with "
    "torch.autograd.set_detect_anomaly(True, check_nan=False)."
)


def version_error(shape: str, made_by: str | None) -> str:
    """The in-place message for a saved tensor that an op made (PyTorch 2.13 wording)."""
    clause = "" if made_by is None else f", which is output 0 of {made_by},"
    return VERSION_LEAF.replace("[torch.FloatTensor [3]]", f"[torch.FloatTensor {shape}]{clause}")


# Several cases produce inf/nan on purpose. numpy reports those as RuntimeWarnings where
# PyTorch is silent; the engine filters them when it is imported, but pytest imports test
# modules inside warnings.catch_warnings(), which undoes that filter for the test run.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


# test_parity_torch.py runs this whole file once more with real PyTorch as ``torch``, to prove
# the expectations are PyTorch's; these tests use the engine's own API and are skipped there.
engine_only = pytest.mark.skipif(not torch.__name__.startswith("gradstudio"),
                                 reason="gradstudio.engine API, not in PyTorch")


def raises(exc: type, message: str):
    return pytest.raises(exc, match="^" + re.escape(message) + "$")


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    yield
    assert torch.is_grad_enabled(), "a test left grad mode off"


# --- accumulation, second backward, retain_graph -------------------------------------------
def test_grad_accumulates_across_fresh_graphs():
    x = torch.tensor(3.0, requires_grad=True)
    assert x.grad is None and repr(x.grad) == "None"
    shown = []
    for _ in range(3):
        y = x**2
        y.backward()
        shown.append(repr(x.grad))
    assert shown == ["tensor(6.)", "tensor(12.)", "tensor(18.)"]


def test_second_backward_on_the_same_graph_raises():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    y.backward()
    with raises(RuntimeError, SECOND_BACKWARD):
        y.backward()
    x2 = torch.tensor(3.0, requires_grad=True)
    y2 = x2 * 2
    y2.backward()
    with raises(RuntimeError, SECOND_BACKWARD):
        y2.backward()
    x4 = torch.tensor(3.0, requires_grad=True)
    y4 = torch.sin(x4 * 2) + 1
    y4.backward()
    with pytest.raises(RuntimeError, match=r"^Trying to backward through the graph a second"):
        y4.backward()


def test_graph_that_saves_nothing_can_backward_twice():
    x3 = torch.tensor(3.0, requires_grad=True)
    y = x3 + 1
    y.backward()
    y.backward()
    assert repr(x3.grad) == "tensor(2.)"


def test_retain_graph_sequence():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    y.backward(retain_graph=True)
    assert repr(x.grad) == "tensor(6.)"
    y.backward(retain_graph=True)
    assert repr(x.grad) == "tensor(12.)"
    y.backward()
    assert repr(x.grad) == "tensor(18.)"
    with raises(RuntimeError, SECOND_BACKWARD):
        y.backward()


def test_zero_returns_the_same_object_and_none_clears():
    x = torch.tensor(3.0, requires_grad=True)
    (x**2).backward()
    g = x.grad
    returned = g.zero_()
    assert returned is g and x.grad is g
    assert repr(returned) == "tensor(0.)" and repr(x.grad) == "tensor(0.)"
    x.grad = None
    assert x.grad is None


def test_accumulation_is_in_place():
    x = torch.tensor(3.0, requires_grad=True)
    (x**2).backward()
    first = x.grad
    view = first.detach()  # shares first's memory
    (x**2).backward()
    assert x.grad is first
    assert repr(first) == "tensor(12.)" and repr(view) == "tensor(12.)"


def test_diamond_sums_both_paths():
    x = torch.tensor(3.0, requires_grad=True)
    (x * 2 + x * 5).backward()
    assert repr(x.grad) == "tensor(7.)"


# --- requires_grad_ ---------------------------------------------------------------------------
def test_requires_grad_false_on_a_leaf():
    x = torch.tensor(3.0, requires_grad=True)
    returned = x.requires_grad_(False)
    assert returned is x and repr(returned) == "tensor(3.)"
    assert x.requires_grad is False and x.is_leaf is True
    y = x**2
    assert repr(y) == "tensor(9.)"
    assert y.requires_grad is False and y.grad_fn is None and y.is_leaf is True
    with raises(RuntimeError, NO_GRAD):
        y.backward()
    assert repr(x.requires_grad_(True)) == "tensor(3., requires_grad=True)"
    x.requires_grad = False
    assert repr(x) == "tensor(3.)"
    assert repr(x.requires_grad_()) == "tensor(3., requires_grad=True)"


def test_requires_grad_on_a_non_leaf():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    with raises(RuntimeError, NON_LEAF_FLAG):
        y.requires_grad_(False)
    with raises(RuntimeError, NON_LEAF_FLAG):
        y.requires_grad = False
    returned = y.requires_grad_(True)
    assert returned is y and repr(returned) == "tensor(9., grad_fn=<PowBackward0>)"


def test_integer_tensors_cannot_require_grad():
    # PyTorch 2.13 words it three ways, depending on how you ask
    factory = "Only Tensors of floating point and complex dtype can require gradients"
    with raises(RuntimeError, factory):
        torch.tensor([1, 2], requires_grad=True)
    with raises(RuntimeError, factory):
        torch.tensor(1, dtype=torch.int32, requires_grad=True)
    with raises(RuntimeError, factory):
        torch.zeros(2, dtype=torch.int64, requires_grad=True)
    with raises(RuntimeError, factory):
        torch.arange(3, requires_grad=True)
    x = torch.tensor([1, 2])
    with raises(RuntimeError, "only Tensors of floating point dtype can require gradients"):
        x.requires_grad_()
    with raises(RuntimeError,
                "only Tensors of floating point and complex dtype can require gradients"):
        x.requires_grad = True
    assert x.requires_grad_(False) is x and repr(x) == "tensor([1, 2])"


# --- detach, .data, version counter -----------------------------------------------------------
def test_detach():
    x = torch.tensor(3.0, requires_grad=True)
    d = x.detach()
    assert repr(d) == "tensor(3.)"
    assert d.requires_grad is False and d.is_leaf is True and d.grad_fn is None
    y = (x**2).detach()
    assert repr(y) == "tensor(9.)" and y.is_leaf is True
    with raises(RuntimeError, NO_GRAD):
        (y * 2).backward()


def test_detach_shares_memory():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = x.detach()
    d.mul_(torch.tensor([100.0, 1.0, 1.0]))  # the reference's d[0] = 100
    assert repr(x) == "tensor([100.,   2.,   3.], requires_grad=True)"
    d.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]


def test_in_place_change_of_a_saved_leaf_is_refused_at_backward():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x**2  # saves x
    x.detach().mul_(torch.tensor([100.0, 1.0, 1.0]))
    with raises(RuntimeError, VERSION_LEAF):
        y.sum().backward()


def test_in_place_change_names_the_op_that_made_the_saved_tensor():
    # PyTorch 2.13: a saved output is named by the op that made it ("Exp"), a saved input by
    # its grad_fn now ("Add" after y += 1)
    x = torch.tensor(3.0, requires_grad=True)
    y = torch.exp(x)  # ExpBackward0 saves its output
    y.detach().add_(1)
    with raises(RuntimeError, version_error("[]", "Exp")):
        y.backward()
    x = torch.tensor(3.0, requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y += 1
    with raises(RuntimeError, version_error("[]", "Add")):
        z.backward()
    x = torch.tensor(3.0, requires_grad=True)
    y = x ** torch.tensor(2.0)
    y.detach().add_(1)
    with raises(RuntimeError, version_error("[]", "Pow1")):
        y.backward()
    x = torch.tensor(3.0, requires_grad=True)
    y = x.clone()
    y *= 2  # version 1: every in-place write counts, watched or not
    z = y.abs()
    y *= 2
    with raises(RuntimeError, version_error("[]", "Mul").replace("version 1; expected version 0",
                                                                 "version 2; expected version 1")):
        z.backward()


def test_only_tensors_the_gradient_needs_are_watched():
    # PyTorch 2.13: x * c saves c for x's gradient, not x itself
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = torch.tensor([2.0, 2.0, 2.0])
    y = x * c
    x.detach().add_(1)
    y.sum().backward()
    assert repr(x.grad) == "tensor([2., 2., 2.])"
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = torch.tensor([2.0, 2.0, 2.0])
    y = x * c
    c.add_(1)  # the gradient would silently become 3: refused instead
    with raises(RuntimeError, VERSION_LEAF):
        y.sum().backward()
    x = torch.tensor(3.0, requires_grad=True)
    y = x + 1  # AddBackward0 saves nothing
    x.detach().add_(1)
    y.backward()
    assert repr(x.grad) == "tensor(1.)"


def test_data():
    x = torch.tensor(3.0, requires_grad=True)
    assert repr(x.data) == "tensor(3.)" and x.data.requires_grad is False
    y = x**2
    x.data.fill_(5.0)  # .data is not version-tracked (PyTorch 2.13: no error, grad 2*5)
    y.backward()
    assert repr(x) == "tensor(5., requires_grad=True)" and repr(x.grad) == "tensor(10.)"


# --- grad modes -------------------------------------------------------------------------------
def test_no_grad_context_manager():
    x = torch.tensor(3.0, requires_grad=True)
    with torch.no_grad():
        y = x**2
        inside = torch.is_grad_enabled()
    assert repr(y) == "tensor(9.)"
    assert y.requires_grad is False and y.grad_fn is None and y.is_leaf is True
    assert inside is False and torch.is_grad_enabled() is True
    with raises(RuntimeError, NO_GRAD):
        y.backward()


def test_no_grad_decorator_nesting_and_exceptions():
    x = torch.tensor(3.0, requires_grad=True)

    @torch.no_grad()
    def f(t):
        assert torch.is_grad_enabled() is False
        return t * 2

    assert repr(f(x)) == "tensor(6.)" and torch.is_grad_enabled()
    with torch.no_grad():
        with torch.no_grad():
            pass
        assert torch.is_grad_enabled() is False
    with pytest.raises(ValueError), torch.no_grad():
        raise ValueError
    assert torch.is_grad_enabled() is True


def test_set_grad_enabled_as_call_context_manager_and_decorator():
    x = torch.tensor(3.0, requires_grad=True)
    try:
        torch.set_grad_enabled(False)
        assert torch.is_grad_enabled() is False
        assert repr(x * 2) == "tensor(6.)"
    finally:
        torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert torch.is_grad_enabled() is False
        assert repr(x * 2) == "tensor(6.)"
    assert torch.is_grad_enabled() is True

    @torch.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert torch.is_grad_enabled() is True  # decorating does not switch the mode
    assert repr(f(x)) == "tensor(6.)"


def test_enable_grad_inside_no_grad():
    x = torch.tensor(3.0, requires_grad=True)
    with torch.no_grad(), torch.enable_grad():
        y = x * 2
    assert repr(y) == "tensor(6., grad_fn=<MulBackward0>)"


def test_in_place_on_a_leaf_that_requires_grad():
    x = torch.tensor(3.0, requires_grad=True)
    with raises(RuntimeError, LEAF_INPLACE):
        x -= 0.1
    for op in (lambda t: t.add_(1), lambda t: t.zero_(), lambda t: t.mul_(2)):
        with raises(RuntimeError, LEAF_INPLACE):
            op(x)
    same = x
    with torch.no_grad():
        x -= 0.1
    assert x is same
    assert repr(x) == "tensor(2.9000, requires_grad=True)" and x.is_leaf is True
    x = torch.tensor(3.0, requires_grad=True)
    x = x - 0.1
    assert repr(x) == "tensor(2.9000, grad_fn=<SubBackward0>)" and x.is_leaf is False


def test_in_place_on_a_computed_tensor_is_recorded():
    x = torch.tensor(3.0, requires_grad=True)
    y = x * 2
    same = y
    y += 1
    assert y is same
    assert repr(y) == "tensor(7., grad_fn=<AddBackward0>)" and y.is_leaf is False
    assert y.grad_fn.name() == "AddBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"
    y.backward()
    assert repr(x.grad) == "tensor(2.)"
    x = torch.tensor(3.0, requires_grad=True)
    y = x * x
    y *= 3
    y.backward()
    assert repr(y) == "tensor(27., grad_fn=<MulBackward0>)" and repr(x.grad) == "tensor(18.)"
    x = torch.tensor(3.0, requires_grad=True)
    y = x * 2
    y.add_(1)
    y.mul_(x)  # (2x + 1) * x: derivative 4x + 1 = 13 (PyTorch 2.13)
    y.backward()
    assert repr(y) == "tensor(21., grad_fn=<MulBackward0>)" and repr(x.grad) == "tensor(13.)"


def test_in_place_result_types():
    # PyTorch 2.13: a wider float is written back into the narrower one; a float cannot be
    # written into an integer tensor; a Python bool added to a bool tensor stays bool
    a = torch.ones(3)
    a += torch.ones(3, dtype=torch.float64)
    assert repr(a) == "tensor([2., 2., 2.])"
    h = torch.ones(3, dtype=torch.float16)
    h += torch.ones(3)
    assert repr(h) == "tensor([2., 2., 2.], dtype=torch.float16)"
    i = torch.ones(3, dtype=torch.int64)
    with raises(RuntimeError, "result type Float can't be cast to the desired output type Long"):
        i += 1.5
    i *= 2
    assert repr(i) == "tensor([2, 2, 2])"
    flags = torch.tensor([True])
    flags += True
    assert repr(flags) == "tensor([True])"
    x = torch.tensor([1.0, 1.0, 1.0], requires_grad=True)
    b = torch.ones(3, dtype=torch.float64, requires_grad=True)
    y = x * 1
    y += b
    y.sum().backward()
    assert repr(y) == "tensor([2., 2., 2.], grad_fn=<AddBackward0>)"
    assert repr(b.grad) == "tensor([1., 1., 1.], dtype=torch.float64)"


# --- .grad of non-leaves, retain_grad, is_leaf -------------------------------------------------
def test_non_leaf_grad_is_none_with_a_warning():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    z = y * 2
    z.backward()
    with pytest.warns(UserWarning, match="^" + re.escape(NON_LEAF_GRAD_PREFIX)):
        assert y.grad is None
    assert y.is_leaf is False and y.retains_grad is False


def test_retain_grad():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    assert y.retain_grad() is None
    (y * 2).backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert repr(y.grad) == "tensor(2.)"
    assert y.retains_grad is True and x.retains_grad is False
    assert x.retain_grad() is None and x.retains_grad is False


@pytest.mark.parametrize(
    ("make", "is_leaf", "requires_grad", "grad_fn"),
    [
        (lambda a, b: torch.tensor(1.0), True, False, None),
        (lambda a, b: torch.tensor(1.0, requires_grad=True), True, True, None),
        (lambda a, b: a * 2, True, False, None),
        (lambda a, b: b * 2, False, True, "MulBackward0"),
        (lambda a, b: (b * 2).detach(), True, False, None),
        (lambda a, b: b.clone(), False, True, "CloneBackward0"),
        (lambda a, b: torch.tensor(1.0).requires_grad_(), True, True, None),
    ],
    ids=["tensor", "tensor_rg", "a*2", "b*2", "detached", "clone", "requires_grad_"],
)
def test_is_leaf_table(make, is_leaf, requires_grad, grad_fn):
    a, b = torch.tensor(1.0), torch.tensor(1.0, requires_grad=True)
    t = make(a, b)
    assert t.is_leaf is is_leaf and t.requires_grad is requires_grad
    assert (t.grad_fn.name() if t.grad_fn is not None else None) == grad_fn


def test_is_leaf_under_no_grad():
    b = torch.tensor(1.0, requires_grad=True)
    with torch.no_grad():
        t = b * 2
    assert t.is_leaf is True and t.requires_grad is False and t.grad_fn is None


# --- mixed detach, leaves, errors of backward -------------------------------------------------
def test_mixed_detached_factor():
    x = torch.tensor(3.0, requires_grad=True)
    z = x.detach()
    y = x * z
    assert repr(y) == "tensor(9., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor(3.)"
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (v * v.detach()).sum().backward()
    assert repr(v.grad) == "tensor([1., 2., 3.])"
    x = torch.tensor(3.0, requires_grad=True)
    with torch.no_grad():
        c = x * 1
    (x * c).backward()
    assert repr(x.grad) == "tensor(3.)"


def test_backward_on_a_leaf_and_on_a_tensor_without_grad():
    x = torch.tensor(3.0, requires_grad=True)
    x.backward()
    assert repr(x.grad) == "tensor(1.)"
    with raises(RuntimeError, NO_GRAD):
        torch.tensor(3.0).backward()


def test_autograd_grad_errors():
    x = torch.tensor(3.0, requires_grad=True)
    unused = torch.tensor(1.0, requires_grad=True)
    with raises(RuntimeError, UNUSED_INPUT):
        torch.autograd.grad(x * 2, unused)
    assert torch.autograd.grad(x * 2, unused, allow_unused=True) == (None,)
    with raises(RuntimeError, "One of the differentiated Tensors does not require grad"):
        torch.autograd.grad(x * 2, torch.tensor(1.0))  # PyTorch 2.13


def test_non_scalar_backward():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x**2
    with raises(RuntimeError, NON_SCALAR):
        v.backward()
    with raises(RuntimeError, NON_SCALAR):
        torch.autograd.grad(v, x)
    with raises(RuntimeError, SHAPE_MISMATCH):
        v.backward(torch.ones(2))
    with raises(TypeError, "'float' object is not iterable"):
        v.backward(1.0)
    assert v.backward(torch.ones(3, dtype=torch.float64), retain_graph=True) is None
    assert repr(x.grad) == "tensor([2., 4., 6.])" and x.grad.dtype is torch.float32


@pytest.mark.parametrize(
    ("gradient", "expected"),
    [
        ([1.0, 1.0, 1.0], "tensor([2., 4., 6.])"),
        ([0.1, 1.0, 10.0], "tensor([ 0.2000,  4.0000, 60.0000])"),
        ([1 / 3, 1 / 3, 1 / 3], "tensor([0.6667, 1.3333, 2.0000])"),
        ([1, 1, 1], "tensor([2., 4., 6.])"),  # an int64 gradient is accepted
    ],
)
def test_backward_with_a_gradient(gradient, expected):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2).backward(gradient=torch.tensor(gradient))
    assert repr(x.grad) == expected


def test_gradients_given_as_a_sequence():
    # PyTorch 2.13 reads `gradient` like torch.autograd.backward's grad_tensors
    x = torch.tensor(3.0, requires_grad=True)
    (x * x).backward([torch.tensor(2.0)])
    assert repr(x.grad) == "tensor(12.)"
    with raises(TypeError, "gradients can be either Tensors or None, but got float"):
        (x * x).backward([1.0])
    with raises(RuntimeError, "got 1 tensors and 0 gradients"):
        (x * x).backward([])


def test_one_element_roots():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    r1 = (x**2).sum(dim=0, keepdim=True)
    assert tuple(r1.shape) == (1,) and repr(r1) == "tensor([14.], grad_fn=<SumBackward1>)"
    r1.backward()
    assert repr(x.grad) == "tensor([2., 4., 6.])"
    x.grad = None
    r11 = (x**2).sum(dim=0, keepdim=True) * torch.ones(1, 1)
    assert tuple(r11.shape) == (1, 1)
    r11.backward()
    assert repr(x.grad) == "tensor([2., 4., 6.])"


def test_scalar_seed_and_autograd_grad():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2).mean().backward(torch.tensor(2.0))
    assert repr(x.grad) == "tensor([1.3333, 2.6667, 4.0000])"
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad((x**2).mean(), x)
    assert repr(g) == "tensor([0.6667, 1.3333, 2.0000])"
    assert x.grad is None


# --- broadcasting, next_functions, dtype promotion ---------------------------------------------
def test_vector_plus_scalar():
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = torch.tensor(2.0, requires_grad=True)
    y = v + s
    assert repr(y) == "tensor([3., 4., 5.], grad_fn=<AddBackward0>)"
    y.sum().backward()
    assert repr(v.grad) == "tensor([1., 1., 1.])" and repr(s.grad) == "tensor(3.)"
    assert repr(s.grad.shape) == "torch.Size([])"


def test_vector_times_scalar():
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = torch.tensor(2.0, requires_grad=True)
    y = v * s
    assert repr(y) == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"
    y.sum().backward()
    assert repr(v.grad) == "tensor([2., 2., 2.])" and repr(s.grad) == "tensor(6.)"
    v.grad = s.grad = None
    (v * s).backward(torch.tensor([1.0, 10.0, 100.0]))
    assert repr(v.grad) == "tensor([  2.,  20., 200.])" and repr(s.grad) == "tensor(321.)"
    v.grad = s.grad = None
    (v * s).mean().backward()
    assert repr(v.grad) == "tensor([0.6667, 0.6667, 0.6667])" and repr(s.grad) == "tensor(2.)"
    s1 = torch.tensor([2.0], requires_grad=True)
    (v * s1).sum().backward()
    assert repr(s1.grad) == "tensor([6.])" and tuple(s1.grad.shape) == (1,)
    v.grad = None
    (v * 2.0 + 1.0).sum().backward()
    assert repr(v.grad) == "tensor([2., 2., 2.])"


def test_matrix_row_column_broadcast():
    m = torch.ones(2, 3, requires_grad=True)
    r = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = torch.tensor([[0.5], [-1.0]], requires_grad=True)
    (m * r + c).sum().backward()
    assert repr(m.grad) == "tensor([[1., 2., 3.],\n        [1., 2., 3.]])"
    assert repr(r.grad) == "tensor([2., 2., 2.])"
    assert repr(c.grad) == "tensor([[3.],\n        [3.]])"


def test_next_functions_of_v_plus_s():
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s = torch.tensor(2.0, requires_grad=True)
    fn = (v + s).grad_fn
    assert fn.name() == "AddBackward0"
    pairs = fn.next_functions
    assert [(node.name(), i) for node, i in pairs] == [
        ("torch::autograd::AccumulateGrad", 0), ("torch::autograd::AccumulateGrad", 0)]
    assert [type(node).__name__ for node, _ in pairs] == ["AccumulateGrad", "AccumulateGrad"]
    assert pairs[0][0].variable is v and pairs[1][0].variable is s
    assert [n for n, _ in (v * 2).grad_fn.next_functions][1] is None  # a number: no edge


def test_dtype_promotion_and_gradient_dtypes():
    v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    s64 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = v * s64
    assert y.dtype is torch.float32
    y.sum().backward()
    assert v.grad.dtype is torch.float32
    assert repr(s64.grad) == "tensor(6., dtype=torch.float64)"
    v64 = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    s32 = torch.tensor(2.0, requires_grad=True)
    y = v64 * s32
    assert y.dtype is torch.float64
    y.sum().backward()
    assert repr(s32.grad) == "tensor(3.)"
    v32 = torch.tensor([5.0, 7.0], requires_grad=True)
    w64 = torch.tensor([1.0, 2.0], dtype=torch.float64)
    y = v32 * w64
    assert y.dtype is torch.float64
    y.sum().backward()
    assert repr(v32.grad) == "tensor([1., 2.])"


def test_broadcast_shape_mismatch():
    with raises(RuntimeError, BROADCAST):
        torch.tensor([1.0, 2.0, 3.0], requires_grad=True) + torch.tensor([1.0, 2.0])


# --- construction errors ------------------------------------------------------------------------
def test_dtype_must_be_a_torch_dtype():
    # As PyTorch 2.13 (issue 12): a name such as "float32", a number or a numpy type is refused
    # (the engine used to accept names); Python's own float is torch.float64.
    for bad, name in (("foo", "str"), ("float32", "str"), (5, "int"), (np.float64, "type")):
        with raises(TypeError, f"tensor(): argument 'dtype' must be torch.dtype, not {name}"):
            torch.tensor([1.0], dtype=bad)
    assert torch.tensor([1.0], dtype=float).dtype is torch.float64  # as PyTorch


@pytest.mark.parametrize(
    ("data", "exc", "message"),  # PyTorch 2.13
    [
        ([[1.0, 2.0], [3.0]], ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
        ([[1, 2], [3, 4, 5]], ValueError, "expected sequence of length 2 at dim 1 (got 3)"),
        ([[[1]], [[1, 2]]], ValueError, "expected sequence of length 1 at dim 2 (got 2)"),
        ([[1, 2], []], ValueError, "expected sequence of length 2 at dim 1 (got 0)"),
        ([[1.0, 2.0], 3.0], TypeError, "not a sequence"),
        ([1.0, [2.0, 3.0]], TypeError, "must be real number, not list"),
        ([1, [2, 3]], TypeError, "'list' object cannot be interpreted as an integer"),
        (None, RuntimeError, "Could not infer dtype of NoneType"),
        ([1, None], RuntimeError, "Could not infer dtype of NoneType"),
        ("abc", TypeError, "new(): invalid data type 'str'"),
    ],
)
def test_bad_data(data, exc, message):
    with raises(exc, message):
        torch.tensor(data)


def test_rectangular_nested_data_is_fine():
    assert repr(torch.tensor([[1, 2], (3, 4)])) == "tensor([[1, 2],\n        [3, 4]])"


# --- IEEE values --------------------------------------------------------------------------------
def test_log_of_zero():
    x = torch.tensor(0.0, requires_grad=True)
    y = torch.log(x)
    y.backward()
    assert repr(y) == "tensor(-inf, grad_fn=<LogBackward0>)" and repr(x.grad) == "tensor(inf)"


@pytest.mark.parametrize(
    ("make", "value", "grad"),  # PyTorch 2.13
    [
        (lambda x: torch.sqrt(x), "tensor(0., grad_fn=<SqrtBackward0>)", "tensor(inf)"),
        (lambda x: x / x, "tensor(nan, grad_fn=<DivBackward0>)", "tensor(nan)"),
        (lambda x: torch.exp(x + 100), "tensor(inf, grad_fn=<ExpBackward0>)", "tensor(inf)"),
        (lambda x: torch.log(torch.sigmoid(x - 100)), "tensor(-inf, grad_fn=<LogBackward0>)",
         "tensor(nan)"),
        (lambda x: 0 ** x, "tensor(1., grad_fn=<PowBackward2>)", "tensor(0.)"),
        (lambda x: 0 ** (x + 2), "tensor(0., grad_fn=<PowBackward2>)", "tensor(0.)"),
    ],
    ids=["sqrt(0)", "0/0", "exp(100)", "log(sigmoid(-100))", "0**0", "0**2"],
)
def test_non_finite_values_propagate(make, value, grad):
    x = torch.tensor(0.0, requires_grad=True)
    y = make(x)
    y.backward()
    assert repr(y) == value and repr(x.grad) == grad


def test_pow_with_tensor_exponent_at_zero():
    # PyTorch 2.13: no gradient through exponent 0, none to the exponent where the base is 0
    for e_value, out, gx, ge in [(2.0, "tensor(0.", "tensor(0.)", "tensor(0.)"),
                                 (0.0, "tensor(1.", "tensor(0.)", "tensor(0.)")]:
        x = torch.tensor(0.0, requires_grad=True)
        e = torch.tensor(e_value, requires_grad=True)
        y = x**e
        y.backward()
        assert repr(y).startswith(out) and repr(x.grad) == gx and repr(e.grad) == ge


def test_nan_and_inf_through_clamp_relu_sigmoid():
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([nan, 1.0], requires_grad=True)
    y = torch.clamp(x, 0, 2)
    y.sum().backward()
    assert repr(y) == "tensor([nan, 1.], grad_fn=<ClampBackward1>)"
    assert repr(x.grad) == "tensor([0., 1.])"
    x = torch.tensor([nan, -1.0], requires_grad=True)
    y = torch.relu(x)
    y.sum().backward()
    assert repr(y) == "tensor([nan, 0.], grad_fn=<ReluBackward0>)"
    assert repr(x.grad) == "tensor([1., 0.])"
    x = torch.tensor([inf, -inf], requires_grad=True)
    y = torch.sigmoid(x)
    y.sum().backward()
    assert repr(y) == "tensor([1., 0.], grad_fn=<SigmoidBackward0>)"
    assert repr(x.grad) == "tensor([0., 0.])"


def test_relu_and_clamp_keep_the_input_where_it_equals_the_bound():
    # PyTorch 2.13 computes max(x, lo) keeping x on a tie, so -0. stays -0.
    x = torch.tensor([0.0, -0.0, -1.0, 2.0], requires_grad=True)
    assert repr(torch.relu(x)) == "tensor([0., -0., 0., 2.], grad_fn=<ReluBackward0>)"
    assert repr(x.clamp(min=0.0)) == "tensor([0., -0., 0., 2.], grad_fn=<ClampBackward1>)"
    assert repr(x.clamp(max=-0.0)) == "tensor([ 0., -0., -1., -0.], grad_fn=<ClampBackward1>)"
    y = torch.clamp(x, 2.0, 1.0)  # min > max: everything becomes max
    y.sum().backward()
    assert repr(y) == "tensor([1., 1., 1., 1.], grad_fn=<ClampBackward1>)"
    assert repr(x.grad) == "tensor([0., 0., 0., 0.])"


def bce(prediction, target):
    """The notebook's binary cross-entropy, with its epsilon clamp."""
    epsilon = 1e-8
    prediction = torch.clamp(prediction, epsilon, 1 - epsilon)
    return -(target * torch.log(prediction) + (1 - target) * torch.log(1 - prediction))


def small_network(x_value: float, dtype):
    x = torch.tensor(x_value, dtype=dtype)
    y = torch.tensor(0.0, dtype=dtype)
    w = torch.tensor(1.0, dtype=dtype, requires_grad=True)
    b = torch.tensor(0.0, dtype=dtype, requires_grad=True)
    return bce(torch.sigmoid(w * x + b), y), w, b


def test_bce_saturates_in_float32_but_not_in_float64():
    loss, w, b = small_network(17.0, torch.float32)
    loss.backward()
    assert repr(loss) == "tensor(inf, grad_fn=<NegBackward0>)"
    assert math.isnan(w.grad.item()) and math.isnan(b.grad.item())
    loss, w, b = small_network(17.0, torch.float64)
    loss.backward()
    # PyTorch 2.13, float64
    assert loss.item() == pytest.approx(17.000000038491418, rel=1e-12)
    assert w.grad.item() == pytest.approx(16.999999296210614, rel=1e-9)
    assert b.grad.item() == pytest.approx(0.9999999586006244, rel=1e-9)


def test_small_network_numbers():
    loss, w, b = small_network(6.7, torch.float32)
    loss.backward()
    assert loss.item() == 6.701176166534424
    assert w.grad.item() == 6.6917619705200195 and b.grad.item() == 0.9987704753875732
    assert f"{w.grad}" == "6.6917619705200195"
    loss, w, b = small_network(6.7, torch.float64)
    loss.backward()
    assert loss.item() == pytest.approx(6.701230154951767, rel=1e-14)
    assert w.grad.item() == pytest.approx(6.691763029237442, rel=1e-12)
    assert b.grad.item() == pytest.approx(0.9987706013787226, rel=1e-12)


# --- trace_backward ----------------------------------------------------------------------------
# The order real PyTorch 2.13 runs the small network's backward in (node pre-hooks).
BCE_BACKWARD_ORDER = [
    "NegBackward0", "AddBackward0", "MulBackward0", "LogBackward0", "RsubBackward1",
    "MulBackward0", "LogBackward0", "ClampBackward1", "SigmoidBackward0", "AddBackward0",
    "torch::autograd::AccumulateGrad", "MulBackward0", "torch::autograd::AccumulateGrad",
]


@engine_only
def test_trace_backward_records_each_node_once_in_order():
    loss, w, b = small_network(6.7, torch.float32)
    with torch.trace_backward() as steps:
        loss.backward()
    assert [s.name for s in steps] == BCE_BACKWARD_ORDER
    assert len({id(s.node) for s in steps}) == len(steps)
    for s in steps:  # one gradient out per input edge; leaves send nothing on
        assert len(s.grad_inputs) == len(s.node.next)


@engine_only
def test_trace_backward_numbers_satisfy_the_chain_rule():
    loss, w, b = small_network(6.7, torch.float32)
    with torch.trace_backward() as steps:
        loss.backward()
    by_node = {id(s.node): s for s in steps}
    # what arrives at a node is the sum of what its consumers sent along the edges to it
    arrived: dict[int, float] = {}
    for s in steps:
        for child, g in zip(s.node.next, s.grad_inputs, strict=True):
            if child is not None:
                assert g is not None
                arrived[id(child)] = arrived.get(id(child), 0.0) + float(g)
    for s in steps[1:]:
        assert float(s.grad_output) == pytest.approx(arrived[id(s.node)], rel=1e-6)
    assert float(steps[0].grad_output) == 1.0  # the seed
    # each node's outgoing gradient is the incoming one times its local derivative
    z = 6.7
    # sigmoid(z) as float32 holds it: 1 - p has few significant bits left, so use that p
    p = float(np.float32(1) / (np.float32(1) + np.exp(-np.float32(z))))
    local = {
        "NegBackward0": [-1.0],
        "SigmoidBackward0": [p * (1 - p)],
        "ClampBackward1": [1.0],  # 1e-8 <= p <= 1: inside the bounds
        "RsubBackward1": [-1.0],
    }
    for s in steps:
        for factor_index, factor in enumerate(local.get(s.name, [])):
            expected = float(s.grad_output) * factor
            assert float(s.grad_inputs[factor_index]) == pytest.approx(expected, rel=1e-5)
    first_log, second_log = [s for s in steps if s.name == "LogBackward0"]
    rsub = next(s for s in steps if s.name == "RsubBackward1")
    # d log(1 - p) / d(1 - p) = 1 / (1 - p), and the Rsub step passes it on negated
    assert float(first_log.grad_inputs[0]) == pytest.approx(
        float(first_log.grad_output) / (1 - p), rel=1e-5)
    assert rsub.grad_output == first_log.grad_inputs[0]
    assert float(second_log.grad_inputs[0]) == pytest.approx(0.0, abs=0.0)  # y = 0 kills it
    mul_w = steps[-2]
    assert mul_w.name == "MulBackward0" and mul_w.grad_inputs[1] is None  # x needs no grad
    assert float(mul_w.grad_inputs[0]) == pytest.approx(float(mul_w.grad_output) * z, rel=1e-6)
    assert float(mul_w.grad_inputs[0]) == pytest.approx(6.6917619705200195, rel=1e-7)
    leaves = [s for s in steps if s.name == "torch::autograd::AccumulateGrad"]
    assert [s.node.variable for s in leaves] == [b, w]
    assert float(leaves[0].grad_output) == b.grad.item()
    assert float(leaves[1].grad_output) == w.grad.item()
    assert id(steps[0].node) in by_node and steps[0].node is loss.grad_fn


@engine_only
def test_trace_backward_runs_nodes_in_pytorch_order():
    # PyTorch 2.13 (node pre-hooks): the latest-made ready node first; a ready leaf at once
    x = torch.tensor(2.0, requires_grad=True)
    a, b = torch.sin(x), torch.exp(x)
    with torch.trace_backward() as steps:
        (b + a).backward()
    assert [s.name for s in steps] == ["AddBackward0", "ExpBackward0", "SinBackward0",
                                       "torch::autograd::AccumulateGrad"]
    x = torch.tensor(1.0, requires_grad=True)
    w = torch.tensor(2.0, requires_grad=True)
    with torch.trace_backward() as steps:
        (w + torch.exp(x)).backward()
    assert [s.name for s in steps] == ["AddBackward0", "torch::autograd::AccumulateGrad",
                                       "ExpBackward0", "torch::autograd::AccumulateGrad"]
    assert steps[1].node.variable is w and steps[3].node.variable is x


@engine_only
def test_trace_backward_records_nothing_outside_the_block():
    x = torch.tensor(2.0, requires_grad=True)
    with torch.trace_backward() as steps:
        pass
    (x * x).backward()
    assert steps == []


# --- hooks ---------------------------------------------------------------------------------------
def test_hook_on_a_leaf():
    x = torch.tensor(3.0, requires_grad=True)
    x.register_hook(lambda g: g * 10)
    (x**2).backward()
    assert repr(x.grad) == "tensor(60.)"
    seen = []
    x = torch.tensor(3.0, requires_grad=True)
    x.register_hook(seen.append)  # returns None: the gradient is kept
    (x**2).backward()
    assert repr(x.grad) == "tensor(6.)" and [repr(g) for g in seen] == ["tensor(6.)"]
    x = torch.tensor(3.0, requires_grad=True)
    x.register_hook(lambda g: g * 10).remove()
    (x**2).backward()
    assert repr(x.grad) == "tensor(6.)"


def test_hook_on_a_non_leaf():
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    y.register_hook(lambda g: g * 10)
    y.backward()
    assert repr(x.grad) == "tensor(60.)"
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    assert repr(x.grad) == "tensor([10., 18.])"  # (2 * 2x + 1) * 2
    x = torch.tensor(3.0, requires_grad=True)
    y = x * x
    y.register_hook(lambda g: g * 2)
    y.register_hook(lambda g: g + 1)
    y.backward()
    assert repr(x.grad) == "tensor(18.)"  # (1 * 2 + 1) * 2x


@pytest.mark.parametrize("retain_first", [True, False])
def test_retained_grad_sees_the_hooked_gradient(retain_first):
    x = torch.tensor(3.0, requires_grad=True)
    y = x**2
    if retain_first:
        y.retain_grad()
    y.register_hook(lambda g: g * 10)
    if not retain_first:
        y.retain_grad()
    y.backward()
    assert repr(x.grad) == "tensor(60.)" and repr(y.grad) == "tensor(10.)"  # PyTorch 2.13


def test_hook_needs_requires_grad():
    with raises(RuntimeError, "cannot register a hook on a tensor that doesn't require gradient"):
        torch.tensor(3.0).register_hook(lambda g: g)


# --- small API facts -----------------------------------------------------------------------------
def test_size_repr():
    assert repr(torch.Size([2, 3])) == "torch.Size([2, 3])"
    assert repr(torch.Size([])) == "torch.Size([])"
    assert repr(torch.tensor([[1.0]]).shape) == "torch.Size([1, 1])"
    assert torch.tensor(1.0).shape == () and torch.Size([2, 3]) == (2, 3)
    assert torch.Size([2, 3]).numel() == 6


def test_item_and_tolist():
    assert torch.tensor(0.1).item() == 0.10000000149011612
    assert torch.tensor(0.1, dtype=torch.float64).item() == 0.1
    assert torch.tensor(3).item() == 3 and type(torch.tensor(3).item()) is int
    assert torch.tensor(True).item() is True
    with raises(RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"):
        torch.tensor([1.0, 2.0]).item()
    assert torch.tensor([0.1, 0.2]).tolist() == [0.10000000149011612, 0.20000000298023224]
    assert torch.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]


def test_format_and_print(capsys):
    t = torch.tensor(0.1)
    assert f"{t}" == "0.10000000149011612" and f"{t:.2f}" == "0.10"
    x = torch.tensor(3.0, requires_grad=True)
    assert f"{x}" == "3.0" and f"{x * 2:.3f}" == "6.000"
    v = torch.tensor([1.0, 2.0])
    assert f"{v}" == repr(v) == "tensor([1., 2.])"
    with raises(TypeError, "unsupported format string passed to Tensor.__format__"):
        f"{v:.2f}"  # noqa: B018
    for value in (t, x * 2, v, torch.tensor([[1, 2], [3, 4]])):
        print(value)
        assert capsys.readouterr().out == repr(value) + "\n"
        assert str(value) == repr(value)


# --- smaller API parity fixed while writing these tests (PyTorch 2.13) ---------------------------
def test_transpose_property():
    x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    y = x.T
    assert repr(y) == "tensor([[1.],\n        [2.]], grad_fn=<PermuteBackward0>)"
    (y * torch.tensor([[3.0], [4.0]])).sum().backward()
    assert repr(x.grad) == "tensor([[3., 4.]])"


def test_number_first_functions():
    x = torch.tensor(3.0, requires_grad=True)
    assert repr(torch.add(2, x)) == "tensor(5., grad_fn=<AddBackward0>)"
    assert repr(torch.sub(2, x)) == "tensor(-1., grad_fn=<SubBackward0>)"
    assert repr(torch.mul(2, x)) == "tensor(6., grad_fn=<MulBackward0>)"
    assert repr(torch.div(2, x)) == "tensor(0.6667, grad_fn=<DivBackward0>)"
    assert repr(torch.pow(2, x)) == "tensor(8., grad_fn=<PowBackward2>)"
    assert repr(2 - x) == "tensor(-1., grad_fn=<RsubBackward1>)"
    assert [n.name() for n, _ in (2 - x).grad_fn.next_functions] == [
        "torch::autograd::AccumulateGrad"]  # rsub(Tensor, Scalar) has one input
    assert repr(2 ** torch.tensor([1, 2])) == "tensor([2, 4])"
    assert repr(2.5 ** torch.tensor([1, 2])) == "tensor([2.5000, 6.2500])"
    with raises(TypeError, "sin(): argument 'input' (position 1) must be Tensor, not float"):
        torch.sin(2.0)
    with raises(RuntimeError, "Integers to negative integer powers are not allowed."):
        torch.tensor([1, 2]) ** -1


def test_assigning_grad_checks_dtype_then_size():
    x = torch.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=re.escape(
            "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype "
            "'Float'. The gradient must match the tensor's grad_dtype")):
        x.grad = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    with raises(RuntimeError,
                "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please "
                "ensure that the gradient and the tensor are the same size"):
        x.grad = torch.tensor([1.0, 2.0, 3.0])
    with raises(TypeError, "assigned grad expected to be a Tensor or None but got grad of type "
                           "float"):
        x.grad = 3.0


def test_numpy_of_a_tensor_that_requires_grad():
    x = torch.tensor(3.0, requires_grad=True)
    with raises(RuntimeError, "Can't call numpy() on Tensor that requires grad. Use "
                              "tensor.detach().numpy() instead."):
        x.numpy()
    with torch.no_grad():
        assert x.numpy() == np.float32(3.0)


@engine_only
def test_a_product_keeps_only_the_operand_its_gradient_reads() -> None:
    """y = sin(x) * 1.01 needs 1.01 for backward, not sin(x): a big vector must not stay
    alive in the graph (memory), as in PyTorch's MulBackward0."""
    x = torch.full((1000,), 0.5).requires_grad_()
    s = torch.sin(x)
    y = s * 1.01
    saved_a, saved_b = y.grad_fn.saved
    assert saved_a is None and float(saved_b) == np.float32(1.01)
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), 1.01 * np.cos(0.5))
