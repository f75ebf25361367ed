"""``gradstudio run FILE``: the headless evaluator prints what the app shows; errors are one
line on stderr with a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

from gradstudio import __version__
from gradstudio.graph import GraphModel, save
from gradstudio.resources import example_paths

EXAMPLES = example_paths()


def _run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    return run_cli(capsys, "run", *args)


def _one_line_error(code: int, err: str, *words: str) -> None:
    assert code != 0
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("gradstudio: error: ") and "Traceback" not in err
    for word in words:
        assert word in err, f"{word!r} not in {err!r}"


def test_version_from_python_dash_m() -> None:
    done = subprocess.run([sys.executable, "-m", "gradstudio", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"GradStudio {__version__}"


def test_values_in_pytorchs_printed_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLES["small_network"])
    assert code == 0 and err == ""
    assert re.search(r"^  y_pred +tensor\(0\.9988, grad_fn=<SigmoidBackward0>\)$", out, re.M)
    assert re.search(r"^  loss +tensor\(6\.7012, grad_fn=<NegBackward0>\)$", out, re.M)
    assert re.search(r"^  w +tensor\(1\., requires_grad=True\)$", out, re.M)
    assert "gradients" not in out  # no backward was asked for


def test_backward_prints_the_gradients(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["small_network"], "--backward")
    assert code == 0
    assert re.search(r"^  w\.grad +tensor\(6\.6918\)$", out, re.M)
    assert re.search(r"^  b\.grad +tensor\(0\.9988\)$", out, re.M)
    assert "x.grad" not in out
    code, out, _ = _run(capsys, EXAMPLES["vector_mean"], "--backward")
    assert re.search(r"^  x\.grad +tensor\(\[0\.6667, 1\.3333, 2\.0000\]\)$", out, re.M)


def test_repeat_shows_accumulation_in_the_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["accumulation"], "--repeat", "2")
    assert code == 0
    assert "  backward #1: x.grad += 4 -> 4\n  backward #2: x.grad += 4 -> 8\n" in out
    assert re.search(r"^  x\.grad +tensor\(8\.\)$", out, re.M)
    assert "warning: gradients are accumulating" in out


def test_training_lowers_the_loss(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["small_network"], "--steps", "3", "--lr", "0.1")
    assert code == 0
    losses = [float(v) for v in re.findall(r"^  step \d: loss (\S+)$", out, re.M)]
    assert len(losses) == 3
    assert losses[0] == pytest.approx(6.701176166534424, rel=1e-5)  # the notebook's loss
    assert losses[0] > losses[1] > losses[2]


def test_json_has_the_same_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["small_network"], "--backward", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["error"] is None
    assert report["values"]["loss"]["repr"] == "tensor(6.7012, grad_fn=<NegBackward0>)"
    assert report["values"]["loss"]["value"] == pytest.approx(6.701176166534424, abs=1e-6)
    assert report["grads"]["w"]["value"] == pytest.approx(6.6917619705200195, abs=1e-6)
    assert report["grads"]["b"]["value"] == pytest.approx(0.9987704753875732, abs=1e-6)
    assert report["grads"]["w"]["repr"] == "tensor(6.6918)"
    assert report["ledger"] == ["backward #1: b.grad += 0.9988 -> 0.9988, "
                                "w.grad += 6.6918 -> 6.6918"]


def test_json_training_losses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["small_network"], "--steps", "2", "--json")
    losses = json.loads(out)["losses"]
    assert code == 0 and len(losses) == 2 and losses[0] > losses[1]


def test_target_on_the_detach_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLES["detach"], "--target", "y")
    assert code == 0 and err == ""
    assert re.search(r"^  x\.grad +tensor\(4\.\)$", out, re.M)


# --- errors -----------------------------------------------------------------------------------
def test_backward_that_cannot_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLES["detach"], "--backward")
    _one_line_error(code, err, "element 0 of tensors does not require grad",
                    "the only path from x passes through z, which is detached")
    assert re.search(r"^  y1 +tensor\(4\.\)$", out, re.M)  # values are still shown


def test_backward_that_cannot_run_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLES["no_grad"], "--backward", "--json")
    _one_line_error(code, err, "no-grad")
    report = json.loads(out)
    assert report["error"].startswith("RuntimeError: element 0 of tensors")
    assert report["reason"] == "y is computed under no-grad: its output does not require grad"


def test_no_grad_mode(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, EXAMPLES["square"], "--backward", "--no-grad")
    _one_line_error(code, err, "no-grad mode is on")


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, tmp_path / "nothing.gsgraph")
    _one_line_error(code, err, "cannot read", "nothing.gsgraph")
    assert out == ""


def test_corrupt_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.gsgraph"
    bad.write_text(EXAMPLES["square"].read_text()[:150])
    code, out, err = _run(capsys, bad, "--backward")
    _one_line_error(code, err, "bad.gsgraph", "not valid JSON")
    assert out == ""


def test_unknown_target(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, EXAMPLES["square"], "--target", "q")
    _one_line_error(code, err, "no node called 'q'")


@pytest.mark.parametrize("lr", ["abc", "-1", "0", "nan", "inf"])
def test_bad_learning_rate(capsys: pytest.CaptureFixture[str], lr: str) -> None:
    code, out, err = _run(capsys, EXAMPLES["small_network"], "--steps", "1", "--lr", lr)
    _one_line_error(code, err, "--lr", lr)
    assert out == ""


@pytest.mark.parametrize("args", [[], ["--repeat", "0"], ["--steps", "x"], ["--bogus"]])
def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    file = [] if not args else [str(EXAMPLES["square"])]
    code, _, err = _run(capsys, *file, *args)
    _one_line_error(code, err)


def test_trace_prints_one_line_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLES["small_network"], "--trace")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 16  # 8 forward, 4 backward (loss, y_pred, z, wx), 2 leaves, 2 skipped
    assert re.match(r"^ 1 forward +x = 6\.7000 ", lines[0])
    wx = next(line for line in lines if " backward wx " in line)
    assert "0.9988 × 6.7000 = 6.6918 → w" in wx  # w receives 6.6918 as 0.9988 × 6.7
    assert "nothing → x (x does not require grad: requires_grad is off)" in wx
    w = next(line for line in lines if re.search(r" leaf +w:", line))
    assert w.endswith("w.grad = None + 6.6918 = 6.6918")
    assert lines.index(w) > lines.index(wx)  # backward reaches the leaf after its consumer
    assert re.search(r"^ 7 forward +y_pred = σ\(z\) = σ\(6\.7000\) = 0\.9988 ", out, re.M)
    assert "gradients" not in out and "ledger" not in out  # only the steps


def test_trace_with_repeat_shows_what_the_leaf_already_holds(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["small_network"], "--trace", "--repeat", "2")
    assert code == 0
    assert re.search(r" leaf +w: .*w\.grad = 6\.6918 \+ 6\.6918 = 13\.3835$", out, re.M)


def test_trace_of_a_backward_that_cannot_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, EXAMPLES["detach"], "--trace")
    _one_line_error(code, err, "does not require grad", "detached")
    assert re.search(r"^5 refused +backward from y1 cannot run", out, re.M)
    assert re.search(r"^\d skipped +z skipped: z is detached: a detached wire cuts the "
                     r"gradient here$", out, re.M)


def test_trace_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["vector_mean"], "--trace", "--json")
    assert code == 0
    steps = json.loads(out)["trace"]
    assert [s["phase"] for s in steps] == ["forward"] * 3 + ["backward"] * 2 + ["leaf"]
    leaf = steps[-1]
    assert leaf["node"] == "x" and leaf["grad"] == pytest.approx([2 / 3, 4 / 3, 2.0])
    x_sq = steps[4]
    assert x_sq["maths"] == ["∂x_sq/∂x = 2·x = 2·[1., 2., 3.] = [2., 4., 6.]"]
    assert x_sq["wires"][0]["from"] == "x"
    assert x_sq["wires"][0]["contribution"] == pytest.approx([2 / 3, 4 / 3, 2.0])


def test_trace_is_documented_and_refuses_training(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and "--trace" in out and "step-through" in out
    code, _, err = _run(capsys, EXAMPLES["small_network"], "--trace", "--steps", "2")
    _one_line_error(code, err, "--trace", "--steps")


def test_show_plan_prints_the_compiled_code(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    code, out, err = _run(capsys, EXAMPLES["small_network"], "--show-plan")
    assert code == 0 and err == ""
    assert out.startswith("# compiled plan: 8 nodes, float32, backward from node 7\n")
    assert "#   node 1: weight 'w'\n" in out
    assert "\ndef forward(L):\n" in out and "\ndef train(L, G, LR, n, losses, path, " in out
    compile(out, "shown", "exec")  # what is shown is the code itself, whole
    code, out, _ = _run(capsys, EXAMPLES["vector_mean"], "--show-plan")  # the vector plan
    assert code == 0 and out.startswith("# compiled plan: 3 nodes, float32, backward from node 2")
    assert "np.multiply(v0, v0, out=B1)" in out
    compile(out, "shown", "exec")
    unwired = GraphModel()
    unwired.add_node("add", label="s")
    save(unwired, tmp_path / "unwired.gsgraph")
    code, out, _ = _run(capsys, tmp_path / "unwired.gsgraph", "--show-plan")
    assert code == 0 and out.startswith("This graph is not compiled: ")


def test_training_many_steps_prints_each_steps_loss(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, EXAMPLES["small_network"], "--steps", "500")
    losses = [float(v) for v in re.findall(r"^  step \d+: loss (\S+)$", out, re.M)]
    assert code == 0 and len(losses) == 500 and losses[-1] < losses[0] / 100
    assert re.search(r"^  train: 500 steps \(backward #1–#500 from loss", out, re.M)


def _diverging(tmp_path: Path) -> Path:
    """y = w**2 from w = 3 with lr 10: w grows each step until w**2 overflows float32 (inf)
    and then w itself (inf, then nan)."""
    m = GraphModel()
    w = m.add_node("weight", label="w", params={"value": 3.0})
    y = m.add_node("square", label="y")
    m.connect(w, y, "x")
    path = tmp_path / "diverging.gsgraph"
    save(m, path)
    return path


@pytest.mark.parametrize("steps", ["1", "40", "300"])
def test_json_is_what_jsons_indenting_encoder_writes(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path, steps: str) -> None:
    """The report's losses are written without json's (slow) indenting encoder: the text is
    still exactly its text, with inf and nan as strings (strict JSON)."""
    for file, lr in ((EXAMPLES["small_network"], "0.1"), (_diverging(tmp_path), "10")):
        code, out, _ = _run(capsys, file, "--steps", steps, "--lr", lr, "--json")
        report = json.loads(out)
        assert code == 0 and len(report["losses"]) == int(steps)
        assert out == json.dumps(report, indent=1) + "\n"
    if steps != "1":  # the diverging run's last losses
        assert "inf" in report["losses"] and report["losses"][-1] == "nan"
