"""The scalar fast path's backward nodes (``ScalarNode``, run by run_backward itself) behave as
PyTorch's grad_fns: an op that saves its input keeps the input tensor and reads its value at
backward (a view may have written it) after the version check; a binary op where only one
input wants a gradient computes that one alone; hooks, retain_grad, names, next_functions,
a second backward and trace_backward stay as they are. Each case runs on the engine and on
PyTorch and compares what a person sees: values, gradients (bit for bit), messages."""

from __future__ import annotations

import struct

import pytest

import gradstudio.engine as ge

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")

LIBS = [ge, torch]


def _bits(v: float) -> bytes:
    return struct.pack("d", v)


def _error(fn) -> str:
    with pytest.raises(RuntimeError) as err:
        fn()
    return str(err.value)


@pytest.mark.parametrize("name", ["sin", "cos", "log", "abs"])
def test_a_saved_input_is_read_at_backward_after_a_write_through_data(name: str) -> None:
    grads = []
    for lib in LIBS:
        x = lib.tensor(0.7, requires_grad=True)
        y = getattr(x, name)()
        x.data.fill_(1.3)  # .data counts no version: backward reads 1.3, as PyTorch
        y.backward()
        grads.append(x.grad.item())
    assert _bits(grads[0]) == _bits(grads[1]), name


@pytest.mark.parametrize("name", ["sin", "cos", "log", "abs"])
def test_a_saved_input_changed_in_place_is_refused_with_pytorchs_message(name: str) -> None:
    leaf, computed = [], []
    for lib in LIBS:
        x = lib.tensor(0.7, requires_grad=True)
        y = getattr(x, name)()
        x.detach().add_(1.0)
        leaf.append(_error(y.backward))
        x = lib.tensor(0.7, requires_grad=True)
        h = x * 2.0
        y = getattr(h, name)()
        h += 1.0  # h's history is now AddBackward0: the message names it
        computed.append(_error(y.backward))
    assert leaf[0] == leaf[1] and "[torch.FloatTensor []] is at version 1" in leaf[0]
    assert computed[0] == computed[1] and "output 0 of Add," in computed[0]


def test_a_saved_input_survives_retain_graph_and_refuses_a_second_backward() -> None:
    seen = []
    for lib in LIBS:
        x = lib.tensor(0.4, requires_grad=True)
        y = (x.sin() * 1.5).sigmoid()
        y.backward(retain_graph=True)
        y.backward()
        seen.append((x.grad.item(), _error(y.backward)))
    assert _bits(seen[0][0]) == _bits(seen[1][0])
    assert seen[0][1] == seen[1][1]


@pytest.mark.parametrize("form", ["w * c", "c * w", "w / c", "c / w", "w - c", "c - w",
                                  "w + c", "c + w", "w * 1.7", "w / 1.7", "w - 1.7",
                                  "1.7 - w", "w + 1.7", "1.7 / w"])
def test_one_input_wanting_a_gradient_gets_pytorchs_bits(form: str) -> None:
    out = []
    for lib in LIBS:
        w = lib.tensor(0.3, requires_grad=True)
        c = lib.tensor(2.9)
        y = eval(form, {"w": w, "c": c})  # noqa: S307 - the fixed forms above
        z = y.sin()  # a chain: the binary node's gradient goes on to another node
        z.backward()
        names = [None if n is None else n.name() for n, _ in y.grad_fn.next_functions]
        out.append((y.item(), w.grad.item(), y.grad_fn.name(), names))
    (y0, g0, name0, next0), (y1, g1, name1, next1) = out
    assert _bits(y0) == _bits(y1) and _bits(g0) == _bits(g1), form
    assert name0 == name1 and next0 == next1, form


def test_both_inputs_wanting_a_gradient_each_get_theirs() -> None:
    out = []
    for lib in LIBS:
        a = lib.tensor(0.3, requires_grad=True)
        b = lib.tensor(-1.1, requires_grad=True)
        ((a * b) / (b - a) + a).backward()
        out.append((a.grad.item(), b.grad.item()))
    assert [_bits(v) for v in out[0]] == [_bits(v) for v in out[1]]


def test_trace_backward_shows_none_for_the_input_that_wants_no_gradient() -> None:
    w = ge.tensor(0.3, requires_grad=True)
    c = ge.tensor(2.0)
    y = c * w
    with ge.trace_backward() as steps:
        y.backward()
    mul = next(s for s in steps if s.name == "MulBackward0")
    assert mul.grad_inputs[0] is None and float(mul.grad_inputs[1]) == 2.0
    assert float(mul.grad_output) == 1.0


def test_hooks_and_retain_grad_on_a_chain_of_scalars() -> None:
    out = []
    for lib in LIBS:
        x = lib.tensor(0.8, requires_grad=True)
        h = x.sin() * 3.0
        seen = []
        h.register_hook(lambda g, seen=seen: seen.append(g.item()) or g * 2)
        h.retain_grad()
        s = (h + 0.5).sigmoid()
        s.retain_grad()
        s.backward()
        out.append((x.grad.item(), h.grad.item(), s.grad.item(), seen[0], repr(h)[:28]))
    assert [_bits(v) for v in out[0][:4]] == [_bits(v) for v in out[1][:4]]
    assert out[0][4] == out[1][4]  # "tensor(2.1520, grad_fn=<Mul"


def test_a_scalar_node_feeding_a_numpy_node_sends_numpy_values() -> None:
    """sum() of a vector is a 0-d result of the numpy path; an op on it is a scalar op whose
    gradient goes back into the numpy node as a number of its dtype."""
    out = []
    for lib in LIBS:
        v = lib.tensor([0.5, 1.5], requires_grad=True)
        y = (v.sum() * 2.0).exp()
        y.backward()
        out.append(v.grad.tolist())
    assert out[0] == out[1]


def _outcome(fn) -> tuple:
    """What a person sees of fn(): its numbers, or the error's message."""
    try:
        return ("ok", [_bits(v) for v in fn()])
    except RuntimeError as e:
        return ("error", str(e))


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "sqrt", "reciprocal", "relu"])
def test_a_saved_output_is_watched_from_its_first_version_counter(name: str) -> None:
    """An op that saves its output (exp) makes no version counter for it; the counter is
    made when something needs it (a view, an in-place write, an op that watches it), and
    from then on a change of that output is refused as PyTorch refuses it."""
    def through_detach(lib):
        x = lib.tensor(0.6, requires_grad=True)
        y = getattr(x, name)()
        z = y * 2.0
        y.detach().add_(1.0)
        z.backward()
        return [x.grad.item()]

    def after_detach_(lib):
        x = lib.tensor(0.6, requires_grad=True)
        y = getattr(x, name)()
        z = y * 2.0
        y.detach_()
        y.add_(1.0)
        z.backward()
        return [x.grad.item()]

    def watched_by_clamp_first(lib):
        x = lib.tensor(0.6, requires_grad=True)
        y = getattr(x, name)()
        z = y.clamp(0.1, 5.0)  # clamp watches y as its input
        with lib.no_grad():
            y += 1.0
        z.backward()
        return [x.grad.item()]

    def in_place_with_a_gradient(lib):
        x = lib.tensor(0.6, requires_grad=True)
        w = lib.tensor(1.5, requires_grad=True)
        y = getattr(x, name)()
        y *= w  # the product's history keeps y's old value
        y.backward()
        return [x.grad.item(), w.grad.item()]

    def written_through_numpy(lib):
        x = lib.tensor(0.6, requires_grad=True)
        y = getattr(x, name)()
        y.detach().numpy()[...] = 0.25  # counts no version; backward reads 0.25
        y.backward()
        return [x.grad.item()]

    for case in (through_detach, after_detach_, watched_by_clamp_first,
                 in_place_with_a_gradient, written_through_numpy):
        assert _outcome(lambda c=case: c(ge)) == _outcome(lambda c=case: c(torch)), (
            name, case.__name__)
