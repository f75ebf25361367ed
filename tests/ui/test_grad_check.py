"""Run ▸ Check Gradients as a person uses it: the badges on the leaf cards (green when
backward agrees with finite differences, red when a planted wrong derivative makes it
disagree), the Gradient check table, and progress with Cancel on a long check."""

from __future__ import annotations

from gestures import click, menu_action
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QProgressDialog, QPushButton

from gradstudio.engine import ops
from gradstudio.graph import GraphModel, save
from gradstudio.ui import theme


def run_check(window) -> None:
    run_menu = window.menuBar().actions()[3].menu()
    assert run_menu.title().replace("&", "") == "Run"
    menu_action(run_menu, "Check Gradients").trigger()


def card(window, label: str):
    return window.view.scene().nodes[window.document.model.find(label)]


def painted_colours(window, item) -> set[int]:
    """The colours painted over a card's area (as a person sees it, at 100%)."""
    rect = item.sceneBoundingRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format_RGB32)
    image.fill(0)
    painter = QPainter(image)
    window.view.scene().render(painter, target=image.rect(), source=rect)
    painter.end()
    return {image.pixel(x, y) & 0xFFFFFF for x in range(image.width())
            for y in range(image.height())}


def fill(role: str) -> int:
    return QColor(theme.current().badge(role)).rgb() & 0xFFFFFF


def test_check_gradients_puts_green_badges_on_the_weights(window, qtbot):
    window.open_example("small_network")
    run_check(window)
    w, b, x = card(window, "w"), card(window, "b"), card(window, "x")
    assert w.check_badge().startswith("✓ ") and b.check_badge().startswith("✓ ")
    assert float(w.check_badge()[2:]) < 1e-4
    assert x.check_badge() == ""  # x does not require grad: nothing to check
    assert fill("agrees") in painted_colours(window, w)
    assert fill("disagrees") not in painted_colours(window, w)
    panel = window.panels["grad_check"]
    assert window.docks["grad_check"].isVisible()
    rows = panel.cells()
    assert [r[0] for r in rows] == ["b", "w"] and all(r[4] == "✓" for r in rows)
    assert rows[1][1].startswith("6.69176") and rows[1][2].startswith("6.69176")
    assert panel.summary.text().startswith("all 2 gradients agree")
    assert window.statusBar().currentMessage().startswith("all 2 gradients agree")

    click(window.view, QPointF(w.card_rect().center()))  # an edit: the check is stale
    value = window.panels["inspector"].param_fields["value"].edit
    value.selectAll()
    qtbot.keyClicks(value, "2")
    qtbot.keyClick(value, Qt.Key_Return)
    assert window.document.model.node(w.node_id).params["value"] == 2.0
    assert w.check_badge() == "" and b.check_badge() == "" and panel.cells() == []
    assert "graph changed" in panel.summary.text()


def test_a_wrong_derivative_shows_red(window, monkeypatch):
    right = ops.SIGMOID.backward
    monkeypatch.setattr(ops.SIGMOID, "backward",
                        lambda o, g, needs: tuple(2 * x for x in right(o, g, needs)))
    window.open_example("small_network")
    run_check(window)
    w = card(window, "w")
    assert w.check_badge() == "✗ 0.5000"
    colours = painted_colours(window, w)
    assert fill("disagrees") in colours and fill("agrees") not in colours
    rows = window.panels["grad_check"].cells()
    assert [(r[0], r[3], r[4]) for r in rows] == [("b", "0.5000", "✗"), ("w", "0.5000", "✗")]
    summary = window.panels["grad_check"].summary
    assert summary.text().startswith("backward disagrees with finite differences at b, w")
    assert QColor(theme.current().error).name() in summary.styleSheet()
    assert "disagrees" in window.statusBar().currentMessage()


def _long_graph(path) -> None:
    """A chain through 300 weights: a check of about a second."""
    m = GraphModel()
    v = m.add_node("weight", label="w0", params={"value": 1.0})
    for i in range(1, 300):
        w = m.add_node("weight", label=f"w{i}", params={"value": 1.0})
        mul = m.add_node("mul", label=f"m{i}")
        m.connect(v, mul, "a")
        m.connect(w, mul, "b")
        v = m.add_node("sin", label=f"s{i}")
        m.connect(mul, v, "x")
    m.set_loss(v)
    save(m, path)


def test_a_long_check_shows_progress_and_cancel_stops_it(window, qtbot, tmp_path):
    path = tmp_path / "long.gsgraph"
    _long_graph(path)
    assert window.open_file(path)
    seen = []

    def press_cancel() -> None:
        shown = [d for d in window.findChildren(QProgressDialog) if d.isVisible()]
        dialog = shown[0] if shown else None
        if dialog is not None:
            seen.append(dialog.labelText())
            button = dialog.findChild(QPushButton)
            qtbot.mouseClick(button, Qt.LeftButton)
        else:
            QTimer.singleShot(20, press_cancel)

    QTimer.singleShot(0, press_cancel)
    run_check(window)
    assert seen and "Checking gradients" in seen[0]
    check = window.document.last_check
    assert check.cancelled and 0 < check.done < check.total == 300
    assert window.panels["grad_check"].summary.text().startswith(
        "Check Gradients cancelled after")
    assert "cancelled" in window.statusBar().currentMessage()
    badges = [card(window, f"w{i}").check_badge() for i in range(300)]
    assert 0 < sum(1 for b in badges if b) < 300  # the leaves checked before Cancel
    assert window.findChild(QProgressDialog) is None or \
        not window.findChild(QProgressDialog).isVisible()


def test_a_check_that_cannot_run_says_why(window):
    window.open_example("detach")
    run_check(window)
    summary = window.panels["grad_check"].summary.text()
    assert summary.startswith("Check Gradients could not run: RuntimeError: element 0")
    assert summary.endswith("the only path from x passes through z, which is detached")
    assert window.statusBar().currentMessage().startswith("Check Gradients could not run")
    assert all(item.check_badge() == "" for item in window.view.scene().nodes.values())
