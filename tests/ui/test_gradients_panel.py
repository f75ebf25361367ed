"""The gradients table, used as a person would: run the real actions, read the rows, click."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt


@pytest.fixture
def panel(window, qtbot):
    window.open_example("small_network")
    window.docks["gradients"].raise_()  # its tab in the bottom dock
    panel = window.panels["gradients"]
    qtbot.waitUntil(panel.isVisible)
    return panel


def _rows(panel) -> list[str]:
    return [panel.document.model.label(n) for n in panel.rows()]


def _cell(panel, window, label: str, column: str) -> str:
    return panel.text(window.document.model.find(label), column)


def test_backward_accumulate_and_zero(window, panel):
    assert _cell(panel, window, "w", "grad") == "None"
    assert _cell(panel, window, "w", "value") == "tensor(1., requires_grad=True)"
    assert _cell(panel, window, "w", "requires_grad") == "True"
    assert _cell(panel, window, "x", "requires_grad") == "False"

    window.action_map["backward"].trigger()
    assert _cell(panel, window, "w", "grad") == "tensor(6.6918)"
    assert _cell(panel, window, "b", "grad") == "tensor(0.9988)"
    assert _cell(panel, window, "w", "last contribution") == "6.6918"
    assert _cell(panel, window, "b", "last contribution") == "0.9988"
    assert _cell(panel, window, "x", "grad") == "None"
    assert _cell(panel, window, "x", "last contribution") == "—"

    window.action_map["backward"].trigger()  # gradients add up
    assert _cell(panel, window, "w", "grad") == "tensor(13.3835)"
    assert _cell(panel, window, "b", "grad") == "tensor(1.9975)"
    assert _cell(panel, window, "w", "last contribution") == "6.6918"
    assert "accumulating" in panel.summary.text()

    window.action_map["zero_grad"].trigger()
    assert _cell(panel, window, "w", "grad") == "tensor(0.)"
    assert _cell(panel, window, "b", "grad") == "tensor(0.)"
    assert "accumulating" not in panel.summary.text()


def test_intermediates_follow_the_toggle(window, panel):
    leaves = ["b", "w", "x", "y"]
    computed = ["wx", "z", "y_pred", "loss"]
    assert window.action_map["intermediates"].isChecked()
    assert _rows(panel) == leaves + computed
    window.action_map["backward"].trigger()
    assert _cell(panel, window, "z", "grad") == "tensor(0.9988)"
    assert _cell(panel, window, "loss", "grad") == "tensor(1.)"
    assert _cell(panel, window, "z", "value") == "tensor(6.7000, grad_fn=<AddBackward0>)"

    window.action_map["intermediates"].trigger()
    assert _rows(panel) == leaves
    window.action_map["intermediates"].trigger()
    assert _rows(panel) == leaves + computed


def test_follows_model_changes(window, panel, qtbot):
    doc = window.document
    insp = window.panels["inspector"]
    w = doc.model.find("w")
    window.view.scene().nodes[w].setSelected(True)
    edit = insp.param_fields["value"].edit
    edit.selectAll()
    qtbot.keyClicks(edit, "1, 2")
    qtbot.keyClick(edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: _cell(panel, window, "w", "value")
                    == "tensor([1., 2.], requires_grad=True)")
    window.action_map["undo"].trigger()
    qtbot.waitUntil(lambda: _cell(panel, window, "w", "value")
                    == "tensor(1., requires_grad=True)")
    window.action_map["delete"].trigger()
    assert "w" not in _rows(panel)


def test_clicking_a_row_selects_the_node(window, panel, qtbot):
    table = panel.table
    b = window.document.model.find("b")
    row = panel.row_of(b)
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.view.selected_node_ids() == [b]
    assert window.panels["inspector"].title.text() == "b"

    z = window.document.model.find("z")
    rect = table.visualRect(table.model().index(panel.row_of(z), 3))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.view.selected_node_ids() == [z]  # the others are cleared

    # and the other way: a node selected on the canvas highlights its row
    window.view.scene().clearSelection()
    window.view.scene().nodes[b].setSelected(True)
    assert [i.row() for i in table.selectionModel().selectedRows()] == [row]


@pytest.mark.parametrize("tab", ["gradients", "ledger"])
def test_the_accumulation_warning_does_not_move_the_canvas(window, qtbot, tab):
    window.open_example("small_network")
    window.docks[tab].raise_()
    qtbot.waitUntil(window.panels[tab].isVisible)

    def canvas() -> tuple:
        qtbot.wait(20)  # let the window lay itself out again
        vp = window.view.viewport()
        return vp.mapTo(window, vp.rect().topLeft()), vp.size()

    before = canvas()
    window.action_map["backward"].trigger()
    assert canvas() == before
    window.action_map["backward"].trigger()  # the warning appears in both panels
    assert canvas() == before
    assert window.panels["ledger"].warning_visible()
    if tab == "gradients":  # a hidden panel catches up when shown
        assert "accumulating" in window.panels["gradients"].summary.text()
    window.action_map["zero_grad"].trigger()
    assert not window.panels["ledger"].warning_visible()
    assert canvas() == before
