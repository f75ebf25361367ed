"""The Training dock: Train N steps with progress and Cancel, the loss and weight curves,
the learning rate, and undo of a whole run."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from gradstudio.ui import theme


@pytest.fixture
def panel(window):
    window.docks["training"].raise_()
    window.open_example("small_network")
    return window.panels["training"]


def type_into(qtbot, box, text: str) -> None:
    """Select the box's text and type a new value, then Enter, as a person does."""
    box.setFocus()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    qtbot.keyClick(box.lineEdit(), Qt.Key_Return)


def weight(window, label: str) -> float:
    model = window.document.model
    return float(model.node(model.find(label)).params["value"])


def test_train_20_steps_then_undo(window, panel, qtbot):
    type_into(qtbot, panel.steps_box, "20")
    assert panel.steps_box.value() == 20
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    assert not panel.train_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)

    assert len(panel.losses) == 20
    assert panel.losses[0] == pytest.approx(6.701176166534424, rel=1e-7)  # the notebook's
    assert panel.losses[-1] < panel.losses[0] / 100
    assert set(panel.weight_history) == {"w", "b"}
    assert all(len(v) == 20 for v in panel.weight_history.values())
    assert panel.weight_history["w"][0] == pytest.approx(1.0 - 0.1 * 6.6918, abs=1e-4)
    assert panel.weight_history["b"][0] == pytest.approx(0.0 - 0.1 * 0.9988, abs=1e-4)
    assert panel.weight_history["w"][-1] == pytest.approx(weight(window, "w"))
    assert panel.progress.value() == 20
    assert panel.train_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert "20 steps" in panel.status.text()
    assert weight(window, "w") != 1.0

    window.action_map["undo"].trigger()  # one Ctrl+Z takes back the whole run
    assert weight(window, "w") == 1.0
    assert weight(window, "b") == 0.0
    assert panel.losses == [] and panel.weight_history == {}  # its steps with it
    assert panel.status.text().startswith("No training yet")
    window.action_map["redo"].trigger()
    assert len(panel.losses) == 20 and "20 steps" in panel.status.text()


def test_plots_show_the_recorded_data(window, panel, qtbot):
    loss_plot, weight_plot = panel.ensure_plots()
    type_into(qtbot, panel.steps_box, "5")
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    xs, ys = panel._loss_curve.getData()
    assert list(xs) == [0, 1, 2, 3, 4, 5]  # the loss after 0 to 5 steps
    assert list(ys) == pytest.approx(panel.losses + [panel.loss_now])
    assert set(panel._curves) == {"w", "b"}
    assert list(panel._curves["b"].getData()[1]) == pytest.approx(panel.weight_history["b"])


def test_cancel_stops_a_long_run(window, panel, qtbot):
    type_into(qtbot, panel.steps_box, "100000")
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=20000)
    assert panel.progress.maximum() == 100000
    qtbot.mouseClick(panel.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    assert 0 < len(panel.losses) < 100000
    assert all(len(v) == len(panel.losses) for v in panel.weight_history.values())
    assert "cancelled" in panel.status.text()
    assert panel.train_button.isEnabled()
    assert window.document.undo_stack.undoText().startswith("Train")


def test_train_step_from_the_menu_is_recorded(window, panel):
    window.action_map["train_step"].trigger()
    window.action_map["train_step"].trigger()
    assert len(panel.losses) == 2
    assert panel.losses[1] < panel.losses[0]
    assert panel.weight_history["w"][1] == pytest.approx(weight(window, "w"))


def test_lr_follows_the_toolbar_box(window, panel, qtbot):
    assert "0.1" in panel.lr_text
    type_into(qtbot, window.lr_box, "0.05")
    assert window.document.model.settings.lr == pytest.approx(0.05)
    assert "0.05" in panel.lr_text
    window.action_map["train_step"].trigger()
    assert weight(window, "w") == pytest.approx(1.0 - 0.05 * 6.6918, abs=1e-4)
    window.action_map["undo"].trigger()  # the train step
    window.action_map["undo"].trigger()  # the lr change
    assert "0.1" in panel.lr_text


def test_reset_history(window, panel, qtbot):
    window.action_map["train_step"].trigger()
    assert panel.losses
    w = weight(window, "w")
    qtbot.mouseClick(panel.reset_button, Qt.LeftButton)
    assert panel.losses == [] and panel.weight_history == {}
    assert weight(window, "w") == w
    window.action_map["train_step"].trigger()  # starts again at step 1
    assert len(panel.losses) == 1 and len(panel.weight_history["w"]) == 1
    assert not math.isnan(panel.weight_history["w"][0])


def test_opening_a_graph_clears_the_history(window, panel):
    window.action_map["train_step"].trigger()
    window.open_example("square")
    assert panel.losses == [] and panel.weight_history == {}



def _drawn_at(plot, x: float, y: float, color: str) -> bool:
    """Whether the plot on screen shows ``color`` within 3 px of the data point (x, y)."""
    want = QColor(color)
    at = plot.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(x, y)))
    image = plot.grab().toImage()
    ratio = image.devicePixelRatio()
    for dx in range(-3, 4):
        for dy in range(-3, 4):
            c = image.pixelColor(int((at.x() + dx) * ratio), int((at.y() + dy) * ratio))
            if max(abs(c.red() - want.red()), abs(c.green() - want.green()),
                   abs(c.blue() - want.blue())) < 40:
                return True
    return False


def _tick_labels(plot) -> list[str]:
    """The labels under the step axis, as drawn for the plot's current range."""
    axis = plot.getPlotItem().getAxis("bottom")
    lo, hi = plot.getViewBox().viewRange()[0]
    return [label for spacing, values in axis.tickValues(lo, hi, axis.width())
            for label in axis.tickStrings(values, axis.scale, spacing)]


def test_one_train_step_reads_the_new_loss_and_draws_it(window, panel, qtbot):
    loss_plot, weight_plot = panel.ensure_plots()
    qtbot.waitUntil(panel.isVisible)
    qtbot.keyClick(window.view, Qt.Key_F8)  # Train step, as a person presses it
    assert len(panel.losses) == 1
    status_bar = window.statusBar().currentMessage()
    assert status_bar == "trained 1 step: loss 6.70118 -> 2.23036"
    assert panel.status.text() == "1 step · loss 6.70118 → 2.23036"  # not one step behind

    xs, ys = panel._loss_curve.getData()
    assert list(xs) == [0, 1] and list(ys) == pytest.approx([6.701176, 2.230356], abs=1e-5)
    assert list(panel._curves["w"].getData()[0]) == [1]  # w after step 1: a single point
    assert panel._curves["w"].opts["symbol"] == "o"
    qtbot.wait(20)  # painted
    loss_colour = theme.current().loss
    assert _drawn_at(loss_plot, 0.5, (ys[0] + ys[1]) / 2, loss_colour)  # a line 6.7 to 2.2
    w_after = panel.weight_history["w"][0]
    assert _drawn_at(weight_plot, 1, w_after, theme.current().series[0])  # w's one point
    b_after = panel.weight_history["b"][0]
    assert not _drawn_at(weight_plot, 1, (w_after + b_after) / 2, theme.current().series[0])
    labels = _tick_labels(loss_plot)
    assert labels and all(label.lstrip("-").isdigit() for label in labels), labels


def test_step_ticks_are_whole_numbers_at_any_length(window, panel, qtbot):
    loss_plot, _ = panel.ensure_plots()
    for steps in ("2", "7", "30"):
        type_into(qtbot, panel.steps_box, steps)
        qtbot.mouseClick(panel.train_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
        qtbot.wait(20)  # the plot fitted to the new steps
        labels = _tick_labels(loss_plot)
        assert labels and all(label.lstrip("-").isdigit() for label in labels), labels


def test_new_and_open_start_the_plots_afresh(window, panel, qtbot):
    loss_plot, weight_plot = panel.ensure_plots()
    type_into(qtbot, panel.steps_box, "40")
    qtbot.mouseClick(panel.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.job is None, timeout=20000)
    qtbot.waitUntil(lambda: loss_plot.getViewBox().viewRange()[0][1] >= 40)  # fitted

    window.action_map["new"].trigger()
    qtbot.wait(20)
    assert panel.status.text().startswith("No training yet")
    assert len(panel._loss_curve.getData()[0] or []) == 0 and panel._curves == {}
    for plot in (loss_plot, weight_plot):
        assert plot.getViewBox().viewRange()[0][1] < 2  # not the old 0..40

    window.open_example("small_network")
    qtbot.keyClick(window.view, Qt.Key_F8)
    assert panel.status.text() == "1 step · loss 6.70118 → 2.23036"
    qtbot.wait(20)  # painted, ranges fitted
    lo, hi = loss_plot.getViewBox().viewRange()[0]
    assert -0.5 < lo <= 0 and 1 <= hi < 2  # the one step fills the plot
    y_lo, y_hi = loss_plot.getViewBox().viewRange()[1]
    assert y_lo <= 2.23 and 6.70 <= y_hi < 10
