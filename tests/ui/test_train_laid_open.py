"""Train Step laid open, as a person sees it: the order of a step where the button is, the
Training panel's table (w, w.grad, Δw = −lr·w.grad, w′) and the loss before → after, and
the same numbers on the weights' cards until the graph changes."""

from __future__ import annotations

import numpy as np
from gestures import press_shortcut
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from gradstudio.graph import format_number

# PyTorch 2.13 on the small network (tests/graph/test_session.py): float32 gradients
W_GRAD, B_GRAD, LOSS = 6.6917619705200195, 0.9987704753875732, 6.701176166534424


def f32(v: float) -> str:
    return format_number(np.float32(v))


def test_train_step_lays_the_step_open(window, qtbot):
    window.open_example("small_network")
    action = window.action_map["train_step"]
    assert "zero grad → forward → backward → update w ← w − lr·w.grad" in action.toolTip()
    panel = window.panels["training"]
    window.docks["training"].raise_()
    assert "zero grad → forward → backward → update" in panel.order.text()
    assert "zero grad → forward → backward → update" in panel.train_button.toolTip()
    assert panel.step_cells() == []

    qtbot.keyClick(window.view, Qt.Key_F8)
    lr = np.float32(0.1)
    w_delta, b_delta = -lr * np.float32(W_GRAD), -lr * np.float32(B_GRAD)
    w_new, b_new = np.float32(1) + w_delta, np.float32(0) + b_delta
    assert panel.step_cells() == [
        ["b", "0", f32(B_GRAD), f32(b_delta), f32(b_new)],
        ["w", "1", f32(W_GRAD), f32(w_delta), f32(w_new)],
    ]
    loss_now = window.document.session.last_forward.value(window.document.model.find("loss"))
    after = format_number(np.float64(loss_now.item()))
    assert panel.step_title.text() == f"Last step (#1) · lr 0.1: loss {f32(LOSS)} → {after}"

    nodes = window.view.scene().nodes
    model = window.document.model
    w_card, loss_card = nodes[model.find("w")], nodes[model.find("loss")]
    assert w_card.display_lines() == [f"w 1 → {f32(w_new)}",  # w → w′: the value now
                                      f"Δw = −0.1·{f32(W_GRAD)}", f"     = {f32(w_delta)}"]
    # each weight's card in its own name (b's read "w ... → ..." and "Δw = ...")
    assert nodes[model.find("b")].display_lines() == [
        f"b 0 → {f32(b_new)}", f"Δb = −0.1·{f32(B_GRAD)}", f"     = {f32(b_delta)}"]
    assert "w.grad was zeroed after the update" in w_card.tooltip_text()
    assert loss_card.display_lines()[-1] == f"loss {f32(LOSS)} → {after}"
    assert nodes[model.find("x")].step_lines == []  # an input is not trained
    # the card stays compact: it does not grow into the card below it (x)
    assert not w_card.card_rect().intersects(nodes[model.find("x")].card_rect())

    laid_open, cells = w_card.display_lines(), panel.step_cells()
    press_shortcut(qtbot, window, QKeySequence.Undo)  # the weights go back: the step is gone
    assert model.node(model.find("w")).params["value"] == 1.0
    assert w_card.step_lines == [] and loss_card.step_lines == []
    assert panel.step_cells() == []  # as before the step
    assert panel.step_title.text() == "After a train step its numbers appear here."
    press_shortcut(qtbot, window, QKeySequence.Redo)  # the step is back, laid open
    assert w_card.display_lines() == laid_open and panel.step_cells() == cells
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.keyClick(window.view, Qt.Key_F8)  # another step: the first of the history again
    assert panel.step_title.text().startswith("Last step (#1) · lr 0.1: loss ")


def test_train_n_lays_open_the_last_step(window, qtbot):
    window.open_example("small_network")
    window.docks["training"].raise_()
    panel = window.panels["training"]
    panel.steps_box.setValue(3)
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    assert panel.step_title.text().startswith("Last step (#3) · lr 0.1: loss ")
    w = window.document.model.find("w")
    assert panel.step_cells()[1][4] == format_number(
        np.float32(window.document.model.node(w).params["value"]))
