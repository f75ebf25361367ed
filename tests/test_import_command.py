"""``gradstudio import SCRIPT.py -o OUT.gsgraph``: the graph file is written, its numbers are
the code's under ``gradstudio run``; a refusal is one line on stderr with file:line:col, exit
code 1, no file written and no traceback; usage errors exit 2 as ``gradstudio run``'s do."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

from gradstudio.graph import load

NETWORK = """\
import torch
x = torch.tensor(6.7)
y = torch.tensor(0.0)
w = torch.tensor(1.0, requires_grad=True)
b = torch.tensor(0.0, requires_grad=True)
z = w * x + b
y_pred = torch.sigmoid(z)
loss = -(y * torch.log(y_pred) + (1 - y) * torch.log(1 - y_pred))
loss.backward()
print(w.grad, b.grad)
"""


def test_import_writes_a_graph_that_runs_like_the_code(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script, out = tmp_path / "net.py", tmp_path / "net.gsgraph"
    script.write_text(NETWORK)
    code, stdout, err = run_cli(capsys, "import", script, "-o", out)
    assert code == 0 and err == ""
    assert stdout.splitlines() == [
        f"wrote {out}: 16 nodes, 18 wires",
        f"the code runs backward 1 time: gradstudio run {out} --backward"]
    model = load(out)
    assert model.label(model.loss) == "loss"
    code, stdout, _ = run_cli(capsys, "run", out, "--backward")
    assert code == 0
    assert re.search(r"^  w\.grad +tensor\(6\.6918\)$", stdout, re.M)
    assert re.search(r"^  b\.grad +tensor\(0\.9988\)$", stdout, re.M)


def test_one_wire_is_said_in_the_singular(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    script, out = tmp_path / "no_grad.py", tmp_path / "no_grad.gsgraph"
    script.write_text("x = torch.tensor(2.0, requires_grad=True)\n"
                      "with torch.no_grad():\n  y = x**2\n")
    code, stdout, _ = run_cli(capsys, "import", script, "-o", out)
    assert code == 0
    assert stdout.splitlines()[0] == f"wrote {out}: 2 nodes, 1 wire"


def test_stdin_and_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "twice.gsgraph"
    code_text = "x = torch.tensor(2.0, requires_grad=True)\ny = x**2\ny.backward()\ny.backward()\n"
    monkeypatch.setattr(sys, "stdin", type("In", (), {"buffer": _Bytes(code_text.encode())})())
    code, stdout, _ = run_cli(capsys, "import", "-", "-o", out)
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0].startswith("stdin:4:1: backward through the same graph a second time")
    assert lines[-1] == f"the code runs backward 2 times: gradstudio run {out} --backward " \
        "--repeat 2"


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, n: int = -1) -> bytes:
        return self.data if n < 0 else self.data[:n]


@pytest.mark.parametrize("text, where", [
    ("import os\nos.system('touch {marker}')\n", "bad.py:1:1: import os"),
    ("x = torch.tensor(1.0)\nfor i in range(2):\n    open('{marker}', 'w')\n",
     "bad.py:2:1: for loops"),
    (b"x = 1\n\xff\xfe open('{marker}')", "bad.py:2:1: not UTF-8"),
    ("x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\ny.backward()\n",
     "bad.py:3:1: RuntimeError: grad can be implicitly created only for scalar outputs: y "
     "holds 2 numbers"),
])
def test_refusal_is_one_line_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes,
        where: str) -> None:
    marker, script, out = tmp_path / "marker", tmp_path / "bad.py", tmp_path / "out.gsgraph"
    if isinstance(text, bytes):
        script.write_bytes(text.replace(b"{marker}", str(marker).encode()))
    else:
        script.write_text(text.replace("{marker}", str(marker)))
    code, stdout, err = run_cli(capsys, "import", script, "-o", out)
    assert code == 1 and stdout == ""
    assert err.startswith(f"gradstudio: error: {where}") and err.count("\n") == 1, err
    assert not out.exists() and not marker.exists()


def test_missing_file_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "import", tmp_path / "nope.py", "-o", tmp_path / "o.gsgraph")
    assert code == 1 and err.startswith("gradstudio: error: cannot read ") and \
        err.count("\n") == 1
    code, _, err = run_cli(capsys, "import", tmp_path / "nope.py")
    assert code == 2 and "-o/--output" in err and err.count("\n") == 1


def test_as_a_command_without_a_traceback(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text("y = eval('1')\n")
    done = subprocess.run([sys.executable, "-m", "gradstudio", "import", str(script), "-o",
                           str(tmp_path / "s.gsgraph")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert done.stderr == ("gradstudio: error: s.py:1:5: eval(...) is not supported: the code "
                           "is read, never run\n")


def _hint(tmp_path: Path, capsys: pytest.CaptureFixture[str], code: str) -> tuple[Path, str]:
    """Import ``code`` and return the output file and the last line printed (the hint)."""
    script, out = tmp_path / "cell.py", tmp_path / "cell.gsgraph"
    script.write_text(code)
    status, stdout, err = run_cli(capsys, "import", script, "-o", out)
    assert status == 0 and err == "", err
    return out, stdout.splitlines()[-1]


def test_backward_from_two_nodes_does_not_suggest_repeat(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--repeat runs backward again from the same node: it cannot give two targets' sum."""
    out, hint = _hint(tmp_path, capsys, "x = torch.tensor(2.0, requires_grad=True)\n"
                      "y = x * 2\nz = x ** 3\ny.backward()\nz.backward()\n")
    assert "--repeat 2" not in hint
    assert hint == (
        "the code runs backward 2 times, from 2 different nodes (y, z), adding up their "
        "gradients; gradstudio run runs backward from one node (--repeat repeats that one): "
        f"gradstudio run {out} --backward runs z's (the loss), --target NAME another's. "
        "File ▸ Import PyTorch Code… in the window replays them all, in order")
    # what the hint offers does what it says: z's gradient (3x² = 12), then y's (2)
    for extra, grad in (((), "12."), (("--target", "y"), "2.")):
        status, stdout, _ = run_cli(capsys, "run", out, "--backward", *extra)
        assert status == 0 and re.search(rf"^  x\.grad +tensor\({grad}\)$", stdout, re.M), \
            stdout


def test_zeroing_between_backward_calls_does_not_suggest_repeat(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, hint = _hint(tmp_path, capsys, "x = torch.tensor(2.0, requires_grad=True)\n"
                      "y = x * 2\ny.backward(retain_graph=True)\nx.grad.zero_()\n"
                      "y.backward()\n")
    assert hint == ("the code runs backward 2 times from y with x.grad.zero_() between, "
                    f"which --repeat cannot do: gradstudio run {out} --backward runs one. "
                    "File ▸ Import PyTorch Code… in the window replays them all, in order")
    _, hint = _hint(tmp_path, capsys, "x = torch.tensor(2.0, requires_grad=True)\n"
                    "y = x * 2\ny.backward(retain_graph=True)\nx.grad = None\ny.backward()\n")
    assert "with x.grad = None between, which --repeat cannot do" in hint


def test_a_training_update_is_one_line_saying_train_step(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script, out = tmp_path / "train.py", tmp_path / "train.gsgraph"
    script.write_text(NETWORK + "with torch.no_grad():\n    w -= 0.1 * w.grad\n")
    code, stdout, err = run_cli(capsys, "import", script, "-o", out)
    assert code == 1 and stdout == "" and not out.exists()
    assert err == ("gradstudio: error: train.py:12:5: 'w -= 0.1 * w.grad' is a training "
                   "update (it changes w by its gradient): the import reads the graph and its "
                   "backward() calls, not weight updates. Leave it out and press Train Step in "
                   "the app, with lr 0.1 in the toolbar\n")


@pytest.mark.parametrize("text, why", [
    ("# Binary Cross-Entropy Loss for scalardef f(p, t): ...\nprint('hello')\n",
     "cell.py: the code makes no tensor, so there is no graph"),
    ("import torch\ndef main():\n    x = torch.tensor(2.0, requires_grad=True)\n"
     "    y = x ** 2\n\nif __name__ == '__main__':\n    main()\n",
     "cell.py: no variable holds a tensor at the end of the code, so there is no graph (a "
     "function such as main() keeps its tensors unless it returns them: return the loss and "
     "write loss = main(), or paste the body at the top level)"),
])
def test_code_with_no_graph_writes_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           text: str, why: str) -> None:
    """As the window refuses it: an empty graph file would only hide the mistake."""
    script, out = tmp_path / "cell.py", tmp_path / "cell.gsgraph"
    script.write_text(text)
    code, stdout, err = run_cli(capsys, "import", script, "-o", out)
    assert code == 1 and stdout == "" and not out.exists()
    assert err.startswith(f"gradstudio: error: {why}") and err.count("\n") == 1, err
