"""``gradstudio run`` prints any label — a lone surrogate, a character the terminal's encoding
lacks — in every mode (text, --json, --trace, errors) without dying on the encoding."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LABEL = "\ud800"  # a lone surrogate: valid in a JSON file, not encodable as UTF-8


def _graph(tmp_path: Path) -> Path:
    path = tmp_path / "surrogate.gsgraph"
    doc = {"format": "gradstudio-graph", "version": 1,
           "nodes": [{"id": "a", "kind": "input", "label": LABEL, "params": {"value": 2.0},
                      "flags": {"requires_grad": True}},
                     {"id": "b", "kind": "square", "label": "y" + LABEL}],
           "edges": [{"src": "a", "dst": "b", "port": "x"}]}
    path.write_text(json.dumps(doc))  # json escapes it as \ud800
    return path


def _run(*args: str, encoding: str = "utf-8") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": encoding}  # strict, as on a real terminal
    return subprocess.run([sys.executable, "-m", "gradstudio", "run", *args], env=env,
                          capture_output=True, timeout=120)


@pytest.mark.parametrize("mode", [[], ["--backward"], ["--json", "--backward"], ["--trace"],
                                  ["--trace", "--json"]])
def test_every_mode_prints_a_lone_surrogate(tmp_path: Path, mode: list[str]) -> None:
    done = _run(str(_graph(tmp_path)), *mode)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr and done.stderr == b""
    assert b"\\ud800" in done.stdout  # escaped, in JSON and in text alike


def test_errors_naming_the_label_are_printed_too(tmp_path: Path) -> None:
    done = _run(str(_graph(tmp_path)), "--target", "nope")
    assert done.returncode == 1
    err = done.stderr.decode("ascii")
    assert err.startswith("gradstudio: error: no node called 'nope'") and err.count("\n") == 1
    assert "\\ud800" in err


def test_an_ascii_terminal_gets_escapes_not_a_crash(tmp_path: Path) -> None:
    path = _graph(tmp_path)
    doc = json.loads(path.read_text())
    doc["nodes"][0]["label"] = "x\u00e9\u2202"
    path.write_text(json.dumps(doc))
    done = _run(str(path), "--backward", encoding="ascii")
    assert done.returncode == 0, done.stderr
    assert b"x\\xe9\\u2202" in done.stdout
