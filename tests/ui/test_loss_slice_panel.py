"""The loss slice as a person uses it: select w on the small network, open Run ▸ Loss Slice,
press Train Step (F8) and watch the point go downhill along its tangent."""

from __future__ import annotations

import numpy as np
import pytest
from gestures import click, menu_action
from PySide6.QtCore import QPointF, Qt

from gradstudio.graph.laid_open import number


def run_menu(window):
    menu = window.menuBar().actions()[3].menu()
    assert menu.title().replace("&", "") == "Run"
    return menu


@pytest.fixture
def sliced(window, qtbot):
    """small_network open, w selected by a click on its card, the slice opened."""
    window.open_example("small_network")
    view = window.view
    w = view.scene().nodes[window.document.model.find("w")]
    click(view, QPointF(w.card_rect().center()))
    assert view.selected_node_ids() == [w.node_id]
    panel = window.panels["loss_slice"]
    assert panel._plot is None and not window.docks["loss_slice"].isVisible()
    menu_action(run_menu(window), "Loss Slice").trigger()
    assert window.docks["loss_slice"].isVisible()
    qtbot.waitUntil(lambda: panel.point_data() is not None)
    return panel


def tangent_slope(panel) -> float:
    xs, ys = panel.tangent.getData()
    return float((ys[-1] - ys[0]) / (xs[-1] - xs[0]))


def test_the_slice_of_w_its_point_and_tangent(window, sliced, qtbot):
    x0, y0 = sliced.point_data()
    assert x0 == 1.0 and y0 == pytest.approx(6.701176166534424, rel=1e-7)
    xs, ys = sliced.curve.getData()
    assert len(xs) == 200 and xs[0] < x0 < xs[-1]
    # the tangent's slope is what Backward gives w.grad
    qtbot.keyClick(window.view, Qt.Key_F6)
    grad = window.document.session.grad(window.document.model.find("w")).item()
    assert tangent_slope(sliced) == pytest.approx(grad, rel=1e-6)
    assert f"tangent slope = w.grad = {number(grad)}" in sliced.readout.text()
    assert "loss as w alone varies" in sliced._plot.getPlotItem().titleLabel.text
    # in float32 the notebook's clamp (1 - 1e-8 rounds to 1) lets log(0) through for large w
    assert not np.isfinite(ys[-1]) and np.isfinite(ys[0])
    assert "the loss is not finite at" in sliced.readout.text()


def test_a_train_step_moves_the_point_downhill(window, sliced, qtbot):
    x0, y0 = sliced.point_data()
    slope = tangent_slope(sliced)
    span = sliced.curve.getData()[0][[0, -1]]
    qtbot.keyClick(window.view, Qt.Key_F8)  # Train Step, with w still selected
    qtbot.waitUntil(lambda: sliced.point_data() != (x0, y0))
    x1, y1 = sliced.point_data()
    assert y1 < y0  # downhill
    assert x1 < x0 and slope > 0  # against the gradient
    assert x1 == pytest.approx(x0 - 0.1 * slope, rel=1e-6)  # along the tangent: lr · slope
    assert sliced.curve.getData()[0][[0, -1]].tolist() == span.tolist()  # the axis stays
    trail_x, trail_y = sliced.trail.getData()
    assert trail_x.tolist() == [x0, x1] and trail_y[0] == y0  # where it came from
    assert f"w = {number(x1)}" in sliced.readout.text()
    qtbot.keyClick(window.view, Qt.Key_F8)
    qtbot.waitUntil(lambda: sliced.point_data()[0] != x1)
    assert sliced.point_data()[1] < y1
    assert len(sliced.trail.getData()[0]) == 3


def test_no_slice_for_what_cannot_be_sliced(window, sliced, qtbot):
    view = window.view
    x = view.scene().nodes[window.document.model.find("x")]
    click(view, QPointF(x.card_rect().center()))
    qtbot.waitUntil(lambda: sliced.point_data() is None)
    assert sliced.hint.text() == "x does not require grad: it has no gradient for a tangent"
    loss = view.scene().nodes[window.document.model.find("loss")]
    click(view, QPointF(loss.card_rect().center()))
    qtbot.waitUntil(lambda: "computed" in sliced.hint.text())
    assert sliced.hint.text() == "loss is computed: select a weight (a leaf that requires grad)."
    assert not sliced._plot.isVisible() and sliced.readout.text() == ""


def test_the_slope_line_says_when_w_grad_holds_something_else(window, sliced, qtbot):
    """Two Backwards add up in w.grad; the tangent stays one backward's slope, and the
    readout says which is which instead of claiming the slope is w.grad."""
    qtbot.keyClick(window.view, Qt.Key_F6)
    qtbot.waitUntil(lambda: "tangent slope = w.grad" in sliced.readout.text())
    once = window.document.session.grad(window.document.model.find("w")).item()
    qtbot.keyClick(window.view, Qt.Key_F6)
    qtbot.waitUntil(lambda: "it holds" in sliced.readout.text())
    assert tangent_slope(sliced) == pytest.approx(once, rel=1e-6)
    assert (f"tangent slope = ∂loss/∂w = {number(once)}, what one Backward from zero puts in "
            f"w.grad (it holds {number(2 * once)} now)") in sliced.readout.text()
