"""Notes and frames alongside the rest of the app: copy, paste, duplicate, select all and
delete take them along; Arrange keeps each frame around its cards; the step-through and
the quiz run with them on the canvas; Fit View shows them."""

from __future__ import annotations

import pytest
from gestures import build_chain, click, drag, key, press_shortcut, wire
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.annotation_items import FRAME_TITLE_H

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _note(qtbot, window, text: str) -> str:
    window.action_map["add_note"].trigger()
    editor = window.view.editor
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return, Qt.ControlModifier)
    return next(i for i, n in window.view.scene().notes.items() if n.text == text)


def _frame(qtbot, window, *nodes: str, title: str = "group") -> str:
    scene = window.view.scene()
    scene.clearSelection()
    for n in nodes:
        scene.nodes[n].setSelected(True)
    window.action_map["frame_selection"].trigger()
    qtbot.keyClicks(window.view.editor, title)
    qtbot.keyClick(window.view.editor, Qt.Key_Return)
    return next(i for i, f in scene.frames.items() if f.title == title)


def _chain(window) -> list[str]:
    ids = build_chain(window, ("input", -300, -120), ("square", -100, -120))
    wire(window, ids[0], ids[1], "x")
    return ids


def test_copy_and_paste_a_frame_with_its_cards_and_a_note(qtbot, window):
    a, b = _chain(window)
    frame = _frame(qtbot, window, a, b)
    note = _note(qtbot, window, "*copied* too")
    window.action_map["select_all"].trigger()
    press_shortcut(qtbot, window, QKeySequence.Copy)
    press_shortcut(qtbot, window, QKeySequence.Paste)
    scene, notes = window.view.scene(), window.document.model.annotations
    assert len(scene.nodes) == 4 and len(scene.notes) == 2 and len(scene.frames) == 2
    (copy,) = [f for f in notes.frames() if f.id != frame]
    assert copy.title == "group" and len(copy.members) == 2
    assert not set(copy.members) & {a, b}  # it holds the pasted cards, not the originals
    (pasted,) = [n for n in notes.notes() if n.id != note]
    assert pasted.text == "*copied* too"
    assert pasted.rect[:2] != notes.note(note).rect[:2]  # shifted, not on top
    assert scene.notes[pasted.id].isSelected() and scene.frames[copy.id].isSelected()
    press_shortcut(qtbot, window, QKeySequence.Undo)  # the paste is one step
    assert len(scene.nodes) == 2 and len(scene.notes) == 1 and len(scene.frames) == 1


def test_duplicate_a_note_alone(qtbot, window):
    note = _note(qtbot, window, "twice")
    click(window.view, window.view.scene().notes[note].sceneBoundingRect().center())
    key(qtbot, window.view, "Ctrl+D")
    notes = window.document.model.annotations.notes()
    assert [n.text for n in notes] == ["twice", "twice"]
    first, second = (n.rect for n in notes)
    assert second[1] >= first[1] + first[3]  # below the original, clear of it
    assert window.document.undo_stack.undoText() == "Duplicate"


def test_select_all_and_delete_takes_notes_and_frames_too_and_undo_brings_all(qtbot, window):
    a, b = _chain(window)
    _frame(qtbot, window, a, b)
    _note(qtbot, window, "bye")
    window.view.setFocus()
    press_shortcut(qtbot, window, QKeySequence.SelectAll)
    qtbot.keyClick(window.view, Qt.Key_Delete)
    scene = window.view.scene()
    assert not scene.nodes and not scene.notes and not scene.frames
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert len(scene.nodes) == 2 and len(scene.notes) == 1 and len(scene.frames) == 1
    (f,) = window.document.model.annotations.frames()
    assert set(f.members) == {a, b} and len(window.document.model.edges()) == 1


def test_arrange_keeps_each_frame_around_its_cards(qtbot, window):
    ids = build_chain(window, ("input", -350, 150), ("square", 200, -200), ("sin", -50, 100))
    wire(window, ids[0], ids[1], "x")
    wire(window, ids[1], ids[2], "x")
    frame = _frame(qtbot, window, ids[0], ids[1])
    note = _note(qtbot, window, "stays")
    note_rect = window.document.model.annotations.note(note).rect
    before = window.document.model.annotations.frame(frame).rect
    key(qtbot, window.view, "Ctrl+L")
    scene = window.view.scene()
    box = scene.frames[frame].sceneBoundingRect()
    assert box.contains(scene.nodes[ids[0]].card_rect())
    assert box.contains(scene.nodes[ids[1]].card_rect())
    assert window.document.model.annotations.frame(frame).rect != before  # refitted
    assert box.width() < 500  # around the two cards, no longer the old wide frame
    assert window.document.model.annotations.note(note).rect == note_rect
    assert window.document.undo_stack.undoText() == "Arrange"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert window.document.model.annotations.frame(frame).rect == before


def test_a_frame_dragged_with_one_of_its_cards_selected_moves_that_card_once(qtbot, window):
    a, b = _chain(window)
    frame = _frame(qtbot, window, a, b)
    scene = window.view.scene()
    start = [window.document.model.node(n).position for n in (a, b)]
    x, y, _, _ = scene.frames[frame].rect()
    title = QPointF(x + 30, y + FRAME_TITLE_H / 2)
    click(window.view, title)
    click(window.view, scene.nodes[a].card_rect().center(), Qt.ControlModifier)
    assert scene.frames[frame].isSelected() and scene.nodes[a].isSelected()
    drag(window.view, title, title + QPointF(40, 20))
    assert [window.document.model.node(n).position for n in (a, b)] == [
        (px + 40, py + 20) for px, py in start]


def _small_network_with_notes(qtbot, window) -> None:
    window.open_example("small_network")
    ids = [window.document.model.find(label) for label in ("w", "x")]
    _frame(qtbot, window, *ids, title="the inputs")
    _note(qtbot, window, "**Predict** `w.grad` first")


def test_step_through_runs_to_the_end_and_leaves_with_notes_and_frames(qtbot, window):
    _small_network_with_notes(qtbot, window)
    window.action_map["step_through"].trigger()
    assert window.step_mode.active
    window.action_map["step_to_end"].trigger()
    window.action_map["step_leave"].trigger()
    scene = window.view.scene()
    assert not window.step_mode.active and len(scene.notes) == 1 and len(scene.frames) == 1
    assert scene.notes[next(iter(scene.notes))].isVisible()


def test_the_quiz_runs_with_notes_and_frames_on_the_canvas(qtbot, window):
    _small_network_with_notes(qtbot, window)
    window.action_map["quiz"].trigger()
    assert window.quiz_mode.active
    window.action_map["quiz_reveal"].trigger()
    assert "of" in window.quiz_mode.score_text()
    window.action_map["step_leave"].trigger()
    assert not window.quiz_mode.active and len(window.view.scene().notes) == 1


def test_fit_view_shows_a_note_far_from_the_cards(qtbot, window):
    _chain(window)
    note = _note(qtbot, window, "far away")
    item = window.view.scene().notes[note]
    start = item.sceneBoundingRect().topLeft() + QPointF(20, 20)
    drag(window.view, start, QPointF(330, 230))  # to the bottom-right, away from the cards
    assert item.sceneBoundingRect().left() > 300
    window.view.scale(2, 2)
    window.action_map["fit"].trigger()
    seen = window.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    assert window.view.viewport().rect().contains(seen)
