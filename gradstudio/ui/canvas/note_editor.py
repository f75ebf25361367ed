"""Editing a note in place: a multi-line box laid over the note with its text as typed
(``**bold**``, ``*italics*``, ```code```; Enter starts a new line). Ctrl+Enter or a click
elsewhere keeps the text (one undo step, ``EditNote``), Esc leaves the note as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QPlainTextEdit

from .. import theme
from ..annotation_commands import EditNote
from .annotation_items import NoteItem
from .inline_edit import OverCanvas

if TYPE_CHECKING:
    from .view import GraphView

__all__ = ["NoteEditor", "HINT"]
HINT = "**bold**  *italics*  `code` · Ctrl+Enter: done · Esc: cancel"
MIN_SIZE = (220, 90)  # room to type even on a small note or a view zoomed out


class NoteEditor(OverCanvas, QPlainTextEdit):
    def __init__(self, view: GraphView, item: NoteItem) -> None:
        QPlainTextEdit.__init__(self, item.text, view.viewport())
        self.setAccessibleName(view.tr("Text of the note"))
        self.setTabChangesFocus(True)
        c = theme.current()
        self.setStyleSheet(f"background: {c.note}; color: {c.text}; "
                           f"border: 2px solid {c.selection};")
        self.hint = QLabel(view.tr(HINT), view.viewport())
        self.hint.setStyleSheet(f"background: {c.card}; color: {c.muted}; padding: 2px;")
        self._follow(view, item, self.hint)
        self.place()
        self.selectAll()
        self.show()
        self.hint.show()
        self.setFocus(Qt.OtherFocusReason)

    def place(self) -> None:
        """Over the note, wherever the view has scrolled or zoomed to."""
        if self._closed:
            return
        box = self.view.mapFromScene(self.item.sceneBoundingRect()).boundingRect()
        box.setWidth(max(box.width(), MIN_SIZE[0]))
        box.setHeight(max(box.height(), MIN_SIZE[1]))
        self.setGeometry(box)
        self.hint.adjustSize()
        self.hint.move(box.left(), box.bottom() + 2)

    def keep(self) -> None:
        """The text typed becomes the note's (one undo step); a refusal is reported."""
        model = self.view.document.model
        note_id, text = self.item.item_id, self.toPlainText()
        if note_id in self.view.scene().notes and text != model.annotations.note(note_id).text:
            self.view.document.run(EditNote(model, note_id, text))

    def event(self, event: QEvent) -> bool:
        """Esc and Ctrl+Enter are this box's own while it is open (the window's Leave and
        Reveal actions answer them elsewhere)."""
        if event.type() == QEvent.ShortcutOverride and (
                event.key() == Qt.Key_Escape or _is_done_key(event)):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key_Escape:
            self.close_editor()  # nothing changes
            return
        if _is_done_key(event):
            self.keep()
            self.close_editor()
            return
        super().keyPressEvent(event)


def _is_done_key(event: QKeyEvent) -> bool:
    return event.key() in (Qt.Key_Return, Qt.Key_Enter) and \
        bool(event.modifiers() & Qt.ControlModifier)
