"""Honest numbers: a value or a result past its dtype's largest number is told, not a silent
inf. Such a file loads (PyTorch holds 1e308 in float32 as inf too) with the reason said by
graph/overflow.py, by ``gradstudio run`` on stderr and without numpy's RuntimeWarning."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gradstudio.graph import Session, loads
from gradstudio.graph.overflow import leaf_overflow, overflows, result_overflow, value_overflow

ROOT = Path(__file__).resolve().parents[2]


def _doc(nodes: list[dict], edges: list[tuple[str, str, str]] = (),
         dtype: str = "float32") -> str:
    return json.dumps({"format": "gradstudio-graph", "version": 2, "nodes": nodes,
                       "edges": [{"src": s, "dst": d, "port": p} for s, d, p in edges],
                       "settings": {"dtype": dtype}})


def _input(node_id: str, value: object) -> dict:
    return {"id": node_id, "kind": "input", "label": node_id, "params": {"value": value}}


def _op(node_id: str, kind_name: str) -> dict:
    return {"id": node_id, "kind": kind_name, "label": node_id}


def test_a_value_past_float32_is_told_with_the_largest_number_and_the_way_out() -> None:
    why = value_overflow(1e308, "float32")
    assert why is not None
    assert why.startswith("1e+308 does not fit in float32")
    assert "3.403e+38" in why and "float64" in why
    assert value_overflow([[1.0, -4e38], [2.0, 3.0]], "float32").startswith("4e+38 ")
    assert value_overflow(1e308, "float64") is None  # float64 holds it
    assert value_overflow(3e38, "float32") is None  # just inside
    assert value_overflow([math.inf, -math.inf, math.nan], "float32") is None  # meant


def test_a_file_with_1e308_in_float32_loads_and_the_leaf_says_it_is_inf() -> None:
    model = loads(_doc([_input("a", 1e308), _op("s", "sin")], [("a", "s", "x")]))
    forward = Session(model).forward()
    assert math.isinf(float(forward.value("a")))  # as torch.tensor(1e308, dtype=float32)
    found = overflows(model, forward)
    assert list(found) == ["a"]  # s got inf from a: told where it started, once
    assert found["a"].startswith("a: 1e+308 does not fit in float32")
    assert leaf_overflow(model, "a") == found["a"]
    assert leaf_overflow(model, "s") is None
    assert overflows(model, None) == found  # the leaves need no evaluation
    model.set_setting("dtype", "float64")
    assert overflows(model, Session(model).forward()) == {}


def test_a_result_that_overflows_float32_says_what_float64_would_give() -> None:
    model = loads(_doc([_input("a", 100), _op("e", "exp")], [("a", "e", "x")]))
    forward = Session(model).forward()
    why = result_overflow(model, forward, "e")
    assert why is not None and why.startswith("e: its result overflows float32: 2.688e+43 in "
                                              "float64")
    assert overflows(model, forward) == {"e": why}
    assert result_overflow(model, forward, "a") is None  # a leaf: leaf_overflow's part


def test_inf_from_finite_numbers_in_float64_is_told_too() -> None:
    model = loads(_doc([_input("a", 1000), _op("e", "exp"), _input("one", 1), _input("z", 0),
                        _op("q", "div")], [("a", "e", "x"), ("one", "q", "a"), ("z", "q", "b")],
                       dtype="float64"))
    found = overflows(model, Session(model).forward())
    assert set(found) == {"e", "q"}
    assert found["q"].startswith("q: its result is inf from finite inputs")
    assert "1.798e+308" in found["e"]


def test_gradstudio_run_warns_on_stderr_without_numpy_warnings(tmp_path: Path) -> None:
    """A real process: numpy's 'RuntimeWarning: overflow encountered in cast' would reach
    stderr there (pytest would swallow it in-process)."""
    path = tmp_path / "big.gsgraph"
    path.write_text(_doc([_input("a", [1e308, 2.0]), _input("b", 100), _op("e", "exp")],
                         [("b", "e", "x")]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"}
    done = subprocess.run([sys.executable, "-m", "gradstudio", "run", str(path), "--json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines == [
        "gradstudio: warning: a: 1e+308 does not fit in float32 (its largest number is "
        "3.403e+38), so it is inf here, as in PyTorch; switch the graph to float64 or use a "
        "smaller number",
        "gradstudio: warning: e: its result overflows float32: 2.688e+43 in float64, past "
        "float32's largest number 3.403e+38, so it is inf here, as in PyTorch; switch the "
        "graph to float64 to compute it"]
    report = json.loads(done.stdout)
    assert report["values"]["a"]["value"] == ["inf", 2.0]
    assert [w.split(":")[0] for w in report["overflow"]] == ["a", "e"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_no_overflow_is_told_for_ordinary_numbers(dtype: str) -> None:
    model = loads(_doc([_input("a", [1.0, -2.0]), _op("e", "exp"), _op("m", "mean")],
                       [("a", "e", "x"), ("e", "m", "x")], dtype=dtype))
    assert overflows(model, Session(model).forward()) == {}
