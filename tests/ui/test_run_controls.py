"""The toolbar's learning rate is what a run uses, even while still being typed."""

from __future__ import annotations


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
