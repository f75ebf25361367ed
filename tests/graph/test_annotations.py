"""Notes, frames and the exercise in the model: checked edits, events that change nothing
computed, explicit frame membership."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from gradstudio.graph import Change, GraphError, GraphModel, ModelEvent
from gradstudio.graph.annotations import MIN_NOTE_SIZE, Exercise, Question, markdown_text


@pytest.fixture
def model() -> GraphModel:
    m = GraphModel()
    m.add_node("input", label="x", node_id="x")
    m.add_node("square", label="y", node_id="y")
    m.connect("x", "y", "x")
    return m


def _events(m: GraphModel) -> list[ModelEvent]:
    seen: list[ModelEvent] = []
    m.subscribe(seen.append)
    return seen


def test_note_edits_are_announced_with_their_id_and_change_no_version(model: GraphModel
                                                                      ) -> None:
    seen = _events(model)
    versions = (model.structure_version, model.values_version)
    a = model.annotations
    n = a.add_note("hello", (0, 0, 100, 50))
    a.set_note_text(n, "**bye**")
    a.set_note_rect(n, (10, 20, 300, 80))
    assert a.note(n).text == "**bye**" and a.note(n).rect == (10, 20, 300, 80)
    a.remove_note(n)
    assert [(e.kind, e.item) for e in seen] == [
        (Change.NOTE_ADDED, n), (Change.NOTE_CHANGED, n), (Change.NOTE_CHANGED, n),
        (Change.NOTE_REMOVED, n)]
    assert all(e.kind.is_annotation for e in seen)
    assert not Change.NODE_ADDED.is_annotation and not Change.NODE_MOVED.is_annotation
    assert (model.structure_version, model.values_version) == versions
    assert a.notes() == []


def test_a_note_is_never_smaller_than_readable(model: GraphModel) -> None:
    n = model.annotations.add_note("", (0, 0, 1, 1))
    assert model.annotations.note(n).rect[2:] == MIN_NOTE_SIZE


@pytest.mark.parametrize("call, words", [
    (lambda a: a.add_note("x", (0, 0, "wide", 1)), "four numbers"),
    (lambda a: a.add_note("x", (float("nan"), 0, 100, 40)), "out of range"),
    (lambda a: a.add_note(3, (0, 0, 100, 40)), "text of at most"),
    (lambda a: a.add_note("x" * 10001, (0, 0, 100, 40)), "10000"),
    (lambda a: a.add_frame("t", (0, 0, 100, 100), ["ghost"]), "'ghost' is not a node"),
    (lambda a: a.add_frame("two\nlines", (0, 0, 100, 100)), "one line"),
    (lambda a: a.set_note_text("nope", "x"), "no note with id 'nope'"),
    (lambda a: a.set_frame_rect("nope", (0, 0, 1, 1)), "no frame with id 'nope'"),
    (lambda a: a.add_note("x", (0, 0, 100, 40), "bad id!"), "letters, digits"),
])
def test_bad_edits_are_refused_and_change_nothing(model: GraphModel, call, words: str) -> None:
    before = model.to_dict()
    seen = _events(model)
    with pytest.raises(GraphError, match=words):
        call(model.annotations)
    assert model.to_dict() == before and seen == []


def test_frame_membership_is_explicit(model: GraphModel) -> None:
    a = model.annotations
    f = a.add_frame("square it", (-10, -10, 400, 200), ["x", "y", "x"])
    assert a.frame(f).members == ("x", "y")
    assert a.frames_of("y") == [f]
    model.move("y", (5000, 5000))  # far outside the rectangle: still a member
    assert a.frame(f).members == ("x", "y")
    a.set_frame_members(f, ["x"])
    assert a.frames_of("y") == [] and a.frame(f).members == ("x",)
    g = a.add_frame("another", (0, 0, 100, 100))
    assert g != f and a.frame(g).members == ()


def test_ids_are_unique_among_notes_and_frames(model: GraphModel) -> None:
    a = model.annotations
    ids = {a.add_note("n", (0, 0, 80, 40)), a.add_frame("f", (0, 0, 90, 60)),
           a.add_note("m", (0, 0, 80, 40))}
    assert len(ids) == 3
    with pytest.raises(GraphError, match="already exists"):
        a.add_frame("f", (0, 0, 90, 60), frame_id=next(iter(ids)))


def test_set_exercise_checks_its_nodes(model: GraphModel) -> None:
    seen = _events(model)
    model.set_exercise(Exercise((Question("x", "grad", "2x"),)))
    assert model.exercise.questions[0].hint == "2x"
    assert [e.kind for e in seen] == [Change.EXERCISE_CHANGED]
    with pytest.raises(GraphError, match="ghost"):
        model.set_exercise(Exercise((Question("ghost"),)))
    assert model.exercise.questions[0].node == "x"


def test_the_clipboard_copy_of_some_nodes_carries_no_annotations(model: GraphModel) -> None:
    model.annotations.add_note("n", (0, 0, 80, 40))
    model.set_exercise(Exercise((Question("x"),)))
    part = model.to_dict(["x"])
    assert not {"notes", "frames", "exercise"} & set(part)
    assert {"notes", "exercise"} <= set(model.to_dict())


def test_load_dict_replaces_annotations_and_announces_a_reset(model: GraphModel) -> None:
    model.annotations.add_note("old", (0, 0, 80, 40))
    other = GraphModel()
    other.add_node("input", node_id="a")
    other.annotations.add_frame("new", (0, 0, 100, 100), ["a"])
    seen = _events(model)
    model.load_dict(other.to_dict())
    assert model.annotations.notes() == []
    assert [f.title for f in model.annotations.frames()] == ["new"]
    assert [e.kind for e in seen] == [Change.RESET]


@given(hs.text(alphabet="\\`*_[]<>#|~&ab \n∂σ-(){}1", max_size=40) | hs.text(max_size=40))
def test_markdown_text_puts_one_backslash_before_each_of_markdowns_characters(text: str) -> None:
    assert markdown_text(text) == re.sub(r"([\\`*_\[\]<>#|~&])", r"\\\1", text)
    assert markdown_text("a_b <x> \\*") == "a\\_b \\<x\\> \\\\\\*"
