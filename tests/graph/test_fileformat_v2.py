"""Format version 2: the exercise, notes and frames sections; version 1 files migrate; the
schemas, one per version."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gradstudio.graph import GraphFileError, GraphModel
from gradstudio.graph.annotations import Exercise, Question, note_html
from gradstudio.graph.fileformat import (
    VERSION,
    _schema,
    document,
    dumps,
    load,
    loads,
    migrate,
    save,
)
from gradstudio.resources import example_paths, resource_path

V1_FILE = Path(__file__).parent / "data" / "small_network_v1.gsgraph"


def _annotated() -> GraphModel:
    m = GraphModel()
    x = m.add_node("input", label="x", node_id="x", position=(0, 0))
    w = m.add_node("weight", label="w", node_id="w", position=(0, 100))
    y = m.add_node("mul", label="y", node_id="y", position=(200, 50))
    m.connect(w, y, "a")
    m.connect(x, y, "b")
    m.annotations.add_note("**y** = w·x\nso `∂y/∂w` is *x*", (10, -80, 200, 60))
    m.annotations.add_frame("the product", (-20, -20, 400, 220), [x, w, y])
    m.set_exercise(Exercise((Question("w", "grad", "y is w times x."),
                             Question("y", "value")), intro="Predict first."))
    return m


def _refused(doc: dict[str, Any], *words: str) -> str:
    with pytest.raises(GraphFileError) as info:
        loads(json.dumps(doc), "g.gsgraph")
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    return message


# --- versions ------------------------------------------------------------------------------
def test_files_are_written_as_the_current_version() -> None:
    assert VERSION == 2
    assert json.loads(dumps(GraphModel()))["version"] == 2


def test_there_is_one_schema_per_version_and_each_is_valid() -> None:
    for version in range(1, VERSION + 1):
        schema = _schema(version)
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert schema["properties"]["version"] == {"const": version}
    assert not resource_path("schema").joinpath(f"gsgraph-{VERSION + 1}.schema.json").exists()


def test_a_version_1_file_opens_through_the_migration(tmp_path: Path) -> None:
    old = json.loads(V1_FILE.read_text())
    assert old["version"] == 1 and "exercise" not in old
    model = load(V1_FILE)
    assert model.label(model.loss) == "loss" and len(model) == 8
    assert model.exercise == Exercise() and model.annotations.notes() == []
    save(model, tmp_path / "again.gsgraph")
    written = json.loads((tmp_path / "again.gsgraph").read_text())
    assert written["version"] == 2
    assert load(tmp_path / "again.gsgraph") == model
    # the migration changed the version only: nodes, wires, loss and settings are the same
    for key in ("nodes", "edges", "loss", "settings", "description"):
        assert written[key] == old[key]


def test_migrate_brings_version_1_data_to_version_2_and_leaves_2_alone() -> None:
    old = json.loads(V1_FILE.read_text())
    new = migrate(copy.deepcopy(old))
    assert new["version"] == 2 and {**new, "version": 1} == old
    jsonschema.validate(new, _schema(2))
    assert migrate(new) == new


def test_a_version_1_file_is_checked_against_the_version_1_schema() -> None:
    """Sections version 2 added are not valid in a file that says it is version 1."""
    doc = json.loads(V1_FILE.read_text())
    doc["notes"] = [{"id": "a", "text": "hi", "position": [0, 0], "size": [100, 50]}]
    _refused(doc, "notes", "not allowed")
    doc["version"] = 2
    assert loads(json.dumps(doc)).annotations.note("a").text == "hi"


def test_version_3_is_refused_with_a_clear_message() -> None:
    doc = {**document(GraphModel()), "version": 3}
    message = _refused(doc, "newer GradStudio", "version 3", "versions 1 to 2", "Update")
    assert message.startswith("g.gsgraph: ")


@pytest.mark.parametrize("name", sorted(example_paths()))
def test_every_example_is_version_2_and_carries_questions_with_hints(name: str) -> None:
    data = json.loads(example_paths()[name].read_text())
    assert data["version"] == 2
    model = load(example_paths()[name])
    questions = model.exercise.questions
    assert questions, f"{name} asks nothing"
    assert all(q.hint.strip() for q in questions), f"{name} has a question without a hint"


# --- the sections round-trip --------------------------------------------------------------
def test_exercise_notes_and_frames_round_trip(tmp_path: Path) -> None:
    model = _annotated()
    save(model, tmp_path / "a.gsgraph")
    back = load(tmp_path / "a.gsgraph")
    assert back == model
    assert back.exercise.questions == (Question("w", "grad", "y is w times x."),
                                       Question("y", "value"))
    assert back.exercise.intro == "Predict first."
    (note,) = back.annotations.notes()
    assert note.text.startswith("**y** = w·x\n") and note.rect == (10, -80, 200, 60)
    (frame,) = back.annotations.frames()
    assert frame.title == "the product" and frame.members == ("x", "w", "y")
    assert dumps(back) == dumps(model)


def test_a_graph_without_annotations_writes_no_empty_sections() -> None:
    m = GraphModel()
    m.add_node("input")
    data = json.loads(dumps(m))
    assert not {"exercise", "notes", "frames"} & set(data)


def test_a_deleted_member_or_asked_node_is_not_saved_and_comes_back_with_undo() -> None:
    model = _annotated()
    saved = model.to_dict()
    w = model.node("w")
    model.remove_node("w")
    data = model.to_dict()
    assert data["frames"][0]["members"] == ["x", "y"]
    assert [q["node"] for q in data["exercise"]["questions"]] == ["y"]
    loads(json.dumps(document(model)))  # and the file is valid
    model.add_node(w.kind, label=w.label, params=w.params, flags=w.flags, position=w.position,
                   node_id=w.id)
    model.connect("w", "y", "a")
    back = model.to_dict()
    for section in ("frames", "exercise", "notes"):
        assert back[section] == saved[section]


# --- bad sections ---------------------------------------------------------------------------
def _doc() -> dict[str, Any]:
    return document(_annotated())


@pytest.mark.parametrize("change, words", [
    (lambda d: d["exercise"]["questions"][0].update(node="ghost"),
     ("exercise.questions[0]", "'ghost' is not a node")),
    (lambda d: d["exercise"]["questions"][0].update(ask="shape"), ("ask", "shape")),
    (lambda d: d["exercise"]["questions"].append({"node": "w"}),
     ("exercise.questions[2]", "already asked for its grad")),
    (lambda d: d["frames"][0]["members"].append("ghost"),
     ("frames[0]", "member 'ghost' is not a node")),
    (lambda d: d["frames"][0].update(title="two\nlines"), ("frames[0]", "one line")),
    (lambda d: d["notes"][0].update(text="x" * 10001), ("notes[0].text", "too long")),
    (lambda d: d["notes"][0].update(size=[100]), ("notes[0].size", "too short")),
    (lambda d: d["notes"].append(dict(d["frames"][0], members=None)), ("notes[1]",)),
    (lambda d: d["notes"].append({"id": "note1", "text": "", "position": [0, 0],
                                  "size": [80, 40]}), ("notes[1]", "already exists")),
    (lambda d: d["notes"][0].update(position=[1e9, 0]), ("notes[0]", "out of range")),
])
def test_bad_sections_are_refused_saying_where(change: Any, words: tuple[str, ...]) -> None:
    doc = _doc()
    change(doc)
    _refused(doc, "g.gsgraph: ", *words)


# --- note text is a small safe markup --------------------------------------------------------
def test_note_markup_bold_italics_code_and_line_breaks() -> None:
    assert note_html("**Bold** and *it* with `w.grad`\nnext") == \
        "<b>Bold</b> and <i>it</i> with <code>w.grad</code><br>next"


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="http://x">x</a>',
    "**<b onclick=1>x</b>**", "`<style>body{}</style>`", "<br><b>"])
def test_note_markup_never_lets_html_from_a_file_through(text: str) -> None:
    out = note_html(text)
    tags = {t.split()[0].strip("/") for t in re.findall(r"<([^>]*)>", out)}
    assert tags <= {"b", "i", "code", "br"}
    assert "<script" not in out and "<img" not in out and "<a " not in out
