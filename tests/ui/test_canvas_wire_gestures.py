"""Wires that are easy to hit: ports measured in screen pixels, snapping to the nearest
compatible port, wires drawn from inputs, picked up by their end, and let go in empty space
(quick-add, wired in as one undo step)."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    drag,
    edges,
    hover,
    move_to,
    press,
    press_shortcut,
    release,
    wire,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QGraphicsEllipseItem

from gradstudio.ui.canvas.refusal import RefusalBubble

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _px(view, dx: float, dy: float) -> QPointF:
    """A screen-pixel offset as a scene offset at the view's zoom."""
    return QPointF(dx, dy) / view.zoom()


def _zoom(window, zoom: float) -> None:
    window.view.zoom_by(zoom / window.view.zoom())
    assert window.view.zoom() == pytest.approx(zoom)


@pytest.mark.parametrize("zoom", [1.0, 0.5])
def test_a_release_20_px_off_an_input_still_connects(qtbot, window, zoom):
    _zoom(window, zoom)
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    view, nodes = window.view, window.view.scene().nodes
    drag(view, nodes[x].output_port_pos(), nodes[sq].input_port_pos("x") + _px(view, -20, 0))
    assert edges(window) == {(x, sq, "x")}
    assert window.document.undo_stack.undoText().startswith("Connect")


@pytest.mark.parametrize("zoom", [1.0, 0.5])
def test_ports_answer_8_px_around_their_centre(qtbot, window, zoom):
    """A hit area at least 16 screen pixels across: press 8 px beside the output and let go
    8 px beside the input."""
    _zoom(window, zoom)
    view = window.view
    for i, (dx, dy) in enumerate([(8, 0), (0, -8), (-8, 0), (0, 8)]):
        a, b = build_chain(window, ("input", -330, -220 + 110 * i), ("sin", 40, -220 + 110 * i))
        nodes = view.scene().nodes
        start = nodes[a].output_port_pos() + _px(view, dx, dy)
        end = nodes[b].input_port_pos("x") + _px(view, -dx, dy)
        assert view.port_under(start) == (nodes[a], ("out", None))
        drag(view, start, end)
        assert (a, b, "x") in edges(window), (dx, dy)


def test_the_snap_target_lights_up_while_dragging(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    view, nodes = window.view, window.view.scene().nodes
    port = nodes[sq].input_port_pos("x")

    def rings_at(p: QPointF) -> list:
        return [i for i in view.scene().items() if isinstance(i, QGraphicsEllipseItem)
                and i.isVisible() and (i.rect().center() - p).manhattanLength() < 0.5]

    press(view, nodes[x].output_port_pos())
    move_to(view, QPointF(-100, 100))  # far from any port: nothing lit
    assert not [i for i in view.scene().items()
                if isinstance(i, QGraphicsEllipseItem) and i.isVisible()]
    move_to(view, port + QPointF(-18, 6))
    (ring,) = rings_at(port)
    assert ring.pen().color() != ring.brush().color()  # ringed, not just the green hint
    release(view, port + QPointF(-18, 6))
    assert not rings_at(port)
    assert edges(window) == {(x, sq, "x")}


def test_snapping_skips_ports_that_would_close_a_cycle(qtbot, window):
    x, s1 = build_chain(window, ("input", -330, -60), ("sin", 40, -60))
    wire(window, x, s1, "x")
    (s2,) = build_chain(window, ("cos", 40, 120))
    nodes = window.view.scene().nodes
    # from s1's output, let go 20 px from s2's input: s2 is the one that fits
    drag(window.view, nodes[s1].output_port_pos(), nodes[s2].input_port_pos("x") + QPointF(-20, 0))
    assert edges(window) == {(x, s1, "x"), (s1, s2, "x")}


def test_a_wire_can_be_drawn_from_a_free_input_to_an_output(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    nodes = window.view.scene().nodes
    drag(window.view, nodes[sq].input_port_pos("x"), nodes[x].output_port_pos() + QPointF(15, 10))
    assert edges(window) == {(x, sq, "x")}


def test_a_wire_from_an_input_dropped_on_an_input_is_refused(qtbot, window):
    a, b = build_chain(window, ("sin", -330, -60), ("square", 40, -60))
    nodes = window.view.scene().nodes
    drag(window.view, nodes[b].input_port_pos("x"), nodes[a].input_port_pos("x"))
    assert edges(window) == set()
    assert "output port" in window.statusBar().currentMessage()
    (bubble,) = [i for i in window.view.scene().items() if isinstance(i, RefusalBubble)]
    assert bubble.node_id == a  # said over the card it was dropped on


def test_a_wire_that_would_close_a_cycle_says_why_over_the_card(qtbot, window):
    x, s1, s2 = build_chain(window, ("input", -330, -160), ("sin", 40, -160), ("cos", 40, 60))
    wire(window, x, s1, "x")
    wire(window, s1, s2, "x")
    nodes = window.view.scene().nodes
    drag(window.view, nodes[s2].output_port_pos(), nodes[s1].input_port_pos("x"))
    (bubble,) = [i for i in window.view.scene().items() if isinstance(i, RefusalBubble)]
    assert "would close a cycle" in bubble.toolTip()
    assert nodes[s1].sceneBoundingRect().center().x() == bubble.pos().x()  # over s1


def test_pulling_a_wire_off_its_input_into_empty_space_disconnects_in_one_step(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    stack = window.document.undo_stack
    steps = stack.count()
    nodes = window.view.scene().nodes
    drag(window.view, nodes[sq].input_port_pos("x"), QPointF(-100, 200))
    assert edges(window) == set()
    assert not window.quick_add.isVisible()
    assert stack.count() == steps + 1 and stack.undoText().startswith("Disconnect")
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert edges(window) == {(x, sq, "x")}
    assert window.view.scene().edges[(x, sq, "x")].isVisible()


def test_a_picked_up_wire_end_moves_to_another_input_in_one_step(qtbot, window):
    x, s1, s2 = build_chain(window, ("input", -330, -60), ("sin", 40, -160), ("cos", 40, 80))
    wire(window, x, s1, "x")
    steps = window.document.undo_stack.count()
    nodes = window.view.scene().nodes
    drag(window.view, nodes[s1].input_port_pos("x"), nodes[s2].input_port_pos("x"))
    assert edges(window) == {(x, s2, "x")}
    assert window.document.undo_stack.count() == steps + 1
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert edges(window) == {(x, s1, "x")}


def test_a_picked_up_wire_put_back_changes_nothing(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    steps = window.document.undo_stack.count()
    port = window.view.scene().nodes[sq].input_port_pos("x")
    drag(window.view, port, port + QPointF(-5, 3))
    assert edges(window) == {(x, sq, "x")} and window.document.undo_stack.count() == steps
    assert window.view.scene().edges[(x, sq, "x")].isVisible()


def test_a_wire_let_go_on_a_card_goes_into_its_first_free_input(qtbot, window):
    x, w, mul = build_chain(window, ("input", -330, -230), ("weight", -330, -110),
                            ("mul", 40, -60))
    nodes = window.view.scene().nodes
    body = nodes[mul].mapToScene(nodes[mul].boundingRect().center())
    drag(window.view, nodes[x].output_port_pos(), body)
    drag(window.view, nodes[w].output_port_pos(), body)
    assert edges(window) == {(x, mul, "a"), (w, mul, "b")}
    (c,) = build_chain(window, ("constant", -330, 10))
    drag(window.view, nodes[c].output_port_pos(), body)
    assert "no free input" in window.statusBar().currentMessage()
    assert len(edges(window)) == 2


# --- a wire let go in empty space: quick-add --------------------------------------------------
def _titles_listed(popup) -> set[str]:
    return {popup.list.item(i).data(Qt.UserRole) for i in range(popup.list.count())
            if not popup.list.item(i).isHidden()}


def test_wire_into_empty_space_adds_a_wired_node_and_one_undo_removes_both(qtbot, window):
    (x,) = build_chain(window, ("input", -330, -60))
    view, model, stack = window.view, window.document.model, window.document.undo_stack
    steps = stack.count()
    where = QPointF(100, 40)
    drag(view, view.scene().nodes[x].output_port_pos(), where)
    popup = window.quick_add
    assert popup.isVisible()
    listed = _titles_listed(popup)
    assert "sin" in listed and "mul" in listed
    assert not {"input", "weight", "constant"} & listed  # leaves take no wire
    qtbot.keyClicks(popup.search, "sin")
    qtbot.keyClick(popup.search, Qt.Key_Return)
    assert not popup.isVisible()
    (new,) = [n.id for n in model.nodes() if n.kind == "sin"]
    assert edges(window) == {(x, new, "x")}
    card = view.scene().nodes[new]
    assert (card.input_port_pos("x") - where).manhattanLength() <= 2  # its input where let go
    qtbot.waitUntil(lambda: card.display_lines() == ["0.1411"])
    assert stack.count() == steps + 1
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert [n.id for n in model.nodes()] == [x] and edges(window) == set()
    window.action_map["redo"].trigger()
    assert edges(window) == {(x, new, "x")}


def test_wire_from_an_input_into_empty_space_adds_the_node_feeding_it(qtbot, window):
    (sq,) = build_chain(window, ("square", 40, -60))
    view, model = window.view, window.document.model
    where = QPointF(-200, 60)
    drag(view, view.scene().nodes[sq].input_port_pos("x"), where)
    popup = window.quick_add
    assert {"input", "weight", "sin"} <= _titles_listed(popup)
    qtbot.keyClicks(popup.search, "weight")
    qtbot.keyClick(popup.search, Qt.Key_Return)
    (w,) = [n.id for n in model.nodes() if n.kind == "weight"]
    assert edges(window) == {(w, sq, "x")}
    assert (view.scene().nodes[w].output_port_pos() - where).manhattanLength() <= 2


def test_a_node_added_at_the_canvas_edge_is_scrolled_into_view(qtbot, window):
    """A wire let go a few pixels from the canvas's right edge: the new card starts there
    and would hang off the view; the view scrolls so the whole card, name and ports, shows."""
    (x,) = build_chain(window, ("input", -330, -60))
    view, model = window.view, window.document.model
    vp = view.viewport().rect()
    where = view.mapToScene(vp.right() - 20, vp.center().y())
    drag(view, view.scene().nodes[x].output_port_pos(), where)
    qtbot.keyClicks(window.quick_add.search, "sin")
    qtbot.keyClick(window.quick_add.search, Qt.Key_Return)
    (new,) = [n.id for n in model.nodes() if n.kind == "sin"]
    card = view.scene().nodes[new]
    shown = view.mapFromScene(card.sceneBoundingRect()).boundingRect()
    assert vp.contains(shown), (shown, vp)
    assert edges(window) == {(x, new, "x")}


def test_esc_while_holding_a_wire_drops_it(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    view, nodes = window.view, window.view.scene().nodes
    items, steps = len(view.scene().items()), window.document.undo_stack.count()
    press(view, nodes[x].output_port_pos())
    move_to(view, nodes[sq].input_port_pos("x"))
    assert len(view.scene().items()) > items  # the wire being drawn
    qtbot.keyClick(view, Qt.Key_Escape)
    assert len(view.scene().items()) == items
    release(view, nodes[sq].input_port_pos("x"))
    assert edges(window) == set() and window.document.undo_stack.count() == steps
    assert not window.quick_add.isVisible()


def test_the_pointer_turns_into_a_crosshair_over_a_port(qtbot, window):
    (x,) = build_chain(window, ("input", -330, -60))
    view, item = window.view, window.view.scene().nodes[x]
    hover(view, item.output_port_pos() + _px(view, 6, 4))
    assert view.viewport().cursor().shape() == Qt.CrossCursor
    hover(view, item.mapToScene(item.title_rect().center()))
    assert view.viewport().cursor().shape() == Qt.ArrowCursor


def test_a_picked_up_wire_dropped_where_it_cannot_go_stays_where_it_was(qtbot, window):
    x, s1, s2 = build_chain(window, ("input", -330, -160), ("sin", 40, -160), ("cos", 40, 60))
    wire(window, x, s1, "x")
    wire(window, s1, s2, "x")
    steps = window.document.undo_stack.count()
    nodes = window.view.scene().nodes
    drag(window.view, nodes[s2].input_port_pos("x"), nodes[s1].input_port_pos("x"))
    assert "its own input" in window.statusBar().currentMessage()
    assert edges(window) == {(x, s1, "x"), (s1, s2, "x")}
    assert window.document.undo_stack.count() == steps
    assert window.view.scene().edges[(s1, s2, "x")].isVisible()
