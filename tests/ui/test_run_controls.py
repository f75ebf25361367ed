"""The toolbar's learning rate is what a run uses, even while still being typed."""

from __future__ import annotations

from PySide6.QtCore import Qt


def test_train_step_uses_the_lr_being_typed(window, qtbot):
    window.open_example("small_network")
    box = window.lr_box
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "0.5")  # no Enter: the person goes straight to Train step
    model, session = window.document.model, window.document.session
    w = model.find("w")
    window.action_map["train_step"].trigger()
    assert model.settings.lr == 0.5
    grad = 6.6917619705200195  # the notebook's w.grad at the first step
    assert abs(model.node(w).params["value"] - (1.0 - 0.5 * grad)) < 1e-5
    assert session.ledger.lines()[0].startswith("backward #1")


def test_train_step_after_backward_does_not_double_the_step(window, qtbot):
    """Backward then Train step: the leftover gradient is zeroed first, with a note."""
    window.open_example("small_network")
    model = window.document.model
    w = model.find("w")
    window.action_map["backward"].trigger()
    window.action_map["train_step"].trigger()
    assert abs(model.node(w).params["value"] - (1.0 - 0.1 * 6.6917619705200195)) < 1e-5
    assert any("zero grad before the train step" in line
               for line in window.document.session.ledger.lines())


def test_an_open_example_is_named_in_the_title_until_saved_elsewhere(window, tmp_path):
    window.open_example("small_network")
    assert window.windowTitle().startswith("small_network (example)")
    window.document.save(tmp_path / "mine.gsgraph")
    assert window.windowTitle().startswith("mine.gsgraph")
    window.new_file()
    assert window.windowTitle().startswith("untitled")


def _type_lr(qtbot, window, text: str, enter: bool = True) -> None:
    """Click into the toolbar's lr box, select what is there and type, as a person does."""
    box = window.lr_box
    qtbot.mouseClick(box.lineEdit(), Qt.LeftButton)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), text)
    if enter:
        qtbot.keyClick(box.lineEdit(), Qt.Key_Return)


def test_a_negative_lr_is_refused_visibly_not_flipped(window, qtbot):
    """Typing -5 used to give 5 (the minus key dropped): now the box shows -5 while typed,
    and Enter refuses it with a message; the lr stays what it was."""
    window.open_example("small_network")
    box, model = window.lr_box, window.document.model
    _type_lr(qtbot, window, "-5", enter=False)
    assert box.lineEdit().text() == "lr -5"  # what was typed, minus sign and all
    qtbot.keyClick(box.lineEdit(), Qt.Key_Return)
    assert model.settings.lr == 0.1 and box.value() == 0.1
    assert box.lineEdit().text() == "lr 0.1000"
    refusal = ("lr -5 refused: a learning rate is from 0.0001 to 100, and a negative one "
               "would climb the loss (Train Step does w -= lr * w.grad); lr is 0.1")
    assert window.statusBar().currentMessage() == refusal
    assert refusal in window.docks["messages"].widget().text.toPlainText()
    _type_lr(qtbot, window, "0.5")  # a good lr is still taken, with no refusal
    assert model.settings.lr == 0.5
    assert window.docks["messages"].widget().text.toPlainText().count("refused") == 1


def test_a_negative_lr_typed_then_train_step_runs_with_the_lr_shown(window, qtbot):
    window.open_example("small_network")
    model = window.document.model
    w = model.find("w")
    _type_lr(qtbot, window, "-0.5", enter=False)  # no Enter: straight to Train Step
    window.action_map["train_step"].trigger()
    assert window.lr_box.lineEdit().text() == "lr 0.1000" and model.settings.lr == 0.1
    assert "lr -0.5 refused" in window.docks["messages"].widget().text.toPlainText()
    grad = 6.6917619705200195  # the notebook's w.grad at the first step
    assert abs(model.node(w).params["value"] - (1.0 - 0.1 * grad)) < 1e-5  # not 1 + 0.5 * grad


def test_zero_and_too_large_lr_are_refused_too(window, qtbot):
    window.open_example("small_network")
    messages = window.docks["messages"].widget().text
    _type_lr(qtbot, window, "0")
    assert "lr 0 refused: a learning rate is from 0.0001 to 100; lr is 0.1" in \
        messages.toPlainText()
    assert window.document.model.settings.lr == 0.1
    _type_lr(qtbot, window, "1000")
    assert "lr 1000 refused: a learning rate is from 0.0001 to 100; lr is 100" in \
        messages.toPlainText()
