"""The exported script and notebook on real PyTorch give the app's numbers: every shipped
example (and the step-through's test graphs), run as scripts in a fresh interpreter,
against ``gradstudio run --json --backward``; random graphs (hypothesis) executed here
against the session; the notebook's code cells, run in order."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from export_graphs import random_graphs
from trace_graphs import BUILT

from gradstudio.app import main
from gradstudio.graph import GraphModel, Session, load, save
from gradstudio.graph.code_export import program, script
from gradstudio.graph.code_notebook import notebook
from gradstudio.resources import example_paths

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

# Runs each script as a program of its own (runpy: a fresh __main__ namespace), in one
# interpreter so PyTorch is imported once; prints what each printed and every tensor it made.
DRIVER = r"""
import contextlib, io, json, runpy, sys
import torch
out = {}
for path in sys.argv[1:]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ns = runpy.run_path(path)
    tensors = {k: {"value": v.detach().tolist(),
                   "grad": None if v.grad is None else v.grad.tolist()}
               for k, v in ns.items() if isinstance(v, torch.Tensor)}
    out[path] = {"printed": printed.getvalue(), "tensors": tensors}
print(json.dumps(out))
"""


def _files(tmp_path: Path) -> dict[str, Path]:
    """Every shipped example and the step-through's built graphs, as .gsgraph files."""
    files = dict(example_paths())
    for name, make in BUILT.items():
        files[name] = tmp_path / f"{name}.gsgraph"
        save(make(), files[name])
    return files


def _close(ours, theirs, what: str) -> None:
    np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(theirs, np.float64),
                               rtol=2e-5, atol=1e-7, equal_nan=True, err_msg=what)


def _same_print(printed: str, ours: dict, theirs: list | float) -> None:
    if np.array_equal(np.asarray(ours["value"]), np.asarray(theirs)):
        assert printed == ours["repr"]


def test_every_example_exported_and_run_on_pytorch_agrees_with_gradstudio_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = _files(tmp_path)
    scripts = {}
    for name, path in files.items():
        assert main(["export", str(path), "--to", "py", "-o", str(tmp_path / f"{name}.py")]) == 0
        scripts[name] = str(tmp_path / f"{name}.py")
    done = subprocess.run([sys.executable, "-c", DRIVER, *scripts.values()],
                          capture_output=True, text=True, timeout=300, check=True)
    ran = json.loads(done.stdout)
    for name, path in files.items():
        main(["run", str(path), "--backward", "--json"])
        report = json.loads(capsys.readouterr().out)
        out = ran[scripts[name]]
        model = load(path)
        prog = program(Session(model))
        names, target = prog.names, prog.target
        # the script prints what the app prints (PyTorch's repr), where the numbers agree to
        # the bit; float32 can differ in a last bit (the engine's and PyTorch's sums do)
        printed = dict(line.split(" = ", 1) for line in out["printed"].splitlines()
                       if " = " in line)
        for n in model.node_ids():
            label, name_n = model.label(n), names[n]
            theirs = out["tensors"][name_n]
            ours = report["values"][label]
            _close(ours["value"], theirs["value"], f"{name}: {label}")
            if n == target:
                _same_print(printed[name_n], ours, theirs["value"])
            if model.node(n).spec.is_leaf:
                grad = report["grads"].get(label)
                assert (grad is None) == (theirs["grad"] is None), (name, label)
                if grad is None:
                    assert printed[f"{name_n}.grad"] == "None"
                else:
                    _close(grad["value"], theirs["grad"], f"{name}: {label}.grad")
                    _same_print(printed[f"{name_n}.grad"], grad, theirs["grad"])
        if report["error"]:
            assert f"backward is not run: {report['error']} ({report['reason']})" in \
                out["printed"].splitlines()


def test_accumulation_repeated_backward_adds_up_as_gradstudio_run_repeat(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = example_paths()["accumulation"]
    out = tmp_path / "acc.py"
    assert main(["export", str(path), "--repeat", "2", "-o", str(out)]) == 0
    done = subprocess.run([sys.executable, str(out)], capture_output=True, text=True,
                          timeout=120, check=True)
    main(["run", str(path), "--repeat", "2", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["grads"]["x"]["repr"] == "tensor(8.)"
    assert "x.grad = tensor(8.)" in done.stdout.splitlines()


def run_exported(model: GraphModel) -> tuple[dict, str]:
    """The script executed here (test only): its namespace and what it printed."""
    ns: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(script(Session(model)), "<exported>", "exec"), ns)  # noqa: S102
    return ns, printed.getvalue()


def check_against_session(model: GraphModel, ns: dict) -> None:
    """Every node's value and every leaf's .grad, PyTorch's against the app's."""
    session = Session(model)
    names = program(session).names
    result = session.backward()
    forward = session.last_forward
    for n, name in names.items():
        label = model.label(n)
        _close(forward.values[n].detach().numpy(), ns[name].detach().numpy(), label)
        if model.node(n).spec.is_leaf:
            ours, theirs = session.grad(n), ns[name].grad
            assert (ours is None) == (theirs is None), f"{label}.grad: {ours} vs {theirs}"
            if ours is not None:
                _close(ours.numpy(), theirs.numpy(), f"{label}.grad")
    loss = ns[names[result.target]] if result.target else None
    assert result.ok == (loss is not None and loss.grad_fn is not None and
                         loss.numel() == 1)


# Derandomized, as the other parity tests: the same graphs on every run.
@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(random_graphs())
def test_random_graphs_exported_give_the_apps_numbers_on_pytorch(model: GraphModel) -> None:
    # Keep values moderate (see test_trace_torch.py: float32 exp of thousands differs in its
    # last bit between numpy and PyTorch, which tests float32, not the export).
    values = Session(model).forward().values.values()
    assume(all(float(np.nanmax(np.abs(v.detach().numpy()), initial=0)) < 20 for v in values))
    ns, _ = run_exported(model)
    check_against_session(model, ns)


@pytest.mark.parametrize("name", ["small_network", "vector_mean", "detach", "no_grad"])
def test_the_notebooks_code_cells_in_order_give_the_scripts_numbers(name: str) -> None:
    model = load(example_paths()[name])
    book = notebook(Session(model), title=name)
    ns: dict = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for cell in book.cells:
            if cell.cell_type == "code":
                exec(compile(cell.source, "<cell>", "exec"), ns)  # noqa: S102
    _, from_script = run_exported(model)
    assert printed.getvalue() == from_script
    check_against_session(model, ns)
