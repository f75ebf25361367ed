"""Dropping a node on a wire splices it in, as in Blender: a card dragged over a wire (or a
palette kind dragged over one) lights the wire up, and letting go inserts the node —
src -> node's first free input, node's output -> the wire's old input — in one undo step.

Only a card that fits lights a wire: one with a free input whose output feeds nothing."""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from gradstudio.graph import Edge, GraphError, GraphModel

from .. import theme
from ..commands import first_free_input
from .edge_item import EdgeItem
from .wiring import scene_radius

if TYPE_CHECKING:
    from .view import GraphView

__all__ = ["WIRE_PX", "WireHighlight", "can_insert", "wire_under"]

WIRE_PX = 8.0  # a wire counts as under the cursor this many screen pixels away
_SAMPLES = 64  # points along a wire for measuring how far it passes from the cursor


def _distance(path: QPainterPath, p: QPointF) -> float:
    """How far ``p`` is from the curve (by a polyline through points along it)."""
    points = [path.pointAtPercent(i / _SAMPLES) for i in range(_SAMPLES + 1)]
    best = float("inf")
    for a, b in pairwise(points):
        ab = b - a
        length2 = QPointF.dotProduct(ab, ab)
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, QPointF.dotProduct(p - a, ab) / length2))
        best = min(best, QLineF(a + ab * t, p).length())
    return best


def wire_under(view: GraphView, scene_pos: QPointF, fits=None) -> EdgeItem | None:  # noqa: ANN001
    """The nearest wire within WIRE_PX screen pixels of ``scene_pos`` for which
    ``fits(edge)`` holds (None: any)."""
    r = scene_radius(view, WIRE_PX)
    area = QRectF(scene_pos - QPointF(r, r), scene_pos + QPointF(r, r))
    best: tuple[float, EdgeItem] | None = None
    for item in view.scene().items(area, Qt.IntersectsItemBoundingRect):
        if isinstance(item, EdgeItem) and item.isVisible() and (fits is None or fits(item.edge)):
            d = _distance(item.path(), scene_pos)
            if d <= r and (best is None or d < best[0]):
                best = (d, item)
    return None if best is None else best[1]


def can_insert(model: GraphModel, node_id: str, edge: Edge) -> bool:
    """Whether the existing node fits into ``edge``: not one of its ends, a free input, an
    output feeding nothing, and no cycle either way."""
    if node_id in (edge.src, edge.dst) or model.consumers_of(node_id):
        return False
    port = first_free_input(model, node_id)
    if port is None:
        return False
    try:
        model.check_connection(edge.src, node_id, port)
        model.check_connection(node_id, edge.dst, edge.port, replace=True)
    except GraphError:
        return False
    return True


class WireHighlight:
    """A broad glow drawn over the wire a node would be inserted into."""

    def __init__(self, view: GraphView) -> None:
        self.view = view
        self.item = QGraphicsPathItem()
        self.item.setZValue(-0.5)  # over the wires, under the cards
        self.edge: EdgeItem | None = None

    def show(self, edge: EdgeItem | None) -> None:
        """Light ``edge`` up (None: nothing)."""
        if edge is self.edge:
            return
        self.edge = edge
        scene = self.view.scene()
        if edge is None:
            if self.item.scene() is scene:
                scene.removeItem(self.item)
            return
        color = QColor(theme.current().selection)
        color.setAlpha(150)
        pen = QPen(color, 8, Qt.SolidLine, Qt.RoundCap)
        pen.setCosmetic(True)
        self.item.setPen(pen)
        self.item.setPath(edge.path())
        if self.item.scene() is not scene:
            scene.addItem(self.item)

    def take(self) -> Edge | None:
        """The lit wire's edge, and the light goes out."""
        edge = None if self.edge is None else self.edge.edge
        self.show(None)
        return edge
