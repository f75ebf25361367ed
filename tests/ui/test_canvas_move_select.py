"""Moving cards with the mouse, selecting (click, Ctrl+click, rubber band), deleting with
the keyboard, and undoing all of it."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    click,
    drag,
    press_shortcut,
    wire,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence

from gradstudio.ui.canvas.node_item import WIDTH

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _title(window, node_id: str) -> QPointF:
    """A point on the card's title bar: where a person grabs it."""
    return window.view.scene().nodes[node_id].mapToScene(QPointF(WIDTH / 2, 10))


def _doc(model) -> dict:
    """The model as data, in an order that does not depend on the history of edits."""
    data = model.to_dict()
    data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
    data["edges"] = sorted(data["edges"], key=lambda e: (e["src"], e["dst"], e["port"]))
    return data


def _selected(window) -> set[str]:
    return set(window.view.selected_node_ids())


def test_dragging_a_card_moves_the_node_in_one_undo_step(qtbot, window):
    (x,) = build_chain(window, ("input", -200, -100))
    model, stack = window.document.model, window.document.undo_stack
    old, steps = model.node(x).position, stack.count()

    drag(window.view, _title(window, x), _title(window, x) + QPointF(65, 45), steps=12)

    assert model.node(x).position == (old[0] + 65, old[1] + 45)
    assert stack.count() == steps + 1  # twelve mouse moves, one command
    assert stack.undoText().startswith("Move")
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert model.node(x).position == old
    assert window.view.scene().nodes[x].pos() == QPointF(*old)
    window.action_map["redo"].trigger()
    assert model.node(x).position == (old[0] + 65, old[1] + 45)


def test_a_click_without_moving_adds_no_undo_step(qtbot, window):
    (x,) = build_chain(window, ("input", -200, -100))
    steps = window.document.undo_stack.count()
    click(window.view, _title(window, x))
    assert window.document.undo_stack.count() == steps
    assert _selected(window) == {x}


def test_wires_follow_a_moved_card(qtbot, window):
    x, sq = build_chain(window, ("input", -340, -120), ("square", 20, -120))
    wire(window, x, sq, "x")
    drag(window.view, _title(window, sq), _title(window, sq) + QPointF(-40, 150))
    assert window.document.model.node(sq).position == (-20, 30)
    scene = window.view.scene()
    path = scene.edges[(x, sq, "x")].path()
    assert path.pointAtPercent(0.0) == scene.nodes[x].output_port_pos()
    assert path.pointAtPercent(1.0) == scene.nodes[sq].input_port_pos("x")
    window.action_map["undo"].trigger()  # the wire follows an undone move too
    assert scene.edges[(x, sq, "x")].path().pointAtPercent(1.0) == \
        scene.nodes[sq].input_port_pos("x")


def test_click_selects_one_and_ctrl_click_adds(qtbot, window):
    a, b, c = build_chain(window, ("input", -340, -200), ("weight", -340, -20),
                          ("add", 40, -100))
    click(window.view, _title(window, a))
    assert _selected(window) == {a}
    click(window.view, _title(window, b))
    assert _selected(window) == {b}
    click(window.view, _title(window, c), Qt.ControlModifier)
    assert _selected(window) == {b, c}
    click(window.view, _title(window, b), Qt.ControlModifier)  # Ctrl+click toggles off
    assert _selected(window) == {c}
    click(window.view, QPointF(-300, 180))  # empty canvas clears
    assert _selected(window) == set()


def test_a_moved_wire_can_be_clicked_where_it_now_runs(qtbot, window):
    """The scene finds a wire by its bounds: after the card moved, they follow the curve."""
    x, sq = build_chain(window, ("input", -340, -120), ("square", 20, -120))
    wire(window, x, sq, "x")
    drag(window.view, _title(window, sq), _title(window, sq) + QPointF(-40, 150))
    edge = window.view.scene().edges[(x, sq, "x")]
    assert edge.boundingRect().contains(edge.shape().boundingRect())
    click(window.view, edge.path().pointAtPercent(0.5))
    assert edge.isSelected()


def test_dragging_a_selection_moves_every_selected_card_in_one_step(qtbot, window):
    a, b = build_chain(window, ("input", -340, -200), ("weight", 20, 0))
    click(window.view, _title(window, a))
    click(window.view, _title(window, b), Qt.ControlModifier)
    model, stack = window.document.model, window.document.undo_stack
    steps = stack.count()
    drag(window.view, _title(window, a), _title(window, a) + QPointF(30, 20))
    assert model.node(a).position == (-310, -180) and model.node(b).position == (50, 20)
    assert stack.count() == steps + 1
    stack.undo()
    assert model.node(a).position == (-340, -200) and model.node(b).position == (20, 0)


def test_rubber_band_selects_the_cards_it_touches(qtbot, window):
    a, b, c = build_chain(window, ("input", -340, -200), ("weight", -340, -20),
                          ("add", 60, 60))
    drag(window.view, QPointF(-360, -230), QPointF(-100, 30))
    assert _selected(window) == {a, b}
    assert window.document.model.node(a).position == (-340, -200)  # nothing moved


def test_delete_key_removes_nodes_with_their_wires_and_undo_restores_them(qtbot, window):
    x, w, mul, sq = build_chain(window, ("input", -340, -220), ("weight", -340, -40),
                                ("mul", 40, -200), ("square", 40, 20))
    wire(window, x, mul, "a")
    wire(window, w, mul, "b")
    wire(window, mul, sq, "x")
    model = window.document.model
    before = _doc(model)
    click(window.view, _title(window, mul))
    click(window.view, _title(window, w), Qt.ControlModifier)

    press_shortcut(qtbot, window, QKeySequence.Delete)

    assert set(model.node_ids()) == {x, sq}
    assert model.edges() == []
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert _doc(model) == before  # same ids, labels, positions and wires
    scene = window.view.scene()
    assert set(scene.nodes) == {x, w, mul, sq} and len(scene.edges) == 3
    window.action_map["redo"].trigger()
    assert set(model.node_ids()) == {x, sq} and model.edges() == []


def test_backspace_deletes_too(qtbot, window):
    (x,) = build_chain(window, ("input", -200, -100))
    click(window.view, _title(window, x))
    qtbot.keyClick(window.view, Qt.Key_Backspace)
    assert len(window.document.model) == 0


def test_clicking_a_wire_selects_it_and_delete_removes_only_the_wire(qtbot, window):
    x, sq = build_chain(window, ("input", -340, -120), ("square", 60, 40))
    wire(window, x, sq, "x")
    edge_item = window.view.scene().edges[(x, sq, "x")]
    click(window.view, edge_item.path().pointAtPercent(0.5))
    assert edge_item.isSelected() and _selected(window) == set()
    assert window.view.selected_edges() == [(x, sq, "x")]
    press_shortcut(qtbot, window, QKeySequence.Delete)
    model = window.document.model
    assert model.edges() == [] and set(model.node_ids()) == {x, sq}
    window.action_map["undo"].trigger()
    assert [tuple(e) for e in model.edges()] == [(x, sq, "x")]


def test_ctrl_dragging_an_unselected_card_moves_it_in_the_model(qtbot, window):
    a, b = build_chain(window, ("input", -340, -200), ("weight", 20, 0))
    click(window.view, _title(window, a))  # the selection moves along, as in Qt
    drag(window.view, _title(window, b), _title(window, b) + QPointF(40, 30),
         modifiers=Qt.ControlModifier)
    model = window.document.model
    assert model.node(b).position == (60, 30)
    assert window.view.scene().nodes[b].pos() == QPointF(60, 30)
    assert model.node(a).position == (-300, -170)
    window.action_map["undo"].trigger()  # one step for both
    assert model.node(b).position == (20, 0) and model.node(a).position == (-340, -200)


def test_snap_to_grid_snaps_the_drag_and_undo_restores_the_exact_position(qtbot, window):
    (x,) = build_chain(window, ("input", -293, -187))
    window.action_map["snap"].trigger()
    drag(window.view, _title(window, x), _title(window, x) + QPointF(47, 33))
    model, item = window.document.model, window.view.scene().nodes[x]
    assert model.node(x).position == (-240, -160) and item.pos() == QPointF(-240, -160)
    window.action_map["undo"].trigger()
    assert model.node(x).position == (-293, -187)
    assert item.pos() == QPointF(-293, -187)  # the card shows what the model holds


def test_rubber_band_does_not_pick_up_wires_passing_through(qtbot, window):
    window.view.zoom_by(0.6)
    x, sq, w = build_chain(window, ("input", -340, -200), ("square", 40, 260),
                           ("weight", -340, 40))
    wire(window, x, sq, "x")  # this wire crosses the band below
    window.view.scene().clearSelection()
    drag(window.view, QPointF(-360, 20), QPointF(20, 160))
    assert _selected(window) == {w} and window.view.selected_edges() == []
    press_shortcut(qtbot, window, QKeySequence.Delete)
    model = window.document.model
    assert set(model.node_ids()) == {x, sq}
    assert [tuple(e) for e in model.edges()] == [(x, sq, "x")]
