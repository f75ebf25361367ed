"""Help ▸ Show Compiled Plan: the open graph's compiled code, read-only, or why the engine
runs it; it follows the graph a person opened."""

from __future__ import annotations

from gestures import trigger


def _help_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help")


def test_the_dialog_shows_the_code_of_the_open_graph(window, qtbot) -> None:
    window.open_example("small_network")
    trigger(_help_menu(window), "Show Compiled Plan")
    dialog = window.plan_dialog
    qtbot.waitUntil(dialog.isVisible)
    text = dialog.text.toPlainText()
    assert dialog.text.isReadOnly()
    assert "#   node 6: sigmoid 'y_pred'" in text  # the legend names the nodes
    assert "# node 6: sigmoid\n    v6 = DIV(1.0, R(1.0 + EXP(-v5)))" in text
    assert "def train(" in text and "w -= lr * w.grad" in text
    assert "'y_pred'" not in text.split("def forward")[1]  # the code itself has no labels
    dialog.close()

    window.open_example("vector_mean")
    trigger(_help_menu(window), "Show Compiled Plan")
    text = window.plan_dialog.text.toPlainText()
    assert text.startswith("This graph is not compiled: a leaf holds several numbers")
