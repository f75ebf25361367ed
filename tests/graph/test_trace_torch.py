"""The step-through against real PyTorch: the same graph built with torch, a hook on every
tensor recording the gradient it receives (and when), replayed nodes giving each wire's
contribution. For every shipped example and the trace test graphs."""

from __future__ import annotations

import numpy as np
import pytest
from trace_graphs import all_graphs

from gradstudio.graph import GraphModel, Session
from gradstudio.graph.trace import BACKWARD, LEAF, REFUSED, build_trace

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as hs  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore::RuntimeWarning")]
GRAPHS = all_graphs()


def _bce(p, t, eps):
    """The notebook's binary_cross_entropy_loss, op for op."""
    p = torch.clamp(p, eps, 1 - eps)
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p))


def _pow(x, e):
    return x ** (int(e) if e == int(e) else e)


TORCH = {
    "identity": lambda p: lambda x: x,
    "square": lambda p: lambda x: x ** 2,
    "pow": lambda p: lambda x: _pow(x, p["exponent"]),
    "sin": lambda p: torch.sin, "cos": lambda p: torch.cos, "exp": lambda p: torch.exp,
    "log": lambda p: torch.log, "sigmoid": lambda p: torch.sigmoid, "tanh": lambda p: torch.tanh,
    "relu": lambda p: torch.relu, "neg": lambda p: torch.neg,
    "add": lambda p: torch.add, "sub": lambda p: torch.sub, "mul": lambda p: torch.mul,
    "div": lambda p: torch.div,
    "mean": lambda p: torch.mean, "sum": lambda p: torch.sum,
    "clamp": lambda p: lambda x: torch.clamp(x, p["min"], p["max"]),
    "bce": lambda p: lambda pred, t: _bce(pred, t, p["epsilon"]),
    "mse": lambda p: lambda pred, t: ((pred - t) ** 2).mean(),
}


class TorchRun:
    """The model evaluated with torch, a hook on every tensor that requires grad."""

    def __init__(self, model: GraphModel) -> None:
        self.model = model
        dtype = getattr(torch, model.settings.dtype)
        self.values: dict[str, torch.Tensor] = {}
        self.received: dict[str, np.ndarray] = {}
        self.order: list[int] = []  # ids of tensors, in the order their hooks fired
        order = Session(model).evaluator.plan().node_ids
        for n in order:
            data = model.node(n)
            spec = data.spec
            if spec.is_leaf:
                out = torch.tensor(data.params["value"], dtype=dtype,
                                   requires_grad=data.flags["requires_grad"])
            else:
                wired = model.inputs_of(n)
                args = [self.values[wired[p]] for p in spec.inputs]
                fn = TORCH[data.kind](data.params)
                if data.flags["no_grad"]:
                    with torch.no_grad():
                        out = fn(*args)
                else:
                    out = fn(*args)
                if data.flags["detach"]:
                    out = out.detach()
            self.values[n] = out
            if out.requires_grad:
                out.register_hook(self._hook(n, out))

    def _hook(self, n: str, t: torch.Tensor):
        def record(grad: torch.Tensor) -> None:
            self.received[n] = grad.detach().numpy().copy()
            if not self.order or self.order[-1] != id(t):
                self.order.append(id(t))
        return record

    def contributions(self, n: str) -> list[np.ndarray | None]:
        """What node n sends to each input for the gradient it received: n replayed on
        detached copies with torch.autograd.grad."""
        data = self.model.node(n)
        wired = self.model.inputs_of(n)
        copies = [self.values[wired[p]].detach().clone().requires_grad_(True)
                  for p in data.spec.inputs]
        out = TORCH[data.kind](data.params)(*copies)
        grads = torch.autograd.grad(out, copies, torch.as_tensor(self.received[n]),
                                    allow_unused=True)
        return [None if g is None else g.numpy() for g in grads]


def _close(a, b, what: str) -> None:
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, np.float64),
                               rtol=2e-5, atol=1e-7, err_msg=what)


@pytest.mark.parametrize("name", list(GRAPHS))
def test_trace_matches_pytorchs_hooks(name: str) -> None:
    check_against_torch(GRAPHS[name]())


UNARY = ("sin", "cos", "exp", "tanh", "sigmoid", "square", "neg", "relu", "identity", "mean",
         "sum", "clamp")
BINARY = ("add", "sub", "mul")


@hs.composite
def random_graphs(draw: hs.DrawFn) -> GraphModel:
    """A chain of ops over two or three leaves (scalars or 3-vectors, some requiring grad):
    each op takes the value before it, a binary op also any earlier value (so values fan out
    and leaves get ready at different times); an identity sometimes detached, an op now and
    then no-grad; a mean at the end."""
    m = GraphModel()
    ids = []
    for i in range(draw(hs.integers(2, 3))):
        size = draw(hs.sampled_from([None, 3]))
        values = draw(hs.lists(hs.floats(0.2, 0.9), min_size=size or 1, max_size=size or 1))
        ids.append(m.add_node("weight", label=f"w{i}", params={
            "value": values if size else values[0]}, flags={
            "requires_grad": i == 0 or draw(hs.integers(0, 3)) > 0}))
    leaves = len(ids)
    for i in range(draw(hs.integers(1, 7))):
        kind = draw(hs.sampled_from(BINARY)) if draw(hs.booleans()) else \
            draw(hs.sampled_from(UNARY))
        flags = {"detach": kind == "identity" and draw(hs.integers(0, 3)) == 0,
                 "no_grad": draw(hs.integers(0, 14)) == 0}
        params = {"min": 0.3, "max": 0.8} if kind == "clamp" else {}
        node = m.add_node(kind, label=f"n{i}", flags=flags, params=params)
        first = ids[-1] if len(ids) > leaves else ids[draw(hs.integers(0, leaves - 1))]
        m.connect(first, node, "a" if kind in BINARY else "x")
        if kind in BINARY:
            m.connect(ids[draw(hs.integers(0, len(ids) - 1))], node, "b")
        ids.append(node)
    mean = m.add_node("mean", label="loss")
    m.connect(ids[-1], mean, "x")
    m.set_loss(mean)
    return m


# Derandomized: CI runs the same 80 graphs every time (a found float32 edge case must not
# flake a landing); run with --hypothesis-seed or derandomize=False to explore further.
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_graphs())
def test_trace_matches_pytorchs_hooks_on_random_graphs(model: GraphModel) -> None:
    # Chained exps reach the thousands, where float32 sin/cos/exp of a value depend on its last
    # bit and numpy's and PyTorch's exp differ in it now and then (seen: exp(exp(exp(.75)) + .5)
    # into sin, 0.3% apart). Those graphs test float32, not the trace: keep values moderate.
    values = Session(model).forward().values.values()
    assume(all(v is not None and float(np.max(np.abs(v.detach().numpy()))) < 20 for v in values))
    check_against_torch(model)


def check_against_torch(model: GraphModel) -> None:
    """Every gradient reaching a node, every wire's contribution, every leaf's .grad and the
    order backward visits the tensors, against torch's hooks on the same graph."""
    s = Session(model)
    trace = build_trace(s)
    ref = TorchRun(model)
    target = trace.target
    loss = ref.values[target]
    if not trace.backward.ok:
        with pytest.raises(RuntimeError, match="does not require grad"):
            loss.backward()
        assert trace.find(target, REFUSED) is not None
        assert not [st for st in trace if st.phase in (BACKWARD, LEAF)]
        return
    loss.backward()
    steps = [st for st in trace if st.phase in (BACKWARD, LEAF)]
    assert {st.node for st in steps} == set(ref.received), "the nodes backward reaches"
    label = model.label
    for st in steps:
        received = st.grad if st.phase == BACKWARD else st.grad - (
            0 if st.grad_before is None else st.grad_before)
        _close(received, ref.received[st.node], f"gradient reaching {label(st.node)}")
        if st.phase == LEAF:
            _close(st.grad, ref.values[st.node].grad, f"{label(st.node)}.grad")
            continue
        for wire, sent in zip(st.wires, ref.contributions(st.node), strict=True):
            if wire.contribution is None:  # nothing sent: torch's input needs no grad
                assert not ref.values[wire.source].requires_grad, wire.text
            else:
                _close(wire.contribution, sent, f"{label(st.node)} → {wire.source_label}")
    # The order: the step sequence visits tensors in the order torch's hooks fired.
    visited: list[int] = []
    for st in steps:
        t = id(ref.values[st.node])
        if not visited or visited[-1] != t:
            visited.append(t)
    assert visited == ref.order
