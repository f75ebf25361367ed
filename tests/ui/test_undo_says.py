"""What an undo or redo leaves a person to read: the status bar says what it did (after a
train run it said "trained 1 step: ..." and went on saying it), and Check Gradients' result
follows the graph: gone after an edit, back after an undo or redo to the graph it checked."""

from __future__ import annotations

import re

import pytest
from gestures import click, drag, press_shortcut
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.node_item import TITLE_H, WIDTH

CHANGED = "The graph changed since the last check: Run ▸ Check Gradients to check this one."


@pytest.fixture
def net(window, qtbot):
    """The small network open, the Gradient check tab in front."""
    window.open_example("small_network")
    window.docks["grad_check"].raise_()
    qtbot.wait(40)  # the first evaluation is on the cards
    return window


def status(window) -> str:
    return window.statusBar().currentMessage()


def losses(text: str) -> list[str]:
    """The numbers after 'loss' in a status line."""
    return re.findall(r"[-+]?\d[\d.e+-]*", text.split("loss", 1)[1])


def card(window, label: str):
    return window.view.scene().nodes[window.document.model.find(label)]


def type_value(qtbot, window, label: str, text: str) -> None:
    """Select the card and type a new value into the Inspector, as a person does."""
    item = card(window, label)
    click(window.view, item.mapToScene(QPointF(WIDTH / 2, TITLE_H / 2)))
    field = window.panels["inspector"].param_fields["value"].edit
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


def shown_check(window) -> tuple:
    """What a person reads of the check: the panel's line, its table, the weights' badges."""
    panel = window.panels["grad_check"]
    return (panel.summary.text(), panel.cells(), card(window, "w").check_badge(),
            card(window, "b").check_badge())


def check(qtbot, window) -> tuple:
    window.action_map["check_gradients"].trigger()
    qtbot.waitUntil(lambda: window.panels["grad_check"].table.rowCount() > 0, timeout=20000)
    seen = shown_check(window)
    assert seen[0].startswith("all 2 gradients agree") and seen[2].startswith("✓ ")
    return seen


def test_undo_of_a_train_step_says_what_it_did_with_the_loss_it_gave_back(net, qtbot):
    qtbot.keyClick(net.view, Qt.Key_F8)  # Train Step
    trained = status(net)
    assert trained.startswith("trained 1 step: loss ")
    before, after = losses(trained)
    assert before != after
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert status(net) == f"undone: Train step (loss back to {before})"
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert status(net) == f"redone: Train step (loss {after} again)"
    assert net.panels["messages"].entries[-2:] == [
        ("info", f"undone: Train step (loss back to {before})"),
        ("info", f"redone: Train step (loss {after} again)")]


def test_undo_of_train_n_says_the_whole_run_went(net, qtbot):
    panel = net.panels["training"]
    net.docks["training"].raise_()
    panel.steps_box.setValue(5)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    assert status(net).startswith("trained 5 steps: loss ")
    before, after = losses(status(net))
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert status(net) == f"undone: Train 5 steps (loss back to {before})"
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert status(net) == f"redone: Train 5 steps (loss {after} again)"


def test_undo_of_an_edit_says_which(net, qtbot):
    type_value(qtbot, net, "w", "2")
    assert net.document.model.node(net.document.model.find("w")).params["value"] == 2.0
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert status(net) == "undone: Set w.value"
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert status(net) == "redone: Set w.value"


def test_a_check_comes_back_with_the_graph_it_checked(net, qtbot):
    panel = net.panels["grad_check"]
    assert panel.summary.text() == "No check yet: Run ▸ Check Gradients."
    checked = check(qtbot, net)
    type_value(qtbot, net, "w", "2")  # an edit: the check described another graph
    assert shown_check(net) == (CHANGED, [], "", "")
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert shown_check(net) == checked
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert shown_check(net) == (CHANGED, [], "", "")

    again = check(qtbot, net)  # the edited graph checked too: each place keeps its own
    assert again[1] != checked[1]  # w = 2: other gradients
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert shown_check(net) == checked
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert shown_check(net) == again


def test_an_edit_after_an_undo_replaces_the_checked_graph_for_good(net, qtbot):
    checked = check(qtbot, net)
    type_value(qtbot, net, "w", "2")
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert shown_check(net) == checked  # as checked: the edit is on the redo side
    type_value(qtbot, net, "b", "3")  # a new edit drops the redo side
    assert shown_check(net) == (CHANGED, [], "", "")
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert shown_check(net) == checked
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert shown_check(net) == (CHANGED, [], "", "")


def test_moving_a_card_keeps_the_check_through_undo_and_redo(net, qtbot):
    checked = check(qtbot, net)
    item = card(net, "w")
    start = item.mapToScene(QPointF(WIDTH / 2, TITLE_H / 2))
    drag(net.view, start, start + QPointF(0, 120))  # a move computes nothing new
    assert net.document.undo_stack.undoText().startswith("Move")
    assert shown_check(net) == checked
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert shown_check(net) == checked
    press_shortcut(qtbot, net, QKeySequence.Redo)
    assert shown_check(net) == checked


def test_a_new_document_has_no_check_yet(net, qtbot):
    check(qtbot, net)
    net.action_map["new"].trigger()
    assert net.panels["grad_check"].summary.text() == "No check yet: Run ▸ Check Gradients."


def test_undo_of_adding_a_note_says_so(net, qtbot):
    """A note's command keeps its text in ``text``, where Qt's QUndoCommand.text() was."""
    net.action_map["add_note"].trigger()
    qtbot.keyClick(net.view.editor, Qt.Key_Escape)  # the new note kept as it came
    assert len(net.view.scene().notes) == 1
    press_shortcut(qtbot, net, QKeySequence.Undo)
    assert net.view.scene().notes == {}
    assert status(net) == "undone: Add note"
