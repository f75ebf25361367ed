"""Wiring with the mouse: press on an output port, drag, release on an input port."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    drag,
    edges,
    press_shortcut,
    trigger,
    wire,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.refusal import RefusalBubble

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _card_text(window, node_id: str) -> list[str]:
    return window.view.scene().nodes[node_id].display_lines()


def _badges(window, node_id: str) -> list[str]:
    return window.view.scene().nodes[node_id].badges()


def test_x_into_square_shows_the_value_with_its_grad_fn(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    item = window.view.scene().nodes[x]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Requires grad")
    assert window.document.model.node(x).flags["requires_grad"]

    wire(window, x, sq, "x")

    assert edges(window) == {(x, sq, "x")}
    qtbot.waitUntil(lambda: _card_text(window, sq) == ["9.", "PowBackward0"])
    assert _card_text(window, x) == ["3."] and "grad" in _badges(window, x)
    edge_item = window.view.scene().edges[(x, sq, "x")]
    assert edge_item.path().pointAtPercent(1.0) == window.view.scene().nodes[sq].input_port_pos("x")


def test_without_requires_grad_the_value_has_no_grad_fn(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    qtbot.waitUntil(lambda: _card_text(window, sq) == ["9."])


def _canvas_items(window) -> list:
    """Cards, wires and anything else drawn, except a refusal's bubble (tests of its own)."""
    return [i for i in window.view.scene().items() if not isinstance(i, RefusalBubble)]


def _refused(qtbot, window, start: QPointF, end: QPointF, reason: str) -> None:
    model, stack = window.document.model, window.document.undo_stack
    before, steps = model.to_dict(), stack.count()
    items = len(_canvas_items(window))
    drag(window.view, start, end)
    assert model.to_dict() == before
    assert stack.count() == steps
    assert len(_canvas_items(window)) == items  # no stray wire left on the canvas
    assert reason in window.statusBar().currentMessage()


def test_a_wire_that_would_close_a_cycle_is_refused_with_the_reason(qtbot, window):
    x, s1, s2 = build_chain(window, ("input", -340, -120), ("square", 0, -120),
                            ("sin", 0, 60))
    wire(window, x, s1, "x")
    wire(window, s1, s2, "x")
    assert edges(window) == {(x, s1, "x"), (s1, s2, "x")}
    nodes = window.view.scene().nodes
    _refused(qtbot, window, nodes[s2].output_port_pos(), nodes[s1].input_port_pos("x"),
             "would close a cycle")
    assert "sin" in window.statusBar().currentMessage()  # it names the nodes


def test_a_wire_into_its_own_node_is_refused(qtbot, window):
    (sq,) = build_chain(window, ("square", -150, -60))
    item = window.view.scene().nodes[sq]
    _refused(qtbot, window, item.output_port_pos(), item.input_port_pos("x"),
             "into its own input")


def test_a_wire_dropped_on_an_output_port_is_refused(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    nodes = window.view.scene().nodes
    _refused(qtbot, window, nodes[x].output_port_pos(), nodes[sq].output_port_pos(),
             "input port")


def test_a_wire_dropped_on_empty_canvas_then_esc_leaves_nothing(qtbot, window):
    (x,) = build_chain(window, ("input", -330, -60))
    model = window.document.model
    before, items = model.to_dict(), len(window.view.scene().items())
    drag(window.view, window.view.scene().nodes[x].output_port_pos(), QPointF(150, 200))
    assert window.quick_add.isVisible()  # offers a node to wire it into
    qtbot.keyClick(window.quick_add.search, Qt.Key_Escape)
    assert not window.quick_add.isVisible()
    assert model.to_dict() == before and len(window.view.scene().items()) == items


def test_dropping_on_an_occupied_input_replaces_the_wire_and_undo_restores_it(qtbot, window):
    a, b, mul = build_chain(window, ("input", -340, -150), ("weight", -340, 30),
                            ("mul", 60, -60))
    wire(window, a, mul, "a")
    wire(window, b, mul, "b")
    assert edges(window) == {(a, mul, "a"), (b, mul, "b")}
    wire(window, b, mul, "a")  # mul(w, w): the old wire into "a" goes
    assert edges(window) == {(b, mul, "a"), (b, mul, "b")}
    qtbot.waitUntil(lambda: _card_text(window, mul) == ["1.", "MulBackward0"])

    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert edges(window) == {(a, mul, "a"), (b, mul, "b")}
    qtbot.waitUntil(lambda: _card_text(window, mul) == ["3.", "MulBackward0"])
    window.action_map["redo"].trigger()
    assert edges(window) == {(b, mul, "a"), (b, mul, "b")}
