"""Help ▸ Show Compiled Plan: the open graph's compiled code, read-only, or why the engine
runs it; it follows the graph a person opened."""

from __future__ import annotations

from gestures import trigger


def _menu(window, title: str):
    return next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == title)


def _help_menu(window):
    return _menu(window, "Help")


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

    window.open_example("vector_mean")  # a vector leaf: the vector plan
    trigger(_help_menu(window), "Show Compiled Plan")
    text = window.plan_dialog.text.toPlainText()
    assert text.startswith("# compiled plan: 3 nodes, float32, backward from node 2")
    assert "np.multiply(v0, v0, out=B1)" in text and "'x_sq'" not in text.split("def forward")[1]
    window.plan_dialog.close()

    trigger(_menu(window, "File"), "New")  # nothing to compile
    trigger(_help_menu(window), "Show Compiled Plan")
    assert window.plan_dialog.text.toPlainText().startswith("This graph is not compiled: ")
