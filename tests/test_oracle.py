"""Compare with PyTorch, headless (``gradstudio/oracle.py``): how two tensors are judged
(bit-identical or how far apart), and the comparison of every shipped example and every
step-through graph against an independent run: the exported script executed on PyTorch
and the app's own Backward on a session. Plus what goes wrong inside PyTorch, cancel, the
optional dependency's pin."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from gradstudio import oracle
from gradstudio.graph import GraphError, GraphModel, Session, load
from gradstudio.graph.code_export import program, script
from gradstudio.oracle import Agreement
from gradstudio.resources import example_paths

sys.path.insert(0, str(Path(__file__).parent / "graph"))
from export_graphs import random_graphs  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from trace_graphs import BUILT  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
F32 = np.float32


# --- judging one tensor (no PyTorch needed) --------------------------------------------------
def test_equal_bits_are_bit_identical_and_differences_are_measured() -> None:
    a = np.array([1.0, 2.0, 3.0], F32)
    assert Agreement(a, a.copy()).identical
    assert Agreement(a, a.copy()).text() == "bit-identical"
    b = a.copy()
    b[1] = np.nextafter(F32(2.0), F32(3.0))  # one ulp above 2
    agreement = Agreement(a, b)
    assert not agreement.identical
    absolute, relative = agreement.differences()
    assert absolute == pytest.approx(2.0 ** -22)
    assert relative == pytest.approx(2.0 ** -22 / float(b[1]))
    assert agreement.ulps() == 1.0  # neighbouring floats
    assert agreement.text() == f"max |Δ| {absolute:.2g} (relative {relative:.2g}, 1 ulp)"
    b[2] = np.nextafter(np.nextafter(F32(3.0), F32(0)), F32(0))  # two below 3
    assert Agreement(a, b).ulps() == 2.0 and Agreement(a, b).text().endswith(", 2 ulps)")


def test_signed_zero_nan_shape_dtype_and_missing_sides() -> None:
    zero = np.array(0.0, F32)
    assert not Agreement(zero, np.array(-0.0, F32)).identical  # the bits differ
    nan = np.array([np.nan, 1.0], F32)
    assert Agreement(nan, nan.copy()).identical
    assert Agreement(nan, -nan).identical is False  # -1.0 is not 1.0 ...
    assert Agreement(np.array(np.nan, F32), np.array(-np.nan, F32)).identical  # ... NaN is NaN
    assert Agreement(nan, np.array([1.0, 1.0], F32)).differences()[0] == np.inf
    assert Agreement(np.zeros(2, F32), np.zeros(3, F32)).text() == "shapes differ: [2] and [3]"
    assert Agreement(zero, np.array(0.0)).text() == "dtypes differ: float32 and float64"
    assert Agreement(None, None).identical and Agreement(None, None).text() == "both None"
    assert Agreement(None, zero).text() == "GradStudio: None, the other: 0"
    assert Agreement(zero, None).text().startswith("PyTorch: None")
    assert not Agreement(zero, None).identical


def test_available_looks_up_torch_without_importing_it(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    looked: list[str] = []
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        looked.append(name)
        return None if name == "torch" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert oracle.available() is False
    assert looked == ["torch"]


# --- against PyTorch ------------------------------------------------------------------------
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="PyTorch is the oracle for these tests")


def _graphs() -> dict[str, GraphModel]:
    graphs = {name: load(path) for name, path in example_paths().items()}
    graphs.update((name, make()) for name, make in BUILT.items())
    return graphs


def _same_bits(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Every number's bits equal (so -0.0 is not 0.0); a NaN equals any NaN (numpy's and
    PyTorch's kernels give NaNs of either sign)."""
    if a is None or b is None:
        return a is None and b is None
    nan = np.isnan(a)
    return a.dtype == b.dtype and a.shape == b.shape and \
        np.array_equal(a, b, equal_nan=True) and \
        np.array_equal(np.signbit(a)[~nan], np.signbit(b)[~nan])


def _independent(model: GraphModel) -> tuple[dict[str, tuple], dict[str, tuple]]:
    """Each node's (value, grad), from the app's Backward (intermediate gradients kept) and
    from the exported script executed on PyTorch, its ``backward()`` replaced by
    ``torch.autograd.grad`` of the loss for every tensor that requires grad (so the
    intermediates' gradients come out too)."""
    import torch

    session = Session(model)
    session.retain_intermediate = True
    result = session.backward()
    ours = {}
    for n, v in session.last_forward.values.items():
        grad = session.grad(n) if model.node(n).spec.is_leaf else v.grad
        ours[n] = (v.detach().numpy(), None if grad is None else grad.numpy())
    prog = program(Session(model))
    code = script(Session(model))
    if result.ok:
        code = code.replace(f"{prog.names[result.target]}.backward()", "pass")
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<exported>", "exec"), ns)  # noqa: S102
    tensors = {n: ns[name] for n, name in prog.names.items()}
    wanted = [n for n, t in tensors.items() if t.requires_grad]
    grads = dict.fromkeys(tensors)
    if result.ok and wanted:
        found = torch.autograd.grad(tensors[result.target], [tensors[n] for n in wanted],
                                    allow_unused=True)
        grads.update(zip(wanted, found, strict=True))
    theirs = {n: (t.detach().numpy(), None if grads[n] is None else grads[n].numpy())
              for n, t in tensors.items()}
    return ours, theirs


@needs_torch
@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", sorted(_graphs()))
def test_every_example_compared_node_by_node_as_an_independent_run_finds(name: str) -> None:
    import torch

    model = _graphs()[name]
    session = Session(model)
    result = oracle.compare(session)
    ours, theirs = _independent(model)
    names = program(Session(model)).names
    assert [r.node for r in result.rows] == list(names)  # every node, in evaluation order
    assert result.torch_version == torch.__version__.split("+")[0]
    for row in result.rows:
        (value, grad), (their_value, their_grad) = ours[row.node], theirs[row.node]
        assert row.name == names[row.node] and row.label == model.label(row.node)
        assert row.value.identical == _same_bits(value, their_value), row.label
        assert row.grad.identical == _same_bits(grad, their_grad), row.label
        assert (row.grad.ours is None, row.grad.theirs is None) == (grad is None,
                                                                   their_grad is None)
        for agreement in (row.value, row.grad):
            if not agreement.identical:  # a last-bit float32 difference, nothing more
                absolute, relative = agreement.differences()
                assert relative <= 2e-5, (row.label, agreement.text())
    # the verdict of the whole is the rows' verdicts
    all_same = all(r.value.identical and r.grad.identical for r in result.rows)
    assert result.identical == all_same
    assert result.summary().startswith("All " if all_same else tuple("0123456789"))
    # the session's own tensors were not touched: no gradient, nothing in the ledger
    assert all(session.grad(n) is None for n in model.node_ids() if model.node(n).spec.is_leaf)


def _check_rows_against_an_independent_run(model: GraphModel, result: oracle.Comparison
                                           ) -> None:
    ours, theirs = _independent(model)
    for row in result.rows:
        (value, grad), (their_value, their_grad) = ours[row.node], theirs[row.node]
        assert row.value.identical == _same_bits(value, their_value), row.label
        assert row.grad.identical == _same_bits(grad, their_grad), row.label


# Derandomized, as the other parity tests: the same graphs on every run (both dtypes, vectors,
# detach and no-grad on leaves and ops, every kind the export writes).
@needs_torch
@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_graphs())
def test_random_graphs_compared_as_an_independent_run_finds(model: GraphModel) -> None:
    result = oracle.compare(Session(model))
    assert len(result.rows) == len(model)
    _check_rows_against_an_independent_run(model, result)


@needs_torch
@pytest.mark.torch
@pytest.mark.parametrize("name", ["square", "accumulation", "vector_mean", "detach", "no_grad",
                                  "requires_grad_off", "small_network"])
def test_the_notebooks_examples_are_bit_identical_to_pytorch(name: str) -> None:
    """What the parity tests establish for these ops (squares, sums, sigmoid, BCE): every
    value and gradient bit for bit, said in one line."""
    result = oracle.compare(Session(load(example_paths()[name])))
    assert result.identical, [(r.label, r.value.text(), r.grad.text()) for r in result.rows]
    assert re.fullmatch(r"All \d+ values?( and \d+ gradients?)? are bit-identical to PyTorch "
                        r"\d+\.\d+\.\d+\.( Backward did not run: .+)?", result.summary())


@needs_torch
@pytest.mark.torch
def test_a_last_bit_difference_is_named_in_the_summary() -> None:
    """exp of a float32 number: the engine rounds the double result once, PyTorch's kernel
    is up to an ulp off for about 1 input in 100; on such an input the summary names the
    node and the difference instead of claiming bit-identity."""
    import torch

    import gradstudio.engine as engine

    def differs(v: float) -> bool:
        ours = engine.exp(engine.tensor(v)).item()
        return ours != torch.exp(torch.tensor(v)).item()

    candidates = np.random.default_rng(7).uniform(-20, 20, 5000).astype(F32).tolist()
    value = next(v for v in candidates if differs(v))
    model = GraphModel()
    x = model.add_node("input", label="x")
    model.set_param(x, "value", value)
    model.set_flag(x, "requires_grad", True)
    z = model.add_node("exp", label="z")
    model.connect(x, z, "x")
    result = oracle.compare(Session(model))
    row = next(r for r in result.rows if r.label == "z")
    assert not row.value.identical
    absolute, relative = row.value.differences()
    assert absolute > 0
    # x.grad = exp(x) · 1 is z's value again: it differs by as much, and the summary names
    # one of the two; z's own grad (1) is the same on both sides
    summary = result.summary()
    assert re.match(r"1 of 2 values and 1 of 2 gradients are bit-identical", summary)
    assert re.search(r"the largest difference is (z's value|x's gradient): "
                     + re.escape(f"{absolute:.2g} (relative {relative:.2g})"), summary)


@needs_torch
@pytest.mark.torch
def test_repeated_backward_accumulates_on_both_sides() -> None:
    result = oracle.compare(Session(load(example_paths()["accumulation"])), repeat=2)
    x = next(r for r in result.rows if r.label == "x")
    assert x.grad.identical and float(x.grad.theirs) == 8.0  # 4 + 4: the gradients add up


@needs_torch
@pytest.mark.torch
def test_backward_refused_by_the_app_is_said_and_not_run_on_pytorch() -> None:
    result = oracle.compare(Session(load(example_paths()["detach"])))
    assert result.backward_note is not None and "detached" in result.backward_note
    assert all(r.grad.ours is None and r.grad.theirs is None for r in result.rows)
    assert result.summary().endswith(f"Backward did not run: {result.backward_note}")


@needs_torch
@pytest.mark.torch
def test_cancel_between_statements_compares_nothing() -> None:
    asked: list[int] = []
    result = oracle.compare(Session(load(example_paths()["small_network"])),
                            should_stop=lambda: asked.append(1) or len(asked) > 2)
    assert result.cancelled and not result.rows and not result.identical
    assert result.summary() == "Compare with PyTorch was cancelled: nothing was compared."


@needs_torch
@pytest.mark.torch
def test_a_failure_inside_pytorch_is_a_message_naming_the_statement(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    def broken(*args: object) -> None:
        raise RuntimeError("the kernel fell over\nC++ trace follows")

    monkeypatch.setattr(torch, "sin", broken)
    with pytest.raises(oracle.OracleError) as caught:
        oracle.compare(Session(load(example_paths()["sin_of_square"])))
    assert str(caught.value) == ("PyTorch failed at 'z = torch.sin(y)': RuntimeError: the "
                                 "kernel fell over")


def test_pytorch_that_cannot_be_imported_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    with pytest.raises(oracle.OracleError, match=r"^PyTorch could not be imported: "
                       r"(ModuleNotFound|Import)Error: .*Install it with pip install "
                       r"\"gradstudio\[torch\]\"\.$"):
        oracle.compare(Session(load(example_paths()["square"])))


def test_a_graph_that_cannot_be_written_as_code_is_refused_before_pytorch() -> None:
    with pytest.raises(GraphError, match="empty"):
        oracle.compare(Session(GraphModel()))


# --- the optional dependency ----------------------------------------------------------------
def test_the_torch_extra_is_pinned_and_ci_installs_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["torch"] == ["torch==2.13.0"]
    assert not any(d.startswith("torch") for d in project["dependencies"])  # never required
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -e '.[torch]'" in ci
    assert not re.search(r"install[^\n]* torch(?![\]\w])", ci)  # no second, looser pin
    assert oracle.INSTALL == 'pip install "gradstudio[torch]"'


@needs_torch
def test_the_installed_oracle_is_the_pinned_version() -> None:
    import torch

    pin = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["torch"][0].split("==")[1]
    assert torch.__version__.split("+")[0] == pin


@needs_torch
@pytest.mark.torch
def test_a_comparison_knows_whether_it_still_describes_the_graph() -> None:
    """An edit of what is computed makes it out of date, and undoing the edit makes it
    current again; moving cards, notes and the learning rate change nothing compared."""
    model = load(example_paths()["small_network"])
    result = oracle.compare(Session(model))
    assert result.describes(model)
    w = model.find("w")
    model.move(w, (123.0, -45.0))
    model.annotations.add_note("a note", (0.0, 0.0, 100.0, 50.0))
    model.set_setting("lr", 0.5)
    model.description = "another description"
    assert result.describes(model)
    before = model.node(w).params["value"]
    for edit, undo in (
            (lambda: model.set_param(w, "value", 2.5), lambda: model.set_param(w, "value",
                                                                              before)),
            (lambda: model.rename(w, "weight"), lambda: model.rename(w, "w")),
            (lambda: model.set_flag(w, "requires_grad", False),
             lambda: model.set_flag(w, "requires_grad", True)),
            (lambda: model.set_setting("dtype", "float64"),
             lambda: model.set_setting("dtype", "float32")),
            (lambda: model.set_loss(None), lambda: model.set_loss(model.find("loss")))):
        edit()
        assert not result.describes(model)
        undo()
        assert result.describes(model)
    edge = model.edges()[0]
    model.disconnect(edge)
    assert not result.describes(model)
    model.connect(edge.src, edge.dst, edge.port)
    assert result.describes(model)
    model.remove_node(model.find("loss"))
    assert not result.describes(model)
    assert not oracle.Comparison(cancelled=True).describes(model)
