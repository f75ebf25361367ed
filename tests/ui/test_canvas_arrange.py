"""Edit ▸ Arrange (Ctrl+L): the graph in columns left to right, no card over another, and
one Ctrl+Z puts every card back."""

from __future__ import annotations

import itertools

import pytest
from gestures import build_chain, key, menu_action, press_shortcut, wire
from PySide6.QtGui import QKeySequence

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _overlapping(window) -> list[tuple[str, str]]:
    cards = window.view.scene().nodes
    return [(a, b) for a, b in itertools.combinations(cards, 2)
            if cards[a].sceneBoundingRect().intersects(cards[b].sceneBoundingRect())]


def _positions(window) -> dict[str, tuple[float, float]]:
    return {n: (i.pos().x(), i.pos().y()) for n, i in window.view.scene().nodes.items()}


def test_ctrl_l_arranges_a_pile_of_cards_and_one_undo_puts_them_back(qtbot, window):
    # w*x + b, squared, all dropped nearly on top of each other
    x, w, b, mul, add, sq = build_chain(window, ("input", -60, -40), ("weight", -40, -30),
                                        ("weight", -20, -20), ("mul", 0, -10), ("add", 20, 0),
                                        ("square", 40, 10))
    wire(window, w, mul, "a")
    wire(window, x, mul, "b")
    wire(window, mul, add, "a")
    wire(window, b, add, "b")
    wire(window, add, sq, "x")
    assert _overlapping(window)
    before, steps = _positions(window), window.document.undo_stack.count()

    key(qtbot, window.view, "Ctrl+L")

    assert _overlapping(window) == []
    cards = window.view.scene().nodes
    for e in window.document.model.edges():  # every wire runs left to right
        assert cards[e.src].sceneBoundingRect().right() < cards[e.dst].sceneBoundingRect().left()
    assert cards[w].pos().y() < cards[x].pos().y()  # w feeds port a, above x's port b
    assert window.document.undo_stack.count() == steps + 1
    assert window.document.undo_stack.undoText() == "Arrange"
    model = window.document.model
    assert {n: model.node(n).position for n in cards} == _positions(window)

    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert _positions(window) == before


def test_arrange_is_in_the_edit_menu_with_its_key(qtbot, window):
    edit = window.menuBar().actions()[1].menu()
    action = menu_action(edit, "Arrange")
    assert action is not None and action.shortcut() == QKeySequence("Ctrl+L")


def test_arranging_an_arranged_graph_adds_no_undo_step(qtbot, window):
    x, sq = build_chain(window, ("input", -300, -40), ("square", 40, 200))
    wire(window, x, sq, "x")
    key(qtbot, window.view, "Ctrl+L")
    steps = window.document.undo_stack.count()
    key(qtbot, window.view, "Ctrl+L")
    assert window.document.undo_stack.count() == steps
    assert "already arranged" in window.statusBar().currentMessage()


def test_arrange_keeps_the_laid_out_graph_in_sight(qtbot, window):
    """Five cards stacked in one column become five columns, wider than what the canvas
    shows right of the first: the view frames them instead of leaving the last columns
    (where the loss is) off its right edge."""
    ids = build_chain(window, *[(kind, -330, -200 + 60 * i) for i, kind in
                                enumerate(("input", "sin", "cos", "exp", "tanh"))])
    for src, dst in itertools.pairwise(ids):
        wire(window, src, dst, "x")
    key(qtbot, window.view, "Ctrl+L")
    view = window.view
    shown = view.viewport().rect()
    for node_id, card in view.scene().nodes.items():
        at = view.mapFromScene(card.sceneBoundingRect()).boundingRect()
        assert shown.contains(at), (window.document.model.label(node_id), at, shown)
