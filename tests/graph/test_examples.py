"""Every example file gives the notebook's numbers, printed forms and errors."""

from __future__ import annotations

import numpy as np
import pytest

from gradstudio.graph import Session, load
from gradstudio.resources import example_paths

NOTEBOOK = ("square", "sin_of_square", "small_network", "vector_mean", "accumulation",
            "requires_grad_off", "detach", "no_grad")
NO_GRAD_ERROR = ("RuntimeError: element 0 of tensors does not require grad and does not have "
                 "a grad_fn")


def _run(name: str, target: str | None = None) -> tuple[Session, dict[str, str]]:
    """Backward once; return the session and each node's printed value by label."""
    s = Session(load(example_paths()[name]))
    s.backward(target)
    m, f = s.model, s.last_forward
    return s, {m.label(n): repr(v) for n, v in f.values.items()}


def _grad(s: Session, label: str) -> str:
    return repr(s.grad(s.model.find(label)))


def test_there_is_one_example_per_notebook_section() -> None:
    assert set(example_paths()) == set(NOTEBOOK)


@pytest.mark.parametrize("name", NOTEBOOK)
def test_every_example_loads_and_evaluates_without_node_errors(name: str) -> None:
    m = load(example_paths()[name])
    assert m.description  # says which notebook section it shows
    assert Session(m).forward().errors == {}


def test_square() -> None:
    s, values = _run("square")
    assert values == {"x": "tensor(3., requires_grad=True)",
                      "y": "tensor(9., grad_fn=<PowBackward0>)"}
    assert _grad(s, "x") == "tensor(6.)" and s.grad(s.model.find("x")).item() == 6.0


def test_sin_of_square() -> None:
    s, values = _run("sin_of_square")
    assert values["z"] == "tensor(0.4121, grad_fn=<SinBackward0>)"
    assert s.last_backward.loss.item() == pytest.approx(0.41211849451065063, abs=1e-6)
    assert _grad(s, "x") == "tensor(-5.4668)"
    assert s.grad(s.model.find("x")).item() == pytest.approx(-5.4667816162109375, abs=1e-6)


def test_small_network() -> None:
    s, values = _run("small_network")
    assert values == {
        "x": "tensor(6.7000)", "w": "tensor(1., requires_grad=True)",
        "b": "tensor(0., requires_grad=True)", "y": "tensor(0.)",
        "wx": "tensor(6.7000, grad_fn=<MulBackward0>)",
        "z": "tensor(6.7000, grad_fn=<AddBackward0>)",
        "y_pred": "tensor(0.9988, grad_fn=<SigmoidBackward0>)",
        "loss": "tensor(6.7012, grad_fn=<NegBackward0>)"}
    assert s.last_backward.loss.item() == np.float32(6.701176166534424)
    assert s.grad(s.model.find("w")).item() == np.float32(6.6917619705200195)
    assert s.grad(s.model.find("b")).item() == np.float32(0.9987704753875732)
    assert s.grad(s.model.find("x")) is None and s.grad(s.model.find("y")) is None


def test_small_network_grad_fn_chain_matches_pytorch() -> None:
    """The backward nodes PyTorch 2.13 builds for the notebook's BCE (each one once)."""
    s, _ = _run("small_network")
    names, stack, seen = [], [s.last_backward.loss.grad_fn], set()
    while stack:  # each backward node once, as the engine runs them
        fn = stack.pop()
        if id(fn) in seen or "AccumulateGrad" in fn.name():
            continue
        seen.add(id(fn))
        names.append(fn.name())
        stack.extend(f for f, _ in fn.next_functions if f is not None)
    assert sorted(names) == ["AddBackward0", "AddBackward0", "ClampBackward1", "LogBackward0",
                             "LogBackward0", "MulBackward0", "MulBackward0", "MulBackward0",
                             "NegBackward0", "RsubBackward1", "SigmoidBackward0"]


def test_vector_mean() -> None:
    s, values = _run("vector_mean")
    assert values["x"] == "tensor([1., 2., 3.], requires_grad=True)"
    assert values["y"] == "tensor(4.6667, grad_fn=<MeanBackward0>)"
    assert _grad(s, "x") == "tensor([0.6667, 1.3333, 2.0000])"
    np.testing.assert_array_equal(s.grad(s.model.find("x")).numpy(),
                                  np.float32([0.6666666865348816, 1.3333333730697632, 2.0]))


def test_accumulation() -> None:
    s, values = _run("accumulation")
    assert values["y"] == "tensor(4., grad_fn=<PowBackward0>)"
    assert _grad(s, "x") == "tensor(4.)"
    s.backward()
    assert _grad(s, "x") == "tensor(8.)"
    s.zero_grad()
    assert _grad(s, "x") == "tensor(0.)"


def test_requires_grad_off() -> None:
    s, values = _run("requires_grad_off")
    assert values == {"x": "tensor(2.)", "y": "tensor(4.)"}
    assert s.last_backward.error == NO_GRAD_ERROR
    assert s.last_backward.reason == "x does not require grad: requires_grad is off"


def test_detach() -> None:
    s, values = _run("detach")
    assert values == {"x": "tensor(2., requires_grad=True)",
                      "y": "tensor(4., grad_fn=<PowBackward0>)",
                      "z": "tensor(2.)", "y1": "tensor(4.)"}
    assert s.last_backward.error == NO_GRAD_ERROR  # y1 is the example's loss
    assert s.last_backward.reason == "the only path from x passes through z, which is detached"
    assert s.grad(s.model.find("x")) is None
    assert s.backward("y").ok
    assert _grad(s, "x") == "tensor(4.)"


def test_no_grad() -> None:
    s, values = _run("no_grad")
    assert values == {"x": "tensor(2., requires_grad=True)", "y": "tensor(4.)"}
    assert s.last_backward.error == NO_GRAD_ERROR
    assert s.last_backward.reason == ("y is computed under no-grad: its output does not "
                                      "require grad")
