"""EdgeItem: a wire drawn as a curve from an output port to an input port.

A wire leaving a detached node is drawn dashed with a cut mark: no gradient crosses it.
A wire that carried a gradient in the last backward is drawn in the gradient colour.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from gradstudio.graph import Edge

from .. import theme

__all__ = ["EdgeItem", "wire_path"]


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic, the usual node-editor wire."""
    path = QPainterPath(start)
    dx = max(abs(end.x() - start.x()) * 0.5, 40.0)
    path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, src_item: QGraphicsItem, dst_item: QGraphicsItem) -> None:
        super().__init__()
        self.edge = edge
        self.src_item, self.dst_item = src_item, dst_item
        self.detached = False
        self.carried_grad = False
        self.setFlag(QGraphicsItem.ItemIsSelectable)
        self.setZValue(-1)
        self.setAcceptHoverEvents(True)
        self.update_path()

    def update_path(self) -> None:
        self.setPath(wire_path(self.src_item.output_port_pos(),
                               self.dst_item.input_port_pos(self.edge.port)))

    def set_state(self, detached: bool, carried_grad: bool) -> None:
        if (detached, carried_grad) != (self.detached, self.carried_grad):
            self.detached, self.carried_grad = detached, carried_grad
            self.setToolTip("detached: no gradient flows back along this wire"
                            if detached else "")
            self.update()

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:  # noqa: N802
        # A rubber band selects cards only: a wire that merely passes through the band must
        # not be selected (and then deleted with them). A click still selects a wire.
        if change == QGraphicsItem.ItemSelectedChange and value and self.scene() is not None \
                and any(not v.rubberBandRect().isNull() for v in self.scene().views()):
            return False
        return super().itemChange(change, value)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)  # easy to click
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
