"""Editing on the card: F2 or a double-click on the title renames in place; a double-click on
a leaf's value line types a new value. Enter commits (one undo step), Esc cancels, a refused
entry keeps the old name or value and says why."""

from __future__ import annotations

import pytest
from gestures import build_chain, click, press_shortcut, to_view, wire
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _x_square(window) -> tuple[str, str]:
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    return x, sq


def _typing_into(window) -> QLineEdit:
    """The editor the keyboard goes to now (it must be one on the canvas)."""
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.parent() is window.view.viewport()
    assert editor.isVisible()
    return editor


def _double_click(qtbot, window, scene_pos) -> None:
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton, pos=to_view(window.view, scene_pos))


def _editors(window) -> list:
    return [w for w in window.view.viewport().findChildren(QLineEdit) if w.isVisible()]


def test_f2_renames_on_the_card_and_undo_brings_the_old_name_back(qtbot, window):
    x, sq = _x_square(window)
    item, stack = window.view.scene().nodes[x], window.document.undo_stack
    click(window.view, item.mapToScene(item.title_rect().center()))
    steps = stack.count()
    qtbot.keyClick(window.view, Qt.Key_F2)
    editor = _typing_into(window)
    assert editor.text() == "x" and editor.selectedText() == "x"
    title = window.view.mapFromScene(item.mapToScene(item.title_rect().center()))
    assert editor.geometry().contains(title)  # laid over the card's title
    qtbot.keyClicks(editor, "radius")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert not _editors(window)
    assert item.data_.label == "radius"  # what the card's title shows
    assert stack.count() == steps + 1
    press_shortcut(qtbot, window, QKeySequence.Undo)  # the keys are back on the canvas
    assert item.data_.label == "x"


def test_esc_cancels_a_rename(qtbot, window):
    x, sq = _x_square(window)
    item, stack = window.view.scene().nodes[x], window.document.undo_stack
    click(window.view, item.mapToScene(item.title_rect().center()))
    steps = stack.count()
    qtbot.keyClick(window.view, Qt.Key_F2)
    editor = _typing_into(window)
    qtbot.keyClicks(editor, "radius")
    qtbot.keyClick(editor, Qt.Key_Escape)
    assert not _editors(window)
    assert item.data_.label == "x" and stack.count() == steps


def test_a_taken_name_is_refused_on_the_card_with_the_reason(qtbot, window):
    x, sq = _x_square(window)
    item, stack = window.view.scene().nodes[x], window.document.undo_stack
    steps = stack.count()
    _double_click(qtbot, window, item.mapToScene(item.title_rect().center()))
    editor = _typing_into(window)
    qtbot.keyClicks(editor, window.document.model.label(sq))
    qtbot.keyClick(editor, Qt.Key_Return)
    assert editor.isVisible()  # still open, to fix or cancel
    assert "already exists" in editor.error.text() and editor.error.isVisible()
    assert "already exists" in window.statusBar().currentMessage()
    assert item.data_.label == "x" and stack.count() == steps
    qtbot.keyClick(editor, Qt.Key_Escape)
    assert not _editors(window) and item.data_.label == "x"


def test_a_value_typed_on_a_leaf_card(qtbot, window):
    x, sq = _x_square(window)
    nodes, stack = window.view.scene().nodes, window.document.undo_stack
    qtbot.waitUntil(lambda: nodes[sq].display_lines() == ["9."])
    steps = stack.count()
    _double_click(qtbot, window, nodes[x].mapToScene(nodes[x].value_rect().center()))
    editor = _typing_into(window)
    assert editor.text() == "3.0"
    qtbot.keyClicks(editor, "1.5, 2")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert not _editors(window)
    assert window.document.model.node(x).params["value"] == [1.5, 2.0]
    qtbot.waitUntil(lambda: nodes[sq].display_lines() == ["[2] 2.2500, …"])
    assert stack.count() == steps + 1
    press_shortcut(qtbot, window, QKeySequence.Undo)
    qtbot.waitUntil(lambda: nodes[sq].display_lines() == ["9."])


def test_a_bad_value_is_refused_and_the_old_one_kept(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[x]
    steps = window.document.undo_stack.count()
    _double_click(qtbot, window, item.mapToScene(item.value_rect().center()))
    editor = _typing_into(window)
    qtbot.keyClicks(editor, "three")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert editor.isVisible() and "three" in editor.error.text()
    assert window.document.model.node(x).params["value"] == 3.0
    assert window.document.undo_stack.count() == steps


def test_an_operations_body_has_no_value_to_type(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[sq]
    _double_click(qtbot, window, item.mapToScene(item.value_rect().center()))
    assert not _editors(window)


def test_the_editor_goes_away_with_its_card(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[sq]
    _double_click(qtbot, window, item.mapToScene(item.title_rect().center()))
    assert _editors(window)
    window.action_map["undo"].trigger()  # undoes the wire
    assert _editors(window)
    window.action_map["undo"].trigger()  # undoes adding the square
    assert not _editors(window)
    window.action_map["new"].trigger()
    assert not _editors(window)
