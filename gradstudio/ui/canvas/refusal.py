"""A refusal shown where it happened: a message bubble above the node it concerns.

A backward with nothing requiring grad, a wire that would close a cycle, a value the model
refuses: the status bar shows them for a few seconds, which a learner misses. The bubble
stays above the node until the next edit (or the next refusal, or another document). It
keeps its size on screen at any zoom and takes no clicks, so the canvas works as before.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget
from shiboken6 import isValid

from .. import theme
from ..document import Document, Message
from .scene import GraphScene

__all__ = ["RefusalBubble", "RefusalMarker"]

WIDTH = 300.0  # screen pixels
PAD = 8.0
POINTER = 8.0  # the little triangle that points at the node
GAP = 4.0  # between the pointer's tip and the card


class RefusalBubble(QGraphicsItem):
    """The bubble: the refusal's first line in bold, the reason under it."""

    def __init__(self, text: str, node_id: str) -> None:
        super().__init__()
        self.node_id = node_id
        lines = text.split("\n")
        self.title, self.body = lines[0], "\n".join(lines[1:])
        self.setFlag(QGraphicsItem.ItemIgnoresTransformations)  # readable at any zoom
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setZValue(100)  # over cards and wires
        self.setToolTip(text)
        self._bold = QFont()
        self._bold.setBold(True)
        self._font = QFont()
        inner = QRectF(0, 0, WIDTH - 2 * PAD, 10_000)
        flags = int(Qt.TextWordWrap)
        self._title_h = QFontMetricsF(self._bold).boundingRect(inner, flags, self.title).height()
        self._body_h = (QFontMetricsF(self._font).boundingRect(inner, flags, self.body).height()
                        if self.body else 0.0)
        height = self._title_h + self._body_h + 2 * PAD + (4 if self.body else 0)
        # the pointer's tip is the item's origin; the box sits above it
        self._box = QRectF(-WIDTH / 2, -POINTER - height, WIDTH, height)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._box.adjusted(-1, -1, 1, POINTER + 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = theme.current()
        path = QPainterPath()
        path.addRoundedRect(self._box, 6, 6)
        tip = QPainterPath(QPointF(-POINTER, self._box.bottom()))
        tip.lineTo(0, 0)
        tip.lineTo(POINTER, self._box.bottom())
        tip.closeSubpath()
        path = path.united(tip)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(QPen(QColor(c.error), 1.5))
        painter.setBrush(QColor(c.warning_fill))
        painter.drawPath(path)
        inner = self._box.adjusted(PAD, PAD, -PAD, -PAD)
        painter.setPen(QColor(c.error))
        painter.setFont(self._bold)
        painter.drawText(inner, int(Qt.TextWordWrap), self.title)
        if self.body:
            painter.setPen(QColor(c.text))
            painter.setFont(self._font)
            painter.drawText(inner.adjusted(0, self._title_h + 4, 0, 0), int(Qt.TextWordWrap),
                             self.body)


class RefusalMarker(QObject):
    """Puts a bubble over the node a refusal concerns; the next edit takes it away."""

    def __init__(self, document: Document, scene: GraphScene) -> None:
        super().__init__(document)
        self.document, self.scene = document, scene
        self.bubble: RefusalBubble | None = None
        document.message.connect(self._on_message)
        document.undo_stack.indexChanged.connect(self.clear)
        document.reset.connect(self.clear)

    def _on_message(self, message: Message) -> None:
        if message.level != "error":
            return
        items = self.scene.nodes
        node = next((n for n in message.nodes if n in items), None)
        if node is None:
            return
        self.clear()
        self.bubble = RefusalBubble(message.text, node)
        card = items[node].sceneBoundingRect()
        self.bubble.setPos(QPointF(card.center().x(), card.top() - GAP))
        self.scene.addItem(self.bubble)

    def clear(self) -> None:
        if self.bubble is not None:
            if isValid(self.bubble) and self.bubble.scene() is self.scene:  # a new document
                self.scene.removeItem(self.bubble)  # may have cleared the scene already
            self.bubble = None
