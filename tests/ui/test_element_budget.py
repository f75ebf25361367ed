"""The element budget after broadcasting holds for edits by hand too: a wire or a typed value
that would make a result pass 1,000,000 elements is refused before anything is computed,
with a message naming the node and the limit; the graph and the undo stack stay as they were.
Long lists are pasted into the Inspector, as a person would."""

from __future__ import annotations

import pytest
from gestures import build_chain, edges, key, wire
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from gradstudio.ui.canvas.refusal import RefusalBubble

pytestmark = pytest.mark.usefixtures("canvas_ready")

COLUMN = "[" + ", ".join("[1]" for _ in range(1001)) + "]"  # shape [1001, 1]
ROW = ", ".join("2" for _ in range(1000))  # shape [1000]
LIMIT = ("mul: its result would hold 1,001,000 elements ([1001, 1] and [1000] broadcast to "
         "[1001, 1000]); the limit is 1,000,000 elements per result")


def _select(qtbot, window, node_id: str) -> None:
    view = window.view
    item = view.scene().nodes[node_id]
    view.ensureVisible(item)
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, pos)


def _paste_value(qtbot, window, node_id: str, text: str):
    """Select the card, click the Inspector's value field, paste ``text`` over it, Enter."""
    _select(qtbot, window, node_id)
    field = window.panels["inspector"].param_fields["value"]
    qtbot.mouseClick(field.edit, Qt.LeftButton)
    key(qtbot, field.edit, QKeySequence.SelectAll)
    QApplication.clipboard().setText(text)
    key(qtbot, field.edit, QKeySequence.Paste)
    qtbot.keyClick(field.edit, Qt.Key_Return)
    return field


def _column_row_mul(qtbot, window) -> tuple[str, str, str]:
    a, b, m = build_chain(window, ("input", -420, -160), ("input", -420, 120),
                          ("mul", 60, -20))
    _paste_value(qtbot, window, a, COLUMN)
    _paste_value(qtbot, window, b, ROW)
    model = window.document.model
    assert model.result_shape(a) == (1001, 1) and model.result_shape(b) == (1000,)
    return a, b, m


def test_a_wire_whose_broadcast_passes_the_budget_is_refused_naming_the_node(qtbot, window):
    doc = window.document
    a, b, m = _column_row_mul(qtbot, window)
    wire(window, a, m, "a")
    assert edges(window) == {(a, m, "a")}
    depth, count = doc.undo_stack.index(), doc.undo_stack.count()

    wire(window, b, m, "b")  # [1001, 1] * [1000] would be 1,001,000 numbers
    assert edges(window) == {(a, m, "a")}  # nothing changed
    assert (doc.undo_stack.index(), doc.undo_stack.count()) == (depth, count)
    assert window.statusBar().currentMessage() == LIMIT
    (bubble,) = [i for i in window.view.scene().items() if isinstance(i, RefusalBubble)]
    assert bubble.node_id == m and bubble.toolTip() == LIMIT
    window.action_map["forward"].trigger()
    assert doc.session.last_forward.value(m) is None  # b is not wired: m has no value

    window.action_map["undo"].trigger()  # the stack is intact: the first wire goes
    assert edges(window) == set()
    window.action_map["redo"].trigger()
    assert edges(window) == {(a, m, "a")}


def test_a_value_whose_broadcast_passes_the_budget_is_refused_inline(qtbot, window):
    doc = window.document
    a, b, m = build_chain(window, ("input", -420, -160), ("input", -420, 120),
                          ("mul", 60, -20))
    _paste_value(qtbot, window, a, COLUMN)
    wire(window, a, m, "a")
    wire(window, b, m, "b")
    window.action_map["forward"].trigger()
    assert doc.session.last_forward.value(m).shape == (1001, 1)
    depth, count = doc.undo_stack.index(), doc.undo_stack.count()
    before = doc.model.node(b).params["value"]

    field = _paste_value(qtbot, window, b, ROW)
    assert field.error.isVisible() and field.error.text() == LIMIT
    assert doc.model.node(b).params["value"] == before  # the value stays
    assert (doc.undo_stack.index(), doc.undo_stack.count()) == (depth, count)
    window.action_map["forward"].trigger()
    assert doc.session.last_forward.value(m).shape == (1001, 1)

    field = _paste_value(qtbot, window, b, "2, 3")  # [1001, 2]: within the budget
    assert field.error.isHidden()
    window.action_map["forward"].trigger()
    assert doc.session.last_forward.value(m).shape == (1001, 2)
    assert doc.undo_stack.count() == count + 1
    window.action_map["undo"].trigger()
    assert doc.model.node(b).params["value"] == before
