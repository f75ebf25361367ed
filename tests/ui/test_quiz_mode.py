"""The quiz as a learner uses it: Run ▸ Quiz, typing predictions into the cards' editors
(or the Inspector), Reveal, reading ✓/✗, the true values and the score (issue 14)."""

from __future__ import annotations

from gestures import click, key, trigger
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from gradstudio.ui.canvas.quiz_overlay import PredictionEdit
from gradstudio.ui.commands import SetParam


def run_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")


def editors(window) -> dict[str, PredictionEdit]:
    """The prediction editors on the canvas, by what they ask (``w.grad``)."""
    found = window.view.viewport().findChildren(PredictionEdit)
    return {e.accessibleName().removeprefix("Prediction for "): e for e in found
            if e.isVisible()}


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    """Click into the field as a person does, then type."""
    qtbot.mouseClick(edit, Qt.LeftButton)
    qtbot.keyClicks(edit, text)


def card_lines(window, label: str) -> list[str]:
    model = window.document.model
    return window.view.scene().nodes[model.find(label)].display_lines()


def toolbar_label(window, name: str) -> str:
    return window.findChild(QLabel, name).text().strip()


def test_one_right_one_wrong_on_small_network(qtbot, window):
    window.open_example("small_network")
    window.document.backward()  # gradients on the cards first: the quiz must hide them
    assert any("grad 6.6918" in line for line in card_lines(window, "w"))
    trigger(run_menu(window), "Quiz")
    assert window.quiz_mode.active
    assert not any("6.6918" in line for line in card_lines(window, "w"))
    assert card_lines(window, "w")[-1] == "grad"
    fields = editors(window)
    assert set(fields) == {"w.grad", "b.grad"}
    assert toolbar_label(window, "quiz_score") == "0 of 2 predicted"
    # the question stays on the quiz's row (the status bar's line goes with the next message)
    assert toolbar_label(window, "quiz_intro") == (
        "One neuron: predict the gradients of the weight and the bias.")
    assert "relative tolerance of 1e-3" in toolbar_label(window, "quiz_tolerance")
    type_into(qtbot, fields["w.grad"], "6.69")
    key(qtbot, fields["w.grad"], "Return")  # on to the next question
    assert fields["b.grad"].hasFocus()
    qtbot.keyClicks(fields["b.grad"], "0.5")
    assert toolbar_label(window, "quiz_score") == "2 of 2 predicted"
    key(qtbot, window, "Ctrl+Return")  # Reveal Answers
    assert window.quiz_mode.revealed
    assert card_lines(window, "w")[-1] == "✓ grad 6.6918"
    assert card_lines(window, "b")[-1] == "✗ grad 0.9988"
    assert toolbar_label(window, "quiz_score") == "1 of 2 right"
    assert not editors(window)  # revealed: nothing more to type on the cards
    said = window.panels["messages"].text.toPlainText()  # the whole derivation of each
    assert "✓ w.grad: you said 6.69, it is 6.6918" in said
    assert "✗ b.grad: you said 0.5, it is 0.9988" in said
    assert ("∂loss/∂y_pred · ∂y_pred/∂z · ∂z/∂b = 813.3619 × 0.001228 × 1 = 0.9988" in said)
    assert "Quiz: 1 of 2 right (right within a relative tolerance of 1e-3)" in said


def test_leaving_gives_back_the_gradients_and_the_panels(qtbot, window):
    window.open_example("small_network")
    window.document.backward()
    before = {n: item.display_lines() for n, item in window.view.scene().nodes.items()}
    gradients = window.docks["gradients"].widget()
    trigger(run_menu(window), "Quiz")
    assert window.docks["gradients"].widget() is not gradients
    assert "Hidden during the quiz" in window.docks["gradients"].widget().text()
    key(qtbot, window.view, "Esc")
    assert not window.quiz_mode.active
    assert window.docks["gradients"].widget() is gradients
    assert {n: item.display_lines() for n, item in window.view.scene().nodes.items()} == before
    assert not editors(window)


def test_predicting_in_the_inspector_shows_on_the_card_and_the_answer_after_reveal(
        qtbot, window):
    window.open_example("small_network")
    trigger(run_menu(window), "Quiz")
    w = window.view.scene().nodes[window.document.model.find("w")]
    click(window.view, w.mapToScene(w.title_rect().center()))
    inspector = window.panels["inspector"]
    field = next(e for e in inspector.findChildren(QLineEdit)
                 if e.accessibleName() == "Prediction for w.grad")
    assert inspector.facts["grad"].text() == "hidden during the quiz"
    type_into(qtbot, field, "6.7")
    assert editors(window)["w.grad"].text() == "6.7"  # the same prediction on the card
    hint = next(b for b in inspector.quiz_box.findChildren(QLabel)
                if b.accessibleName() == "Hint")
    assert hint.isHidden()
    show = next(b for b in inspector.quiz_box.findChildren(QPushButton)
                if b.text() == "Show Hint")
    qtbot.mouseClick(show, Qt.LeftButton)
    assert hint.isVisible() and "∂z/∂w is x = 6.7" in hint.text()
    trigger(run_menu(window), "Reveal Answers")
    answer = next(b for b in inspector.quiz_box.findChildren(QLabel)
                  if b.accessibleName() == "Answer")
    text = answer.text()
    assert "✗ w.grad: you said 6.7, it is 6.6918" in text  # 6.7 is 0.12% off: beyond 1e-3
    assert "813.3619 × 0.001228 × 1 × 6.7000 = 6.6918" in text
    assert window.docks["messages"].isVisible()


def test_bad_input_says_what_to_type_and_never_crashes(qtbot, window):
    window.open_example("vector_mean")
    trigger(run_menu(window), "Quiz")
    fields = editors(window)
    assert set(fields) == {"y", "x.grad"}  # the value question hides the computed values
    assert "hidden: predict it" in card_lines(window, "y")
    type_into(qtbot, fields["x.grad"], "0.6667, 1.3333")
    problem = window.view.viewport().findChild(QLabel, "quiz_problem")
    assert problem.isVisible()
    assert problem.text() == "the answer has 3 numbers (shape [3]); you typed 2"
    qtbot.keyClicks(fields["x.grad"], ", 2")
    assert not problem.isVisible()
    type_into(qtbot, fields["y"], "four")
    assert "not a prediction" in problem.text()
    key(qtbot, window, "Ctrl+Return")
    assert card_lines(window, "x")[-1] == "✓ grad [0.6667, 1.3333, 2.0000]"
    assert card_lines(window, "y")[-1] == "✗ value 4.6667"
    assert toolbar_label(window, "quiz_score") == "1 of 2 right"
    trigger(run_menu(window), "Try Again")  # the answers hide again, the predictions stay
    assert editors(window)["y"].text() == "four"
    assert card_lines(window, "y")[-1] == "value"


def test_an_edit_recomputes_the_answers_and_hides_them_again(qtbot, window):
    window.open_example("square")
    trigger(run_menu(window), "Quiz")
    type_into(qtbot, editors(window)["x.grad"], "6")
    key(qtbot, window, "Ctrl+Return")
    assert card_lines(window, "x")[-1] == "✓ grad 6"
    model = window.document.model
    window.document.run(SetParam(model, model.find("x"), "value", 4.0))
    assert window.quiz_mode.active and not window.quiz_mode.revealed
    assert editors(window)["x.grad"].text() == "6"
    key(qtbot, window, "Ctrl+Return")
    assert card_lines(window, "x")[-1] == "✗ grad 8"


def test_step_through_ends_the_quiz(qtbot, window):
    window.open_example("square")
    trigger(run_menu(window), "Quiz")
    trigger(run_menu(window), "Step Through")
    assert window.step_mode.active and not window.quiz_mode.active
    assert not editors(window)


def test_each_prediction_editor_sits_inside_its_card_at_the_default_size(qtbot, window):
    """At the window's first-launch size and the zoom an example opens at, every editor is
    within its card (it was wider than the card and hung over its bottom edge), and on a
    card whose value is hidden the quiz line comes under ``hidden: predict it``."""
    window.resize(1400, 900)
    for example in ("small_network", "vector_mean", "square"):
        window.open_example(example)
        qtbot.wait(10)
        trigger(run_menu(window), "Quiz")
        view, model = window.view, window.document.model
        assert 0.9 <= view.transform().m11() <= 1.1, "the examples open at about 100%"
        for what, edit in editors(window).items():
            item = view.scene().nodes[model.find(what.removesuffix(".grad"))]
            card = view.mapFromScene(item.card_rect()).boundingRect()
            assert card.contains(edit.geometry()), (example, what, card, edit.geometry())
            assert edit.geometry().width() >= 40  # room for a few digits
        for n, item in view.scene().nodes.items():
            if item.masked and item.quiz_lines:
                body = item.value_rect()
                hidden_line_bottom = body.top() + 17  # LINE_H: the "hidden" line
                assert item.quiz_rect(0).top() >= hidden_line_bottom - 0.5, model.label(n)
        key(qtbot, window.view, "Esc")


def test_reveal_shows_the_hidden_values_and_a_wrong_answer_in_the_error_colour(qtbot, window):
    """After Reveal the value that was asked is no longer 'hidden: predict it' (it is an
    answer now); Try Again hides it again. In Messages a ✗ answer is not in the ok colour."""
    from gradstudio.ui import theme

    window.open_example("square")
    trigger(run_menu(window), "Quiz")
    assert card_lines(window, "y")[0] == "hidden: predict it"
    type_into(qtbot, editors(window)["y"], "9")
    type_into(qtbot, editors(window)["x.grad"], "3")
    key(qtbot, window, "Ctrl+Return")
    assert card_lines(window, "y")[0] == "9."
    assert card_lines(window, "y")[-1] == "✓ value 9"
    assert not any("grad 6" in line for line in card_lines(window, "x")[:-1])
    html = window.panels["messages"].text.toHtml()
    colours = theme.current()
    right, wrong = (html.split(what)[0].rsplit("color:", 1)[1].split(";")[0].strip().lower()
                    for what in ("✓ y: you said 9", "✗ x.grad: you said 3"))
    assert (right, wrong) == (colours.ok.lower(), colours.error.lower())
    trigger(run_menu(window), "Try Again")
    assert card_lines(window, "y")[0] == "hidden: predict it"


def test_tab_goes_from_box_to_box_and_adds_no_node(qtbot, window):
    """Tab in a prediction box, as in any form: the next box (Shift+Tab the one before),
    not the canvas's Tab that opens Add node."""
    window.open_example("small_network")
    trigger(run_menu(window), "Quiz")
    fields = editors(window)
    nodes = len(window.document.model)
    type_into(qtbot, fields["w.grad"], "6.69")
    key(qtbot, fields["w.grad"], "Tab")
    assert fields["b.grad"].hasFocus()
    assert not window.quick_add.isVisible()
    key(qtbot, fields["b.grad"], "Tab")  # past the last box: back to the first
    assert fields["w.grad"].hasFocus()
    key(qtbot, fields["w.grad"], "Shift+Tab")
    assert fields["b.grad"].hasFocus()
    assert not window.quick_add.isVisible() and len(window.document.model) == nodes
    assert fields["w.grad"].text() == "6.69"
