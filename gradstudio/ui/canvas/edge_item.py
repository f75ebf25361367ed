"""EdgeItem: a wire drawn as a curve from an output port to an input port.

A wire leaving a detached node is drawn dashed with a cut mark: no gradient crosses it.
A wire that carried a gradient in the last backward is drawn in the gradient colour.
A wire has no Python ``itemChange`` (cheap to build by the ten thousand); the scene keeps a
rubber band from selecting wires.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from gradstudio.graph import Edge

from .. import theme

__all__ = ["EdgeItem", "wire_path"]
SELECTABLE = QGraphicsItem.ItemIsSelectable  # looked up once: enum access is slow
HIT = 5.0  # how far from the curve a click still hits the wire


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic, the usual node-editor wire."""
    sx, sy, ex, ey = start.x(), start.y(), end.x(), end.y()
    path = QPainterPath()
    path.moveTo(sx, sy)
    dx = max(abs(ex - sx) * 0.5, 40.0)
    path.cubicTo(sx + dx, sy, ex - dx, ey, ex, ey)  # plain floats: no QPointF to build
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, src_item: QGraphicsItem, dst_item: QGraphicsItem) -> None:
        super().__init__()
        self._bounds = QRectF()
        self.edge = edge
        self.src_item, self.dst_item = src_item, dst_item
        self.detached = False
        self.carried_grad = False
        self.setFlags(SELECTABLE)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        self.update_path()

    def update_path(self) -> None:
        path = wire_path(self.src_item.output_port_pos(),
                         self.dst_item.input_port_pos(self.edge.port))
        self.prepareGeometryChange()  # while boundingRect still gives the old rect
        m = HIT + 1  # the stroke of a bent curve pokes out a little past HIT
        self._bounds = path.controlPointRect().adjusted(-m, -m, m, m)
        self.setPath(path)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        # Qt's own would stroke the Python shape() once per wire when the scene indexes it
        # (a tenth of a second when ten thousand cards open).
        return self._bounds

    def set_state(self, detached: bool, carried_grad: bool) -> None:
        if (detached, carried_grad) != (self.detached, self.carried_grad):
            self.detached, self.carried_grad = detached, carried_grad
            self.setToolTip("detached: no gradient flows back along this wire"
                            if detached else "")
            self.update()

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(2 * HIT)  # easy to click
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = theme.current()
        color = c.wire_selected if self.isSelected() else (
            c.wire_gradient if self.carried_grad and not self.detached else c.wire)
        pen = QPen(QColor(color), 3 if self.isSelected() else 2)
        pen.setCosmetic(True)
        if self.detached:
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path())
        if self.detached:  # a cut mark across the middle
            mid = self.path().pointAtPercent(0.5)
            cut = QPen(QColor(c.error), 2)
            cut.setCosmetic(True)
            painter.setPen(cut)
            painter.drawLine(mid + QPointF(-4, -9), mid + QPointF(4, 9))
            painter.drawLine(mid + QPointF(2, -9), mid + QPointF(10, 9))
