"""Undo of a train run, as a learner sees it: Ctrl+Z after Train Step (or Train N) shows
exactly what was there before the press — the weights' values and gradients on the cards
and in the Inspector, the Training panel's step count, loss plot and last step, the
Accumulation ledger — and Redo brings back what the run left."""

from __future__ import annotations

import pytest
from gestures import click, press_shortcut
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.node_item import TITLE_H, WIDTH


@pytest.fixture
def net(window, qtbot):
    """The small network open, the Training panel raised and its plots made."""
    window.open_example("small_network")
    window.docks["training"].raise_()
    window.panels["training"].ensure_plots()
    qtbot.wait(40)  # the first evaluation is on the cards
    return window


def select(qtbot, window, label: str):
    """Click the card's title bar: the Inspector shows the node."""
    model = window.document.model
    item = window.view.scene().nodes[model.find(label)]
    click(window.view, item.mapToScene(QPointF(WIDTH / 2, TITLE_H / 2)))
    return window.panels["inspector"]


def seen(window, qtbot) -> dict:
    """What a person reads: every card's text, the Inspector's grad of the selected node,
    the Gradients panel's grad and last contribution, the Training panel (status, plotted
    points, last step) and the ledger's rows."""
    qtbot.wait(60)  # any auto-evaluation after the change has run
    panel = window.panels["training"]
    xs, _ys = panel._loss_curve.getData()
    nodes = window.view.scene().nodes
    model = window.document.model
    gradients = window.panels["gradients"]
    return {
        "gradients panel": {model.label(n): (gradients.text(n, "grad"),
                                             gradients.text(n, "last contribution"))
                            for n in gradients.rows()},
        "cards": {model.label(n): item.display_lines() for n, item in nodes.items()},
        "inspector grad": window.panels["inspector"].facts["grad"].text(),
        "training": panel.status.text(),
        "points": 0 if xs is None else len(xs),
        "last step": (panel.step_title.text(), panel.step_cells()),
        "ledger": window.panels["ledger"].lines(),
        "warning": window.panels["ledger"].banner.isVisible(),
    }


def f8(qtbot, window) -> None:
    qtbot.keyClick(window.view, Qt.Key_F8)  # Train Step, as a person presses it


def test_undo_of_train_step_after_backward_shows_the_gradients_it_had(net, qtbot):
    window = net
    insp = select(qtbot, window, "w")
    qtbot.keyClick(window.view, Qt.Key_F6)  # Backward: w.grad = 6.6918
    before = seen(window, qtbot)
    assert before["inspector grad"] == "tensor(6.6918)"
    assert "grad 6.6918" in " ".join(before["cards"]["w"])
    assert "grad 0.9988" in before["cards"]["z"]  # an intermediate's, kept from Backward
    assert before["gradients panel"]["w"] == ("tensor(6.6918)", "6.6918")

    f8(qtbot, window)
    after = seen(window, qtbot)
    assert after["training"].startswith("1 step ·") and after["points"] == 2
    assert insp.facts["grad"].text() == "tensor(0.)"  # the step zeroed it

    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert seen(window, qtbot) == before
    press_shortcut(qtbot, window, QKeySequence.Redo)
    assert seen(window, qtbot) == after


def test_undo_of_the_first_train_step_leaves_no_training_and_no_gradient(net, qtbot):
    window = net
    select(qtbot, window, "w")
    before = seen(window, qtbot)
    assert before["training"].startswith("No training yet") and before["points"] == 0
    assert before["inspector grad"] == "None" and before["ledger"] == []

    f8(qtbot, window)
    after = seen(window, qtbot)
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert seen(window, qtbot) == before
    press_shortcut(qtbot, window, QKeySequence.Redo)
    assert seen(window, qtbot) == after
    press_shortcut(qtbot, window, QKeySequence.Undo)

    panel = window.panels["training"]  # a run after the undo counts its own steps only
    panel.steps_box.setValue(100)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    assert panel.status.text().startswith("100 steps ·")
    assert len(panel._loss_curve.getData()[0]) == 101  # the loss after 0 to 100 steps
    assert panel.step_title.text().startswith("Last step (#100)")


def test_undo_of_train_n_then_of_train_step_goes_back_run_by_run(net, qtbot):
    window = net
    panel = window.panels["training"]
    select(qtbot, window, "b")
    start = seen(window, qtbot)
    panel.steps_box.setValue(5)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    five = seen(window, qtbot)
    assert five["training"].startswith("5 steps ·") and five["points"] == 6
    assert five["last step"][0].startswith("Last step (#5)")
    f8(qtbot, window)
    six = seen(window, qtbot)
    assert six["training"].startswith("6 steps ·") and six["points"] == 7

    press_shortcut(qtbot, window, QKeySequence.Undo)  # the Train Step
    assert seen(window, qtbot) == five
    assert panel.progress.isTextVisible() and panel.progress.text() == "5 / 5 steps"
    press_shortcut(qtbot, window, QKeySequence.Undo)  # the whole Train 5
    assert seen(window, qtbot) == start
    assert not panel.progress.isTextVisible()  # no run's count, as before any run
    press_shortcut(qtbot, window, QKeySequence.Redo)
    assert seen(window, qtbot) == five
    assert panel.progress.isTextVisible() and panel.progress.text() == "5 / 5 steps"
    press_shortcut(qtbot, window, QKeySequence.Redo)
    assert seen(window, qtbot) == six


def test_undo_after_zero_grad_goes_back_to_before_the_step(net, qtbot):
    """Zero Grad is a run, not an edit (it is not on the undo stack): Ctrl+Z after it takes
    back the train step before it, and with it everything since."""
    window = net
    insp = select(qtbot, window, "w")
    qtbot.keyClick(window.view, Qt.Key_F6)
    qtbot.keyClick(window.view, Qt.Key_F6)  # accumulated: 2 × 6.6918, the warning shows
    before = seen(window, qtbot)
    assert before["inspector grad"] == "tensor(13.3835)" and before["warning"]
    f8(qtbot, window)
    window.action_map["zero_grad"].trigger()
    assert window.panels["ledger"].lines()[-1] == "zero grad"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert seen(window, qtbot) == before
    assert insp.facts["grad"].text() == "tensor(13.3835)"
    qtbot.keyClick(window.view, Qt.Key_F6)  # a backward after the undo counts on from there
    assert window.panels["ledger"].lines()[-1].startswith("backward #3: ")
    assert insp.facts["grad"].text() == "tensor(20.0753)"


def test_undo_during_a_run_stops_it_where_it_was_started(net, qtbot):
    window = net
    panel = window.panels["training"]
    start = seen(window, qtbot)
    panel.steps_box.setValue(100000)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    pressed: list[int] = []

    def press_undo(_steps) -> None:  # the person presses Ctrl+Z while the run goes on
        if not pressed:
            pressed.append(panel.progress.value())
            press_shortcut(qtbot, window, QKeySequence.Undo)

    panel.job.progress.connect(press_undo)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    assert 0 < pressed[0] < 100000
    assert window.statusBar().currentMessage() == "training stopped: its steps were undone"
    now = seen(window, qtbot)
    assert {k: v for k, v in now.items() if k != "training"} == \
        {k: v for k, v in start.items() if k != "training"}
    assert now["training"].startswith("No training yet")
    assert not panel.progress.isTextVisible()
    model = window.document.model
    assert model.node(model.find("w")).params["value"] == 1.0
    press_shortcut(qtbot, window, QKeySequence.Redo)  # the steps the undo took back
    redone = seen(window, qtbot)
    n = len(panel.losses)
    assert n > 0 and redone["training"].startswith(f"{n} steps ·")
    assert panel.weight_history["w"][-1] == model.node(model.find("w")).params["value"]


def test_undo_to_no_steps_gives_the_plots_their_empty_range_again(net, qtbot):
    window = net
    panel = window.panels["training"]
    loss_plot, weight_plot = panel.ensure_plots()
    empty = [plot.getViewBox().viewRange()[0][1] for plot in (loss_plot, weight_plot)]
    assert all(hi < 2 for hi in empty)
    panel.steps_box.setValue(40)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    qtbot.waitUntil(lambda: loss_plot.getViewBox().viewRange()[0][1] >= 40)  # fitted
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.wait(20)
    assert all(plot.getViewBox().viewRange()[0][1] < 2 for plot in (loss_plot, weight_plot))
    assert len(panel._loss_curve.getData()[0] or []) == 0


def test_undo_of_a_train_step_gives_the_gradient_check_back(net, qtbot):
    """Check Gradients, then Train Step: the step changed the graph, so the check's badges
    and table go; Ctrl+Z puts the graph back as it was checked, and the check with it."""
    window = net
    window.docks["grad_check"].raise_()
    panel = window.panels["grad_check"]
    window.action_map["check_gradients"].trigger()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=20000)
    w_card = window.view.scene().nodes[window.document.model.find("w")]
    checked = (panel.summary.text(), panel.cells(), w_card.check_badge())
    assert w_card.check_badge().startswith("✓ ")
    f8(qtbot, window)
    assert panel.table.rowCount() == 0 and w_card.check_badge() == ""
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.wait(60)
    assert (panel.summary.text(), panel.cells(), w_card.check_badge()) == checked
    press_shortcut(qtbot, window, QKeySequence.Redo)  # the step's graph was not checked
    assert panel.table.rowCount() == 0 and w_card.check_badge() == ""
