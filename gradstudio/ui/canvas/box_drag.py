"""The canvas's gestures on notes and frames, owned by the view: a resize by the grip at the
bottom-right corner, and a drag in which a frame takes its member cards along (the cards
follow the frame as it moves; the view makes one command of the whole drag)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from gradstudio.graph.annotations import MIN_FRAME_SIZE, MIN_NOTE_SIZE, Rect

from ..annotation_commands import ResizeItem
from .annotation_items import BoxItem, FrameItem
from .node_item import NodeItem

if TYPE_CHECKING:
    from .view import GraphView

__all__ = ["BoxDrag"]


class BoxDrag:
    def __init__(self, view: GraphView) -> None:
        self.view = view
        self._resize: tuple[BoxItem, Rect, QPointF] | None = None  # item, rect, press point
        self._boxes: dict[str, tuple[BoxItem, Rect]] = {}  # every box at the press
        self._members: dict[str, tuple[str, ...]] = {}  # frame -> its member nodes

    def box_at(self, scene_pos: QPointF) -> BoxItem | None:
        """The note or frame under a scene point, unless a card or wire lies over it."""
        for item in self.view.scene().items(scene_pos):
            if isinstance(item, BoxItem):
                return item
            if item.zValue() >= -1:  # a card, a wire, an overlay
                return None
        return None

    # --- resizing by the grip ---------------------------------------------------------------
    def start_resize(self, scene_pos: QPointF) -> bool:
        box = self.box_at(scene_pos)
        if box is None or not box.on_handle(scene_pos):
            return False
        self._resize = (box, box.rect(), scene_pos)
        return True

    @property
    def resizing(self) -> bool:
        return self._resize is not None

    def resize_to(self, scene_pos: QPointF) -> None:
        box, (x, y, w, h), start = self._resize
        least = MIN_FRAME_SIZE if isinstance(box, FrameItem) else MIN_NOTE_SIZE
        delta = scene_pos - start
        box.set_rect((x, y, max(least[0], round(w + delta.x())),
                      max(least[1], round(h + delta.y()))))

    def finish_resize(self) -> None:
        box, old, _ = self._resize
        self._resize = None
        if box.rect() != old and box.scene() is not None:
            self.view.document.run(ResizeItem(self.view.document.model, box.item_id, old,
                                              box.rect()))

    # --- a drag that moves notes and frames ---------------------------------------------------
    def record(self) -> None:
        """At a press: where every note and frame is and which cards each frame holds."""
        scene, notes = self.view.scene(), self.view.document.model.annotations
        self._boxes = {i: (item, item.rect()) for items in (scene.notes, scene.frames)
                       for i, item in items.items()}
        self._members = {f.id: f.members for f in notes.frames()}

    @property
    def recorded(self) -> bool:
        """A press recorded notes or frames that a drag may move."""
        return bool(self._boxes)

    def carry(self, press_positions: dict[str, tuple[float, float]]) -> None:
        """During a drag: the members of every frame that moved follow it (cards the drag
        moves anyway, being selected, are left to Qt), and moved cards' wires follow them."""
        if not self._boxes:
            return
        cards, carried = self.view.scene().nodes, set()
        for frame_id, members in self._members.items():
            item, (x, y, _, _) = self._boxes[frame_id]
            dx, dy = item.x() - x, item.y() - y
            if not (dx or dy):
                continue
            for n in members:
                card = cards.get(n)
                if card is None or card.isSelected() or n in carried or n not in press_positions:
                    continue
                carried.add(n)
                px, py = press_positions[n]
                card.place(px + dx, py + dy)
        if not isinstance(self.view.scene().mouseGrabberItem(), NodeItem):
            for item in self.view.scene().selectedItems():  # a card moves its wires itself
                if isinstance(item, NodeItem):
                    item._moved_by_hand()

    def rect_changes(self) -> dict[str, tuple[Rect, Rect]]:
        """After a drag: the notes and frames it moved, id -> (old rect, new rect)."""
        changes = {i: (old, item.rect()) for i, (item, old) in self._boxes.items()
                   if item.scene() is not None and item.rect() != old}
        self._boxes, self._members = {}, {}
        return changes
