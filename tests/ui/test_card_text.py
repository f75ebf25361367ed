"""A card's text (value, gradient, tooltip) is printed when the card is first shown, not when
the evaluation arrives, so a big graph opens fast. What a person sees must not change: the
value after opening a file, after an edit, after backward, and the tooltip on hover."""

from __future__ import annotations

import pytest
from gestures import click, to_view
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip

from gradstudio.graph import GraphModel, fileformat

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _file(tmp_path):
    model = GraphModel()
    w = model.add_node("input", label="w", params={"value": 3.0},
                       flags={"requires_grad": True}, position=(-300, -100))
    model.add_node("input", label="m", params={"value": [[1.0, 2.0], [3.0, 4.0]]},
                   position=(-300, 100))
    sq = model.add_node("square", label="sq", position=(100, -100))
    model.connect(w, sq, "x")
    path = tmp_path / "small.gsgraph"
    fileformat.save(model, path)
    return path


def _card(window, label):
    return window.view.scene().nodes[window.document.model.find(label)]


def test_a_card_shows_its_value_after_opening_an_edit_and_backward(qtbot, window, tmp_path):
    assert window.load(_file(tmp_path))
    view = window.view
    view.resetTransform()
    view.centerOn(QPointF(0, 0))
    window.view.viewport().grab()  # painted: the cards print their values now
    assert _card(window, "sq").display_lines() == ["tensor(9., grad_fn=<PowBackward0>)"]
    assert _card(window, "w").display_lines() == ["tensor(3., requires_grad=True)"]
    matrix = _card(window, "m")
    assert matrix.display_lines() == ["tensor([[1., 2.],", "        [3., 4.]])"]
    one_line = _card(window, "w").boundingRect().height()
    assert matrix.boundingRect().height() == one_line + 15  # a second line, a taller card

    w = _card(window, "w")
    click(view, w.sceneBoundingRect().center())  # select it; type a value in the inspector
    edit = window.panels["inspector"].param_fields["value"].edit
    edit.selectAll()
    qtbot.keyClicks(edit, "4")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: _card(window, "sq").display_lines()
                    == ["tensor(16., grad_fn=<PowBackward0>)"])
    assert _card(window, "w").display_lines() == ["tensor(4., requires_grad=True)"]

    window.action_map["backward"].trigger()
    assert _card(window, "w").display_lines() == ["tensor(4., requires_grad=True)",
                                                  "grad: tensor(8.)"]
    assert _card(window, "w").boundingRect().height() == one_line + 15


def test_a_card_tooltip_names_it_on_hover(qtbot, window, tmp_path):
    assert window.load(_file(tmp_path))
    view = window.view
    view.resetTransform()
    view.centerOn(QPointF(0, 0))
    card = _card(window, "sq")
    at: QPoint = to_view(view, card.sceneBoundingRect().center())
    vp = view.viewport()
    QApplication.sendEvent(vp, QMouseEvent(QEvent.MouseMove, QPointF(at),  # no button held
                                           QPointF(vp.mapToGlobal(at)), Qt.NoButton,
                                           Qt.NoButton, Qt.NoModifier))
    QApplication.sendEvent(vp, QHelpEvent(QEvent.ToolTip, at, vp.mapToGlobal(at)))
    assert QToolTip.text().startswith("sq — ")
    assert card.spec.doc in QToolTip.text()
