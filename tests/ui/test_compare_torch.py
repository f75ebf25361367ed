"""Run ▸ Compare with PyTorch, as a person uses it: open a graph (or build one), pick the
menu entry, read the verdict line and the per-node table; the work runs in the worker
thread (a slow PyTorch shows progress and Cancel); a failure inside PyTorch is a message;
without PyTorch the entry is disabled and says how to install it."""

from __future__ import annotations

import importlib.util
import threading

import pytest
from gestures import build_chain, keep_visible, menu_action, wire
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton

from gradstudio import oracle
from gradstudio.graph import Session, load
from gradstudio.resources import example_paths

INSTALL = 'pip install "gradstudio[torch]"'
needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                                 reason="PyTorch is the oracle for these tests")


def _run_menu(window):
    return next(a.menu() for a in window.menuBar().actions()
                if a.text().replace("&", "") == "Run")


def _compare(window):
    action = menu_action(_run_menu(window), "Compare with PyTorch")
    assert action is not None and action.isEnabled()
    action.trigger()  # returns once the comparison is over
    return getattr(window, "compare_dialog", None)


def _warnings(monkeypatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *a: shown.append((title, text)))
    return shown


@needs_torch
@pytest.mark.torch
def test_compare_the_small_network_every_node_bit_identical(qtbot, window):
    window.action_map["example.small_network"].trigger()
    dialog = _compare(window)
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Compare with PyTorch"
    assert dialog.summary.text() == \
        "All 8 values and 6 gradients are bit-identical to PyTorch 2.13.0."
    cells = dialog.cells()
    assert [row[0] for row in cells] == ["x", "w", "b", "y", "wx", "z", "y_pred", "loss"]
    assert all(row[2] == "✓ bit-identical" for row in cells)
    grads = {row[0]: row[3] for row in cells}
    assert grads["w"] == grads["loss"] == "✓ bit-identical"
    assert grads["x"] == "✓ both None"  # an input that does not require grad
    assert window.statusBar().currentMessage() == dialog.summary.text()
    # the document's own tensors were not touched: no gradient in w yet
    model = window.document.model
    w = next(n for n in model.node_ids() if model.label(n) == "w")
    assert window.document.session.grad(w) is None


@needs_torch
@pytest.mark.torch
def test_a_difference_is_shown_on_its_node_and_in_the_summary(qtbot, window):
    """sin_of_square: the table says what the headless comparison found, node by node,
    with ≠ where the bits differ; the summary line names the largest difference."""
    window.action_map["example.sin_of_square"].trigger()
    dialog = _compare(window)
    expected = oracle.compare(Session(load(example_paths()["sin_of_square"])))
    assert dialog.summary.text() == expected.summary()
    for row, cells in zip(expected.rows, dialog.cells(), strict=True):
        assert cells[:2] == [row.label, row.name]
        for agreement, text in ((row.value, cells[2]), (row.grad, cells[3])):
            assert text == ("✓ " if agreement.identical else "≠ ") + agreement.text()
    if not expected.identical:
        assert any(c[2].startswith("≠ max |Δ| ") for c in dialog.cells())


@needs_torch
@pytest.mark.torch
def test_compare_a_graph_built_by_hand(qtbot, window):
    keep_visible(window)
    x, sq = build_chain(window, ("weight", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    dialog = _compare(window)
    labels = [window.document.model.label(n) for n in (x, sq)]
    assert [c[0] for c in dialog.cells()] == labels
    assert dialog.summary.text().startswith("All 2 values and 2 gradients are bit-identical")


@needs_torch
@pytest.mark.torch
def test_the_comparison_runs_in_the_worker_and_cancel_stops_it(qtbot, window, monkeypatch):
    """A slow PyTorch: the progress dialog comes up over the window, Cancel stops the work
    between statements, and no result is shown."""
    import torch

    window.action_map["example.small_network"].trigger()
    release, threads = threading.Event(), []
    real = torch.sigmoid

    def slow(x):
        threads.append(threading.current_thread())
        release.wait(30)
        return real(x)

    monkeypatch.setattr(torch, "sigmoid", slow)
    seen: dict = {}

    def tick() -> None:  # on the tick after Cancel the runner has asked the work to stop
        if "label" in seen:
            release.set()
            return
        box = QApplication.activeModalWidget()
        if isinstance(box, QProgressDialog):
            seen["label"] = box.labelText()
            (cancel,) = [b for b in box.findChildren(QPushButton) if b.text() == "Cancel"]
            cancel.click()

    timer = QTimer(window, interval=20)
    timer.timeout.connect(tick)
    timer.start()
    warnings = _warnings(monkeypatch)
    _compare(window)
    timer.stop()
    release.set()
    assert threads and threads[0] is not threading.main_thread()
    assert seen.get("label") == "Comparing with PyTorch…"
    assert getattr(window, "compare_dialog", None) is None or \
        not window.compare_dialog.isVisible()
    assert warnings == []  # a cancel is no error
    assert "cancelled" in window.statusBar().currentMessage()
    assert QApplication.activeModalWidget() is None


@needs_torch
@pytest.mark.torch
def test_a_failure_inside_pytorch_is_a_message_not_a_crash(qtbot, window, monkeypatch):
    import torch

    def broken(x):
        raise RuntimeError("no kernel for this")

    monkeypatch.setattr(torch, "sigmoid", broken)
    window.action_map["example.small_network"].trigger()
    warnings = _warnings(monkeypatch)
    assert _compare(window) is None
    assert warnings == [("Cannot compare with PyTorch", "PyTorch failed at 'y_pred = "
                         "torch.sigmoid(z)': RuntimeError: no kernel for this")]
    assert window.isVisible() and len(window.document.model) == 8


def test_an_empty_graph_is_refused_with_a_message(qtbot, window, monkeypatch):
    monkeypatch.setattr(oracle, "available", lambda: True)
    warnings = _warnings(monkeypatch)
    assert _compare(window) is None
    assert len(warnings) == 1 and "the graph is empty" in warnings[0][1]


def test_without_pytorch_the_entry_is_disabled_and_says_how_to_install_it(
        qtbot, open_window, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else real(name, *a))
    window = open_window()
    window.action_map["example.small_network"].trigger()
    action = menu_action(_run_menu(window), "Compare with PyTorch")
    assert action is not None and not action.isEnabled()
    assert INSTALL in action.toolTip() and INSTALL in action.statusTip()
    assert _run_menu(window).toolTipsVisible()  # hovering the entry shows why
    action.trigger()  # a disabled entry does nothing
    assert getattr(window, "compare_dialog", None) is None


@needs_torch
def test_with_pytorch_installed_the_entry_is_enabled(qtbot, window):
    action = menu_action(_run_menu(window), "Compare with PyTorch")
    assert action.isEnabled() and INSTALL not in action.toolTip()


@needs_torch
def test_the_entry_is_disabled_during_the_quiz_which_hides_the_gradients(qtbot, window):
    window.action_map["example.small_network"].trigger()
    action = menu_action(_run_menu(window), "Compare with PyTorch")
    menu_action(_run_menu(window), "Quiz").trigger()
    assert window.quiz_mode.active
    assert not action.isEnabled() and "Leave Quiz" in action.toolTip()
    window.action_map["step_leave"].trigger()  # Leave Quiz (Esc)
    assert not window.quiz_mode.active and action.isEnabled()
