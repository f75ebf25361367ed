"""Import of PyTorch code against PyTorch itself: each snippet is imported (read, never run)
into a graph, the graph is run on a Session with the code's backward calls replayed, and
every variable's value and every leaf's gradient must equal what real PyTorch gives running
the same snippet. A corpus written for these tests, then random scripts from hypothesis."""

from __future__ import annotations

import numpy as np
import pytest

from gradstudio.graph import Session
from gradstudio.graph.code_import import import_code, replay

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as hs  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

CORPUS = {
    "square": """
x = torch.tensor(3.0, requires_grad=True)
y = x**2
y.backward()
""",
    "sin_of_square": """
import torch
x = torch.tensor(3.0, requires_grad=True)
y = x ** 2
z = torch.sin(y)
z.backward()
""",
    "network_functional_bce": """
import torch
import torch.nn.functional as F
x = torch.tensor(6.7)
y = torch.tensor(0.0)
w = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
z = w * x + b
y_pred = torch.sigmoid(z)
loss = F.binary_cross_entropy(y_pred, y)
loss.backward()
""",
    "network_hand_written_bce": """
x = torch.tensor(6.7)
y = torch.tensor(0.0)
w = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)

def binary_cross_entropy_loss(prediction, target):
    epsilon = 1e-8  # To prevent log(0)
    prediction = torch.clamp(prediction, epsilon, 1 - epsilon)
    return -(target * torch.log(prediction) + (1 - target) * torch.log(1 - prediction))

z = w*x + b
y_pred = torch.sigmoid(z)
loss = binary_cross_entropy_loss(y_pred, y)
loss.backward()
""",
    "vector_mean": """
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (x**2).mean()
y.backward()
""",
    "mse_vectors": """
from torch.nn import functional as F
x = torch.tensor([0.5, -1.0, 2.0])
t = torch.tensor([1.0, 0.0, 3.5])
w = torch.tensor(0.8, requires_grad=True)
b = torch.tensor(0.1, requires_grad=True)
pred = w * x + b
loss = F.mse_loss(pred, t)
loss.backward()
""",
    "every_unary_op": """
x = torch.tensor([0.3, 1.2, -0.7], requires_grad=True)
a = torch.cos(x) + x.sin()
b = torch.exp(x) * x.tanh()
c = torch.log(x * x + 1) - x.sigmoid()
d = torch.relu(x) + x.neg() + torch.neg(x) + x.relu()
e = torch.clamp(x, -0.5, 0.5) + x.clamp(min=0.0) + x.clamp(max=0.2) + torch.clip(x, 0.0, 1.0)
f = torch.pow(x, 3) + x.pow(2) + (x * x + 1) ** 0.5 + torch.square(x) + x.square()
g = torch.sum(a * b) + c.sum() + torch.mean(d) + e.mean() + f.sum()
g.backward()
""",
    "numbers_on_both_sides": """
x = torch.tensor(1.7, requires_grad=True)
y = 2 - x
z = 1 / x + x / 4 - -x + 3 * x + x * 0.5 - 1
u = x ** -1 + x ** 3 + 2 ** 3 * x + (1 - 0.25) * x
v = (y * z + u).exp() / 1000
v.backward()
""",
    "function_forms": """
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([0.5, 4.0], requires_grad=True)
c = torch.add(a, b) * torch.mul(a, 2) - torch.sub(b, a) / torch.div(b, 3)
d = a.add(1).mul(b).sub(0.5).div(2)
s = (c + d).sum()
s.backward()
""",
    "detach": """
x = torch.tensor(2.0, requires_grad=True)
z = x.detach()
y = x ** 2 + z * x + (x * 3).detach()
y.backward()
""",
    "no_grad_block": """
x = torch.tensor(2.0, requires_grad=True)
with torch.no_grad():
    c = x * 2
    d = torch.sin(x)
y = c * x + d
y.backward()
""",
    "requires_grad_": """
w = torch.tensor(1.5).requires_grad_()
v = torch.tensor(0.5)
v.requires_grad_(True)
u = torch.tensor(3.0, requires_grad=True)
u.requires_grad_(False)
loss = (w * v * u).sigmoid()
loss.backward()
""",
    "float64": """
x = torch.tensor(0.1, dtype=torch.float64, requires_grad=True)
w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.double, requires_grad=True)
y = (torch.sin(w * x) / 3).sum()
y.backward()
""",
    "accumulation_by_running_again": """
x = torch.tensor(2.0, requires_grad=True)
y = x**2
y.backward()
y = x**2
y.backward()
""",
    "accumulation_retain_graph": """
x = torch.tensor(2.0, requires_grad=True)
y = torch.exp(x) * 3
y.backward(retain_graph=True)
y.backward()
""",
    "zero_grad_between": """
x = torch.tensor(2.0, requires_grad=True)
y = x**2
y.backward()
x.grad.zero_()
y2 = x ** 3
y2.backward()
""",
    "functional_activations": """
import torch.nn.functional as F
x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
y = (F.relu(x) + F.tanh(x) * F.sigmoid(x)).mean()
y.backward()
""",
    "matrix": """
m = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
v = torch.tensor([0.5, -0.5], requires_grad=True)
s = (m * v + m * m).sum()
s.backward()
""",
    "tuple_assignment_and_aliases": """
w, b = torch.tensor(0.3, requires_grad=True), torch.tensor(-0.2, requires_grad=True)
x = torch.tensor([1.0, 2.0, 3.0])
alias = w
p = torch.sigmoid(alias * x + b)
q = p
loss = q.sum()
loss.backward()
""",
    "bce_reductions": """
import torch.nn.functional as F
p0 = torch.tensor([0.2, 0.7, 0.9], requires_grad=True)
t = torch.tensor([0.0, 1.0, 1.0])
a = F.binary_cross_entropy(p0, t)
b = F.binary_cross_entropy(p0, t, reduction='sum')
c = F.binary_cross_entropy(p0, t, reduction="none").sum()
d = F.mse_loss(p0, t, reduction="sum") + F.mse_loss(p0, t, reduction="none").mean()
total = a + b + c + d
total.backward()
""",
    "print_and_bare_expressions": """
x = torch.tensor(3.0, requires_grad=True)
x
print(x)
y = x ** 2
y
print(f"y = {y}, x.grad = {x.grad}", y.shape, y.requires_grad, sep=" | ")
y.backward()
x.grad
print(x.grad.item(), x.grad.tolist(), x.is_leaf, y.grad_fn)
""",
}

# What a PyTorch learner pastes from tutorials and the notebook: factories, a script's
# main guard, type hints, semicolons, f-strings, .item(), .grad.data, retain_grad,
# backward(torch.ones_like(y)), x.grad = None between backward calls.
CORPUS.update({
    "tutorial_script": """
import torch

# a script as tutorials write it
def f(x: torch.Tensor) -> torch.Tensor:
    \"\"\"x squared plus sin x.\"\"\"
    return x ** 2 + torch.sin(x)

if __name__ == "__main__":
    x: torch.Tensor = torch.tensor(2.0, requires_grad=True)  # input
    lr: float = 0.1
    y = f(x); y.backward()
    print(f"y = {y.item():.4f}, dy/dx = {x.grad.item():.4f}")
    print(f"{x.grad.data=}", x.grad.data, x.shape, x.size(), x.dim())
""",
    "ones_zeros_factories": """
torch.manual_seed(0)
w = torch.ones(3, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
m = torch.ones((2, 3), dtype=torch.float32)
x = torch.tensor([0.5, -1.0, 2.0])
t = torch.zeros_like(x)
u = torch.ones_like(m, requires_grad=True)
loss = ((w * x + b - t) ** 2).mean() + (u * m).sum()
loss.backward()
""",
    "backward_with_ones_like": """
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 2 * 3
y.backward(torch.ones_like(y))
print(x.grad)
""",
    "scalar_backward_with_ones_like_retained": """
x = torch.tensor(1.5, requires_grad=True)
y = torch.exp(x)
y.backward(gradient=torch.ones_like(y), retain_graph=True)
y.backward(torch.ones_like(y))
""",
    "retain_grad_of_an_intermediate": """
x = torch.tensor(3.0, requires_grad=True)
y = x ** 2
y.retain_grad()
z = torch.sin(y)
z.backward()
print(y.grad, x.grad)
""",
    "grad_set_to_none_between_backward_calls": """
x = torch.tensor(2.0, requires_grad=True)
y = x ** 2
y.backward()
x.grad = None
y = x ** 3
y.backward()
w = torch.tensor(1.0, requires_grad=True)
(w * 2).backward()
w.grad = None
""",
    "prints_as_tutorials_write_them": """
x = torch.tensor(2.0, requires_grad=True)
y = x ** 3
y.backward()
print("x.grad =", round(x.grad.item(), 4), "is None:", x.grad is None)
print('y = {}, dy/dx = {:.2f}'.format(y, x.grad.item()))
print("y = %s" % y, "x = %.3f" % (x.item(),), "grad: " + str(x.grad), repr(x))
print(type(x), float(x.grad), int(x.item()), len(x.shape), x.dtype == torch.float32)
""",
    "clones": """
x = torch.tensor([1.0, -2.0], requires_grad=True)
c = torch.tensor([0.5, 0.5])
d = c.clone().requires_grad_()
e = x.detach().clone()
f = (x * 2).clone()
g = x.clone()
loss = (f * d + e * x + g ** 2).sum()
loss.backward()
""",
    "imports_names_and_flags": """
from torch import sin, exp
from torch.nn import functional as F
x = torch.tensor([0.5, 1.5], dtype=torch.float)  # input
x.requires_grad = True
w = torch.tensor(0.3).requires_grad_()
with torch.no_grad():
    c = exp(x) * 2
    with torch.enable_grad():
        h = sin(w * x)
loss = F.mse_loss(h + c, torch.zeros_like(x)); print(f"loss: {loss.item():.3f}")
loss.backward()
""",
    "number_accumulating_a_tensor": """
x = torch.tensor([1.0, 2.0], requires_grad=True)
total = 0
total += (x * 2).sum()  # a number plus a tensor: a new tensor
total = total + (x ** 2).sum()
total.backward()
""",
})


def _run_torch(code: str) -> dict:
    """The snippet run by real PyTorch (test code we wrote: trusted), as a script is run."""
    namespace = {"torch": torch, "__name__": "__main__"}
    exec(compile(code, "<corpus>", "exec"), namespace)  # noqa: S102
    return {k: v for k, v in namespace.items() if isinstance(v, torch.Tensor)}


def _tolerance(dtype: str) -> dict:
    return {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-12, "atol": 0}


def check_against_torch(code: str) -> None:
    expected = _run_torch(code)
    imported = import_code(code)
    model = imported.model
    session = Session(model)
    results = replay(session, imported.actions)
    assert all(r.ok for r in results), [(r.error, r.reason) for r in results]
    forward = session.last_forward or session.forward()
    tol = _tolerance(model.settings.dtype)
    assert set(imported.names) == set(expected)
    for name, want in expected.items():
        node = imported.names[name]
        got = forward.value(node)
        assert got is not None, f"{name}: {forward.errors.get(node)}"
        assert str(got.dtype) == str(want.dtype)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **tol,
                                   err_msg=name)
        if want.is_leaf:
            assert model.node(node).flags["requires_grad"] == want.requires_grad, name
            grad = session.grad(node)
            if want.grad is None:
                assert grad is None, name
            else:
                assert grad is not None, f"{name}.grad is None, PyTorch has {want.grad}"
                np.testing.assert_allclose(grad.numpy(), want.grad.numpy(), **tol,
                                           err_msg=f"{name}.grad")


@pytest.mark.parametrize("name", CORPUS)
def test_import_then_run_agrees_with_pytorch(name: str) -> None:
    check_against_torch(CORPUS[name])


# --- random scripts -------------------------------------------------------------------------
UNARY = ("torch.sin({})", "torch.cos({})", "{}.tanh()", "torch.sigmoid({})", "{}.exp()",
         "torch.relu({})", "-{}", "{} ** 2", "{}.pow(3)", "torch.clamp({}, -1.0, 1.0)",
         "torch.log({} * {} + 1)", "{}.detach()")
BINARY = ("{} + {}", "{} - {}", "{} * {}", "{} / ({} * {} + 1)")


@hs.composite
def scripts(draw: hs.DrawFn) -> str:
    """A few leaves (scalars or 3-vectors), then ops on earlier variables and numbers,
    some under no_grad, a reduction and its backward (maybe twice, maybe zeroed)."""
    vector = draw(hs.booleans())
    lines, names = [], []
    for i in range(draw(hs.integers(1, 3))):
        value = [round(draw(hs.floats(-2, 2)), 3) for _ in range(3)] if vector else \
            round(draw(hs.floats(-2, 2)), 3)
        grad = draw(hs.booleans()) or i == 0
        lines.append(f"x{i} = torch.tensor({value}, requires_grad={grad})")
        names.append(f"x{i}")
    for j in range(draw(hs.integers(1, 8))):
        operand = hs.sampled_from(names)
        number = hs.sampled_from(["0.5", "2", "1.5", "3"])
        if draw(hs.booleans()):
            form = draw(hs.sampled_from(UNARY))
            a = draw(operand)
            expr = form.format(*[a] * form.count("{}"))
        else:
            form = draw(hs.sampled_from(BINARY))
            args = [draw(hs.one_of(operand, number)) for _ in range(form.count("{}"))]
            args[0] = draw(operand)
            expr = form.format(*args)
        line = f"v{j} = {expr}"
        if draw(hs.integers(0, 5)) == 0:
            line = f"with torch.no_grad():\n    {line}"
        lines.append(line)
        names.append(f"v{j}")
    lines.append(f"loss = ({' + '.join(names[-2:])}).sum() + x0.sum()")
    again = draw(hs.booleans())  # a second backward reuses the graph: retain it
    lines.append(f"loss.backward(retain_graph={again})")
    if again:
        if draw(hs.booleans()):
            lines.append("x0.grad.zero_()")
        lines.append(f"loss = ({names[-1]} * 2).mean() + x0.mean()")
        lines.append("loss.backward()")
    return "\n".join(lines) + "\n"


# Derandomized (the same scripts every run), as the other PyTorch comparisons are.
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scripts())
def test_random_scripts_agree_with_pytorch(code: str) -> None:
    check_against_torch(code)


_W = "x = torch.tensor(2.0, requires_grad=True)\nw = torch.tensor(3.0, requires_grad=True)\n"


@pytest.mark.parametrize("code", [
    "x = torch.tensor(2.0, requires_grad=True)\nx.grad.zero_()\n",
    "x = torch.tensor(2.0, requires_grad=True)\ny = x * 3\ny.backward()\nx.grad = None\n"
    "x.grad.data.zero_()\n",
    "x = torch.tensor(2.0, requires_grad=True)\nw = torch.tensor(1.0, requires_grad=True)\n"
    "y = x * 3\ny.backward()\nw.grad.zero_()\n",
    *[_W + case for case in (
        # the backward runs, but its path to x is cut: x.grad stays None
        "loss = w * x.detach()\nloss.backward()\nx.grad.zero_()\n",
        "h = (x * 2).detach()\nloss = w * h\nloss.backward()\nx.grad.zero_()\n",
        "with torch.no_grad():\n    h = x * 2\nloss = w * h\nloss.backward()\nx.grad.zero_()\n",
        "with torch.no_grad():\n    h = x * 2\nloss = w * h\nloss.backward()\nh.grad.zero_()\n",
        "d = x.detach()\nloss = w * d\nloss.backward()\nd.grad.zero_()\n",
        # a tensor that requires no grad, or gets it only after the backward
        "c = torch.tensor(4.0)\nloss = w * c\nloss.backward()\nc.grad.zero_()\n",
        "c = torch.tensor(4.0)\nloss = w * c\nloss.backward()\nc.requires_grad_()\n"
        "c.grad.zero_()\n",
        "c = torch.tensor(4.0, requires_grad=True).detach()\nloss = w * c\nloss.backward()\n"
        "c.grad.zero_()\n",
        # a computed tensor keeps no gradient, unless retain_grad() came before backward
        "y = x * 3\nloss = y * w\nloss.backward()\ny.grad.zero_()\n",
        "y = x * 3\nloss = y * w\nloss.backward()\ny.retain_grad()\ny.grad.zero_()\n",
        # x.grad = None after the backward that reached x; the next one does not reach it
        "loss = w * x\nloss.backward()\nx.grad = None\n(w * 2).backward()\nx.grad.zero_()\n",
    )],
])
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_zeroing_a_gradient_backward_never_gave_is_pytorchs_error(code: str) -> None:
    """x.grad is None until a backward reaches x: PyTorch raises there, and so does the
    import, at that line, in PyTorch's words."""
    with pytest.raises(AttributeError) as raised:
        _run_torch(code)
    from gradstudio.graph.code_import import CodeImportError
    with pytest.raises(CodeImportError) as refused:
        import_code(code)
    assert refused.value.line == code.count("\n")
    assert refused.value.what.startswith(f"AttributeError: {raised.value}")


# --- backward() of a tensor of several numbers ----------------------------------------------
@pytest.mark.parametrize(("code", "where", "name"), [
    ("x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 2\ny.backward()\n",
     (3, 1), "y"),
    ("x = torch.tensor([1.0, 2.0], requires_grad=True)\nx.backward()\n", (2, 1), "x"),
    ("w = torch.tensor([[1.0, 2.0]], requires_grad=True)\nz = torch.tensor(3.0)\n"
     "print(w)\n  # a comment\n(w * z).backward(retain_graph=True)\n", (5, 1), "(w * z)"),
    ("def f(x):\n    y = torch.sin(x)\n    y.backward()\n    return y\n"
     "x = torch.tensor([0.5, 1.5], requires_grad=True)\ny = f(x)\n", (3, 5), "y"),
    ("x = torch.tensor(2.0, requires_grad=True)\nv = torch.ones(3)\n"
     "with torch.no_grad():\n    c = v * 2\nloss = x * c\nprint(loss)\nloss.backward()\n",
     (7, 1), "loss"),
])
def test_backward_of_a_vector_is_refused_where_pytorch_raises(code: str, where: tuple,
                                                              name: str) -> None:
    """PyTorch raises at the y.backward() of a tensor of several numbers that requires grad;
    the import refuses it there, in PyTorch's words, with the two ways out."""
    with pytest.raises(RuntimeError) as raised:
        _run_torch(code)
    from gradstudio.graph.code_import import CodeImportError
    with pytest.raises(CodeImportError) as refused:
        import_code(code)
    assert (refused.value.line, refused.value.col) == where
    assert refused.value.what.startswith(f"RuntimeError: {raised.value}: {name} holds ")
    assert f"{name}.sum().backward() or {name}.mean().backward()" in refused.value.what
    assert f"{name}.backward(torch.ones_like(" in refused.value.what


def test_the_ways_out_the_refusal_names_import_and_agree_with_pytorch() -> None:
    graph = "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 2\n"
    for fix in ("y.sum().backward()\n", "y.mean().backward()\n",
                "y.backward(torch.ones_like(y))\n"):
        check_against_torch(graph + fix)


@pytest.mark.parametrize("code", [
    "x = torch.tensor([3.0], requires_grad=True)\ny = x ** 2\ny.backward()\n",
    "x = torch.tensor([[3.0]], requires_grad=True)\ny = torch.sin(x) * 2\ny.backward()\n",
    "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum() * torch.ones(1)\n"
    "y.backward()\n",
])
def test_a_one_element_tensor_backward_runs_as_in_pytorch(code: str) -> None:
    """One number in any shape ([1], [1, 1]) is no vector: PyTorch runs it, and so does
    the imported graph, with PyTorch's gradients."""
    check_against_torch(code)


def test_a_vector_that_requires_no_grad_keeps_pytorchs_other_error() -> None:
    """Nothing requires grad, so PyTorch says that first (not 'scalar outputs'): imported,
    and the replayed backward gives PyTorch's words."""
    code = "x = torch.tensor([1.0, 2.0])\ny = x * 2\ny.backward()\n"
    with pytest.raises(RuntimeError) as raised:
        _run_torch(code)
    imported = import_code(code)
    (result,) = replay(Session(imported.model), imported.actions)
    assert result.error == f"RuntimeError: {raised.value}"


def test_a_backward_whose_shape_is_not_known_is_left_to_the_replay() -> None:
    """Shapes that do not broadcast leave the result's shape unknown: the import does not
    guess; the replayed backward says what is wrong (the sum has no value)."""
    code = ("a = torch.tensor([1.0, 2.0], requires_grad=True)\nb = torch.tensor([1.0, 2.0, 3.0])"
            "\ny = a + b\ny.backward()\n")
    imported = import_code(code)
    (result,) = replay(Session(imported.model), imported.actions)
    assert not result.ok and "y has no value" in result.error


@pytest.mark.parametrize("code", [_W + case for case in (
    # a detached or no-grad branch beside a live path: the live one reaches x
    "loss = (x * 3).detach() * x\nloss.backward()\nx.grad.zero_()\n",
    "with torch.no_grad():\n    h = w * 2\n    with torch.enable_grad():\n        g = x * h\n"
    "loss = g + h\nloss.backward()\nx.grad.zero_()\n",
    # retain_grad() before backward keeps a computed tensor's gradient
    "y = x * 3\ny.retain_grad()\nloss = y * w\nloss.backward()\ny.grad.zero_()\n"
    "x.grad.data.zero_()\n",
    # a cleared grad that the next backward fills again
    "loss = w * x\nloss.backward()\nx.grad = None\nloss = w * x * x\nloss.backward()\n"
    "x.grad.zero_()\nw.grad.zero_()\n",
)])
def test_zeroing_a_gradient_a_backward_really_gave_imports_as_pytorch_runs_it(
        code: str) -> None:
    """Where a backward did reach the tensor, PyTorch zeroes its gradient: the import
    replays it, and every value and leaf gradient is PyTorch's."""
    check_against_torch(code)


def test_a_gradient_kept_after_requires_grad_is_switched_off_may_be_zeroed() -> None:
    """requires_grad_(False) after the backward leaves x.grad as it was (PyTorch zeroes it
    without complaint): not refused."""
    code = _W + "loss = w * x\nloss.backward()\nx.requires_grad_(False)\nx.grad.zero_()\n"
    assert _run_torch(code)["x"].grad.item() == 0.0
    imported = import_code(code)
    assert any("requires_grad changes here" in note for note in imported.notes)
    replay(Session(imported.model), imported.actions)


def test_the_refusal_says_why_the_gradient_is_none() -> None:
    """The words after PyTorch's: what the learner can change."""
    from gradstudio.graph.code_import import CodeImportError

    def why(case: str) -> str:
        with pytest.raises(CodeImportError) as refused:
            import_code(_W + case)
        return refused.value.what.split(" (", 1)[1]

    assert why("d = x.detach()\n(w * d).backward()\nd.grad.zero_()\n").startswith(
        "d does not require grad (it is detached), so no backward() gives it a gradient")
    assert why("with torch.no_grad():\n    h = x * 2\n(w * h).backward()\nh.grad.zero_()\n"
               ).startswith("h does not require grad (it was computed in torch.no_grad())")
    assert why("y = x * 3\n(y * w).backward()\ny.grad.zero_()\n").startswith(
        "y is computed, not a leaf: PyTorch keeps only a leaf's gradient, unless "
        "y.retain_grad() is called before backward()")
    assert why("(w * x.detach()).backward()\nx.grad.zero_()\n").startswith(
        "x.grad is None here: no backward() has reached x")
