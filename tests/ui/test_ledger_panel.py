"""The Accumulation dock: the ledger as a list, the warning, and its Zero grad button."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def panel(window):
    window.docks["ledger"].raise_()  # a person clicks the "Accumulation" tab
    return window.panels["ledger"]


def test_empty_ledger_shows_a_hint(window, panel):
    window.open_example("accumulation")
    assert panel.lines() == []
    assert panel.placeholder.isVisible()
    assert "Backward" in panel.placeholder.text()
    assert not panel.banner.isVisible()


def test_backward_twice_accumulates_and_zero_grad_clears(window, panel, qtbot):
    window.open_example("accumulation")
    session, x = window.document.session, window.document.model.find("x")

    window.action_map["backward"].trigger()
    assert panel.lines() == ["backward #1: x.grad += 4 -> 4"]
    assert not panel.banner.isVisible()  # one backward is not accumulation yet

    window.action_map["backward"].trigger()
    assert panel.lines() == ["backward #1: x.grad += 4 -> 4", "backward #2: x.grad += 4 -> 8"]
    assert panel.list.isVisible() and not panel.placeholder.isVisible()
    assert panel.banner.isVisible()
    assert "⚠" in panel.banner.text() and "accumulating" in panel.banner.text()
    assert float(session.grad(x).numpy()) == 8.0

    qtbot.mouseClick(panel.zero_button, Qt.LeftButton)
    assert panel.lines()[-1] == "zero grad"
    assert not panel.banner.isVisible()
    assert float(session.grad(x).numpy()) == 0.0
    assert panel.count_label.text() == "3 entries"


def test_zero_grad_button_triggers_the_menu_action(window, panel, qtbot):
    window.open_example("accumulation")
    triggered = []
    window.action_map["zero_grad"].triggered.connect(lambda *_: triggered.append(True))
    qtbot.mouseClick(panel.zero_button, Qt.LeftButton)
    assert triggered == [True]


def test_newest_entry_is_scrolled_into_view(window, panel):
    window.open_example("accumulation")
    for _ in range(40):
        window.action_map["backward"].trigger()
    last = panel.model.index(panel.model.rowCount() - 1)
    assert panel.list.viewport().rect().intersects(panel.list.visualRect(last))
    assert panel.lines()[-1] == "backward #40: x.grad += 4 -> 160"


def test_opening_another_graph_empties_the_list(window, panel):
    window.open_example("accumulation")
    window.action_map["backward"].trigger()
    window.action_map["backward"].trigger()
    window.open_example("small_network")
    assert panel.lines() == []
    assert not panel.banner.isVisible()


def test_zero_grad_button_works_in_a_floating_dock(window, panel, qtbot):
    window.open_example("accumulation")
    window.action_map["backward"].trigger()
    window.docks["ledger"].setFloating(True)  # its parent chain no longer holds the action
    qtbot.mouseClick(panel.zero_button, Qt.LeftButton)
    assert panel.lines()[-1] == "zero grad"
    assert float(window.document.session.grad(window.document.model.find("x")).numpy()) == 0


def test_train_n_is_one_row_that_says_what_each_step_did(window, panel, qtbot):
    window.open_example("small_network")
    training = window.panels["training"]
    window.docks["training"].raise_()
    training.steps_box.setValue(200)
    qtbot.mouseClick(training.train_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: training.job is None, timeout=20000)
    window.docks["ledger"].raise_()
    (row,) = panel.lines()
    assert row.startswith("train: 200 steps (backward #1–#200 from loss, each followed by "
                          "w -= lr * w.grad and zero grad); the last: b.grad += ")
    window.action_map["backward"].trigger()
    assert panel.lines()[-1].startswith("backward #201: ")
    assert len(window.panels["training"].losses) == 200  # the plot keeps every step
