"""The notebook's small network (docs/guide.md, section 3) built from an empty canvas the
fastest way a person would, with every action counted (issue 10: at most 25).

The path: *File ▸ New*; drag a Weight from the palette (it is ``w`` = 1.0, requires grad);
from then on every node comes out of a wire: drag a wire from a port into empty space and
type the kind's name in the quick-add box (the new node arrives wired and selected). Leaves
get their values typed on their cards (double-click the value line), the two leaves whose
default names are not the notebook's (``w2`` -> ``b``, ``c`` -> ``y``) are renamed with F2,
and F6 runs backward. The defaults already are the notebook's for ``x`` (Input), ``w``
(Weight) and ``loss`` (BCE loss); the ops keep their kind names (``mul``, ``add``,
``sigmoid``): naming them too (``wx``, ``z``, ``y_pred``) costs two actions each.

One action: one press-drag-release, one click or double-click, one key or shortcut, one
menu item, one typed text ended by Enter. The numbers are read where a person reads them:
the cards and the Gradients panel."""

from __future__ import annotations

import pytest
from gestures import drop_on_canvas, menu_action, to_view
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from gradstudio.ui.canvas.card_text import SEP

MAX_ACTIONS = 25


class Hand:
    """A person's hand on the window; ``actions`` counts what it did."""

    def __init__(self, qtbot, window) -> None:  # noqa: ANN001
        self.qtbot, self.window, self.view = qtbot, window, window.view
        self.actions = 0

    @property
    def nodes(self) -> dict:
        return self.view.scene().nodes

    def menu(self, menu_title: str, text: str) -> None:
        menus = {a.text().replace("&", ""): a.menu() for a in self.window.menuBar().actions()}
        action = menu_action(menus[menu_title], text)
        assert action is not None and action.isEnabled()
        action.trigger()
        self.actions += 1

    def drag_from_palette(self, kind: str, at: QPointF) -> str:
        palette, model = self.window.palette_panel, self.window.document.model
        before = set(model.node_ids())
        assert drop_on_canvas(self.view, palette.tree.mimeData([palette.items()[kind]]),
                              to_view(self.view, at))
        self.actions += 1
        (new,) = set(model.node_ids()) - before
        return new

    def _drag(self, start: QPointF, end: QPointF) -> None:
        from gestures import drag

        drag(self.view, start, end)
        self.actions += 1

    def _type(self, widget, text: str) -> None:  # noqa: ANN001
        self.qtbot.keyClicks(widget, text)
        self.qtbot.keyClick(widget, Qt.Key_Return)
        self.actions += 1

    def wire_out_to_new(self, src: str, where: QPointF, kind: str) -> str:
        """From ``src``'s output into empty space; pick ``kind`` in quick-add."""
        return self._wire_to_new(self.nodes[src].output_port_pos(), where, kind)

    def wire_in_to_new(self, dst: str, port: str, where: QPointF, kind: str) -> str:
        """From ``dst``'s free input ``port`` into empty space: the new node feeds it."""
        return self._wire_to_new(self.nodes[dst].input_port_pos(port), where, kind)

    def _wire_to_new(self, start: QPointF, where: QPointF, kind: str) -> str:
        model = self.window.document.model
        before = set(model.node_ids())
        self._drag(start, where)
        popup = self.window.quick_add
        assert popup.isVisible(), "letting go in empty space opens quick-add"
        self._type(popup.search, kind)
        (new,) = set(model.node_ids()) - before
        assert self.view.selected_node_ids() == [new]  # what F2 acts on next
        return new

    def _editor(self) -> QLineEdit:
        editor = QApplication.focusWidget()
        assert isinstance(editor, QLineEdit) and editor.parent() is self.view.viewport()
        return editor

    def rename_selected(self, name: str) -> None:
        """F2, type the name, Enter."""
        self.qtbot.keyClick(self.view, Qt.Key_F2)
        self.actions += 1
        editor = self._editor()
        editor.selectAll()  # F2 opens with the name selected: typing replaces it
        self._type(editor, name)

    def type_value(self, node_id: str, text: str) -> None:
        """Double-click the card's value line, type, Enter."""
        item = self.nodes[node_id]
        at = to_view(self.view, item.mapToScene(item.value_rect().center()))
        self.qtbot.mouseDClick(self.view.viewport(), Qt.LeftButton, pos=at)
        self.actions += 1
        self._type(self._editor(), text)

    def key(self, key: Qt.Key) -> None:
        self.qtbot.keyClick(self.view, key)
        self.actions += 1


def _columns(view) -> tuple[float, list[float]]:
    """Where a person puts things on the visible canvas: the first card's centre near the
    left edge, then four columns (scene x) for the chain's ops, evenly spread."""
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    step = (seen.width() - 320) / 3
    return seen.left() + 80, [seen.left() + 170 + i * step for i in range(4)]


def test_the_small_network_from_an_empty_canvas_in_at_most_25_actions(qtbot, window):
    window.open_example("small_network")  # what a first launch shows
    hand = Hand(qtbot, window)
    model = window.document.model

    hand.menu("File", "New")
    assert len(model) == 0 and window.view.zoom() == pytest.approx(1.0)
    first, (c1, c2, c3, c4) = _columns(window.view)
    mid = window.view.center_scene_pos().y()

    w = hand.drag_from_palette("weight", QPointF(first, mid - 110))
    mul = hand.wire_out_to_new(w, QPointF(c1, mid - 80), "mul")
    x = hand.wire_in_to_new(mul, "b", QPointF(c1 - 30, mid + 60), "input")
    hand.type_value(x, "6.7")
    add = hand.wire_out_to_new(mul, QPointF(c2, mid - 60), "add")
    b = hand.wire_in_to_new(add, "b", QPointF(c2 - 30, mid + 140), "weight")
    hand.rename_selected("b")
    hand.type_value(b, "0")
    sig = hand.wire_out_to_new(add, QPointF(c3, mid - 60), "sigmoid")
    loss = hand.wire_out_to_new(sig, QPointF(c4, mid - 60), "bce")
    y = hand.wire_in_to_new(loss, "target", QPointF(c4 - 30, mid + 120), "constant")
    hand.rename_selected("y")
    hand.key(Qt.Key_F6)  # Run > Backward

    assert hand.actions <= MAX_ACTIONS, hand.actions
    assert hand.actions == 25  # the path above, counted; a shorter one would lower it

    # the graph a person sees: the notebook's names and wiring
    label = model.label
    assert {label(n) for n in (x, w, b, y, loss)} == {"x", "w", "b", "y", "loss"}
    assert set(model.edges()) == {(w, mul, "a"), (x, mul, "b"), (mul, add, "a"),
                                  (b, add, "b"), (add, sig, "x"), (sig, loss, "prediction"),
                                  (y, loss, "target")}
    cards = hand.nodes
    # the cards after Backward: value, then gradient (on one line or two)
    def card(node_id: str) -> list[str]:
        return [part for line in cards[node_id].display_lines() for part in line.split(SEP)]

    assert card(w) == ["1.", "grad 6.6918"]
    assert card(b) == ["0.", "grad 0.9988"]
    assert card(x) == ["6.7000"] and card(y) == ["0."]
    assert card(loss)[:2] == ["6.7012", "grad 1."]
    # the Gradients panel, as PyTorch prints them
    window.docks["gradients"].raise_()
    panel = window.panels["gradients"]
    qtbot.waitUntil(panel.isVisible)
    assert panel.text(w, "grad") == "tensor(6.6918)"
    assert panel.text(b, "grad") == "tensor(0.9988)"
    assert panel.text(x, "grad") == "None" and panel.text(y, "grad") == "None"
    assert panel.text(loss, "value") == "tensor(6.7012, grad_fn=<NegBackward0>)"
