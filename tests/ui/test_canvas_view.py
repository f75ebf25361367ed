"""Looking around the canvas: wheel zoom around the cursor, fit view, panning; the quick-add
popup; exporting the canvas; and a big graph."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    card_centre_as_added,
    click,
    drag,
    key,
    to_view,
    wire,
)
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from gradstudio.graph import GraphModel, fileformat
from gradstudio.ui import theme
from gradstudio.ui.canvas.node_item import READABLE_ZOOM, WIDTH

pytestmark = pytest.mark.usefixtures("canvas_ready")


def _hover(view, pos: QPoint) -> None:
    vp = view.viewport()
    QApplication.sendEvent(vp, QMouseEvent(QEvent.MouseMove, QPointF(pos),
                                           QPointF(vp.mapToGlobal(pos)), Qt.NoButton,
                                           Qt.NoButton, Qt.NoModifier))


def _wheel(view, pos: QPoint, notches: int) -> None:
    """The mouse comes to ``pos`` and the wheel turns (positive: away from the user)."""
    _hover(view, pos)
    vp = view.viewport()
    for _ in range(abs(notches)):
        event = QWheelEvent(QPointF(pos), QPointF(vp.mapToGlobal(pos)), QPoint(0, 0),
                            QPoint(0, 120 if notches > 0 else -120), Qt.NoButton,
                            Qt.NoModifier, Qt.NoScrollPhase, False)
        QApplication.sendEvent(vp, event)


def _visible(view):
    return view.mapToScene(view.viewport().rect()).boundingRect()


# --- zoom and pan -----------------------------------------------------------------------------
def test_wheel_zooms_around_the_cursor(qtbot, window):
    view = window.view
    build_chain(window, ("input", -100, -50))
    cursor = QPoint(view.viewport().width() // 4, view.viewport().height() // 3)
    under = view.mapToScene(cursor)
    _wheel(view, cursor, 2)
    assert view.zoom() == pytest.approx(1.15 ** 2)
    after = view.mapToScene(cursor)
    assert abs(after.x() - under.x()) <= 1 and abs(after.y() - under.y()) <= 1
    _wheel(view, cursor, -3)
    assert view.zoom() == pytest.approx(1.15 ** -1)
    after = view.mapToScene(cursor)
    assert abs(after.x() - under.x()) <= 1 and abs(after.y() - under.y()) <= 1


def test_wheel_zoom_is_bounded(qtbot, window):
    view = window.view
    centre = view.viewport().rect().center()
    _wheel(view, centre, 40)
    assert view.zoom() == pytest.approx(4.0)
    assert window.zoom_label.text() == "400%"
    _wheel(view, centre, -80)
    assert view.zoom() == pytest.approx(0.1)
    assert window.zoom_label.text() == "10%"
    window.action_map["zoom_reset"].trigger()
    assert view.zoom() == pytest.approx(1.0) and window.zoom_label.text() == "100%"


def test_fit_view_brings_every_card_into_view(qtbot, window):
    ids = build_chain(window, ("input", -2500, -1800), ("square", 2400, 1500),
                      ("sin", 0, 0))
    view = window.view
    scene = view.scene()
    assert not _visible(view).contains(scene.nodes[ids[0]].sceneBoundingRect())
    key(qtbot, view, "F")
    for n in ids:
        assert _visible(view).contains(scene.nodes[n].sceneBoundingRect())
    assert 0.1 <= view.zoom() < 1


def test_fit_view_does_not_blow_up_a_single_card(qtbot, window):
    build_chain(window, ("input", 0, 0))
    window.action_map["fit"].trigger()
    assert window.view.zoom() <= 1.5


def test_fit_view_reaches_cards_far_from_the_origin(qtbot, window, tmp_path):
    path = tmp_path / "far.gsgraph"
    fileformat.save(GraphModel.from_dict({"nodes": [
        {"id": "a", "kind": "input", "position": [0, 0]},
        {"id": "b", "kind": "square", "position": [6000, 3000]}],
        "edges": [{"src": "a", "dst": "b", "port": "x"}]}), path)
    assert window.load(path)  # too big to show readable: the end of the graph shows
    scene = window.view.scene()
    assert _visible(window.view).contains(scene.nodes["b"].sceneBoundingRect())
    assert not _visible(window.view).contains(scene.nodes["a"].sceneBoundingRect())
    key(qtbot, window.view, "F")  # View > Fit View shows all of it
    for n in ("a", "b"):
        assert _visible(window.view).contains(scene.nodes[n].sceneBoundingRect())


def test_a_card_dragged_past_the_edge_stays_reachable(qtbot, window):
    view = window.view
    (x,) = build_chain(window, ("input", 4600, 0))
    item = view.scene().nodes[x]
    view.centerOn(item)
    title = item.mapToScene(QPointF(WIDTH / 2, 10))
    assert _visible(view).right() <= 5001  # the canvas ends here for now
    drag(view, title, title + QPointF(300, 0))  # to the edge of the window
    assert window.document.model.node(x).position == (4900, 0)
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    assert _visible(view).left() > item.sceneBoundingRect().right()  # room beyond it


def test_middle_drag_pans_the_view(qtbot, window):
    view = window.view
    (x,) = build_chain(window, ("input", -100, -50))
    view.scene().clearSelection()
    h, v = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
    grab = QPointF(150, 100)
    drag(view, grab, grab + QPointF(-120, -80), button=Qt.MiddleButton)
    assert view.horizontalScrollBar().value() == h + 120
    assert view.verticalScrollBar().value() == v + 80
    assert window.document.model.node(x).position == (-100, -50)  # nothing moved
    assert view.selected_node_ids() == []


def test_space_drag_pans_instead_of_selecting(qtbot, window):
    view = window.view
    (x,) = build_chain(window, ("input", -100, -50))
    title = view.scene().nodes[x].mapToScene(QPointF(WIDTH / 2, 10))
    h = view.horizontalScrollBar().value()
    qtbot.keyPress(view, Qt.Key_Space)
    drag(view, title, title + QPointF(-100, 0))
    qtbot.keyRelease(view, Qt.Key_Space)
    assert view.horizontalScrollBar().value() == h + 100
    assert window.document.model.node(x).position == (-100, -50)  # the card stayed put
    drag(view, QPointF(-250, 150), QPointF(-200, 170))  # without Space: a rubber band again
    assert view.horizontalScrollBar().value() == h + 100


# --- quick add --------------------------------------------------------------------------------
def test_tab_opens_quick_add_and_enter_adds_the_match(qtbot, window):
    qtbot.keyClick(window.view, Qt.Key_Tab)
    popup = window.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, "sig")
    qtbot.keyClick(popup.search, Qt.Key_Return)
    assert not popup.isVisible()
    assert [n.kind for n in window.document.model.nodes()] == ["sigmoid"]


def test_double_click_on_empty_canvas_opens_quick_add_there(qtbot, window):
    view = window.view
    where = QPointF(-150, 60)
    pos = to_view(view, where)
    click(view, where)
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=pos)
    popup = window.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, "t")
    qtbot.keyClick(popup.search, Qt.Key_Down)
    chosen = popup.list.currentItem().data(Qt.UserRole)
    qtbot.keyClick(popup.search, Qt.Key_Enter)
    (node,) = window.document.model.nodes()
    assert node.kind == chosen
    centre = card_centre_as_added(window, node.id)  # the new card is centred there
    assert abs(centre.x() - where.x()) <= 1 and abs(centre.y() - where.y()) <= 1


def test_double_click_on_a_card_does_not_open_quick_add(qtbot, window):
    (x,) = build_chain(window, ("input", -100, -50))
    title = window.view.scene().nodes[x].mapToScene(QPointF(WIDTH / 2, 10))
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton, pos=to_view(window.view, title))
    assert not window.quick_add.isVisible()


# --- export -----------------------------------------------------------------------------------
def _graph(window) -> None:
    x, sq = build_chain(window, ("input", -340, -100), ("square", 20, -100))
    wire(window, x, sq, "x")


def test_export_png(qtbot, window, tmp_path):
    _graph(window)
    path = tmp_path / "graph.png"
    assert window.export_image(str(path), "png")
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 300 and image.height() > 50


def test_export_svg_from_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    _graph(window)
    path = tmp_path / "graph.svg"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))
    window.action_map["export_svg"].trigger()
    text = path.read_text()
    assert "<svg" in text and "square" in text


def test_export_adds_the_extension_when_the_name_has_none(qtbot, window, tmp_path,
                                                         monkeypatch):
    _graph(window)
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "graph"), ""))
    window.action_map["export_png"].trigger()
    assert not QImage(str(tmp_path / "graph.png")).isNull()


def test_export_keeps_the_selection(qtbot, window, tmp_path):
    _graph(window)
    window.action_map["select_all"].trigger()
    assert window.export_image(str(tmp_path / "g.png"), "png")
    assert len(window.view.selected_node_ids()) == 2


def test_exporting_an_empty_canvas_says_why(qtbot, window, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: errors.append(args[2]))
    path = tmp_path / "empty.png"
    assert not window.export_image(str(path), "png")
    assert len(errors) == 1 and "empty" in errors[0]
    assert not path.exists()


def test_export_to_an_unwritable_place_says_why(qtbot, window, tmp_path, monkeypatch):
    _graph(window)
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: errors.append(args[2]))
    assert not window.export_image(str(tmp_path / "missing" / "g.png"), "png")
    assert len(errors) == 1 and "g.png" in errors[0]


# --- a big graph ------------------------------------------------------------------------------
def _big_graph(path, chains: int = 250) -> None:
    """1,000 nodes: ``chains`` copies of x -> square -> sin -> mean, on a grid."""
    nodes, edges = [], []
    for c in range(chains):
        col, row = divmod(c, 25)
        ids = [f"n{4 * c + k + 1}" for k in range(4)]
        for k, (kind, label) in enumerate((("input", "x"), ("square", "sq"), ("sin", "s"),
                                           ("mean", "m"))):
            nodes.append({"id": ids[k], "kind": kind, "label": f"{label}{c}",
                          "position": [col * 1500 + k * 360, row * 160]})
        edges += [{"src": ids[k], "dst": ids[k + 1], "port": "x"} for k in range(3)]
    fileformat.save(GraphModel.from_dict({"nodes": nodes, "edges": edges}), path)


def test_a_thousand_node_graph_opens_and_a_card_can_be_dragged(qtbot, window, tmp_path):
    path = tmp_path / "big.gsgraph"
    _big_graph(path)
    assert window.load(path)
    model, view = window.document.model, window.view
    assert len(model) == 1000 and len(model.edges()) == 750
    assert len(view.scene().nodes) == 1000 and len(view.scene().edges) == 750
    qtbot.waitUntil(lambda: view.scene().nodes["n2"].display_lines() == ["9."])
    everything = view.scene().itemsBoundingRect()
    assert view.sceneRect().contains(everything)  # every card can be scrolled to
    # too big to show readable: at readable size, from its first card (no single loss)
    assert view.zoom() == pytest.approx(READABLE_ZOOM)
    assert _visible(view).contains(view.scene().nodes["n1"].sceneBoundingRect())

    target = view.scene().nodes["n6"]  # sq1, in the middle of a column
    view.resetTransform()
    view.centerOn(target)
    title = target.mapToScene(QPointF(WIDTH / 2, 10))
    old = model.node("n6").position
    drag(view, title, title + QPointF(40, 25), steps=20)
    assert model.node("n6").position == (old[0] + 40, old[1] + 25)
    assert window.document.undo_stack.count() == 1
    edge_item = view.scene().edges[("n5", "n6", "x")]
    assert edge_item.path().pointAtPercent(1.0) == target.input_port_pos("x")


def test_the_grid_is_the_same_however_a_region_is_repainted(qtbot, window):
    """Painting a region that starts off the grid (a partial repaint while a wire is drawn)
    continues the same lines: they sit at multiples of 100 scene units."""
    scene = window.view.scene()
    grid = QColor(theme.current().grid)

    def columns_with_grid(left: float) -> list[float]:
        image = QImage(300, 60, QImage.Format_RGB32)
        painter = QPainter(image)
        scene.render(painter, QRectF(0, 0, 300, 60), QRectF(left, 10, 300, 60))
        painter.end()
        return [left + x for x in range(300) if image.pixelColor(x, 30) == grid]

    for left in (-35.0, 0.0, 13.0, 50.0):
        found = columns_with_grid(left)
        assert found and all(x % 100 == 0 for x in found), (left, found)
