"""A node dropped on a wire is inserted into it: a dragged card, a palette entry, or a
quick-add from a double-click on the wire; each one undo step."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    drag,
    drop_on_canvas,
    edges,
    move_to,
    press,
    press_shortcut,
    release,
    to_view,
    wire,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QGraphicsPathItem

from gradstudio.ui.canvas.edge_item import EdgeItem
from gradstudio.ui.canvas.node_item import WIDTH

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _wired(window) -> tuple[str, str, QPointF]:
    """x -> square, with the wire's middle point."""
    x, sq = build_chain(window, ("input", -370, -200), ("square", 70, 100))
    wire(window, x, sq, "x")
    mid = window.view.scene().edges[(x, sq, "x")].path().pointAtPercent(0.5)
    return x, sq, mid


def _glow(window) -> list:
    """The lit wire: a path item over the wires that is not itself a wire."""
    return [i for i in window.view.scene().items() if isinstance(i, QGraphicsPathItem)
            and not isinstance(i, EdgeItem) and i.isVisible() and i.zValue() < 0]


def test_dragging_a_card_onto_a_wire_inserts_it_and_one_undo_restores(qtbot, window):
    x, sq, mid = _wired(window)
    (s,) = build_chain(window, ("sin", -370, 160))
    model, stack, view = window.document.model, window.document.undo_stack, window.view
    old_pos, steps = model.node(s).position, stack.count()
    grab = view.scene().nodes[s].mapToScene(QPointF(WIDTH / 2, 10))  # its title bar

    press(view, grab)
    move_to(view, (grab + mid) / 2)
    assert not _glow(window)  # not over the wire yet
    move_to(view, mid)
    (glow,) = _glow(window)
    assert glow.path() == view.scene().edges[(x, sq, "x")].path()
    release(view, mid)

    assert edges(window) == {(x, s, "x"), (s, sq, "x")}
    assert not _glow(window)
    assert stack.count() == steps + 1  # the move and the two wires: one step
    qtbot.waitUntil(lambda: view.scene().nodes[sq].display_lines() == ["0.0199"])
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert edges(window) == {(x, sq, "x")}
    assert model.node(s).position == old_pos
    window.action_map["redo"].trigger()
    assert edges(window) == {(x, s, "x"), (s, sq, "x")}


def test_a_card_whose_output_is_wired_only_moves_over_a_wire(qtbot, window):
    x, sq, mid = _wired(window)
    s, c = build_chain(window, ("sin", -370, 160), ("cos", -370, -80))
    wire(window, s, c, "x")
    grab = window.view.scene().nodes[s].mapToScene(QPointF(WIDTH / 2, 10))
    drag(window.view, grab, mid)
    assert edges(window) == {(x, sq, "x"), (s, c, "x")}
    assert window.document.undo_stack.undoText().startswith("Move")


def test_dropping_a_palette_entry_on_a_wire_inserts_it(qtbot, window):
    x, sq, mid = _wired(window)
    palette = window.palette_panel
    steps = window.document.undo_stack.count()
    assert drop_on_canvas(window.view, palette.tree.mimeData([palette.items()["exp"]]),
                          to_view(window.view, mid))
    (e,) = [n.id for n in window.document.model.nodes() if n.kind == "exp"]
    assert edges(window) == {(x, e, "x"), (e, sq, "x")}
    assert window.document.undo_stack.count() == steps + 1
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert edges(window) == {(x, sq, "x")} and len(window.document.model) == 2


def test_a_leaf_dropped_on_a_wire_is_just_added(qtbot, window):
    x, sq, mid = _wired(window)
    palette = window.palette_panel
    drop_on_canvas(window.view, palette.tree.mimeData([palette.items()["constant"]]),
                   to_view(window.view, mid))
    assert edges(window) == {(x, sq, "x")} and len(window.document.model) == 3


def test_double_click_on_a_wire_offers_kinds_to_insert(qtbot, window):
    x, sq, mid = _wired(window)
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton, pos=to_view(window.view, mid))
    popup = window.quick_add
    assert popup.isVisible()
    listed = {popup.list.item(i).data(Qt.UserRole) for i in range(popup.list.count())
              if not popup.list.item(i).isHidden()}
    assert "relu" in listed and "input" not in listed
    qtbot.keyClicks(popup.search, "relu")
    qtbot.keyClick(popup.search, Qt.Key_Return)
    (r,) = [n.id for n in window.document.model.nodes() if n.kind == "relu"]
    assert edges(window) == {(x, r, "x"), (r, sq, "x")}
