"""Edit ▸ Arrange: the whole graph laid out in layers (gradstudio.graph.layout) with the
cards' real sizes, as one undoable move that keeps the graph's top-left corner in place.
Each frame is fitted around its cards where they land; notes stay where the teacher put
them."""

from __future__ import annotations

from gradstudio.graph.layout import estimated_box, layered

from ..annotation_commands import MoveItems
from ..commands import MoveNodes
from .annotation_items import frame_around

__all__ = ["arrange"]


def arrange(view) -> bool:  # noqa: ANN001 - GraphView (it imports this module's users)
    """Lay out every node; False when there is nothing to move."""
    model, cards = view.document.model, view.scene().nodes
    nodes = model.nodes()
    if not nodes:
        return False
    boxes = {n.id: cards[n.id].box() if n.id in cards else estimated_box(n.kind)
             for n in nodes}
    placed = layered(model.graph, boxes)
    left = min(n.position[0] for n in nodes)
    top = min(n.position[1] for n in nodes)
    moves = {}
    for n in nodes:
        new = (left + placed[n.id][0], top + placed[n.id][1])
        if new != n.position:
            moves[n.id] = (n.position, new)
    if not moves:
        view.status.emit(view.tr("The graph is already arranged"))
        return False
    rects = {}
    for f in model.annotations.frames():
        if not any(m in moves for m in f.members):
            continue
        landed = []  # each member's card where the layout puts it
        for m in f.members:
            x, y = moves[m][1] if m in moves else (cards[m].x(), cards[m].y())
            landed.append(cards[m].card_rect().translated(x - cards[m].x(), y - cards[m].y()))
        fitted = frame_around(landed)
        if fitted != f.rect:
            rects[f.id] = (f.rect, fitted)
    if rects:
        done = view.document.run(MoveItems(model, moves, rects, view.tr("Arrange")))
    else:
        command = MoveNodes(model, moves)
        command.setText(view.tr("Arrange"))
        done = view.document.run(command)
    if done:
        view.frame_if_cut()  # columns grow to the right: keep the laid-out graph in sight
    return done
