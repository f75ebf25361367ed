"""Notes on the canvas, as a teacher makes them: Edit ▸ Add Note, type in place (bold,
italics, code, line breaks), drag it, resize it by its grip, undo each step, save and
reopen the file and see it again."""

from __future__ import annotations

import pytest
from gestures import click, drag, hover, key, press_shortcut, save_and_reopen
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.annotation_items import NoteItem
from gradstudio.ui.canvas.note_editor import NoteEditor

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _add_note(qtbot, window) -> NoteItem:
    """Edit ▸ Add Note by its shortcut, on the canvas."""
    window.view.setFocus()
    key(qtbot, window.view, window.action_map["add_note"].shortcuts()[0])
    (note,) = window.view.scene().notes.values()
    return note


def _type_into_note(qtbot, window, text: str) -> None:
    editor = window.view.editor
    assert isinstance(editor, NoteEditor) and editor.isVisible()
    editor.selectAll()
    lines = text.split("\n")
    for i, line in enumerate(lines):
        qtbot.keyClicks(editor, line)
        if i < len(lines) - 1:
            qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.keyClick(editor, Qt.Key_Return, Qt.ControlModifier)


def _grip(note) -> QPointF:  # noqa: ANN001
    return note.mapToScene(note.handle_rect().center())


def test_add_type_and_read_a_note_with_bold_italics_code_and_a_line_break(qtbot, window):
    note = _add_note(qtbot, window)
    assert note.isSelected() and window.view.editor is not None  # ready to type
    _type_into_note(qtbot, window, "**y** = x²\nso *dy/dx* = `2*x`")
    assert window.view.editor is None
    assert note.plain_text() == "y = x²\nso dy/dx = 2*x"  # the markup is applied, not shown
    html = note.html()
    assert "font-weight:700" in html and "font-style:italic" in html and "monospace" in html
    stack = window.document.undo_stack
    assert stack.undoText() == "Edit note"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert note.plain_text() == "A note: bold, italics, code"  # the new note's text
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert window.view.scene().notes == {}


def test_html_in_a_note_is_shown_as_typed(qtbot, window):
    note = _add_note(qtbot, window)
    _type_into_note(qtbot, window, "<b>not bold</b> <a href='x'>link</a>")
    assert note.plain_text() == "<b>not bold</b> <a href='x'>link</a>"
    assert "href" not in note.html().split("<body")[1].replace("&lt;a href", "")


def test_esc_leaves_the_note_as_it_was(qtbot, window):
    note = _add_note(qtbot, window)
    before = note.text
    editor = window.view.editor
    qtbot.keyClicks(editor, "never kept")
    qtbot.keyClick(editor, Qt.Key_Escape)
    assert window.view.editor is None and note.text == before
    assert window.document.undo_stack.undoText() == "Add note"


def test_double_click_edits_a_note_in_place(qtbot, window):
    note = _add_note(qtbot, window)
    qtbot.keyClick(window.view.editor, Qt.Key_Escape)
    centre = note.sceneBoundingRect().center()
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton,
                      pos=window.view.mapFromScene(centre))
    assert isinstance(window.view.editor, NoteEditor)
    _type_into_note(qtbot, window, "edited")
    assert note.plain_text() == "edited"


def test_drag_a_note_and_undo_the_move(qtbot, window):
    note = _add_note(qtbot, window)
    qtbot.keyClick(window.view.editor, Qt.Key_Escape)
    x, y, w, h = note.rect()
    start = QPointF(x + 30, y + 20)
    drag(window.view, start, start + QPointF(120, 60))
    model_rect = window.document.model.annotations.note(note.item_id).rect
    assert model_rect == (x + 120, y + 60, w, h) == note.rect()
    assert window.document.undo_stack.undoText() == "Move note"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert note.rect() == (x, y, w, h)


def test_resize_a_note_by_its_grip_and_undo(qtbot, window):
    note = _add_note(qtbot, window)
    qtbot.keyClick(window.view.editor, Qt.Key_Escape)
    x, y, w, h = note.rect()
    drag(window.view, _grip(note), _grip(note) + QPointF(100, 80))
    assert note.rect() == (x, y, w + 100, h + 80)  # the corner followed, the note did not move
    assert window.document.model.annotations.note(note.item_id).rect == note.rect()
    assert window.document.undo_stack.undoText() == "Resize note"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert note.rect() == (x, y, w, h)
    drag(window.view, _grip(note), _grip(note) - QPointF(250, 120))  # never below readable
    assert note.rect()[2:] == (60.0, 30.0)


def test_a_long_note_is_cut_off_until_resized(qtbot, window):
    note = _add_note(qtbot, window)
    _type_into_note(qtbot, window, "\n".join(f"line {i}" for i in range(12)))
    assert not note.fits()
    hover(window.view, note.sceneBoundingRect().center())
    assert note.toolTip().endswith("line 11")  # the whole text, on hover
    drag(window.view, _grip(note), _grip(note) + QPointF(0, 200))
    assert note.fits()
    hover(window.view, note.sceneBoundingRect().topLeft() - QPointF(30, 30))  # off it
    hover(window.view, note.sceneBoundingRect().center())
    assert note.toolTip() == ""


def test_delete_a_selected_note_and_undo(qtbot, window):
    note = _add_note(qtbot, window)
    qtbot.keyClick(window.view.editor, Qt.Key_Escape)
    click(window.view, note.sceneBoundingRect().center())
    assert note.isSelected()
    qtbot.keyClick(window.view, Qt.Key_Delete)
    assert window.view.scene().notes == {} and window.document.model.annotations.notes() == []
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert len(window.view.scene().notes) == 1


def test_a_note_is_saved_and_seen_again_on_reopening(qtbot, window, open_window, tmp_path,
                                                      monkeypatch):
    note = _add_note(qtbot, window)
    _type_into_note(qtbot, window, "**chain rule**: multiply")
    drag(window.view, _grip(note), _grip(note) + QPointF(60, 30))
    rect = note.rect()
    other = save_and_reopen(qtbot, window, open_window, monkeypatch, tmp_path / "n.gsgraph")
    (seen,) = other.view.scene().notes.values()
    assert seen.plain_text() == "chain rule: multiply" and seen.rect() == rect
    shown = other.view.mapFromScene(seen.sceneBoundingRect()).boundingRect()
    assert other.view.viewport().rect().contains(shown)  # the opened file frames it


def test_a_new_note_goes_where_it_covers_no_card(qtbot, window):
    window.open_example("small_network")
    note = _add_note(qtbot, window)
    box = note.sceneBoundingRect()
    assert window.view.viewport().rect().contains(window.view.mapFromScene(box).boundingRect())
    covered = [n.data_.label for n in window.view.scene().nodes.values()
               if n.card_rect().intersects(box)]
    assert covered == []


def test_f2_edits_the_selected_note(qtbot, window):
    note = _add_note(qtbot, window)
    qtbot.keyClick(window.view.editor, Qt.Key_Escape)
    click(window.view, note.sceneBoundingRect().center())
    qtbot.keyClick(window.view, Qt.Key_F2)
    assert isinstance(window.view.editor, NoteEditor)
    _type_into_note(qtbot, window, "by the keyboard")
    assert note.plain_text() == "by the keyboard"
