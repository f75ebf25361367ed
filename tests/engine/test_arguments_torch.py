"""Bad arguments fail in the engine as in PyTorch 2.13: the same exception type, and the
same message where PyTorch's is stable (issue 12). Real PyTorch runs each case as the oracle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")

import gradstudio.engine as ge  # noqa: E402

pytestmark = pytest.mark.torch


def _hooked(lib: Any, hook: Callable, leaf: bool) -> Any:
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x if leaf else x * 2
    y.register_hook(hook)
    y.sum().backward()
    return x.grad


def _set_flag(lib: Any, value: Any) -> None:
    lib.tensor([1.0]).requires_grad = value


def _named_hook(lib: Any) -> Callable:
    def grow(g: Any) -> Any:  # PyTorch names the hook in its message
        return lib.ones(3)

    return grow


# name -> (call with the library, what must agree: "message", or a part of it that is stable)
CASES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "requires_grad='yes'": (lambda m: m.tensor([1.0], requires_grad="yes"), "message"),
    "requires_grad=1": (lambda m: m.tensor([1.0], requires_grad=1), "message"),
    "requires_grad=None": (lambda m: m.tensor([1.0], requires_grad=None), "message"),
    "zeros requires_grad='yes'": (lambda m: m.zeros(2, requires_grad="yes"), "message"),
    "full requires_grad='yes'": (lambda m: m.full((2,), 1.0, requires_grad="yes"), "message"),
    "requires_grad_('yes')": (lambda m: m.tensor([1.0]).requires_grad_("yes"), "message"),
    "requires_grad = 'yes'": (lambda m: _set_flag(m, "yes"), "message"),
    "dtype='float32'": (lambda m: m.tensor([1.0], dtype="float32"), "message"),
    "zeros dtype='float32'": (lambda m: m.zeros(2, dtype="float32"), "message"),
    "ones_like dtype='float32'": (lambda m: m.ones_like(m.ones(2), dtype="float32"), "message"),
    "device='cuda'": (lambda m: m.tensor([1.0], device="cuda"), "message"),
    "device='cuda:0'": (lambda m: m.tensor([1.0], device="cuda:0"), "message"),
    "zeros device='cuda'": (lambda m: m.zeros(2, device="cuda"), "message"),
    "device='xyz'": (lambda m: m.tensor([1.0], device="xyz"), "device string: xyz"),
    "device=5.0": (lambda m: m.tensor([1.0], device=5.0), "message"),
    "hook changes a leaf's size": (
        lambda m: _hooked(m, lambda g: m.ones(3), leaf=True), "message"),
    "hook changes a non-leaf's size": (
        lambda m: _hooked(m, lambda g: m.ones(3), leaf=False), "message"),
    "named hook changes the size": (lambda m: _hooked(m, _named_hook(m), leaf=True), "message"),
    "hook changes the dtype": (
        lambda m: _hooked(m, lambda g: m.ones(2, dtype=m.float64), leaf=True), "message"),
    "hook returns a number": (lambda m: _hooked(m, lambda g: 3.0, leaf=True), "message"),
    "zeros(-1)": (lambda m: m.zeros(-1), "message"),
    "zeros(2, -1)": (lambda m: m.zeros(2, -1), "message"),
    "ones(2, -3)": (lambda m: m.ones(2, -3), "message"),
    "full((2, -1), 1.0)": (lambda m: m.full((2, -1), 1.0), "message"),
    "float() of 2 elements": (lambda m: float(m.tensor([1.0, 2.0])), "message"),
    "int() of 2 elements": (lambda m: int(m.tensor([1, 2])), "message"),
    "tensor([2**63])": (lambda m: m.tensor([2**63]), "message"),
    "tensor(-2**63 - 1)": (lambda m: m.tensor(-(2**63) - 1), "message"),
    "tensor(10**400)": (lambda m: m.tensor(10**400), "message"),
    "arange(0, 10, 0)": (lambda m: m.arange(0, 10, 0), "message"),
    "arange(0., 1., 0.)": (lambda m: m.arange(0.0, 1.0, 0.0), "message"),
    "arange(0, 10, -1)": (lambda m: m.arange(0, 10, -1), "message"),
    "arange(5, 0)": (lambda m: m.arange(5, 0), "message"),
    "full((2,), 'a')": (lambda m: m.full((2,), "a"), "message"),
    "full((2,), None)": (lambda m: m.full((2,), None), "message"),
    # sizes, as PyTorch's argument parser reads them
    "zeros(2.5)": (lambda m: m.zeros(2.5), "message"),
    "zeros('a')": (lambda m: m.zeros("a"), "message"),
    "ones(None)": (lambda m: m.ones(None), "message"),
    "zeros(True)": (lambda m: m.zeros(True), "message"),
    "zeros([2.0])": (lambda m: m.zeros([2.0]), "message"),
    "zeros([2, 3.0])": (lambda m: m.zeros([2, 3.0]), "message"),
    "zeros(2, 3, 'a')": (lambda m: m.zeros(2, 3, "a"), "message"),
    "zeros((2, 3), 4)": (lambda m: m.zeros((2, 3), 4), "message"),
    "ones(float tensor)": (lambda m: m.ones(m.tensor(2.0)), "message"),
    "zeros(tensor([2, 3]))": (lambda m: m.zeros(m.tensor([2, 3])), "message"),
    "full(2, 1.0)": (lambda m: m.full(2, 1.0), "message"),
    "full((2, None), 1.0)": (lambda m: m.full((2, None), 1.0), "message"),
    "full((2,), 2**63)": (lambda m: m.full((2,), 2**63), "message"),
    "full((2,), 10**400)": (lambda m: m.full((2,), 10**400), "message"),
    "zeros_like(1.0)": (lambda m: m.zeros_like(1.0), "message"),
    "ones_like([1])": (lambda m: m.ones_like([1]), "message"),
    "arange(None)": (lambda m: m.arange(None), "message"),
    "arange(1, 'a')": (lambda m: m.arange(1, "a"), "arange() received an invalid combination "
                       "of arguments - got (int, str), but expected one of:"),
    "arange(0, 10, None)": (lambda m: m.arange(0, 10, None), "got (int, int, NoneType)"),
    "arange(0, inf)": (lambda m: m.arange(0, float("inf")), "message"),
    "arange(-inf, 0)": (lambda m: m.arange(-float("inf"), 0), "message"),
    "arange(0, nan)": (lambda m: m.arange(0, float("nan")), "message"),
    "arange(10**19)": (lambda m: m.arange(10**19), "message"),
    "arange(0.0, 1e19)": (lambda m: m.arange(0.0, 1e19), "message"),
    "device='float32'": (lambda m: m.tensor([1.0], device="float32"), "message"),
    "device='cpu:x'": (lambda m: m.tensor([1.0], device="cpu:x"), "message"),
    # Tensor.to and .cuda: a string is a device; a keyword dtype must be a dtype
    "x.to('cuda')": (lambda m: m.ones(2).to("cuda"), "message"),
    "x.to('float32')": (lambda m: m.ones(2).to("float32"), "message"),
    "x.to('xyz')": (lambda m: m.ones(2).to("xyz"), "device string: xyz"),
    "x.to(device='cuda')": (lambda m: m.ones(2).to(device="cuda"), "message"),
    "x.to(5)": (lambda m: m.ones(2).to(5), "message"),
    "x.to(dtype='float32')": (lambda m: m.ones(2).to(dtype="float32"), "to() received an "
                              "invalid combination of arguments - got (dtype=str, ), but "
                              "expected one of:"),
    "x.to(float64, 'cpu')": (lambda m: m.ones(2).to(m.float64, "cpu"), "to() received an "
                             "invalid combination of arguments - got (torch.dtype, str), but "
                             "expected one of:"),
    "x.cuda()": (lambda m: m.ones(2).cuda(), "message"),
    "zeros(10**6, 10**6)": (
        lambda m: m.zeros(10**6, 10**6),
        "DefaultCPUAllocator: can't allocate memory: you tried to allocate 4000000000000 bytes."),
}


def _outcome(call: Callable[[Any], Any], lib: Any) -> BaseException:
    with pytest.raises(BaseException) as caught:
        call(lib)
    return caught.value


@pytest.mark.parametrize("name", list(CASES))
def test_bad_argument_fails_as_in_pytorch(name: str) -> None:
    call, agree = CASES[name]
    want, got = _outcome(call, torch), _outcome(call, ge)
    assert type(got) is type(want), f"PyTorch: {want!r}; engine: {got!r}"
    if agree == "message":
        assert str(got) == str(want)
    else:  # PyTorch's message around this part names its build (file, line, device list)
        assert agree in str(want) and agree in str(got), (str(want), str(got))


@pytest.mark.parametrize("call", [
    lambda m: m.tensor([1.0], requires_grad=True, device="cpu"),
    lambda m: m.zeros(2, dtype=m.float64, device="cpu:0"),
    lambda m: m.full((2,), 2, requires_grad=False),
    lambda m: m.arange(10, 0, -1),
    lambda m: m.arange(0, 0),
    lambda m: m.tensor([2**63, 1.5]),
    lambda m: m.tensor([1.0], dtype=float),
    lambda m: _hooked(m, lambda g: g * 2, leaf=True),
    lambda m: m.zeros(()),
    lambda m: m.zeros([2, True]),
    lambda m: m.ones(m.tensor(2)),
    lambda m: m.zeros(m.tensor([2])),
    lambda m: m.full([2], 2**63, dtype=m.float32),
    lambda m: m.arange(0, 10, float("inf")),
    lambda m: m.tensor([1.0], device="cpu:1"),
    lambda m: m.ones(2).to("cpu"),
    lambda m: m.ones(2).to(m.float64),
    lambda m: m.ones(2).to("cpu", m.float64),
    lambda m: m.ones(2).to(m.ones(1, dtype=m.float64)),
    lambda m: m.ones(2).to(float),
    lambda m: m.ones(2).to(dtype=m.float64, device="cpu"),
    lambda m: m.ones(2).to(None),
    lambda m: m.ones(2).cpu(),
])
def test_good_arguments_still_work_as_in_pytorch(call: Callable[[Any], Any]) -> None:
    want, got = call(torch), call(ge)
    assert got.tolist() == want.tolist()
    assert repr(got.dtype) == repr(want.dtype)
