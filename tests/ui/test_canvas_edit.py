"""Cut, copy, paste, duplicate, select all; right-click menus; undo of property edits; the
window title."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    card_centre_as_added,
    click,
    menu_action,
    press_shortcut,
    trigger,
    wire,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu

from gradstudio.ui import edit_controller
from gradstudio.ui.canvas.node_item import WIDTH

pytestmark = pytest.mark.usefixtures("canvas_ready")


@pytest.fixture(autouse=True)
def _empty_clipboard():
    QGuiApplication.clipboard().clear()


def _title(window, node_id: str) -> QPointF:
    return window.view.scene().nodes[node_id].mapToScene(QPointF(WIDTH / 2, 10))


def _by_label(model) -> dict[str, object]:
    return {n.label: n for n in model.nodes()}


def _wires(model) -> set[tuple[str, str, str]]:
    return {(model.label(e.src), model.label(e.dst), e.port) for e in model.edges()}


def _x_square(window) -> tuple[str, str]:
    x, sq = build_chain(window, ("input", -340, -200), ("square", 20, -200))
    wire(window, x, sq, "x")
    return x, sq


def test_copy_paste_keeps_internal_wires_offsets_and_renames(qtbot, window):
    x, sq = _x_square(window)
    model = window.document.model
    press_shortcut(qtbot, window, QKeySequence.SelectAll)
    assert set(window.view.selected_node_ids()) == {x, sq}
    press_shortcut(qtbot, window, QKeySequence.Copy)
    press_shortcut(qtbot, window, QKeySequence.Paste)

    nodes = _by_label(model)
    assert set(nodes) == {"x", "square", "x2", "square2"}
    assert _wires(model) == {("x", "square", "x"), ("x2", "square2", "x")}
    for old, new in (("x", "x2"), ("square", "square2")):
        ox, oy = nodes[old].position
        assert nodes[new].position == (ox + 30, oy + 30)
        assert nodes[new].id not in (x, sq)
    assert set(window.view.selected_node_ids()) == {nodes["x2"].id, nodes["square2"].id}
    press_shortcut(qtbot, window, QKeySequence.Paste)  # a second paste goes further
    assert _by_label(model)["x3"].position == (-340 + 60, -200 + 60)
    qtbot.waitUntil(lambda: window.view.scene().nodes[_by_label(model)["square3"].id]
                    .display_lines() == ["9."])
    window.action_map["undo"].trigger()
    window.action_map["undo"].trigger()
    assert set(_by_label(model)) == {"x", "square"}


def test_copying_part_of_a_graph_drops_the_wires_that_leave_it(qtbot, window):
    x, sq = _x_square(window)
    click(window.view, _title(window, sq))
    window.action_map["copy"].trigger()
    window.action_map["paste"].trigger()
    model = window.document.model
    assert set(_by_label(model)) == {"x", "square", "square2"}
    assert _wires(model) == {("x", "square", "x")}


def test_cut_removes_and_paste_brings_back(qtbot, window):
    x, sq = _x_square(window)
    press_shortcut(qtbot, window, QKeySequence.SelectAll)
    press_shortcut(qtbot, window, QKeySequence.Cut)
    model = window.document.model
    assert len(model) == 0
    assert window.document.undo_stack.undoText().startswith("Cut")
    press_shortcut(qtbot, window, QKeySequence.Paste)
    assert set(_by_label(model)) == {"x", "square"}  # the names are free again
    assert _wires(model) == {("x", "square", "x")}


def test_duplicate_copies_the_selection_next_to_it(qtbot, window):
    x, sq = _x_square(window)
    window.action_map["select_all"].trigger()
    qtbot.keyClick(window.view, Qt.Key_D, Qt.ControlModifier)
    model = window.document.model
    nodes = _by_label(model)
    assert set(nodes) == {"x", "square", "x2", "square2"}
    assert _wires(model) == {("x", "square", "x"), ("x2", "square2", "x")}
    # below the selection, clear of it: no copy hides an original's ports
    cards = window.view.scene().nodes
    copies = {nodes["x2"].id, nodes["square2"].id}
    for c in copies:
        for o in set(cards) - copies:
            assert not cards[c].sceneBoundingRect().intersects(cards[o].sceneBoundingRect())
    assert nodes["square2"].position[0] == nodes["square"].position[0]
    assert nodes["square2"].position[1] > nodes["square"].position[1]
    assert window.document.undo_stack.undoText() == "Duplicate"
    window.action_map["undo"].trigger()
    assert len(model) == 2


def test_duplicate_lands_past_the_cards_below_the_selection(qtbot, window):
    """Right below the selection sits another card (the notebook's x above its y): the copy
    goes further down instead of covering it."""
    w, x = build_chain(window, ("weight", -340, -200), ("input", -340, -120))
    click(window.view, _title(window, w))
    qtbot.keyClick(window.view, Qt.Key_D, Qt.ControlModifier)
    model = window.document.model
    copy = _by_label(model)["w2"]
    cards = window.view.scene().nodes
    for other in (w, x):
        assert not cards[copy.id].sceneBoundingRect().intersects(
            cards[other].sceneBoundingRect()), model.label(other)
    assert copy.position[0] == model.node(w).position[0]
    assert copy.position[1] > model.node(x).position[1]


def test_paste_of_foreign_text_changes_nothing_and_says_so(qtbot, window):
    _x_square(window)
    QGuiApplication.clipboard().setText("not a graph")
    before = window.document.model.to_dict()
    window.action_map["paste"].trigger()
    assert window.document.model.to_dict() == before
    assert "no GradStudio nodes" in window.statusBar().currentMessage()


# --- right-click menus ------------------------------------------------------------------------
def _card_editor(window):
    """The editor the keyboard types into: one laid over a card."""
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.parent() is window.view.viewport()
    return editor


def test_node_menu_rename(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[x]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Rename…")
    editor = _card_editor(window)
    assert editor.text() == "x"  # the editor starts from the current name
    qtbot.keyClicks(editor, "radius")
    qtbot.keyClick(editor, Qt.Key_Return)
    model = window.document.model
    assert model.label(x) == "radius"
    press_shortcut(qtbot, window, QKeySequence.Undo)
    assert model.label(x) == "x"
    window.action_map["redo"].trigger()
    assert model.label(x) == "radius"


def test_node_menu_rename_to_a_taken_name_is_refused(qtbot, window):
    x, sq = _x_square(window)
    steps = window.document.undo_stack.count()
    item = window.view.scene().nodes[x]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Rename…")
    editor = _card_editor(window)
    qtbot.keyClicks(editor, "square")
    qtbot.keyClick(editor, Qt.Key_Return)
    assert window.document.model.label(x) == "x"
    assert window.document.undo_stack.count() == steps
    assert "already exists" in window.statusBar().currentMessage()


def test_edit_menu_rename_is_f2(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[x]
    click(window.view, item.mapToScene(item.title_rect().center()))
    assert "F2" in [k.toString() for k in window.action_map["rename"].shortcuts()]
    qtbot.keyClick(window.view, Qt.Key_F2)
    qtbot.keyClicks(_card_editor(window), "radius")
    qtbot.keyClick(_card_editor(window), Qt.Key_Return)
    assert window.document.model.label(x) == "radius"


def test_node_menu_toggle_detach_cuts_the_wire(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[x]
    menu = window.edit.build_context_menu(item, item.scenePos())
    assert not menu_action(menu, "Detach").isChecked()
    trigger(menu, "Detach")
    assert window.document.model.node(x).flags["detach"]
    edge_item = window.view.scene().edges[(x, sq, "x")]
    assert edge_item.detached and "detached" in edge_item.toolTip()
    assert "detach" in item.badges()
    menu = window.edit.build_context_menu(item, item.scenePos())
    assert menu_action(menu, "Detach").isChecked()
    window.action_map["undo"].trigger()
    assert not window.document.model.node(x).flags["detach"] and not edge_item.detached


def test_node_menu_set_as_loss(qtbot, window):
    x, sq = _x_square(window)
    item = window.view.scene().nodes[sq]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Set as loss")
    assert window.document.model.loss == sq
    assert "loss" in item.badges()
    menu = window.edit.build_context_menu(item, item.scenePos())
    trigger(menu, "Unset as loss")
    assert window.document.model.loss is None
    window.action_map["undo"].trigger()
    assert window.document.model.loss == sq


def test_node_menu_delete_removes_the_node_under_the_cursor(qtbot, window):
    x, sq = _x_square(window)
    click(window.view, _title(window, x))  # something else is selected
    item = window.view.scene().nodes[sq]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Delete")
    assert window.document.model.node_ids() == [x]


def test_wire_menu_delete(qtbot, window):
    x, sq = _x_square(window)
    edge_item = window.view.scene().edges[(x, sq, "x")]
    trigger(window.edit.build_context_menu(edge_item, edge_item.path().pointAtPercent(0.5)),
            "Delete wire")
    model = window.document.model
    assert model.edges() == [] and len(model) == 2


def test_canvas_menu_adds_a_node_where_it_was_opened(qtbot, window):
    where = QPointF(-100, 120)
    trigger(window.edit.build_context_menu(None, where), "sigmoid")
    (node,) = window.document.model.nodes()
    centre = card_centre_as_added(window, node.id)  # the new card is centred there
    assert node.kind == "sigmoid"
    assert abs(centre.x() - where.x()) <= 1 and abs(centre.y() - where.y()) <= 1


def test_right_click_opens_the_menu_for_what_is_under_the_cursor(qtbot, window, monkeypatch):
    x, sq = _x_square(window)
    shown: list[list[str]] = []

    class Menu(QMenu):  # records instead of running a modal loop
        def exec(self, *args):
            shown.append([a.text() for a in self.actions() if a.text()])

    monkeypatch.setattr(edit_controller, "QMenu", Menu)
    view = window.view
    edge_point = view.scene().edges[(x, sq, "x")].path().pointAtPercent(0.5)
    for point in (_title(window, sq), edge_point, QPointF(-200, 150)):
        pos = view.mapFromScene(point)
        QApplication.sendEvent(view.viewport(), QContextMenuEvent(
            QContextMenuEvent.Mouse, pos, view.viewport().mapToGlobal(pos)))
    node_menu, wire_menu, canvas_menu = shown
    assert "Rename…" in node_menu and "Set as loss" in node_menu
    assert wire_menu == ["Delete wire"]
    assert canvas_menu[0] == "Add node"


def test_canvas_menu_select_all_whenever_there_are_cards(qtbot, window):
    assert menu_action(window.edit.build_context_menu(None, QPointF(0, 0)), "Select all") \
        is None  # nothing to select
    window.open_example("square")  # a freshly opened file: nothing to undo, no loss chosen
    trigger(window.edit.build_context_menu(None, QPointF(0, 0)), "Select all")
    assert set(window.view.selected_node_ids()) == set(window.document.model.node_ids())


# --- property edits and the title -------------------------------------------------------------
def test_property_edits_undo_and_redo(qtbot, window):
    x, sq = _x_square(window)
    lr = window.lr_box
    model = window.document.model
    old = model.settings.lr
    lr.setFocus()
    lr.selectAll()
    qtbot.keyClicks(lr, "0.25")
    qtbot.keyClick(lr, Qt.Key_Return)
    assert model.settings.lr == pytest.approx(0.25)
    window.action_map["undo"].trigger()
    assert model.settings.lr == pytest.approx(old)
    assert lr.value() == pytest.approx(old)  # the box follows the model
    window.action_map["redo"].trigger()
    assert model.settings.lr == pytest.approx(0.25)

    item = window.view.scene().nodes[x]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Requires grad")
    qtbot.waitUntil(lambda: window.view.scene().nodes[sq].display_lines()
                    == ["9.", "PowBackward0"])
    window.action_map["undo"].trigger()
    assert not model.node(x).flags["requires_grad"]
    qtbot.waitUntil(lambda: window.view.scene().nodes[sq].display_lines() == ["9."])


def test_title_shows_the_file_name_and_the_modified_mark(qtbot, window, tmp_path):
    assert window.windowTitle().startswith("untitled[*]")
    assert not window.isWindowModified()
    _x_square(window)
    assert window.isWindowModified()
    path = tmp_path / "graph.gsgraph"
    assert window.document.save(path)
    assert window.windowTitle().startswith("graph.gsgraph[*]")
    assert not window.isWindowModified()
    window.action_map["undo"].trigger()
    assert window.isWindowModified()
    window.action_map["redo"].trigger()  # back at the saved state
    assert not window.isWindowModified()
