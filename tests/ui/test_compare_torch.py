"""Run ▸ Compare with PyTorch, as a person uses it: open a graph (or build one), pick the
menu entry, read the verdict line and the per-node table; the work runs in the worker
thread (a slow PyTorch shows progress and Cancel); a failure inside PyTorch is a message;
without PyTorch the entry is disabled and says how to install it."""

from __future__ import annotations

import importlib.util
import threading

import pytest
from gestures import build_chain, click, drag, keep_visible, menu_action, press_shortcut, wire
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
)

from gradstudio import oracle
from gradstudio.graph import Session, load
from gradstudio.resources import example_paths
from gradstudio.ui import theme

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


def test_an_empty_graph_is_refused_with_a_message(qtbot, open_window, monkeypatch):
    monkeypatch.setattr(oracle, "available", lambda: True)  # asked when the window is made
    window = open_window()
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


def _back_to_the_canvas(qtbot, window) -> None:
    """The person clicks into the main window beside the dialog: the window manager makes
    it the active one (offscreen Qt has none, so it is done here), and its shortcuts work."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)


def _rename_on_the_card(qtbot, window, label: str, new: str) -> None:
    """Click the card's title, F2, type the new name, Enter: one undo step."""
    model = window.document.model
    item = window.view.scene().nodes[model.find(label)]
    _back_to_the_canvas(qtbot, window)
    click(window.view, item.mapToScene(item.title_rect().center()))
    qtbot.keyClick(window.view, Qt.Key_F2)
    editor = _editor(window)
    qtbot.keyClicks(editor, new)
    qtbot.keyClick(editor, Qt.Key_Return)
    assert item.data_.label == new


def _editor(window) -> QLineEdit:
    """The editor open on the canvas, its text selected (typing replaces it)."""
    (editor,) = [e for e in window.view.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert editor.selectedText() == editor.text()
    return editor


def _current(dialog) -> bool:
    """What a person sees: no out-of-date line, the table and verdict not greyed, the
    plain title."""
    stale = dialog.findChild(QLabel, "compare_stale")
    shown = stale.isVisible()
    assert shown == (not dialog.table.isEnabled()) == (not dialog.summary.isEnabled())
    assert dialog.windowTitle() == ("Compare with PyTorch (out of date)" if shown
                                    else "Compare with PyTorch")
    assert dialog.findChild(QPushButton, "compare_again").isVisible() == shown
    muted = QColor(theme.current().muted)
    assert all((dialog.table.item(r, c).foreground().color() == muted) == shown
               for r in range(dialog.table.rowCount()) for c in (2, 3))  # ✓ greyed too
    if shown:
        assert stale.text() == ("The graph has changed since this comparison: the table "
                                "shows it as it was. Compare again to see it as it is.")
    return not shown


@needs_torch
@pytest.mark.torch
def test_an_edit_greys_the_comparison_undo_brings_it_back_compare_again_renews_it(
        qtbot, window):
    keep_visible(window)
    window.action_map["example.small_network"].trigger()
    dialog = _compare(window)
    qtbot.waitExposed(dialog)
    assert _current(dialog)
    before = dialog.cells()
    # moving a card changes nothing that was compared
    item = window.view.scene().nodes[window.document.model.find("w")]
    start = item.mapToScene(item.title_rect().center())
    drag(window.view, start, start + QPointF(60, 40))
    qtbot.wait(10)
    assert _current(dialog)
    # a rename on the canvas does: the old table stays readable, greyed, and says so
    _rename_on_the_card(qtbot, window, "w", "weight")
    qtbot.wait(10)
    assert not _current(dialog)
    assert dialog.cells() == before and dialog.summary.text().startswith("All 8 values")
    # undo (the person's key on the canvas): the graph is the compared one again
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.wait(10)
    assert _current(dialog) and dialog.cells() == before
    # redo, then Compare Again in the dialog itself: the same window, renewed
    press_shortcut(qtbot, window, QKeySequence.Redo)
    qtbot.wait(10)
    assert not _current(dialog)
    again = dialog.findChild(QPushButton, "compare_again")
    assert again.isEnabled()
    qtbot.mouseClick(again, Qt.LeftButton)
    assert window.compare_dialog is dialog and dialog.isVisible()
    assert len(window.findChildren(type(dialog))) == 1
    assert _current(dialog)
    assert [row[0] for row in dialog.cells()] == \
        ["x", "weight", "b", "y", "wx", "z", "y_pred", "loss"]
    assert dialog.summary.text() == \
        "All 8 values and 6 gradients are bit-identical to PyTorch 2.13.0."


@needs_torch
@pytest.mark.torch
def test_a_value_typed_on_a_card_or_another_document_makes_it_out_of_date(qtbot, window):
    keep_visible(window)
    window.action_map["example.small_network"].trigger()
    dialog = _compare(window)
    model = window.document.model
    item = window.view.scene().nodes[model.find("w")]
    _back_to_the_canvas(qtbot, window)
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton,
                      pos=window.view.mapFromScene(item.mapToScene(item.value_rect().center())))
    editor = _editor(window)
    qtbot.keyClicks(editor, "2.5")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.wait(10)
    assert float(model.node(model.find("w")).params["value"]) == 2.5
    assert not _current(dialog)
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.wait(10)
    assert _current(dialog)
    # a card deleted with its wires, and put back by undo: the same graph again
    _back_to_the_canvas(qtbot, window)
    click(window.view, item.mapToScene(item.title_rect().center()))
    press_shortcut(qtbot, window, QKeySequence.Delete)
    qtbot.wait(10)
    assert "w" not in [model.label(n) for n in model.node_ids()]
    assert not _current(dialog)
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.wait(10)
    assert _current(dialog)
    window.action_map["example.sin_of_square"].trigger()  # another graph altogether
    qtbot.wait(10)
    assert not _current(dialog)
    menu_action(_run_menu(window), "Compare with PyTorch").trigger()  # the menu renews it
    assert window.compare_dialog is dialog and _current(dialog)
    assert [row[0] for row in dialog.cells()][0] == "x"


@needs_torch
@pytest.mark.torch
def test_an_open_comparison_closes_when_a_quiz_starts(qtbot, window):
    """Its table holds the very gradients the quiz hides."""
    window.action_map["example.small_network"].trigger()
    dialog = _compare(window)
    assert dialog.isVisible()
    menu_action(_run_menu(window), "Quiz").trigger()
    assert window.quiz_mode.active and not dialog.isVisible()
    window.action_map["step_leave"].trigger()
    assert not dialog.isVisible()  # it comes back when the person compares again
    assert _compare(window) is dialog and dialog.isVisible()
