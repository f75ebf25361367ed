"""Editing on the card: a one-line editor laid over a card's title (rename, F2 or a
double-click) or over a leaf's value line (type a new value). Enter commits through the
usual undo command, Esc cancels; a refused entry keeps the editor open with the model's
reason under it, and the node keeps its old name or value."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QGraphicsItem, QLabel, QLineEdit

from gradstudio.graph import GraphError, ModelEvent

from .. import theme
from ..commands import Rename, SetParam
from ..panels.inspector import param_text
from .node_item import NodeItem

if TYPE_CHECKING:
    from .view import GraphView

__all__ = ["InlineEditor", "OverCanvas", "edit_label", "edit_value"]
MIN_WIDTH = 120  # room to type a name even on a card seen small


class OverCanvas:
    """What an editor laid over the canvas shares: it follows the view's scroll and zoom
    (``place``), goes when its item leaves the canvas (an undo, a delete) or a new document
    comes, keeps what was typed when the person clicks elsewhere (``keep``), and hands the
    keys back to the canvas when it closes. ``label`` is the line shown under it."""

    view: GraphView
    item: QGraphicsItem
    label: QLabel

    def _follow(self, view: GraphView, item: QGraphicsItem, label: QLabel) -> None:
        self.view, self.item, self.label = view, item, label
        self._closed = False
        view.document.model_changed.connect(self._model_changed)
        view.document.reset.connect(self.close_editor)
        view.zoom_changed.connect(self.place)
        view.horizontalScrollBar().valueChanged.connect(self.place)
        view.verticalScrollBar().valueChanged.connect(self.place)

    def place(self) -> None:  # pragma: no cover - every editor overrides it
        raise NotImplementedError

    def keep(self) -> None:  # pragma: no cover - every editor overrides it
        raise NotImplementedError

    def _model_changed(self, _event: ModelEvent) -> None:
        if self.item.scene() is None:  # the scene took the item off first
            self.close_editor()

    def close_editor(self) -> None:
        if self._closed:
            return
        self._closed = True
        had_focus = self.hasFocus()
        self.view.document.model_changed.disconnect(self._model_changed)
        self.view.document.reset.disconnect(self.close_editor)
        self.hide()
        self.label.hide()
        self.label.deleteLater()
        self.deleteLater()
        self.view.editor_closed(self, had_focus)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        super().focusOutEvent(event)
        if not self._closed and event.reason() != Qt.PopupFocusReason:
            # clicking elsewhere keeps what was typed if the model takes it, as the
            # Inspector does; a refusal was said in the status bar and changes nothing
            self.keep()
            self.close_editor()


class InlineEditor(OverCanvas, QLineEdit):
    """A line edit over ``rect`` (item coordinates) of a card or a frame's title.
    ``commit(text)`` returns None when the edit was taken (or changed nothing), else the
    reason it was refused."""

    def __init__(self, view: GraphView, item: QGraphicsItem, rect: QRectF, text: str,
                 commit: Callable[[str], str | None], name: str) -> None:
        QLineEdit.__init__(self, text, view.viewport())
        self.rect_, self.commit = rect, commit
        self.setAccessibleName(name)
        self.error = QLabel(view.viewport())
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"background: {theme.current().card}; "
                                 f"color: {theme.current().error}; padding: 2px;")
        self.error.hide()
        self._follow(view, item, self.error)
        self.returnPressed.connect(self._enter)
        self.place()
        self.selectAll()
        self.show()
        self.setFocus(Qt.OtherFocusReason)

    def place(self) -> None:
        """Over the card's part, wherever the view has scrolled or zoomed to."""
        if self._closed:
            return
        box = self.view.mapFromScene(self.item.mapRectToScene(self.rect_)).boundingRect()
        height = max(box.height(), self.sizeHint().height())
        box.setTop(box.center().y() - height // 2)
        box.setHeight(height)
        box.setWidth(max(box.width(), MIN_WIDTH))
        self.setGeometry(box)
        self.error.setGeometry(box.left(), box.bottom() + 2, max(box.width(), 220),
                               self.error.heightForWidth(max(box.width(), 220)))

    def keep(self) -> None:
        self.commit(self.text())

    def _enter(self) -> None:
        reason = self.commit(self.text())
        if reason is None:
            self.close_editor()
        else:
            self.error.setText(reason)
            self.place()
            self.error.show()
            self.error.raise_()
            self.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key_Escape:
            self.close_editor()  # nothing changes
            return
        super().keyPressEvent(event)


def _reason(view: GraphView, command) -> str | None:  # noqa: ANN001
    done = view.document.run(command)
    return None if done else done.reason


def edit_label(view: GraphView, item: NodeItem) -> InlineEditor:
    """Rename the card's node on the card."""
    model, node_id = view.document.model, item.node_id

    def commit(text: str) -> str | None:
        if node_id not in model:
            return None
        label = text.strip()
        if label == model.label(node_id):
            return None
        return _reason(view, Rename(model, node_id, label))

    return InlineEditor(view, item, item.title_rect(), model.label(node_id), commit,
                        view.tr("Name of %s") % model.label(node_id))


def edit_value(view: GraphView, item: NodeItem) -> InlineEditor:
    """Type a leaf's value on its card, as in the Inspector (``3``, ``1, 2``, ``[[1, 2]]``)."""
    model, node_id = view.document.model, item.node_id
    data = model.node(node_id)

    def commit(text: str) -> str | None:
        if node_id not in model:
            return None
        current = model.node(node_id)
        try:
            value = current.spec.param("value").parse(text)
        except GraphError as e:
            return f"{current.label}: {e}"
        if value == current.params["value"]:
            return None
        return _reason(view, SetParam(model, node_id, "value", value))

    return InlineEditor(view, item, item.value_rect(),
                        param_text(data.params["value"], model.settings.dtype), commit,
                        view.tr("Value of %s") % data.label)
