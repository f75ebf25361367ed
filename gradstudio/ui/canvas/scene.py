"""GraphScene: the canvas contents, a mirror of the Document's model.

It creates, moves and removes items when the model says so, and paints each evaluation
onto the cards. It never edits the model itself.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene

from gradstudio.graph import (
    Change,
    Edge,
    ForwardResult,
    GraphError,
    ModelEvent,
    NodeData,
    pick_target,
)
from gradstudio.graph.evaluate import gradient_path
from gradstudio.graph.gradcheck import GradCheck, format_error
from gradstudio.graph.laid_open import card_lines, card_tooltip, loss_line
from gradstudio.graph.session import TrainRun

from .. import theme
from .annotation_items import FrameItem, NoteItem
from .edge_item import EdgeItem
from .node_item import NodeItem

__all__ = ["GraphScene"]
GRID = 20
# Room to pan around an empty canvas; it grows (never past a card) to keep every card
# reachable: scroll bars stop at the scene rect, so a card outside it could not be reached.
HOME = QRectF(-5000, -5000, 10000, 10000)
ROOM = 2000.0


class GraphScene(QGraphicsScene):
    def __init__(self, document) -> None:  # noqa: ANN001 - Document (avoid import cycle)
        super().__init__()
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self.notes: dict[str, NoteItem] = {}  # a teacher's notes and frames, by id
        self.frames: dict[str, FrameItem] = {}
        self.snap_to_grid = False
        self._stepped: set[str] = set()  # cards showing the last train step
        self.quiz = None  # the QuizMode while quizzing: gradients (and values) stay hidden
        # A child timer: it dies with the scene, so it never fires into a deleted one.
        self._loss_timer = QTimer(self, singleShot=True, interval=0)
        self._loss_timer.timeout.connect(self._refresh_loss)
        self.setSceneRect(HOME)
        document.model_changed.connect(self._on_model_event)
        document.evaluated.connect(self.show_results)
        document.backward_done.connect(lambda _: self._mark_gradient_wires())
        document.gradients_checked.connect(self.show_check)
        document.trained.connect(self.show_train_step)
        document.session_restored.connect(self._on_session_restored)
        document.reset.connect(self.rebuild)
        # Connected first, so every other listener sees the selection without such wires.
        self.selectionChanged.connect(self._drop_wires_from_rubber_band)
        self.rebuild()

    # --- mirroring the model ----------------------------------------------------------------
    def rebuild(self) -> None:
        for item in [*self.nodes.values(), *self.edges.values(), *self.notes.values(),
                     *self.frames.values()]:
            self.removeItem(item)
        for items in (self.nodes, self.edges, self.notes, self.frames):
            items.clear()
        self._stepped.clear()
        model = self.document.model
        for f in model.annotations.frames():
            self._add_box(self.frames, FrameItem(f))
        for note in model.annotations.notes():
            self._add_box(self.notes, NoteItem(note))
        detached = {}
        for n in model.nodes():
            self._add_node(n, grow=False)
            detached[n.id] = n.flags["detach"]
        for e in model.edges():
            self._add_edge(e, detached[e.src])
        self.setSceneRect(HOME)  # a new document starts from the usual room
        if self.nodes:  # grown once for all the cards, not card by card
            self.include(self.cards_rect())
        self._refresh_loss()

    def cards_rect(self) -> QRectF:
        """The bounding rect of every card, from their positions in one pass (asking each
        card for its ``sceneBoundingRect`` calls into Python twice per card)."""
        items = self.nodes.values()
        xs, ys = [i.x() for i in items], [i.y() for i in items]
        local = next(iter(items)).boundingRect()
        tallest = max(i.boundingRect().height() for i in items)
        return QRectF(min(xs) + local.left(), min(ys) + local.top(),
                      max(xs) - min(xs) + local.width(), max(ys) - min(ys) + tallest)

    def content_rect(self) -> QRectF | None:
        """The cards, notes and frames together (None: an empty canvas), for Fit."""
        rect = self.cards_rect() if self.nodes else QRectF()
        for item in [*self.notes.values(), *self.frames.values()]:
            rect = rect.united(item.sceneBoundingRect())
        return None if rect.isNull() else rect

    def _add_box(self, items: dict, item: NoteItem | FrameItem) -> None:
        items[item.item_id] = item
        self.addItem(item)
        self.include(item.sceneBoundingRect())

    def _on_annotation_event(self, event: ModelEvent) -> None:
        """A note or frame was added, changed or removed: its item follows."""
        what, item_id, notes = event.kind, event.item, self.document.model.annotations
        items, make, read = ((self.notes, NoteItem, notes.note) if what.name.startswith("NOTE")
                             else (self.frames, FrameItem, notes.frame))
        if what in (Change.NOTE_REMOVED, Change.FRAME_REMOVED):
            item = items.pop(item_id, None)
            if item is not None:
                self.removeItem(item)
        elif what in (Change.NOTE_ADDED, Change.FRAME_ADDED):
            self._add_box(items, make(read(item_id)))
        elif item_id in items:
            items[item_id].update_from(read(item_id))
            self.include(items[item_id].sceneBoundingRect())

    def _on_model_event(self, event: ModelEvent) -> None:
        what = event.kind
        if what.name.startswith(("NOTE_", "FRAME_")):
            self._on_annotation_event(event)
            return
        if self._stepped and what is not Change.NODE_MOVED and not what.is_annotation:
            self._clear_train_step()  # the graph is no longer what the step left
        if what is Change.NODE_ADDED:
            self._add_node(self.document.model.node(event.node))
        elif what is Change.NODE_REMOVED:
            item = self.nodes.pop(event.node, None)
            if item is not None:
                self.removeItem(item)
        elif what is Change.NODE_CHANGED:
            self.nodes[event.node].update_data(self.document.model.node(event.node))
            if event.detail == "flags":
                self._refresh_wire_states()
        elif what is Change.NODE_MOVED:
            item = self.nodes[event.node]
            x, y = self.document.model.node(event.node).position
            if (item.pos().x(), item.pos().y()) != (x, y):
                item.place(x, y)
                self.include(item.sceneBoundingRect())
        elif what is Change.EDGE_ADDED:
            self._add_edge(event.edge)
        elif what is Change.EDGE_REMOVED:
            item = self.edges.pop(event.edge, None)
            if item is not None:
                for end in (item.src_item, item.dst_item):
                    if item in end.edges:
                        end.edges.remove(item)
                self.removeItem(item)
        if what is Change.LOSS_CHANGED:
            self._refresh_loss()
        elif what in (Change.NODE_ADDED, Change.NODE_REMOVED,
                      Change.EDGE_ADDED, Change.EDGE_REMOVED):
            self._loss_timer.start()  # once for a burst of edits (a paste, a load)

    def _add_node(self, data: NodeData, grow: bool = True) -> None:
        item = NodeItem(data)
        item.maths = self.formulas
        item.snap = GRID if self.snap_to_grid else 0.0
        self.nodes[data.id] = item
        self.addItem(item)
        if grow:
            self.include(item.sceneBoundingRect())

    def include(self, rect: QRectF) -> None:
        """Grow the scene rect so ``rect`` (a card) can be scrolled to, with room around it."""
        if not self.sceneRect().contains(rect):
            self.setSceneRect(self.sceneRect().united(rect.adjusted(-ROOM, -ROOM, ROOM, ROOM)))

    def _add_edge(self, edge: Edge, detached: bool | None = None) -> None:
        src, dst = self.nodes[edge.src], self.nodes[edge.dst]
        item = EdgeItem(edge, src, dst)
        src.edges.append(item)
        dst.edges.append(item)
        self.edges[edge] = item
        self.addItem(item)
        if detached is None:
            detached = self.document.model.node(edge.src).flags["detach"]
        item.set_state(detached, False)

    def _drop_wires_from_rubber_band(self) -> None:
        """A rubber band selects cards and notes: a wire that merely passes through the band
        must not be selected (and then deleted with them), nor a frame the band lies in or
        crosses (only one it holds whole). A click still selects a wire or a frame."""
        bands = [v.mapToScene(v.rubberBandRect()).boundingRect() for v in self.views()
                 if not v.rubberBandRect().isNull()]
        if bands:
            for item in self.selectedItems():
                if isinstance(item, EdgeItem) or (isinstance(item, FrameItem) and not any(
                        band.contains(item.sceneBoundingRect()) for band in bands)):
                    item.setSelected(False)

    def _refresh_loss(self) -> None:
        """The loss badge goes where Backward starts: the chosen loss, else the single end."""
        try:
            loss = pick_target(self.document.model)
        except GraphError:
            loss = None
        for n, item in self.nodes.items():
            if item.is_loss != (n == loss):
                item.is_loss = n == loss
                item.update()

    def _refresh_wire_states(self) -> None:
        model = self.document.model
        for e, item in self.edges.items():
            item.set_state(model.node(e.src).flags["detach"], item.carried_grad)

    def set_snap_to_grid(self, on: bool) -> None:
        self.snap_to_grid = on
        for item in self.nodes.values():
            item.snap = GRID if on else 0.0

    def formulas(self, node: str) -> list[str]:
        """The node's forward formula and local derivatives with the latest evaluation's
        numbers (graph/trace.node_formulas), for its card's tooltip (the trace's module is
        loaded at the first tooltip, not at start-up)."""
        from gradstudio.graph.trace import node_formulas

        forward = self.document.session.last_forward
        if forward is None or node not in self.document.model or self.quiz is not None:
            return []  # while quizzing, the local derivatives would give answers away
        head, derivatives = node_formulas(self.document.model, forward, node)
        return [head, *(line for line, _ in derivatives)]

    # --- showing results --------------------------------------------------------------------
    def show_results(self, result: ForwardResult | None) -> None:
        if result is None:
            return
        session, values, errors = self.document.session, result.values, result.errors
        quiz = self.quiz
        if quiz is not None:  # nothing that gives an answer away
            for n, item in self.nodes.items():
                hide = quiz.hides_value(n)  # type: ignore[attr-defined]
                item.set_result(None if hide else values.get(n), None, errors.get(n))
            return
        for n, item in self.nodes.items():  # the cards print their values when shown
            item.set_result(values.get(n), session.grad(n), errors.get(n))

    def set_quiz(self, quiz: object | None) -> None:
        """Quiz mode on (the QuizMode) or off: the cards are shown again accordingly; the
        last train step's lines (they hold w.grad) go while quizzing."""
        self.quiz = quiz
        if quiz is None:
            for item in self.nodes.values():
                item.set_quiz([], False)
        else:
            self._clear_train_step()
        self.show_results(self.document.session.last_forward)

    def show_check(self, check: GradCheck | None) -> None:
        """Each checked leaf's card gets its worst relative error as a badge; None (the graph
        changed since) takes the badges off."""
        worst = {} if check is None else {leaf.node: leaf for leaf in check.leaves
                                          if leaf.elements}
        for n, item in self.nodes.items():
            leaf = worst.get(n)
            item.set_check(None if leaf is None else (format_error(leaf.worst), leaf.ok))

    def _on_session_restored(self) -> None:
        """An undo or redo of a train run: the laid-open step as it was (a run leaves the
        wires the last backward coloured as they are)."""
        self.show_train_step(self.document.session.laid_open)

    def show_train_step(self, run: TrainRun | None) -> None:
        """The run's last step laid open on the cards: each trained weight's w → w', Δw with
        its numbers, and the loss card's loss before → after (graph/laid_open.py)."""
        self._clear_train_step()
        if run is None or not run.steps or self.quiz is not None:
            return
        step, model = run.steps[-1], self.document.model
        lines = {n: (card_lines(model.label(n), ws, step.lr),
                     card_tooltip(model.label(n), ws, step.lr), True)
                 for n, ws in step.weights.items() if n in model}
        try:
            lines[pick_target(model)] = ([loss_line(step.loss, run.loss_after)],
                                         "Last train step: the loss before → after it", False)
        except GraphError:
            pass
        for n, (text, tip, instead) in lines.items():
            item = self.nodes.get(n)
            if item is not None:
                item.set_step_lines(text, tip, instead)
                self._stepped.add(n)

    def _clear_train_step(self) -> None:
        for n in self._stepped:
            item = self.nodes.get(n)
            if item is not None:
                item.set_step_lines([])
        self._stepped.clear()

    def _mark_gradient_wires(self) -> None:
        """Colour the wires a gradient travelled along in the last backward: both ends
        took part in it."""
        session = self.document.session
        result, forward = session.last_backward, session.last_forward
        took_part = frozenset()
        if result is not None and result.ok and forward is not None:
            took_part = gradient_path(self.document.model, forward, result.target)
        model = self.document.model
        for e, item in self.edges.items():
            item.set_state(model.node(e.src).flags["detach"],
                           e.src in took_part and e.dst in took_part)

    # --- background -------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        c = theme.current()
        painter.fillRect(rect, QColor(c.background))
        if painter.worldTransform().m11() < 0.5:
            return
        pen = QPen(QColor(c.grid), 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        # Lines at whole multiples of the step, wherever the exposed rect starts: a partial
        # repaint (a wire being drawn, a card moved) must continue the same grid.
        step = GRID * 5
        x = math.floor(rect.left() / step) * step
        while x < rect.right():
            painter.drawLine(x, rect.top(), x, rect.bottom())
            x += step
        y = math.floor(rect.top() / step) * step
        while y < rect.bottom():
            painter.drawLine(rect.left(), y, rect.right(), y)
            y += step
