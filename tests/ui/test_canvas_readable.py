"""Readable by default: the first launch and every example open with the whole graph on screen
and the card text at least 11 px tall; New opens at 100%; cards are compact (a short value
line, the full repr in the tooltip and the Inspector); far out, cards are title blocks."""

from __future__ import annotations

import pytest
from gestures import (
    build_chain,
    click,
    key,
    menu_action,
    press_shortcut,
    to_view,
    trigger,
    wire,
)
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QColor, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QApplication

from gradstudio.graph import KINDS
from gradstudio.graph.layout import estimated_box
from gradstudio.resources import example_paths
from gradstudio.ui import launch, theme
from gradstudio.ui.actions import EXAMPLE_TITLES
from gradstudio.ui.canvas.card_text import SEP
from gradstudio.ui.canvas.node_item import (
    LOD_TITLE_BLOCK,
    MIN_TEXT_PX,
    WIDTH,
    NodeItem,
    body_chars,
    card_fonts,
)


def _text_px(view) -> dict[str, float]:
    """How tall the card fonts are on screen: their pixel size times the view's scale."""
    return {name: card_fonts()[name].pixelSize() * view.transform().m11()
            for name in ("title", "body")}


def _off_screen(view) -> list[str]:
    """The labels of cards not wholly inside the viewport."""
    shown = view.viewport().rect()
    return [item.data_.label for item in view.scene().nodes.values()
            if not shown.contains(view.mapFromScene(item.sceneBoundingRect()).boundingRect())]


def _assert_readable(view) -> None:
    assert view.scene().nodes
    assert _off_screen(view) == []
    sizes = _text_px(view)
    assert min(sizes.values()) >= MIN_TEXT_PX, sizes
    assert view.zoom() <= 1.0  # never blown up past 100%


def test_first_launch_shows_the_whole_small_network_readable(qtbot, never_prompt):
    window = launch.start_window(settings=QSettings())  # empty settings: the first launch
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    never_prompt(window)
    qtbot.waitExposed(window)
    assert window.size().width() == 1400 and window.size().height() == 900
    assert window.windowTitle().startswith("small_network (example)")
    _assert_readable(window.view)
    assert window.zoom_label.text() == f"{window.view.zoom() * 100:.0f}%"


@pytest.mark.parametrize("name", sorted(example_paths()))
def test_every_example_opens_readable_from_the_examples_menu(qtbot, window, name):
    title = EXAMPLE_TITLES[name].replace("&", "")
    action = menu_action(window.menuBar(), title)
    assert action is not None, title
    action.trigger()
    assert window.windowTitle().startswith(f"{name} (example)")
    _assert_readable(window.view)
    window.action_map["backward"].trigger()  # cards grow a gradient line: still no overlap
    cards = list(window.view.scene().nodes.values())
    for i, a in enumerate(cards):
        for b in cards[i + 1:]:
            overlap = a.sceneBoundingRect().intersects(b.sceneBoundingRect())
            assert not overlap, (a.data_.label, b.data_.label)


def test_new_opens_at_100_percent(qtbot, window):
    assert window.open_example("small_network")
    assert window.view.zoom() < 1.0
    press_shortcut(qtbot, window, QKeySequence.New)
    assert len(window.document.model) == 0
    assert window.view.zoom() == 1.0 and window.zoom_label.text() == "100%"


@pytest.mark.usefixtures("canvas_ready")
def test_a_scalar_card_shows_value_and_grad_on_one_short_line(qtbot, window):
    x, sq = build_chain(window, ("input", -330, -60), ("square", 40, -60))
    wire(window, x, sq, "x")
    item = window.view.scene().nodes[x]
    trigger(window.edit.build_context_menu(item, item.scenePos()), "Requires grad")
    window.action_map["backward"].trigger()
    cards = window.view.scene().nodes
    assert cards[x].display_lines() == [f"3.{SEP}grad 6."]
    # Show Intermediate Gradients is on by default: square keeps its grad too
    assert cards[sq].display_lines() == [f"9.{SEP}grad 1.", "PowBackward0"]
    assert cards[x].title_text() == f"x{SEP}Input"
    assert cards[sq].title_text() == "square"  # not "square · square"


@pytest.mark.usefixtures("canvas_ready")
def test_a_long_value_and_its_grad_go_on_two_lines_cut_between_numbers(qtbot, window):
    assert window.open_example("vector_mean")
    x = window.document.model.find("x")
    inspector = _select(window, x)
    edit = inspector.param_fields["value"].edit
    qtbot.mouseClick(edit, Qt.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, "1.5, 2.25, 3.125, 4.0625, 5.5")
    qtbot.keyClick(edit, Qt.Key_Return)
    window.action_map["backward"].trigger()
    value = window.document.session.last_forward.value(x)
    lines = window.view.scene().nodes[x].display_lines()
    assert len(lines) == 2 and lines[0].startswith("[5] ") and lines[1].startswith("grad ")
    assert all(len(line) <= body_chars() for line in lines)
    full = repr(value)[len("tensor(["):].split("]")[0].split(", ")
    shown = lines[0][len("[5] "):].split(", ")
    assert shown[-1] == "…" and shown[:-1] == full[:len(shown) - 1]  # whole numbers only
    assert inspector.facts["value"].text() == repr(value)  # the full repr is in the Inspector


def _select(window, node_id: str):
    item = window.view.scene().nodes[node_id]
    window.view.centerOn(item)
    click(window.view, item.mapToScene(QPointF(WIDTH / 2, 10)))
    inspector = window.panels["inspector"]
    assert inspector.node_id == node_id
    return inspector


@pytest.mark.usefixtures("canvas_ready")
def test_hovering_a_card_shows_the_full_repr_in_its_tooltip(qtbot, window):
    assert window.open_example("vector_mean")
    window.action_map["backward"].trigger()
    model, view = window.document.model, window.view
    x = model.find("x")
    item = view.scene().nodes[x]
    view.centerOn(item)
    at = to_view(view, item.mapToScene(QPointF(WIDTH / 2, 40)))
    vp = view.viewport()
    QApplication.sendEvent(vp, QMouseEvent(QEvent.MouseMove, QPointF(at),
                                           QPointF(vp.mapToGlobal(at)), Qt.NoButton,
                                           Qt.NoButton, Qt.NoModifier))
    tip = item.toolTip()
    assert "x = tensor([1., 2., 3.], requires_grad=True)" in tip
    assert "x.grad = tensor([0.6667, 1.3333, 2.0000])" in tip


def _zoom_out_below(qtbot, window, level: float) -> None:
    while window.view.zoom() >= level:
        key(qtbot, window.view, QKeySequence(QKeySequence.ZoomOut).toString() or "Ctrl+-")


def _pixels(view, item, points) -> list[QColor]:
    image = view.viewport().grab().toImage()
    return [image.pixelColor(view.mapFromScene(item.mapToScene(p))) for p in points]


@pytest.mark.usefixtures("canvas_ready")
def test_far_out_a_card_is_a_title_block_without_body_text(qtbot, window):
    (x,) = build_chain(window, ("input", -70, -40))
    item = window.view.scene().nodes[x]
    click(window.view, QPointF(200, 150))  # empty canvas: nothing selected, plain border
    window.view.centerOn(item)
    colours = theme.current()
    corner = QPointF(WIDTH - 20, item.box().height - 10)  # inside the body, away from text
    assert _pixels(window.view, item, [corner])[0] == QColor(colours.card)
    _zoom_out_below(qtbot, window, LOD_TITLE_BLOCK)
    window.view.centerOn(item)
    assert window.view.zoom() < LOD_TITLE_BLOCK
    assert _pixels(window.view, item, [corner])[0] == QColor(colours.categories["Inputs"])
    image = window.view.viewport().grab().toImage()
    rect = window.view.mapFromScene(item.card_rect()).boundingRect().adjusted(3, 3, -3, -3)
    text = QColor(colours.text)
    dark = [(px, py) for px in range(rect.left(), rect.right())
            for py in range(rect.top(), rect.bottom())
            if _near(image.pixelColor(px, py), text)]
    assert dark == []  # no body text drawn
    assert any(_near(image.pixelColor(px, py), QColor(colours.on_fill))
               for px in range(rect.left(), rect.right())
               for py in range(rect.top(), rect.bottom()))  # the name is


def _near(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()),
               abs(a.blue() - b.blue())) <= tolerance


def test_the_layout_estimate_is_an_upper_bound_of_every_card(qtbot, window):
    """Files without positions are laid out before any card exists, with estimated sizes;
    they must not be smaller than a real card at its tallest (value, grad, grad_fn)."""
    import numpy as np

    from gradstudio.engine import tensor
    from gradstudio.graph import FLAGS, NodeData

    for name, spec in KINDS.items():
        item = NodeItem(NodeData("n", name, name, spec.defaults(),
                                 dict.fromkeys(FLAGS, False), (0.0, 0.0)))
        wide = tensor(np.arange(20, dtype=np.float32) + 0.123, requires_grad=True) * 2
        item.set_result(wide, wide.detach(), None)
        box, estimate = item.box(), estimated_box(name)
        assert box.width <= estimate.width and box.height <= estimate.height, name


def _wheel(view, clicks: int) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    vp = view.viewport()
    at = QPointF(vp.rect().center())
    QApplication.sendEvent(vp, QWheelEvent(at, QPointF(vp.mapToGlobal(at.toPoint())),
                                           QPoint(), QPoint(0, 120 * clicks), Qt.NoButton,
                                           Qt.NoModifier, Qt.NoScrollPhase, False))


def test_a_freshly_opened_graph_is_framed_again_when_the_canvas_shrinks(qtbot, window):
    """A window manager may shrink the window to a small screen just after it opens."""
    assert window.open_example("small_network")
    view = window.view
    loss = view.scene().nodes[window.document.model.find("loss")]
    window.resize(1150, 800)
    qtbot.waitUntil(lambda: view.viewport().width() < 700)
    shown = view.viewport().rect()
    assert shown.contains(view.mapFromScene(loss.sceneBoundingRect()).boundingRect())
    assert min(_text_px(view).values()) >= MIN_TEXT_PX


def test_once_the_person_zooms_a_resize_leaves_the_view_alone(qtbot, window):
    assert window.open_example("small_network")
    view = window.view
    _wheel(view, -1)
    zoom = view.zoom()
    window.resize(1150, 800)
    qtbot.waitUntil(lambda: view.viewport().width() < 700)
    assert view.zoom() == zoom
