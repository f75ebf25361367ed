"""The Chain rule dock: the backward step at the node a person clicks on."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def panel(window):
    window.docks["chain_rule"].raise_()
    return window.panels["chain_rule"]


def click_node(window, qtbot, label: str) -> None:
    node = window.document.model.find(label)
    item = window.view.scene().nodes[node]
    pos = window.view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.LeftButton, pos=pos)
    assert window.view.selected_node_ids() == [node]


def test_hint_when_nothing_is_selected(window, panel):
    window.open_example("small_network")
    assert "Select a node" in panel.plain_text()


def test_before_backward_the_local_derivatives_are_known(window, panel, qtbot):
    window.open_example("small_network")
    click_node(window, qtbot, "wx")
    text = panel.plain_text()
    assert "no backward has run yet" in text
    assert "Press Backward" in text
    assert "∂wx/∂w = 6.7000" in text


def test_sigmoid_step_after_backward(window, panel, qtbot):
    window.open_example("small_network")
    window.action_map["backward"].trigger()
    click_node(window, qtbot, "y_pred")
    text = panel.plain_text()
    assert "y_pred = σ(z)" in text
    assert "∂loss/∂y_pred = 813.3619" in text
    assert "∂y_pred/∂z = 0.0012" in text
    assert "813.3619 × 0.001228 = 0.9988" in text
    assert "→ z" in text


def test_mul_step_sends_to_w_and_nothing_to_x(window, panel, qtbot):
    window.open_example("small_network")
    window.action_map["backward"].trigger()
    click_node(window, qtbot, "wx")
    text = panel.plain_text()
    assert "∂loss/∂wx = 0.9988" in text
    assert "0.9988 × 6.7000 = 6.6918" in text
    assert "→ w" in text and "adds up in w.grad" in text
    assert "nothing sent to x: x does not require grad" in text


def test_a_leaf_says_what_its_grad_holds(window, panel, qtbot):
    window.open_example("small_network")
    window.action_map["backward"].trigger()
    click_node(window, qtbot, "w")
    text = panel.plain_text()
    assert "w is a leaf" in text
    assert "w.grad holds 6.6918" in text
    click_node(window, qtbot, "x")
    assert "x does not require grad" in panel.plain_text()


def test_follows_the_next_backward_and_the_selection(window, panel, qtbot):
    window.open_example("small_network")
    click_node(window, qtbot, "w")
    assert "w.grad is None" in panel.plain_text()
    window.action_map["backward"].trigger()  # the panel updates without a new click
    assert "w.grad holds 6.6918" in panel.plain_text()
    window.action_map["backward"].trigger()
    assert "w.grad holds 13.3835" in panel.plain_text()
    window.view.scene().clearSelection()
    assert "Select a node" in panel.plain_text()


def test_after_a_train_step_the_old_gradients_are_gone(window, panel, qtbot):
    window.open_example("small_network")
    window.action_map["train_step"].trigger()  # forward, backward, update, zero grad, forward
    click_node(window, qtbot, "y_pred")
    text = panel.plain_text()
    assert "a forward has run since the last backward" in text
    assert "∂y_pred/∂z = " in text  # the local derivative at the new values is still shown
    window.action_map["backward"].trigger()
    assert "a forward has run" not in panel.plain_text()
    assert "→ z" in panel.plain_text()


def test_two_selected_nodes_ask_for_one(window, panel):
    window.open_example("small_network")
    scene, model = window.view.scene(), window.document.model
    for label in ("w", "b"):
        scene.nodes[model.find(label)].setSelected(True)
    assert "2 nodes are selected" in panel.plain_text()


def test_a_leaf_shows_the_derivation_by_hand_and_that_it_equals_its_grad(window, panel, qtbot):
    """Issue 11 item 3: the product of local derivatives along the path from the loss to w,
    with numbers, and that it equals what autograd gave w."""
    window.open_example("small_network")
    click_node(window, qtbot, "w")
    assert "By hand" not in panel.plain_text()  # no backward yet
    window.action_map["backward"].trigger()
    text = panel.plain_text()
    assert ("∂loss/∂y_pred · ∂y_pred/∂z · ∂z/∂wx · ∂wx/∂w = 813.3619 × 0.001228 × 1 × 6.7000 "
            "= 6.6918") in text
    assert "6.6918 equals what autograd gave w: 6.6918" in text
