"""Frames on the canvas, as a teacher makes them: select cards, Edit ▸ Frame Selection
(Ctrl+G), type its title; drag the frame by its title and see its cards go with it (one
undo step); resize it; Add to / Remove from Frame; delete it and keep the cards; save and
reopen the file and see it again."""

from __future__ import annotations

import pytest
from gestures import build_chain, click, drag, key, press_shortcut, save_and_reopen, trigger, wire
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.annotation_items import FRAME_TITLE_H, FrameItem

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _two_cards_and_a_third(window) -> list[str]:
    ids = build_chain(window, ("input", -300, -60), ("square", -100, -60), ("sin", 150, 100))
    wire(window, ids[0], ids[1], "x")
    return ids


def _select(window, *node_ids: str) -> None:
    cards = window.view.scene().nodes
    click(window.view, cards[node_ids[0]].card_rect().center())
    for n in node_ids[1:]:
        click(window.view, cards[n].card_rect().center(), Qt.ControlModifier)
    assert set(window.view.selected_node_ids()) == set(node_ids)


def _frame_them(qtbot, window, *node_ids: str, title: str = "the square") -> FrameItem:
    _select(window, *node_ids)
    key(qtbot, window.view, window.action_map["frame_selection"].shortcuts()[0])
    (frame,) = window.view.scene().frames.values()
    editor = window.view.editor  # the title is ready to type
    assert editor is not None and editor.hasFocus()
    qtbot.keyClicks(editor, title)
    qtbot.keyClick(editor, Qt.Key_Return)
    return frame


def _title_point(frame: FrameItem) -> QPointF:
    x, y, _, _ = frame.rect()
    return QPointF(x + 40, y + FRAME_TITLE_H / 2)


def _positions(window, *node_ids: str) -> list[tuple[float, float]]:
    return [window.document.model.node(n).position for n in node_ids]


def test_frame_selection_draws_a_titled_frame_around_the_selected_cards(qtbot, window):
    a, b, c = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    assert frame.title == "the square"
    model = window.document.model.annotations.frame(frame.item_id)
    assert model.title == "the square" and set(model.members) == {a, b}
    box = frame.sceneBoundingRect()
    cards = window.view.scene().nodes
    assert box.contains(cards[a].card_rect()) and box.contains(cards[b].card_rect())
    assert not box.intersects(cards[c].card_rect())
    # behind the cards and the wires, so both read as before
    assert frame.zValue() < min(e.zValue() for e in window.view.scene().edges.values())
    assert window.document.undo_stack.undoText() == "Rename frame to the square"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert window.view.scene().frames == {}


def test_dragging_a_frame_by_its_title_moves_its_cards_and_undo_puts_all_back(qtbot, window):
    a, b, c = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    before, rect, outside = _positions(window, a, b), frame.rect(), _positions(window, c)
    drag(window.view, _title_point(frame), _title_point(frame) + QPointF(60, 120))
    assert _positions(window, a, b) == [(x + 60, y + 120) for x, y in before]
    cards = window.view.scene().nodes
    assert [(cards[n].x(), cards[n].y()) for n in (a, b)] == _positions(window, a, b)
    assert frame.rect() == (rect[0] + 60, rect[1] + 120, *rect[2:])
    assert _positions(window, c) == outside  # not a member: stays
    wire_item = next(iter(window.view.scene().edges.values()))
    assert wire_item.path().pointAtPercent(1) == cards[b].input_port_pos("x")  # wire followed
    stack = window.document.undo_stack
    assert stack.undoText() == "Move frame the square"
    press_shortcut(qtbot, window, QKeySequence.Undo)  # one step takes back frame and cards
    assert _positions(window, a, b) == before and frame.rect() == rect
    assert [(cards[n].x(), cards[n].y()) for n in (a, b)] == before


def test_a_click_inside_a_frame_reaches_the_canvas(qtbot, window):
    """A frame is picked up by its title bar: a rubber band inside it selects cards."""
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    cards = window.view.scene().nodes
    box = cards[a].card_rect().united(cards[b].card_rect())
    drag(window.view, box.topLeft() - QPointF(12, 12), box.bottomRight() + QPointF(8, 8))
    assert set(window.view.selected_node_ids()) == {a, b} and not frame.isSelected()
    assert window.document.model.annotations.frame(frame.item_id).rect == frame.rect()


def test_resize_a_frame_by_its_grip_and_undo(qtbot, window):
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    x, y, w, h = frame.rect()
    grip = frame.mapToScene(frame.handle_rect().center())
    drag(window.view, grip, grip + QPointF(-40, 70))
    assert frame.rect() == (x, y, w - 40, h + 70)
    assert window.document.undo_stack.undoText() == "Resize frame"
    assert _positions(window, a, b)  # the cards did not move with a resize
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert frame.rect() == (x, y, w, h)


def test_rename_a_frame_by_double_clicking_its_title(qtbot, window):
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton,
                      pos=window.view.mapFromScene(_title_point(frame)))
    editor = window.view.editor
    assert editor is not None and editor.text() == "the square"
    editor.selectAll()
    qtbot.keyClicks(editor, "y = x²")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert frame.title == "y = x²"
    assert window.document.model.annotations.frame(frame.item_id).title == "y = x²"


def test_add_to_and_remove_from_a_frame_by_the_cards_menu(qtbot, window):
    a, b, c = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    edit, cards = window.edit, window.view.scene().nodes
    menu = edit.build_context_menu(cards[c], cards[c].card_rect().center())
    trigger(menu, "the square")  # Add to Frame ▸ the square
    members = window.document.model.annotations.frame(frame.item_id).members
    assert set(members) == {a, b, c}
    assert frame.sceneBoundingRect().contains(cards[c].card_rect())  # it grew to hold it
    menu = edit.build_context_menu(cards[a], cards[a].card_rect().center())
    trigger(menu, "Remove from Frame the square")
    assert set(window.document.model.annotations.frame(frame.item_id).members) == {b, c}
    before = _positions(window, a)
    drag(window.view, _title_point(frame), _title_point(frame) + QPointF(0, 40))
    assert _positions(window, a) == before  # no longer carried along


def test_delete_a_frame_keeps_its_cards_and_undo_brings_it_back(qtbot, window):
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    click(window.view, _title_point(frame))
    assert frame.isSelected() and window.view.selected_node_ids() == []
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert window.view.scene().frames == {} and len(window.document.model) == 3
    press_shortcut(qtbot, window, QKeySequence.Undo)
    (back,) = window.view.scene().frames.values()
    assert set(window.document.model.annotations.frame(back.item_id).members) == {a, b}


def test_deleting_a_member_and_undoing_puts_it_back_in_its_frame(qtbot, window):
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    _select(window, b)
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert window.document.model.annotations.frame(frame.item_id).members == (a,)
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert set(window.document.model.annotations.frame(frame.item_id).members) == {a, b}


def test_an_empty_frame_from_the_canvas_menu(qtbot, window):
    menu = window.edit.build_context_menu(None, QPointF(0, 0))
    trigger(menu, "Add Frame Here")
    (frame,) = window.view.scene().frames.values()
    assert frame.sceneBoundingRect().contains(QPointF(0, 0))
    assert window.document.model.annotations.frame(frame.item_id).members == ()


def test_a_frame_is_saved_and_seen_again_on_reopening(qtbot, window, open_window, tmp_path,
                                                       monkeypatch):
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    rect = frame.rect()
    other = save_and_reopen(qtbot, window, open_window, monkeypatch, tmp_path / "f.gsgraph")
    (seen,) = other.view.scene().frames.values()
    assert seen.title == "the square" and seen.rect() == rect
    shown = other.view.mapFromScene(seen.sceneBoundingRect()).boundingRect()
    assert other.view.viewport().rect().contains(shown)
    # and it still carries its cards in the reopened window
    before = _positions(other, a, b)
    drag(other.view, _title_point(seen), _title_point(seen) + QPointF(30, 0))
    assert _positions(other, a, b) == [(x + 30, y) for x, y in before]


def test_f2_renames_the_selected_frame(qtbot, window):
    a, b, _ = _two_cards_and_a_third(window)
    frame = _frame_them(qtbot, window, a, b)
    click(window.view, _title_point(frame))
    qtbot.keyClick(window.view, Qt.Key_F2)
    editor = window.view.editor
    assert editor is not None and editor.text() == "the square"
    editor.selectAll()
    qtbot.keyClicks(editor, "renamed")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert window.document.model.annotations.frame(frame.item_id).title == "renamed"
