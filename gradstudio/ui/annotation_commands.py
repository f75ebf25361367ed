"""Undo commands for what a teacher adds beside the nodes: notes and frames
(``graph/annotations.py``). Like ``commands.py``, they are the only UI code that changes
them, through ``model.annotations``; the canvas mirrors the model's events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gradstudio.graph import Edge, GraphModel
from gradstudio.graph.annotations import Rect

from .commands import Composite, ModelCommand, RemoveItems

__all__ = ["AddNote", "EditNote", "AddFrame", "RenameFrame", "SetFrameMembers",
           "ResizeItem", "MoveItems", "RemoveNote", "RemoveFrame", "DeleteSelection"]


def _short(text: str, limit: int = 24) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[:limit - 1] + "…"


class AddNote(ModelCommand):
    def __init__(self, model: GraphModel, text: str, rect: Rect) -> None:
        super().__init__(model, "Add note")
        self.text, self.rect = text, rect
        self.note_id: str | None = None

    def do(self) -> None:
        self.note_id = self.model.annotations.add_note(self.text, self.rect, self.note_id)

    def undo(self) -> None:
        self.model.annotations.remove_note(self.note_id)


class EditNote(ModelCommand):
    """The note's text, as typed in place."""

    def __init__(self, model: GraphModel, note_id: str, text: str) -> None:
        super().__init__(model, "Edit note")
        self.note_id, self.new = note_id, text
        self.old = model.annotations.note(note_id).text

    def do(self) -> None:
        self.model.annotations.set_note_text(self.note_id, self.new)

    def undo(self) -> None:
        self.model.annotations.set_note_text(self.note_id, self.old)


class AddFrame(ModelCommand):
    """A frame around ``members`` (none: an empty frame)."""

    def __init__(self, model: GraphModel, title: str, rect: Rect,
                 members: Iterable[str] = ()) -> None:
        super().__init__(model, f"Add frame {_short(title)}")
        self.title, self.rect, self.members = title, rect, tuple(members)
        self.frame_id: str | None = None
        self.nodes = self.members

    def do(self) -> None:
        self.frame_id = self.model.annotations.add_frame(self.title, self.rect, self.members,
                                                         self.frame_id)

    def undo(self) -> None:
        self.model.annotations.remove_frame(self.frame_id)


class RenameFrame(ModelCommand):
    def __init__(self, model: GraphModel, frame_id: str, title: str) -> None:
        super().__init__(model, f"Rename frame to {_short(title)}")
        self.frame_id, self.new = frame_id, title
        self.old = model.annotations.frame(frame_id).title

    def do(self) -> None:
        self.model.annotations.set_frame_title(self.frame_id, self.new)

    def undo(self) -> None:
        self.model.annotations.set_frame_title(self.frame_id, self.old)


class SetFrameMembers(ModelCommand):
    """Nodes put into a frame or taken out of it (Add to Frame / Remove from Frame); the
    frame grows to hold what was added (``rect``)."""

    def __init__(self, model: GraphModel, frame_id: str, members: Iterable[str], text: str,
                 rect: Rect | None = None) -> None:
        super().__init__(model, text)
        frame = model.annotations.frame(frame_id)
        self.frame_id, self.new, self.old = frame_id, tuple(members), frame.members
        self.rect, self.old_rect = rect or frame.rect, frame.rect

    def do(self) -> None:
        self.model.annotations.set_frame_members(self.frame_id, self.new)
        self.model.annotations.set_frame_rect(self.frame_id, self.rect)

    def undo(self) -> None:
        self.model.annotations.set_frame_members(self.frame_id, self.old)
        self.model.annotations.set_frame_rect(self.frame_id, self.old_rect)


def _set_rect(model: GraphModel, item_id: str, rect: Rect) -> None:
    if item_id in {n.id for n in model.annotations.notes()}:
        model.annotations.set_note_rect(item_id, rect)
    else:
        model.annotations.set_frame_rect(item_id, rect)


class ResizeItem(ModelCommand):
    """A note or frame resized by its handle."""

    def __init__(self, model: GraphModel, item_id: str, old: Rect, new: Rect) -> None:
        what = "frame" if item_id in {f.id for f in model.annotations.frames()} else "note"
        super().__init__(model, f"Resize {what}")
        self.item_id, self.old, self.new = item_id, old, new

    def do(self) -> None:
        _set_rect(self.model, self.item_id, self.new)

    def undo(self) -> None:
        _set_rect(self.model, self.item_id, self.old)


class MoveItems(ModelCommand):
    """One drag that moved notes or frames (a frame takes its member nodes along), and any
    nodes with them: a single undo step."""

    def __init__(self, model: GraphModel, nodes: dict[str, tuple[tuple, tuple]],
                 rects: dict[str, tuple[Rect, Rect]], text: str) -> None:
        super().__init__(model, text)
        self.moves, self.rects = nodes, rects  # id -> (old, new)

    def do(self) -> None:
        for item_id, (_, new) in self.rects.items():
            _set_rect(self.model, item_id, new)
        for n, (_, new) in self.moves.items():
            self.model.move(n, new)

    def undo(self) -> None:
        for n, (old, _) in self.moves.items():
            self.model.move(n, old)
        for item_id, (old, _) in self.rects.items():
            _set_rect(self.model, item_id, old)


class RemoveNote(ModelCommand):
    def __init__(self, model: GraphModel, note_id: str) -> None:
        super().__init__(model, "Delete note")
        self.note = model.annotations.note(note_id)

    def do(self) -> None:
        self.model.annotations.remove_note(self.note.id)

    def undo(self) -> None:
        self.model.annotations.add_note(self.note.text, self.note.rect, self.note.id)


class RemoveFrame(ModelCommand):
    """The frame goes; its nodes stay where they are."""

    def __init__(self, model: GraphModel, frame_id: str) -> None:
        super().__init__(model, "Delete frame")
        self.frame = model.annotations.frame(frame_id)

    def do(self) -> None:
        self.model.annotations.remove_frame(self.frame.id)

    def undo(self) -> None:
        f = self.frame
        self.model.annotations.add_frame(f.title, f.rect, f.members, f.id)


class DeleteSelection(Composite):
    """Delete nodes, wires, notes and frames together, one undo step. The frames go first, so
    undoing brings the nodes back before the frames that hold them."""

    def __init__(self, model: GraphModel, nodes: list[str], edges: list[Edge],
                 notes: list[str], frames: list[str], text: str | None = None) -> None:
        n = len(nodes) + len(edges) + len(notes) + len(frames)
        super().__init__(model, text or f"Delete {n} item{'s' * (n != 1)}")
        self.node_ids, self.edges, self.note_ids, self.frame_ids = nodes, edges, notes, frames

    def steps(self) -> Iterator[ModelCommand]:
        for f in self.frame_ids:
            yield RemoveFrame(self.model, f)
        for n in self.note_ids:
            yield RemoveNote(self.model, n)
        if self.node_ids or self.edges:
            yield RemoveItems(self.model, self.node_ids, self.edges)
