"""``gradstudio export FILE --to py|ipynb -o OUT``: writes the script or the notebook;
problems are one line on stderr with a non-zero exit code, and nothing is written."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from cli_runner import run_cli
from test_cli import _one_line_error  # the same promise as gradstudio run's

from gradstudio.resources import example_paths

SMALL = example_paths()["small_network"]


def _export(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    return run_cli(capsys, "export", *args)


def test_script_and_notebook(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _export(capsys, SMALL, "--to", "py", "-o", tmp_path / "net.py")
    assert (code, out, err) == (0, "", "")
    tree = ast.parse((tmp_path / "net.py").read_text(encoding="utf-8"))
    assert "loss.backward()" in {ast.unparse(n) for n in tree.body}
    code, _, _ = _export(capsys, SMALL, "-o", tmp_path / "net.ipynb")  # format from the name
    assert code == 0
    book = nbformat.read(tmp_path / "net.ipynb", as_version=4)
    nbformat.validate(book)
    assert any("y_pred = torch.sigmoid(z)" in c.source for c in book.cells)
    assert any("σ(6.7000) = 0.9988" in c.source for c in book.cells
               if c.cell_type == "markdown")


def test_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _export(capsys, SMALL, "--to", "py", "-o", "-")
    assert code == 0 and "y_pred = torch.sigmoid(z)\n" in out


def test_from_python_dash_m_in_a_fresh_interpreter(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gradstudio", "export", str(SMALL), "--to",
                           "ipynb", "-o", str(tmp_path / "n.ipynb")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    nbformat.validate(nbformat.read(tmp_path / "n.ipynb", as_version=4))


@pytest.mark.parametrize(("args", "words"), [
    (["missing.gsgraph", "-o", "out.py"], ["missing.gsgraph"]),
    ([SMALL, "-o", "out.txt"], ["--to py or --to ipynb"]),
    ([SMALL, "-o", "out.py", "--repeat", "0"], ["--repeat"]),
    ([SMALL, "--to", "pdf", "-o", "out.pdf"], ["invalid choice"]),
    ([SMALL], ["-o"]),
])
def test_problems_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, args: list, words: list) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _export(capsys, *args)
    _one_line_error(code, err, *words)
    assert not list(tmp_path.glob("out.*"))


def test_a_graph_that_cannot_be_exported_and_an_unwritable_output(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "open.gsgraph"
    broken.write_text('{"format": "gradstudio-graph", "version": 1, "nodes": [{"id": "n1", '
                      '"kind": "sin", "label": "s"}], "edges": []}', encoding="utf-8")
    code, _, err = _export(capsys, broken, "-o", tmp_path / "out.py")
    _one_line_error(code, err, "s has no value: input 'x' is not connected")
    code, _, err = _export(capsys, SMALL, "-o", tmp_path / "no" / "such" / "out.py")
    _one_line_error(code, err, "cannot save")
    assert not (tmp_path / "out.py").exists()
