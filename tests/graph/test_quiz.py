"""The quiz in the graph layer: its questions, true answers (equal to what autograd gives),
the chain-rule product shown with them, reading predictions and marking them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradstudio.graph import GraphError, GraphModel, Session, load
from gradstudio.graph.annotations import Exercise, Question
from gradstudio.graph.quiz import (
    RTOL,
    TOLERANCE_TEXT,
    Quiz,
    parse_prediction,
    questions_of,
    score_line,
)
from gradstudio.resources import example_paths


def _quiz(name: str) -> tuple[Quiz, dict[str, Question]]:
    model = load(example_paths()[name])
    quiz = Quiz(Session(model))
    return quiz, {quiz.answer(q).what: q for q in quiz.questions}


def test_small_network_asks_w_and_b_and_explains_with_the_chain_rule() -> None:
    quiz, asked = _quiz("small_network")
    assert list(asked) == ["w.grad", "b.grad"]
    w = quiz.answer(asked["w.grad"])
    assert w.truth_text == "6.6918" and np.isclose(w.truth, 6.691762, rtol=1e-6)
    assert w.why[0] == ("∂loss/∂y_pred · ∂y_pred/∂z · ∂z/∂wx · ∂wx/∂w = 813.3619 × 0.001228 × 1 "
                        "× 6.7000 = 6.6918")
    assert w.why[1] == "∂wx/∂w = x = 6.7000"
    assert quiz.answer(asked["b.grad"]).truth_text == "0.9988"


def test_one_right_one_wrong_gives_the_score_line() -> None:
    quiz, asked = _quiz("small_network")
    marks = quiz.mark_all({asked["w.grad"]: "6.69", asked["b.grad"]: "0.5"})
    assert [m.right for m in marks] == [True, False]
    assert marks[0].lines()[0] == "✓ w.grad: you said 6.69, it is 6.6918"
    assert marks[1].lines()[0] == "✗ b.grad: you said 0.5, it is 0.9988"
    assert score_line(marks) == "1 of 2 right"
    assert TOLERANCE_TEXT == "right within a relative tolerance of 1e-3"


def test_the_tolerance_is_relative_1e_3() -> None:
    quiz, asked = _quiz("small_network")
    q = asked["w.grad"]
    truth = float(quiz.answer(q).truth)
    assert RTOL == 1e-3
    assert quiz.mark(q, repr(truth * (1 + 0.9e-3))).right
    assert quiz.mark(q, repr(truth * (1 - 0.9e-3))).right
    assert not quiz.mark(q, repr(truth * (1 + 1.1e-3))).right
    assert not quiz.mark(q, repr(-truth)).right


@pytest.mark.parametrize("name", sorted(example_paths()))
def test_every_answer_is_what_autograd_gives(name: str) -> None:
    model = load(example_paths()[name])
    quiz = Quiz(Session(model))
    oracle = Session(model)  # the ordinary Forward and Backward, as the app runs them
    forward = oracle.forward()
    oracle.backward()
    for q in quiz.questions:
        a = quiz.answer(q)
        if q.ask == "value":
            expected = forward.value(q.node).detach().numpy()
        else:
            grad = oracle.grad(q.node)
            expected = None if grad is None else grad.numpy()
        if expected is None:
            assert a.truth is None and a.truth_text == "None"
            assert a.why and "stays None" in a.why[0]
        else:
            np.testing.assert_allclose(a.truth, expected, rtol=1e-6)
            assert a.why


def test_the_quiz_changes_nothing_in_the_session_or_the_model() -> None:
    model = load(example_paths()["accumulation"])
    session = Session(model)
    session.backward()
    versions = (model.structure_version, model.values_version)
    quiz = Quiz(session)  # after one backward x.grad is 4; the quiz asks one backward: 4
    (q,) = quiz.questions
    assert quiz.answer(q).truth_text == "4"
    assert float(session.grad(model.find("x")).numpy()) == 4.0
    assert (model.structure_version, model.values_version) == versions
    assert quiz.is_current()
    model.set_param(model.find("x"), "value", 5.0)
    assert not quiz.is_current()


def test_none_is_an_answer_where_no_gradient_is_recorded() -> None:
    quiz, asked = _quiz("detach")
    q = asked["x.grad"]
    assert quiz.mark(q, "None").right and quiz.mark(q, " none ").right
    assert not quiz.mark(q, "0").right
    assert "detached" in quiz.answer(q).why[0]
    quiz, asked = _quiz("small_network")
    assert not quiz.mark(asked["w.grad"], "None").right


def test_vector_answers_take_one_number_per_element() -> None:
    quiz, asked = _quiz("vector_mean")
    q = asked["x.grad"]
    assert quiz.mark(q, "0.6667, 1.3333, 2").right
    assert quiz.mark(q, "[0.6667, 1.3333, 2.0]").right
    assert not quiz.mark(q, "0.6667, 1.3333, 2.1").right
    assert quiz.check(q, "1, 2") == "the answer has 3 numbers (shape [3]); you typed 2"
    assert quiz.check(q, "2") is not None
    assert quiz.check(q, "0.6667, 1.3333, 2") is None
    assert quiz.answer(asked["y"]).truth_text == "4.6667"
    assert quiz.answer(asked["y"]).why == ("y = mean(x_sq) = mean([1., 4., 9.]) = 4.6667",)


@pytest.mark.parametrize("typed, words", [
    ("", "type your prediction first"), ("   ", "type your prediction first"),
    ("six", "not a prediction"), ("1, 2", "the answer has 1 number; you typed 2"),
    ("[1, [2]]", "not a prediction"), ("__import__('os')", "not a prediction")])
def test_bad_input_says_what_to_type_and_is_marked_wrong(typed: str, words: str) -> None:
    quiz, asked = _quiz("square")
    q = asked["x.grad"]
    assert words in quiz.check(q, typed)
    mark = quiz.mark(q, typed)
    assert not mark.right and mark.lines()[0].startswith("✗ x.grad: you said ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from([None, (), (3,), (2, 2)]))
def test_any_typed_text_is_a_prediction_or_a_graph_error(text: str, shape) -> None:
    try:
        value = parse_prediction(text, shape)
    except GraphError as e:
        assert str(e)
    else:
        assert value is None or shape is None or value.shape == shape


def test_without_an_exercise_every_leaf_that_requires_grad_is_asked() -> None:
    m = GraphModel()
    x = m.add_node("input", label="x", flags={"requires_grad": True})
    w = m.add_node("weight", label="w")
    c = m.add_node("constant", label="c")
    y = m.add_node("mul", label="y")
    z = m.add_node("add", label="z")
    m.connect(x, y, "a")
    m.connect(w, y, "b")
    m.connect(y, z, "a")
    m.connect(c, z, "b")
    assert questions_of(m) == (Question(x), Question(w))
    m.set_exercise(Exercise((Question(y, "value", "x times w"), Question(y))))
    quiz = Quiz(Session(m))
    assert [quiz.answer(q).what for q in quiz.questions] == ["y", "y.grad"]
    assert quiz.answer(Question(y)).truth_text == "1"  # ∂z/∂y: what reached y


@pytest.mark.parametrize("typed", [
    "2*3", "2 * 3", "6.", "tensor(6.)", "tensor(6., requires_grad=True)", "12/2", "2**2 + 2",
    "+6", "--6", "6e0"])
def test_a_prediction_can_be_worked_out_or_copied_as_pytorch_prints_it(typed: str) -> None:
    """x.grad of x² at 3 typed as a student would: the chain worked out (2*3), or the
    tensor as PyTorch prints it."""
    quiz, asked = _quiz("square")
    assert quiz.check(asked["x.grad"], typed) is None
    assert quiz.mark(asked["x.grad"], typed).right, typed


def test_worked_out_vectors_and_what_is_still_refused() -> None:
    quiz, asked = _quiz("vector_mean")
    q = asked["x.grad"]
    assert quiz.mark(q, "2*1/3, 2*2/3, 2*3/3").right
    assert quiz.mark(q, "tensor([0.6667, 1.3333, 2.0000])").right
    assert quiz.check(q, "1/0, 1, 1") == "not a prediction: a division by zero"
    assert "too big" in quiz.check(q, "10.0**400, 1, 1")
    assert "too big" in quiz.check(q, "(-8)**0.5, 1, 1")  # not a real number
    assert "got 'cos(9)'" in quiz.check(q, "cos(9), 1, 1")
    assert "got 'x'" in quiz.check(q, "x, 1, 1")
    assert "not a prediction" in quiz.check(q, "2" * 3000)
    assert "too big" in quiz.check(q, "1" + "0" * 400 + ", 1, 1")
    assert "not a prediction" in quiz.check(q, "-" * 1990 + "1")  # no RecursionError
