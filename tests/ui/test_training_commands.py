"""Training goes through the undo stack: the session computes each step's new weights, the
document applies them as a command (the steps of one run merge into one undo step), and the
steps with their updates reach listeners."""

from __future__ import annotations

from gradstudio.graph import GraphModel, Session, TrainRun, apply_updates, load
from gradstudio.resources import example_paths


def _value(window, label: str) -> float:
    model = window.document.model
    return model.node(model.find(label)).params["value"]


def test_each_train_step_press_is_its_own_undo_step(window) -> None:
    window.open_example("small_network")
    stack = window.document.undo_stack
    window.action_map["train_step"].trigger()
    after_one = _value(window, "w")
    window.action_map["train_step"].trigger()
    assert stack.count() == 2 and stack.undoText() == "Train step"
    window.action_map["undo"].trigger()
    assert _value(window, "w") == after_one
    window.action_map["undo"].trigger()
    assert _value(window, "w") == 1.0
    window.action_map["redo"].trigger()
    assert _value(window, "w") == after_one


def test_train_n_is_one_undo_step_and_gives_the_headless_numbers(window, qtbot) -> None:
    window.open_example("small_network")
    runs: list[TrainRun] = []
    window.document.trained.connect(runs.append)
    job = window.document.start_training(25)
    slices: list[list] = []
    job.progress.connect(slices.append)
    qtbot.waitUntil(lambda: job.done, timeout=20000)

    stack = window.document.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Train 25 steps"
    steps = [s for part in slices for s in part]
    assert [s.number for s in steps] == list(range(1, 26))
    (run,) = runs
    assert run.steps == steps
    model = window.document.model
    w = model.find("w")
    assert run.steps[-1].updates[w] == model.node(w).params["value"]

    headless = _small_network()
    results = Session(headless).train(25, None)
    assert [r.loss for r in results] == run.losses  # the same numbers, bit for bit
    assert headless.node(w).params["value"] == model.node(w).params["value"]
    assert run.losses_after[:-1] == run.losses[1:]
    now = Session(headless).forward().values[headless.find("loss")].item()
    assert run.loss_after == now < run.losses[-1]

    window.action_map["undo"].trigger()
    assert model.node(w).params["value"] == 1.0


def test_an_edit_during_a_run_is_not_merged_into_it(window, qtbot) -> None:
    window.open_example("small_network")
    doc = window.document
    job = doc.start_training(100000)
    qtbot.waitUntil(lambda: len(job.losses) > 0, timeout=20000)
    window.action_map["auto_evaluate"].trigger()  # not an edit: stays out of the stack
    window.lr_box.setValue(0.05)
    window.lr_box.editingFinished.emit()  # the person confirms a new lr mid-run
    qtbot.waitUntil(lambda: doc.undo_stack.count() >= 3, timeout=20000)
    job.cancel()
    qtbot.waitUntil(lambda: job.done, timeout=20000)
    texts = [doc.undo_stack.text(i) for i in range(doc.undo_stack.count())]
    assert texts[0].startswith("Train") and texts[1].startswith("Set lr")
    assert texts[2].startswith("Train"), texts
    assert len(texts) == 3


def test_apply_updates_writes_a_steps_values() -> None:
    model = _small_network()
    session = Session(model)
    step = session.train_step()
    w = model.find("w")
    assert model.node(w).params["value"] == 1.0
    apply_updates(model, step.updates)
    assert model.node(w).params["value"] == step.updates[w] != 1.0


def _small_network() -> GraphModel:
    return load(example_paths()["small_network"])
