"""A teacher's notes and frames on the canvas: ``NoteItem`` (a note's rich text on a paper
card) and ``FrameItem`` (a titled, translucent backdrop behind the cards it groups).

Both are mirrors of the model's ``Note``/``Frame`` (``graph/annotations.py``): the scene
creates and updates them from model events; the view turns gestures on them (a drag, the
resize handle at the bottom-right corner, a double-click) into commands. Frames lie behind
everything, notes above frames and under the wires and cards, so a note never hides a
card or a wire and a frame never hides a note.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from gradstudio.graph.annotations import Frame, Note, Rect, note_html

from .. import theme

__all__ = ["BoxItem", "NoteItem", "FrameItem", "HANDLE", "FRAME_TITLE_H", "FRAME_PAD",
           "NOTE_Z", "FRAME_Z", "NOTE_PX", "frame_around"]

HANDLE = 14.0  # the resize grip's side, scene units
FRAME_TITLE_H = 28.0
FRAME_PAD = 20.0  # room between a frame's edge and the cards it was made around
FRAME_EDGE = 6.0  # a frame answers the mouse on its title bar, its edge and its grip only
NOTE_PAD = 8.0
NOTE_PX, FRAME_PX = 14, 15
FRAME_Z, NOTE_Z = -3.0, -2.0  # the wires are at -1, the cards at 0
_FLAGS = QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable


def frame_around(cards: Iterable[QRectF], rect: Rect | None = None) -> Rect:
    """A frame's rectangle that holds the card rectangles ``cards`` (scene coordinates)
    under its title bar, with room around them, and ``rect`` if given."""
    box = QRectF() if rect is None else QRectF(*rect)
    for card in cards:
        box = box.united(card.adjusted(-FRAME_PAD, -FRAME_PAD - FRAME_TITLE_H, FRAME_PAD,
                                       FRAME_PAD))
    return (round(box.x()), round(box.y()), round(box.width()), round(box.height()))


class BoxItem(QGraphicsItem):
    """A rectangle the person can move and resize: its position is its top-left corner."""

    def __init__(self, item_id: str) -> None:
        super().__init__()
        self.item_id = item_id
        self.setFlags(_FLAGS)
        self.setAcceptHoverEvents(True)
        self._size = (0.0, 0.0)  # set_rect gives the real one

    def set_rect(self, rect: Rect) -> None:
        x, y, w, h = rect
        if (w, h) != self._size:
            self.prepareGeometryChange()
            self._size = (w, h)
            self._resized()
        self.setPos(x, y)
        self.update()

    def _resized(self) -> None:
        """The size changed (subclasses re-lay their text)."""

    def rect(self) -> Rect:
        """Where the box is now, as the model stores it (x, y, width, height)."""
        return (self.x(), self.y(), *self._size)

    def local_rect(self) -> QRectF:
        return QRectF(0, 0, *self._size)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return self.local_rect().adjusted(-2, -2, 2, 2)

    def handle_rect(self) -> QRectF:
        """The resize grip at the bottom-right corner, in item coordinates."""
        w, h = self._size
        return QRectF(w - HANDLE, h - HANDLE, HANDLE, HANDLE)

    def on_handle(self, scene_pos: QPointF) -> bool:
        return self.handle_rect().contains(self.mapFromScene(scene_pos))

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        if self.handle_rect().contains(event.pos()):
            self.setCursor(Qt.SizeFDiagCursor)
        else:
            self.unsetCursor()
        super().hoverMoveEvent(event)

    def _paint_handle(self, painter: QPainter, colour: QColor) -> None:
        """Three short diagonal strokes, as a window's size grip."""
        pen = QPen(colour, 1.4)
        pen.setCosmetic(True)
        painter.setPen(pen)
        r = self.handle_rect()
        for i in (3.0, 7.0, 11.0):
            painter.drawLine(QPointF(r.right() - i, r.bottom() - 2),
                             QPointF(r.right() - 2, r.bottom() - i))

    def _border_pen(self, colour: str) -> QPen:
        c = theme.current()
        pen = QPen(QColor(c.selection if self.isSelected() else colour),
                   3 if self.isSelected() else 1.2)
        pen.setCosmetic(True)
        return pen


def _font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f


class NoteItem(BoxItem):
    """A note: its text (``**bold**``, ``*italics*``, ```code```, line breaks) on a paper
    card; what does not fit the card's size is cut off (resize it to see more)."""

    def __init__(self, note: Note) -> None:
        super().__init__(note.id)
        self._doc = QTextDocument()
        self._doc.setDefaultFont(_font(NOTE_PX))
        self._doc.setDocumentMargin(0)
        self._doc.setDefaultStyleSheet("code { font-family: monospace; }")
        self.setZValue(NOTE_Z)
        self.text: str | None = None
        self.set_rect(note.rect)
        self.set_text(note.text)

    def update_from(self, note: Note) -> None:
        self.set_rect(note.rect)
        self.set_text(note.text)

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self._doc.setHtml(note_html(text))
            self.update()

    def plain_text(self) -> str:
        """The note as a person reads it (markup applied, line breaks as newlines)."""
        return self._doc.toPlainText().replace("\u2028", "\n")

    def html(self) -> str:
        return self._doc.toHtml()

    def fits(self) -> bool:
        """Whether the whole text shows on the card at its size."""
        return self._doc.size().height() <= self._size[1] - 2 * NOTE_PAD + 0.5

    def _resized(self) -> None:
        self._doc.setTextWidth(max(1.0, self._size[0] - 2 * NOTE_PAD))

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        """A note cut off by its size shows all of its text on hover."""
        self.setToolTip("" if self.fits() else self.plain_text())
        super().hoverEnterEvent(event)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = theme.current()
        rect = self.local_rect()
        painter.setPen(self._border_pen(c.note_border))
        painter.setBrush(QColor(c.note))
        painter.drawRoundedRect(rect, 4, 4)
        painter.save()
        painter.translate(NOTE_PAD, NOTE_PAD)
        clip = QRectF(0, 0, rect.width() - 2 * NOTE_PAD, rect.height() - 2 * NOTE_PAD)
        painter.setClipRect(clip)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        context.palette.setColor(QPalette.Text, QColor(c.text))
        self._doc.documentLayout().draw(painter, context)
        painter.restore()
        self._paint_handle(painter, QColor(c.note_border))


class FrameItem(BoxItem):
    """A frame: a title bar and a translucent backdrop. It is picked up by its title bar
    (or edge), so clicks and rubber bands inside it still reach the canvas."""

    def __init__(self, frame: Frame) -> None:
        super().__init__(frame.id)
        self.setZValue(FRAME_Z)
        self.title = frame.title
        self.set_rect(frame.rect)

    def update_from(self, frame: Frame) -> None:
        self.set_rect(frame.rect)
        self.title = frame.title
        self.update()

    def title_rect(self) -> QRectF:
        """The title bar, in item coordinates (a double-click there renames the frame)."""
        return QRectF(0, 0, self._size[0], FRAME_TITLE_H)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.title_rect())
        path.addRect(self.handle_rect())
        w, h = self._size
        for r in (QRectF(0, 0, FRAME_EDGE, h), QRectF(w - FRAME_EDGE, 0, FRAME_EDGE, h),
                  QRectF(0, h - FRAME_EDGE, w, FRAME_EDGE)):
            path.addRect(r)
        return path.simplified()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        c = theme.current()
        rect = self.local_rect()
        fill = QColor(c.frame)
        fill.setAlpha(46)  # the canvas's grid and the wires still show through
        painter.setPen(self._border_pen(c.frame_title))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 6, 6)
        bar = QColor(c.frame)
        bar.setAlpha(110)
        painter.setPen(Qt.NoPen)
        painter.setBrush(bar)
        title = self.title_rect().adjusted(1, 1, -1, 0)
        painter.drawRoundedRect(title, 5, 5)
        font = _font(FRAME_PX, bold=True)
        painter.setFont(font)
        painter.setPen(QColor(c.frame_title))
        room = title.adjusted(10, 0, -10, 0)
        text = QFontMetricsF(font).elidedText(self.title or "Frame", Qt.ElideRight,
                                              room.width())
        painter.drawText(room, Qt.AlignVCenter | Qt.AlignLeft, text)
        self._paint_handle(painter, QColor(c.frame_title))
