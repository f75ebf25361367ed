"""A teacher's notes and frames, as the person asks for them: Edit ▸ Add Note, Edit ▸ Frame
Selection, the right-click menus' Add to Frame / Remove from Frame / Rename / Delete, and
the in-place editors (a note's text, a frame's title). Each change is one undo command
(``annotation_commands.py``)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF
from PySide6.QtWidgets import QMenu, QWidget

from gradstudio.graph.annotations import Rect

from .annotation_commands import (
    AddFrame,
    AddNote,
    DeleteSelection,
    RenameFrame,
    SetFrameMembers,
)
from .canvas.annotation_items import FrameItem, NoteItem, frame_around
from .canvas.inline_edit import InlineEditor
from .canvas.node_item import NodeItem
from .canvas.note_editor import NoteEditor
from .canvas.view import GraphView
from .document import Document

__all__ = ["AnnotationController", "NOTE_SIZE", "FRAME_SIZE", "NEW_NOTE", "NEW_FRAME"]
NOTE_SIZE = (240.0, 90.0)
FRAME_SIZE = (360.0, 240.0)
NEW_NOTE = "A note: **bold**, *italics*, `code`"
NEW_FRAME = "Frame"
SPOTS, SPOT_STEP, CLEAR = 12, 30.0, 12.0  # where a new note may go: a grid around the middle


class AnnotationController(QObject):
    def __init__(self, document: Document, view: GraphView, parent: QWidget) -> None:
        super().__init__(parent)
        self.document, self.view = document, view
        view.edit_annotation = self.edit

    @property
    def model(self):  # noqa: ANN201
        return self.document.model

    # --- what is selected -------------------------------------------------------------------
    def selected_notes(self) -> list[str]:
        return [i.item_id for i in self.view.scene().selectedItems() if isinstance(i, NoteItem)]

    def selected_frames(self) -> list[str]:
        return [i.item_id for i in self.view.scene().selectedItems()
                if isinstance(i, FrameItem)]

    # --- adding -----------------------------------------------------------------------------
    def add_note(self, at: QPointF | None = None) -> str | None:
        """A note centred at ``at`` (default: near the middle of the view, where it covers
        no card), its editor open."""
        w, h = NOTE_SIZE
        c = self._free_spot(w, h) if at is None else at
        cmd = AddNote(self.model, self.tr(NEW_NOTE), (round(c.x() - w / 2),
                                                      round(c.y() - h / 2), w, h))
        if not self.document.run(cmd):
            return None
        self._select_only(self.view.scene().notes[cmd.note_id])
        self.edit(cmd.note_id)
        return cmd.note_id

    def _free_spot(self, w: float, h: float) -> QPointF:
        """The centre of a w × h box nearest the middle of the view that lies in the view
        and keeps clear of every card (the middle itself when there is no such place)."""
        view = self.view
        middle = view.center_scene_pos()
        seen = view.mapToScene(view.viewport().rect()).boundingRect()
        cards = [i.card_rect() for i in view.scene().items(seen) if isinstance(i, NodeItem)]
        spots = sorted(((dx, dy) for dx in range(-SPOTS, SPOTS + 1)
                        for dy in range(-SPOTS, SPOTS + 1)), key=lambda d: d[0] ** 2 + d[1] ** 2)
        for dx, dy in spots:
            centre = middle + QPointF(dx * SPOT_STEP, dy * SPOT_STEP)
            box = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
            if seen.contains(box) and not any(box.adjusted(-CLEAR, -CLEAR, CLEAR, CLEAR)
                                              .intersects(card) for card in cards):
                return centre
        return middle

    def frame_selection(self, at: QPointF | None = None) -> str | None:
        """A frame around the selected cards (none selected: an empty frame at ``at`` or
        the middle of the view), its title's editor open."""
        nodes = self.view.selected_node_ids()
        if nodes:
            rect = self._around(nodes)
        else:
            c = self.view.center_scene_pos() if at is None else at
            w, h = FRAME_SIZE
            rect = (round(c.x() - w / 2), round(c.y() - h / 2), w, h)
        cmd = AddFrame(self.model, self.tr(NEW_FRAME), rect, nodes)
        cmd.setText(f"Frame {_count(len(nodes), 'node')}" if nodes else "Add frame")
        if not self.document.run(cmd):
            return None
        self._select_only(self.view.scene().frames[cmd.frame_id])
        self.edit(cmd.frame_id)
        return cmd.frame_id

    def _around(self, nodes: list[str], rect: Rect | None = None) -> Rect:
        """A frame's rectangle holding the cards of ``nodes`` (and ``rect``, if given)."""
        cards = self.view.scene().nodes
        return frame_around((cards[n].card_rect() for n in nodes), rect)

    # --- membership -------------------------------------------------------------------------
    def add_to_frame(self, frame_id: str, nodes: list[str]) -> None:
        frame = self.model.annotations.frame(frame_id)
        new = [n for n in nodes if n not in frame.members]
        if not new:
            return
        self.document.run(SetFrameMembers(
            self.model, frame_id, (*frame.members, *new),
            f"Add {_count(len(new), 'node')} to {frame.title}",
            self._around(new, frame.rect)))

    def remove_from_frame(self, frame_id: str, nodes: list[str]) -> None:
        frame = self.model.annotations.frame(frame_id)
        kept = [m for m in frame.members if m not in nodes]
        if len(kept) != len(frame.members):
            gone = len(frame.members) - len(kept)
            self.document.run(SetFrameMembers(
                self.model, frame_id, kept,
                f"Remove {_count(gone, 'node')} from {frame.title}"))

    # --- editing in place -------------------------------------------------------------------
    def edit(self, item_id: str) -> QWidget | None:
        """Open the in-place editor of a note (its text) or a frame (its title)."""
        scene, view = self.view.scene(), self.view
        item = scene.notes.get(item_id) or scene.frames.get(item_id)
        if item is None:
            return None
        if view.editor is not None:
            view.editor.close_editor()
        self._select_only(item)
        if isinstance(item, NoteItem):
            view.editor = NoteEditor(view, item)
        else:
            view.editor = InlineEditor(view, item, item.title_rect(), item.title,
                                       lambda text: self._rename(item_id, text),
                                       view.tr("Title of the frame"))
        return view.editor

    def _rename(self, frame_id: str, text: str) -> str | None:
        if frame_id not in self.view.scene().frames:
            return None
        title = text.strip()
        if title == self.model.annotations.frame(frame_id).title:
            return None
        done = self.document.run(RenameFrame(self.model, frame_id, title))
        return None if done else done.reason

    def delete(self, item_id: str) -> None:
        """Delete one note or frame (a frame's nodes stay)."""
        is_note = item_id in self.view.scene().notes
        self.document.run(DeleteSelection(self.model, [], [], [item_id] if is_note else [],
                                          [] if is_note else [item_id]))

    def _select_only(self, item: NoteItem | FrameItem) -> None:
        self.view.scene().clearSelection()
        item.setSelected(True)

    # --- right-click menus ------------------------------------------------------------------
    def add_node_entries(self, menu: QMenu, nodes: list[str]) -> None:
        """On a card: Frame Selection, Add to Frame ▸ each frame, Remove from its frames."""
        menu.addAction(self.tr("Frame Selection"), self.frame_selection)
        frames = self.model.annotations.frames()
        if frames:
            into = menu.addMenu(self.tr("Add to Frame"))
            for f in frames:
                into.addAction(f.title or NEW_FRAME,
                               lambda i=f.id: self.add_to_frame(i, nodes))
        for f in frames:
            if set(nodes) & set(f.members):
                menu.addAction(self.tr("Remove from Frame %s") % (f.title or NEW_FRAME),
                               lambda i=f.id: self.remove_from_frame(i, nodes))

    def add_box_entries(self, menu: QMenu, item: NoteItem | FrameItem) -> None:
        """On a note: Edit, Delete. On a frame: Rename, Delete Frame (its nodes stay)."""
        if not item.isSelected():
            self._select_only(item)
        i = item.item_id
        if isinstance(item, NoteItem):
            menu.addAction(self.tr("Edit Note"), lambda: self.edit(i))
            menu.addAction(self.tr("Delete Note"), lambda: self.delete(i))
        else:
            menu.addAction(self.tr("Rename Frame…"), lambda: self.edit(i))
            menu.addAction(self.tr("Delete Frame (keep its nodes)"), lambda: self.delete(i))

    def add_canvas_entries(self, menu: QMenu, scene_pos: QPointF) -> None:
        menu.addAction(self.tr("Add Note Here"), lambda: self.add_note(scene_pos))
        menu.addAction(self.tr("Add Frame Here"), lambda: self._empty_frame(scene_pos))

    def _empty_frame(self, at: QPointF) -> None:
        self.view.scene().clearSelection()
        self.frame_selection(at)


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' * (n != 1)}"
