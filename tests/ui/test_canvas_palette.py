"""The node palette: drag an entry onto the canvas, double-click an entry, filter the list.

QDrag runs its own event loop, which a test cannot drive, so the drop is the sequence of
drag-enter / drag-move / drop events the canvas would receive, carrying the palette's own
drag payload (``mimeData`` of the entry)."""

from __future__ import annotations

import pytest
from gestures import card_centre_as_added, to_view
from gestures import drop_on_canvas as _drop
from PySide6.QtCore import QMimeData, QPointF, Qt

pytestmark = pytest.mark.usefixtures("canvas_ready")


def test_dropping_a_palette_entry_creates_the_node_where_it_is_dropped(qtbot, window):
    palette = window.palette_panel
    mime = palette.tree.mimeData([palette.items()["sigmoid"]])
    target = QPointF(-120, 75)

    assert _drop(window.view, mime, to_view(window.view, target))

    model = window.document.model
    (node,) = model.nodes()
    assert node.kind == "sigmoid" and node.label == "sigmoid"
    centre = card_centre_as_added(window, node.id)  # the card is centred on the drop
    assert abs(centre.x() - target.x()) <= 1 and abs(centre.y() - target.y()) <= 1
    assert window.view.selected_node_ids() == [node.id]  # the new card is selected
    window.action_map["undo"].trigger()
    assert len(model) == 0


def test_each_drop_adds_one_more_node_with_a_free_name(qtbot, window):
    palette = window.palette_panel
    mime = palette.tree.mimeData([palette.items()["input"]])
    for x in (-300, 0):
        assert _drop(window.view, mime, to_view(window.view, QPointF(x, 0)))
    assert sorted(n.label for n in window.document.model.nodes()) == ["x", "x2"]


def test_a_drop_of_something_else_is_refused(qtbot, window):
    mime = QMimeData()
    mime.setText("square")
    assert not _drop(window.view, mime, to_view(window.view, QPointF(0, 0)))
    assert len(window.document.model) == 0


def test_double_click_on_an_entry_adds_it_at_the_view_centre(qtbot, window):
    tree = window.palette_panel.tree
    item = window.palette_panel.items()["weight"]
    tree.scrollToItem(item)
    pos = tree.visualItemRect(item).center()
    qtbot.mouseClick(tree.viewport(), Qt.LeftButton, pos=pos)  # a double-click's first half
    qtbot.mouseDClick(tree.viewport(), Qt.LeftButton, pos=pos)

    (node,) = window.document.model.nodes()
    assert node.kind == "weight" and node.flags["requires_grad"]
    centre, card = window.view.center_scene_pos(), card_centre_as_added(window, node.id)
    assert abs(card.x() - centre.x()) <= 1 and abs(card.y() - centre.y()) <= 1


def test_filter_box_hides_entries_that_do_not_match(qtbot, window):
    palette = window.palette_panel
    qtbot.keyClicks(palette.filter, "sig")
    shown = {k for k, item in palette.items().items() if not item.isHidden()}
    assert shown == {"sigmoid"}
    hidden_groups = {palette.tree.topLevelItem(i).text(0)
                     for i in range(palette.tree.topLevelItemCount())
                     if palette.tree.topLevelItem(i).isHidden()}
    assert hidden_groups == {"Inputs", "Losses"}
    qtbot.keyClick(palette.filter, Qt.Key_Return)  # Enter adds the first match
    assert [n.kind for n in window.document.model.nodes()] == ["sigmoid"]
    palette.filter.clear()
    assert all(not item.isHidden() for item in palette.items().values())
