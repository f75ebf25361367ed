"""The loss slice as a person uses it: select w on the small network, open Run ▸ Loss Slice,
press Train Step (F8) and watch the point go downhill along its tangent."""

from __future__ import annotations

import numpy as np
import pytest
from gestures import click, menu_action, press_shortcut
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

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


def test_two_weights_show_the_loss_surface_and_the_descent_path(window, sliced, qtbot):
    """Ctrl+click b as well: the dock shows the loss over w and b (contour lines), the point
    where they are and the gradient; each Train Step moves the point to lower loss and adds
    to the path; one weight selected again shows the slice."""
    view, model = window.view, window.document.model
    b = view.scene().nodes[model.find("b")]
    click(view, QPointF(b.card_rect().center()), Qt.ControlModifier)
    assert len(view.selected_node_ids()) == 2
    surface = sliced.surface_view
    qtbot.waitUntil(lambda: surface.isVisible() and surface.surface is not None)
    assert not sliced._plot.isVisible()  # the slice's plot makes room
    s = surface.surface
    assert s.point == (1.0, 0.0)
    assert s.losses.shape[0] == s.losses.shape[1] >= 5  # 41 x 41 unless the machine crawls
    assert len(surface.isocurves) >= 5  # contour lines
    assert surface._plot.getPlotItem().titleLabel.text == "loss over w and b"
    text = surface.readout.text()
    assert "w = 1, b = 0 · loss = 6.7012" in text
    assert f"(w.grad, b.grad) = ({number(6.691762)}, {number(0.998770)})" in text
    for steps in (1, 2):
        before = surface.surface
        qtbot.keyClick(view, Qt.Key_F8)  # Train Step, both weights still selected
        qtbot.waitUntil(lambda before=before: surface.surface is not before)
        after = surface.surface
        assert after.loss < before.loss  # downhill on the surface
        assert after.point[0] == pytest.approx(before.point[0] - 0.1 * before.grad[0],
                                               rel=1e-5)
        assert after.point[1] == pytest.approx(before.point[1] - 0.1 * before.grad[1],
                                               abs=1e-6)
        assert len(surface.path) == steps and surface.path[-1] == before.point
        xs, ys = surface.trail.getData()
        assert (xs[-1], ys[-1]) == after.point  # the path ends at the point
        assert after.xs[0] <= min(p[0] for p in surface.path) <= after.xs[-1]
    w = view.scene().nodes[model.find("w")]
    click(view, QPointF(w.card_rect().center()))
    qtbot.waitUntil(lambda: sliced.point_data() is not None)
    assert not surface.isVisible()


def test_two_nodes_without_a_surface_say_why(window, sliced, qtbot):
    view, model = window.view, window.document.model
    x = view.scene().nodes[model.find("x")]
    click(view, QPointF(x.card_rect().center()), Qt.ControlModifier)
    qtbot.waitUntil(lambda: "x does not require grad" in sliced.hint.text())
    assert not sliced.surface_view.isVisible() and sliced.point_data() is None


def test_undo_of_train_steps_takes_their_points_off_the_trail(window, sliced, qtbot):
    """Ctrl+Z after two Train Steps: the point goes back one step and the trail loses the
    step that was taken back; back to no step, no trail; Redo brings the points back."""
    x0, _y0 = sliced.point_data()
    qtbot.keyClick(window.view, Qt.Key_F8)
    qtbot.waitUntil(lambda: sliced.point_data()[0] != x0)
    x1, _ = sliced.point_data()
    qtbot.keyClick(window.view, Qt.Key_F8)
    qtbot.waitUntil(lambda: sliced.point_data()[0] != x1)
    two = sliced.trail.getData()[0].tolist()
    assert len(two) == 3

    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.waitUntil(lambda: sliced.point_data()[0] == x1)
    assert sliced.trail.getData()[0].tolist() == [x0, x1]  # the step taken back is gone
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.waitUntil(lambda: sliced.point_data()[0] == x0)
    assert len(sliced.trail.getData()[0] or []) == 0  # as before any step
    press_shortcut(qtbot, window, QKeySequence.Redo)
    press_shortcut(qtbot, window, QKeySequence.Redo)
    qtbot.waitUntil(lambda: sliced.point_data()[0] == two[-1])
    assert sliced.trail.getData()[0].tolist() == two


def test_undo_of_a_train_step_takes_it_off_the_surface_path(window, sliced, qtbot):
    view, model = window.view, window.document.model
    b = view.scene().nodes[model.find("b")]
    click(view, QPointF(b.card_rect().center()), Qt.ControlModifier)
    surface = sliced.surface_view
    qtbot.waitUntil(lambda: surface.isVisible() and surface.surface is not None)
    for _ in range(2):
        before = surface.surface
        qtbot.keyClick(view, Qt.Key_F8)
        qtbot.waitUntil(lambda before=before: surface.surface is not before)
    assert len(surface.path) == 2
    before = surface.surface
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.waitUntil(lambda: surface.surface is not before)
    assert len(surface.path) == 1 and surface.path[0] == (1.0, 0.0)
    xs, ys = surface.trail.getData()
    assert (xs[-1], ys[-1]) == surface.surface.point  # the path ends at the point again
