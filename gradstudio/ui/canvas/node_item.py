"""NodeItem: a node drawn as a compact card — title, ports, a short value line, the
gradient, grad_fn, badges. The full repr is in the tooltip and the Inspector.

Painted, not built from widgets, so a thousand cards stay fast; zoomed far out (level of
detail below ``LOD_TITLE_BLOCK``) a card is a plain title block with its name.

Ten thousand cards open at once, so a card is cheap to build: no font work (fonts and the
characters that fit are measured once, at first use), its texts (value, tooltip) formatted
when first shown, not when set (a value with a gradient is formatted when set: whether the
two share a line decides the card's height), and no Python ``itemChange`` (every flag,
tooltip or position change of every card would call into Python): a card moved by the hand
or by the model moves its wires itself (``mouseMoveEvent``, ``place``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from gradstudio.graph import NodeData, NodeKind, kind
from gradstudio.graph.layout import Box

from .. import theme
from .card_text import GRAD, SEP, value_lines

__all__ = ["NodeItem", "WIDTH", "TITLE_H", "TITLE_PX", "BODY_PX", "SMALL_PX", "MIN_TEXT_PX",
           "READABLE_ZOOM", "LOD_TITLE_BLOCK", "card_fonts", "fresh_size"]

# Card metrics in scene units (= screen pixels at 100%). Fonts are sized in pixels so the
# text's size on screen is its pixel size times the zoom, whatever the screen's DPI.
WIDTH = 136.0
TITLE_H = 22.0
PORT_ROW = 18.0
PORT_R = 6.0
LINE_H = 17.0  # a body line (value, grad)
SMALL_LINE_H = 15.0  # grad_fn
QUIZ_LINE_H = 26.0  # a quiz line: tall enough for the prediction editor laid over it
PAD = 7.0
TITLE_PX, BODY_PX, SMALL_PX = 13, 13, 11
# The card's main text (title, value, grad) must be at least this tall on screen to read:
# Fit never zooms out further when the whole graph fits at this size.
MIN_TEXT_PX = 11
READABLE_ZOOM = MIN_TEXT_PX / min(TITLE_PX, BODY_PX)
LOD_TITLE_BLOCK = 0.4  # below this level of detail a card is a title block
MASKED = "hidden: predict it"  # a value the quiz asks for, in place of the value
# Enum members looked up once: each PySide6 enum attribute access costs microseconds.
FLAGS = (QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable)
CACHE = QGraphicsItem.DeviceCoordinateCache


@cache
def card_fonts() -> dict[str, QFont]:
    """The card's fonts: title (bold), kind (beside the title), body (monospace), small."""
    def font(px: int, bold: bool = False, mono: bool = False) -> QFont:
        f = QFont("monospace") if mono else QFont()
        if mono:
            f.setStyleHint(QFont.Monospace)
        f.setPixelSize(px)
        f.setBold(bold)
        return f

    return {"title": font(TITLE_PX, bold=True), "kind": font(TITLE_PX),
            "body": font(BODY_PX, mono=True), "small": font(SMALL_PX)}


@cache
def body_chars() -> int:
    """How many monospace characters fit across the card's body."""
    advance = QFontMetricsF(card_fonts()["body"]).horizontalAdvance("0")
    return max(8, int((WIDTH - 2 * PAD) // advance))


def _port_y(i: int) -> float:
    return TITLE_H + 3 + PORT_ROW * (i + 0.5)


OUT_PORT = QPointF(WIDTH, _port_y(0))


def _ports_height(spec: NodeKind) -> float:
    return max(len(spec.inputs), 1) * PORT_ROW + 6


def _height(spec: NodeKind, lines: int, small_lines: int, quiz_lines: int = 0) -> float:
    return TITLE_H + _ports_height(spec) + max(lines, 1) * LINE_H + \
        small_lines * SMALL_LINE_H + quiz_lines * QUIZ_LINE_H + 6


def fresh_size(kind_name: str) -> tuple[float, float]:
    """Width and height of a new, not yet evaluated card of a kind (to centre it on a drop)."""
    return WIDTH, _height(kind(kind_name), 1, 0)


class NodeItem(QGraphicsItem):
    """One node card. ``display_lines()`` is what its body shows."""

    def __init__(self, data: NodeData) -> None:
        super().__init__()
        self.node_id = data.id
        self.setFlags(FLAGS)
        self.setCacheMode(CACHE)
        self.setAcceptHoverEvents(True)
        self.edges: list = []  # EdgeItems attached, kept in sync by the scene
        self.value = self.grad = None  # the latest evaluation's tensors
        self._lines: list[str] | None = []  # the value lines; None: not formatted yet
        self.error: str | None = None
        self.is_loss = False
        self.check: tuple[str, bool] | None = None  # Check Gradients: (relative error, agrees)
        self.step_lines: list[str] = []  # the last train step laid open (graph/laid_open.py)
        self.step_tip = ""
        # quiz mode: lines under the value, (text, theme role), and the value hidden
        self.quiz_lines: list[tuple[str, str]] = []
        self.masked = False
        self._instead = False  # the step lines take the value lines' place
        # set by the scene: the kind's formulas with this node's numbers, for the tooltip
        self.maths: Callable[[str], list[str]] | None = None
        self.snap = 0.0
        self.data_ = data
        self.spec = kind(data.kind)
        self._height = 0.0
        self._height = self._compute_height()
        self.setPos(*data.position)

    # --- content ----------------------------------------------------------------------------
    def update_data(self, data: NodeData) -> None:
        self.data_ = data
        self.spec = kind(data.kind)
        self._geometry_changed()

    def set_result(self, value: object | None, grad: object | None, error: str | None) -> None:
        """Show the latest evaluation: ``value`` and ``grad`` are tensors (or None)."""
        self.value, self.grad, self.error = value, grad, error
        self._lines = None if value is not None and grad is None else self._format()
        self._geometry_changed()

    def set_check(self, check: tuple[str, bool] | None) -> None:
        """Show Check Gradients' relative error as a badge (green: agrees, red: not)."""
        if check != self.check:
            self.check = check
            self.update()

    def check_badge(self) -> str:
        """The gradient check's badge text, as painted (empty: no check shown)."""
        if self.check is None:
            return ""
        return ("✓ " if self.check[1] else "✗ ") + self.check[0]

    def set_step_lines(self, lines: list[str], tip: str = "", instead: bool = False) -> None:
        """Show what the last train step did here, under the value (empty: nothing), or
        ``instead`` of the value lines (a weight's lines say its value). Either way a
        gradient line of its own (the step zeroed it) makes room for them."""
        if lines != self.step_lines or tip != self.step_tip or instead != self._instead:
            self.step_lines, self.step_tip, self._instead = list(lines), tip, instead
            self._geometry_changed()

    def set_quiz(self, lines: list[tuple[str, str]], masked: bool) -> None:
        """Quiz mode: ``lines`` (text, theme role such as "muted" or "ok") go under the
        value, one per question on this node; ``masked`` hides the value itself."""
        if (lines, masked) != (self.quiz_lines, self.masked):
            self.quiz_lines, self.masked = list(lines), masked
            self._geometry_changed()

    def quiz_rect(self, i: int) -> QRectF:
        """The i-th quiz line, in item coordinates (an editor for the prediction goes there)."""
        top = self._height - 6 - (len(self.quiz_lines) - i) * QUIZ_LINE_H
        return QRectF(PAD, top, WIDTH - 2 * PAD, QUIZ_LINE_H)

    @property
    def shown_value_lines(self) -> list[str]:
        """The value lines painted: none, or none of a gradient line of its own, while a
        train step shows."""
        if not self.step_lines:
            return self.value_lines
        if self._instead:
            return []
        return [line for line in self.value_lines if not line.startswith(GRAD)]

    def _format(self) -> list[str]:
        if self.value is None:
            return []
        return value_lines(self.value, self.grad, body_chars())

    @property
    def value_lines(self) -> list[str]:
        """The value and gradient as the card shows them, without grad_fn."""
        if self._lines is None:
            self._lines = self._format()
        return self._lines

    @property
    def grad_fn(self) -> str:
        fn = None if self.value is None else self.value.grad_fn
        return "" if fn is None else fn.name()

    def _geometry_changed(self) -> None:
        height = self._compute_height()
        if height != self._height:
            self.prepareGeometryChange()
            self._height = height
        if self.toolTip():  # shown once already: keep it current
            self.setToolTip(self.tooltip_text())
        self.update()

    def title_text(self) -> str:
        """The name, and the kind when the name does not already say it."""
        label, title = self.data_.label, self.spec.title
        return label if label.lower() in (title.lower(), self.spec.name) else \
            f"{label}{SEP}{title}"

    def display_lines(self) -> list[str]:
        """The body text as shown on the card, top to bottom."""
        if self.error:
            return [f"⚠ {self.error}"]
        shown = self.shown_value_lines or ([MASKED] if self.masked else [])
        return shown + ([self.grad_fn] if self.grad_fn else []) + self.step_lines + \
            [text for text, _ in self.quiz_lines]

    def badges(self) -> list[str]:
        flags = self.data_.flags
        out = []
        if self.is_loss:
            out.append("loss")
        if flags.get("requires_grad"):
            out.append("grad")
        if flags.get("detach"):
            out.append("detach")
        if flags.get("no_grad"):
            out.append("no-grad")
        return out

    def tooltip_text(self) -> str:
        """Kind and doc, then the full value and grad as PyTorch prints them, or the error."""
        tip = f"{self.data_.label} — {self.spec.title}: {self.spec.doc}"
        if self.value is not None:
            tip += f"\n\n{self.data_.label} = {self.value!r}"
        if self.grad is not None:
            tip += f"\n{self.data_.label}.grad = {self.grad!r}"
        lines = self.maths(self.node_id) if self.maths is not None and not self.error else []
        if lines:
            tip += "\n\n" + "\n".join(lines)
        if self.error:
            tip += f"\n\nError: {self.error}"
        if self.step_tip:
            tip += f"\n\n{self.step_tip}"
        return tip

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self.setToolTip(self.tooltip_text())  # made when wanted: reprs can be long
        super().hoverEnterEvent(event)

    # --- geometry ---------------------------------------------------------------------------
    def _compute_height(self) -> float:
        if self.error:
            return _height(self.spec, 1, 0)
        lines = len(self.shown_value_lines) if self._lines is not None or self.step_lines else 1
        has_fn = self.value is not None and self.value.grad_fn is not None
        small = (1 if has_fn else 0) + len(self.step_lines)
        quiz = len(self.quiz_lines)
        if quiz and not lines and not self.step_lines:
            lines = 1  # "hidden: predict it" / "not evaluated" above the quiz lines
        if not lines and small:  # the small lines in the body's place
            return _height(self.spec, 0, small, quiz) - LINE_H
        return _height(self.spec, lines, small, quiz)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(-PORT_R - 2, -2, WIDTH + 2 * PORT_R + 4, self._height + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(-PORT_R, 0, WIDTH + 2 * PORT_R, self._height), 6, 6)
        return path

    def box(self) -> Box:
        """The card's size and port heights, for the layered layout."""
        return Box(WIDTH, self._height, _port_y(0),
                   {p: _port_y(i) for i, p in enumerate(self.spec.inputs)})

    def input_port_pos(self, port: str) -> QPointF:
        """Scene position of an input port's socket."""
        return self.pos() + QPointF(0, _port_y(self.spec.inputs.index(port)))  # top-level item

    def output_port_pos(self) -> QPointF:
        return self.pos() + OUT_PORT

    def title_rect(self) -> QRectF:
        """The title bar, in item coordinates (a double-click there renames on the card)."""
        return QRectF(0, 0, WIDTH, TITLE_H)

    def value_rect(self) -> QRectF:
        """The body under the ports, where the value is shown, in item coordinates."""
        top = TITLE_H + _ports_height(self.spec)
        return QRectF(0, top, WIDTH, self._height - top)

    def card_rect(self) -> QRectF:
        """The card itself in scene coordinates (the sockets stick out of it)."""
        return self.mapRectToScene(QRectF(0, 0, WIDTH, self._height))

    def place(self, x: float, y: float) -> None:
        """Put the card exactly where the model says (snapping is for the hand only)."""
        self.setPos(x, y)
        self._follow()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseMoveEvent(event)  # Qt moves this card and every selected one
        scene = self.scene()
        moved = {self, *scene.selectedItems()} if scene is not None else {self}
        for item in moved:
            if isinstance(item, NodeItem):
                item._moved_by_hand()

    def _moved_by_hand(self) -> None:
        if self.snap:
            p = self.pos()
            self.setPos(round(p.x() / self.snap) * self.snap,
                        round(p.y() / self.snap) * self.snap)
        self._follow()
        scene = self.scene()
        if scene is not None and hasattr(scene, "include"):  # dragged towards the edge
            scene.include(self.sceneBoundingRect())

    def _follow(self) -> None:
        for edge in self.edges:
            edge.update_path()

    # --- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        colors = theme.current()
        accent = QColor(colors.categories[self.spec.category])
        rect = QRectF(0, 0, WIDTH, self._height)
        border = QColor(colors.error) if self.error else (
            QColor(colors.selection) if self.isSelected() else QColor(colors.border))
        pen = QPen(border, 3 if (self.isSelected() or self.error) else 1.2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        if lod < LOD_TITLE_BLOCK:
            self._paint_title_block(painter, accent, colors, rect, lod)
            return
        painter.setBrush(QBrush(QColor(colors.card)))
        painter.drawRoundedRect(rect, 6, 6)
        self._paint_title(painter, accent, colors)
        self._paint_ports(painter, colors)
        self._paint_body(painter, colors)

    def _paint_title_block(self, painter: QPainter, accent: QColor, colors: theme.Theme,
                           rect: QRectF, lod: float) -> None:
        """Far out: the card as one block in its category colour, the name large enough to
        read (while it still fits), nothing else."""
        painter.setBrush(accent)
        painter.drawRoundedRect(rect, 6, 6)
        px = min(max(TITLE_PX, round(MIN_TEXT_PX / max(lod, 0.01))), int(rect.height() * 0.6))
        if px * lod < MIN_TEXT_PX * 0.8:
            return  # too far out for any name to read: the block alone
        font = QFont(card_fonts()["title"])
        font.setPixelSize(px)
        painter.setFont(font)
        painter.setPen(QColor(colors.on_fill))
        text = QFontMetricsF(font).elidedText(self.data_.label, Qt.ElideRight, WIDTH - 8)
        painter.drawText(rect, Qt.AlignCenter, text)

    def _paint_title(self, painter: QPainter, accent: QColor, colors: theme.Theme) -> None:
        # Rounded on top, square below, drawn as one outline: the union of a rounded rect and
        # a rect (QPainterPath.simplified) left slivers poking out under the bar's corners.
        title = QPainterPath(QPointF(0, TITLE_H))
        title.lineTo(0, 6)
        title.arcTo(QRectF(0, 0, 12, 12), 180, -90)
        title.lineTo(WIDTH - 6, 0)
        title.arcTo(QRectF(WIDTH - 12, 0, 12, 12), 90, -90)
        title.lineTo(WIDTH, TITLE_H)
        title.closeSubpath()
        painter.fillPath(title, accent)
        fonts = card_fonts()
        room = WIDTH - 2 * PAD
        label = QFontMetricsF(fonts["title"]).elidedText(self.data_.label, Qt.ElideRight, room)
        painter.setPen(QColor(colors.on_fill))
        painter.setFont(fonts["title"])
        bar = QRectF(PAD, 0, room, TITLE_H)
        painter.drawText(bar, Qt.AlignVCenter | Qt.AlignLeft, label)
        rest = self.title_text()[len(self.data_.label):]
        used = QFontMetricsF(fonts["title"]).horizontalAdvance(label)
        if rest and used < room:
            kind_text = QFontMetricsF(fonts["kind"]).elidedText(rest, Qt.ElideRight, room - used)
            painter.setFont(fonts["kind"])
            kind_colour = QColor(colors.on_fill)
            kind_colour.setAlpha(200)
            painter.setPen(kind_colour)
            painter.drawText(bar.adjusted(used, 0, 0, 0), Qt.AlignVCenter | Qt.AlignLeft,
                             kind_text)

    def _paint_ports(self, painter: QPainter, colors: theme.Theme) -> None:
        small = card_fonts()["small"]
        fm = QFontMetricsF(small)
        painter.setFont(small)
        y0 = _port_y(0)
        # the first row's right end: badges, then "out" beside the output socket
        right = WIDTH - PAD - fm.horizontalAdvance("out")
        painter.setPen(QColor(colors.muted))
        painter.drawText(QRectF(right, y0 - 8, WIDTH - PAD - right, 16),
                         Qt.AlignVCenter | Qt.AlignRight, "out")
        badges = [(b, b) for b in self.badges()]
        if self.check is not None:
            badges.insert(0, (self.check_badge(), "agrees" if self.check[1] else "disagrees"))
        for text, role in reversed(badges):
            w = fm.horizontalAdvance(text) + 8
            right -= w + 3
            r = QRectF(right, y0 - 7, w, 14)
            painter.setBrush(QColor(colors.badge(role)))
            painter.setPen(Qt.NoPen)
            painter.drawRoundedRect(r, 3, 3)
            painter.setPen(QColor(colors.on_fill))
            painter.drawText(r, Qt.AlignCenter, text)
        for i, port in enumerate(self.spec.inputs):
            y = _port_y(i)
            painter.setPen(QPen(QColor(colors.border), 1))
            painter.setBrush(QColor(colors.port))
            painter.drawEllipse(QPointF(0, y), PORT_R, PORT_R)
            painter.setPen(QColor(colors.muted))
            end = (right - 3) if i == 0 else WIDTH - PAD
            name = fm.elidedText(port, Qt.ElideRight, end - PORT_R - 4)
            painter.drawText(QRectF(PORT_R + 4, y - 8, end - PORT_R - 4, 16), Qt.AlignVCenter,
                             name)
        painter.setPen(QPen(QColor(colors.border), 1))
        painter.setBrush(QColor(colors.port_out))
        painter.drawEllipse(QPointF(WIDTH, y0), PORT_R, PORT_R)

    def _paint_body(self, painter: QPainter, colors: theme.Theme) -> None:
        fonts = card_fonts()
        y = TITLE_H + _ports_height(self.spec)
        painter.setPen(QPen(QColor(colors.border), 0.6))
        painter.drawLine(QPointF(PAD - 1, y - 3), QPointF(WIDTH - PAD + 1, y - 3))
        width = WIDTH - 2 * PAD
        if self.error:
            painter.setFont(fonts["body"])
            painter.setPen(QColor(colors.error))
            text = QFontMetricsF(fonts["body"]).elidedText(self.display_lines()[0],
                                                           Qt.ElideRight, width)
            painter.drawText(QRectF(PAD, y, width, LINE_H), Qt.AlignVCenter, text)
            return
        if not self.value_lines and not self.step_lines:
            painter.setFont(fonts["small"])
            painter.setPen(QColor(colors.muted))
            painter.drawText(QRectF(PAD, y, width, LINE_H), Qt.AlignVCenter,
                             MASKED if self.masked else "not evaluated")
            self._paint_quiz(painter, colors)
            return
        painter.setFont(fonts["body"])
        advance = QFontMetricsF(fonts["body"]).horizontalAdvance("0")
        for line in self.shown_value_lines:
            value, grad = (line, "") if not line.startswith(GRAD) else ("", line)
            if SEP + GRAD in line:  # "6.7000 · grad 0.9988": the gradient in its colour
                value, grad = line.split(SEP, 1)
                grad = SEP + grad
            painter.setPen(QColor(colors.text))
            painter.drawText(QRectF(PAD, y, width, LINE_H), Qt.AlignVCenter, value)
            painter.setPen(QColor(colors.gradient))
            painter.drawText(QRectF(PAD + len(value) * advance, y, width, LINE_H),
                             Qt.AlignVCenter, grad)
            y += LINE_H
        painter.setFont(fonts["small"])
        if self.grad_fn:
            painter.setPen(QColor(colors.muted))
            painter.drawText(QRectF(PAD, y, width, SMALL_LINE_H), Qt.AlignVCenter,
                             self.grad_fn)
            y += SMALL_LINE_H
        small = QFontMetricsF(fonts["small"])
        for line in self.step_lines:  # the last train step: the change in gradient colour
            painter.setPen(QColor(colors.gradient if "Δ" in line or line.startswith(" ")
                                  else colors.text))
            painter.drawText(QRectF(PAD, y, width, SMALL_LINE_H), Qt.AlignVCenter,
                             small.elidedText(line, Qt.ElideRight, width))
            y += SMALL_LINE_H
        self._paint_quiz(painter, colors)

    def _paint_quiz(self, painter: QPainter, colors: theme.Theme) -> None:
        if not self.quiz_lines:
            return
        font = card_fonts()["body"]
        painter.setFont(font)
        fm = QFontMetricsF(font)
        for i, (text, role) in enumerate(self.quiz_lines):
            rect = self.quiz_rect(i)
            painter.setPen(QColor(getattr(colors, role)))
            painter.drawText(rect, Qt.AlignVCenter,
                             fm.elidedText(text, Qt.ElideRight, rect.width()))
