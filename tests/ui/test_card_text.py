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
    assert _card(window, "sq").display_lines() == ["9.", "PowBackward0"]
    assert _card(window, "w").display_lines() == ["3."]
    assert "grad" in _card(window, "w").badges()  # requires_grad, as a badge
    matrix = _card(window, "m")
    assert matrix.display_lines() == ["[2×2] 1., 2., …"]  # one short line, whole numbers
    one_line = _card(window, "w").boundingRect().height()
    assert matrix.boundingRect().height() == one_line
    assert _card(window, "sq").boundingRect().height() == one_line + 15  # the grad_fn line

    w = _card(window, "w")
    click(view, w.sceneBoundingRect().center())  # select it; type a value in the inspector
    edit = window.panels["inspector"].param_fields["value"].edit
    edit.selectAll()
    qtbot.keyClicks(edit, "4")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: _card(window, "sq").display_lines() == ["16.", "PowBackward0"])
    assert _card(window, "w").display_lines() == ["4."]

    window.action_map["backward"].trigger()
    assert _card(window, "w").display_lines() == ["4. · grad 8."]  # one line: it fits
    assert _card(window, "w").boundingRect().height() == one_line


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
