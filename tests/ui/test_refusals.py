"""Refusals: one value with its reason and nodes, shown once as a message, as a bubble over
the node it concerns until the next edit, and as a mark on the Messages tab until it is
looked at."""

from __future__ import annotations

import pytest
from gestures import build_chain, click, drag, trigger, wire
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from gradstudio.ui.canvas.refusal import RefusalBubble
from gradstudio.ui.commands import Connect, Rename
from gradstudio.ui.document import Message, Refusal

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _bubbles(window) -> list[RefusalBubble]:
    return [i for i in window.view.scene().items() if isinstance(i, RefusalBubble)]


def _messages(window) -> list[Message]:
    seen: list[Message] = []
    window.document.message.connect(seen.append)
    return seen


def _x_squared(window) -> tuple[str, str]:
    x, sq = build_chain(window, ("input", -330, 0), ("square", 40, 0))
    wire(window, x, sq, "x")
    return x, sq


def test_a_refused_edit_returns_its_reason_and_is_said_once(window) -> None:
    doc = window.document
    x, sq = _x_squared(window)
    said = _messages(window)
    depth = doc.undo_stack.count()
    outcome = doc.run(Rename(doc.model, x, "square"))
    assert not outcome and isinstance(outcome, Refusal)
    assert "already exists" in outcome.reason and outcome.nodes == (x,)
    assert said == [outcome]  # once, and the same value the caller got
    assert doc.undo_stack.count() == depth
    assert doc.run(Rename(doc.model, x, "a")) is True


def test_backward_with_nothing_requiring_grad_bubbles_at_the_loss(qtbot, window) -> None:
    x, sq = _x_squared(window)
    qtbot.keyClick(window.view, Qt.Key_F6)  # x does not require grad
    (bubble,) = _bubbles(window)
    assert bubble.node_id == sq
    assert "does not require grad" in bubble.title
    assert "x does not require grad: requires_grad is off" in bubble.body
    card = window.view.scene().nodes[sq].sceneBoundingRect()
    assert bubble.scenePos().y() <= card.top()  # above the card, pointing at it
    assert card.left() <= bubble.scenePos().x() <= card.right()
    assert bubble.isVisible()

    qtbot.keyClick(window.view, Qt.Key_F5)  # running again is not an edit: it stays
    assert _bubbles(window) == [bubble]
    item = window.view.scene().nodes[x]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Requires grad")
    assert _bubbles(window) == []  # the next edit takes it away
    qtbot.keyClick(window.view, Qt.Key_F6)
    assert _bubbles(window) == []  # backward ran


def test_a_wire_that_would_close_a_cycle_bubbles_at_its_target(qtbot, window) -> None:
    x, s1, s2 = build_chain(window, ("input", -340, -120), ("square", 0, -120),
                            ("sin", 0, 60))
    wire(window, x, s1, "x")
    wire(window, s1, s2, "x")
    nodes = window.view.scene().nodes
    drag(window.view, nodes[s2].output_port_pos(), nodes[s1].input_port_pos("x"))
    (bubble,) = _bubbles(window)
    assert bubble.node_id == s1 and "would close a cycle" in bubble.title
    window.action_map["undo"].trigger()  # undo is an edit too
    assert _bubbles(window) == []


def test_the_bubble_takes_no_clicks(qtbot, window) -> None:
    x, sq = _x_squared(window)
    qtbot.keyClick(window.view, Qt.Key_F6)
    (bubble,) = _bubbles(window)
    assert bubble.acceptedMouseButtons() == Qt.NoButton
    click(window.view, window.view.scene().nodes[sq].sceneBoundingRect().center())
    assert window.view.selected_node_ids() == [sq]


def test_a_new_document_has_no_bubble(qtbot, window) -> None:
    _x_squared(window)
    qtbot.keyClick(window.view, Qt.Key_F6)
    assert _bubbles(window)
    window.action_map["new"].trigger()
    assert _bubbles(window) == []


def _messages_tab(window) -> tuple[QTabBar, int]:
    for bar in window.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i).startswith("Messages"):
                return bar, i
    raise AssertionError("no Messages tab")


def test_the_messages_tab_is_marked_until_it_is_looked_at(qtbot, window) -> None:
    dock = window.docks["messages"]
    assert dock.visibleRegion().isEmpty()  # another tab is in front
    doc = window.document
    x, sq = _x_squared(window)
    qtbot.keyClick(window.view, Qt.Key_F6)
    bar, i = _messages_tab(window)
    assert bar.tabText(i) == "Messages ⚠ 1"
    doc.run(Connect(doc.model, sq, x, "x"))  # a cycle: refused
    assert bar.tabText(i) == "Messages ⚠ 2"
    qtbot.keyClick(window.view, Qt.Key_F5)  # news that is not a refusal adds nothing
    assert bar.tabText(i) == "Messages ⚠ 2"

    qtbot.mouseClick(bar, Qt.LeftButton, pos=bar.tabRect(i).center())  # the person looks
    qtbot.waitUntil(dock.isVisible)
    assert bar.tabText(i) == "Messages"
    doc.run(Connect(doc.model, sq, x, "x"))  # seen as it happens: no mark
    assert bar.tabText(i) == "Messages"
    assert dock.windowTitle() == "Messages"


def test_cannot_open_shows_the_reason(window, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    bad = tmp_path / "bad.gsgraph"
    bad.write_text("{not json", encoding="utf-8")
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a: shown.append((title, text)))
    said = _messages(window)
    assert window.load(bad) is False
    ((title, text),) = shown
    assert title == "Cannot open" and "bad.gsgraph" in text
    assert [m.text for m in said] == [text]  # the dialog shows the one refusal's reason
