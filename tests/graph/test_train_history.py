"""The training history (what the Training panel plots) and the session's snapshot and
restore, which undo of a train run uses: gradients, ledger, loss and training histories."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from gradstudio.graph import GraphModel, Session, TrainRun, TrainStep, apply_updates, load
from gradstudio.graph.train_history import TrainHistory
from gradstudio.resources import example_paths


def _session() -> Session:
    return Session(load(example_paths()["small_network"]))


@pytest.mark.parametrize("seed", range(4))
def test_recorded_curves_match_a_step_by_step_reading(seed) -> None:
    """Runs whose steps set only some weights (a weight a step left alone keeps its last
    value, or the model's when it has none yet): each curve as read one step at a time."""
    rng = random.Random(seed)
    model = _session().model
    ids = {label: model.find(label) for label in ("w", "b")}
    now = {label: float(model.node(ids[label]).params["value"]) for label in ids}
    history = TrainHistory()
    expected: dict[str, list[float]] = {label: [] for label in ids}  # both curves from run 1
    for _run in range(3):
        steps = []
        for i in range(rng.randint(1, 12)):
            chosen = [label for label in ids if rng.random() < 0.6]
            steps.append(TrainStep(i + 1, rng.random(),
                                   {ids[label]: rng.uniform(-2, 2) for label in chosen}))
            for label in ids:
                values = expected[label]
                set_here = steps[-1].updates.get(ids[label])
                values.append(set_here if set_here is not None else
                              values[-1] if values and not math.isnan(values[-1]) else
                              now[label])
        cut = rng.randint(0, len(steps))  # a run applied in two blocks
        history.add(steps[:cut], model)
        history.add(steps[cut:], model)
        assert history.loss_now is None
        history.finish(TrainRun(steps, loss_after=0.5))
        assert history.weights == expected
        assert len(history.losses) == len(expected["w"])
        assert history.last_step == (steps[-1], 0.5, len(history.losses))
        assert history.loss_now == 0.5


def _state(s: Session) -> tuple:
    """The session as a person would read it: gradients, ledger lines and warning, loss
    history, the training history."""
    grads = {s.model.label(n): None if s.grad(n) is None else s.grad(n).tolist()
             for n in s.model.node_ids() if s.model.node(n).spec.is_leaf}
    h = s.history
    return (grads, s.ledger.lines(), s.ledger.warning(), list(s.loss_history),
            list(h.losses), h.loss_now, {k: list(v) for k, v in h.weights.items()})


def test_restore_puts_back_gradients_ledger_and_histories_of_before_a_run() -> None:
    s = _session()
    s.backward()
    s.backward()  # accumulated: the warning is on
    before, kept = _state(s), s.snapshot()
    assert before[0]["w"] == pytest.approx(2 * 6.6917619705200195)
    old = {n: s.model.node(n).params["value"] for n in (s.model.find("w"), s.model.find("b"))}
    run = s.train_run(3)
    s.record_steps(run.steps)
    s.record_run(run)
    after, kept_after = _state(s), s.snapshot()
    assert after[0]["w"] == 0.0 and len(after[3]) == 3 and len(after[4]) == 3

    apply_updates(s.model, old)  # the weights first (undo), then the session
    s.restore(kept)
    assert _state(s) == before
    assert s.backward().ok  # counts on from where it was: the third backward
    assert s.ledger.lines()[-1].startswith("backward #3: ")

    apply_updates(s.model, run.steps[-1].updates)  # redo
    s.restore(kept_after)
    assert _state(s) == after
    s.record_steps(s.train_run(1).steps)  # a later step does not reach into the snapshot
    s.history.clear()  # nor a Reset history
    assert len(TrainHistory.at(kept_after.history).losses) == 3
    assert len(kept_after.loss_history.copy()) == 3
    s.restore(kept_after)
    assert _state(s) == after


def test_restore_gives_a_leaf_no_gradient_when_it_had_none() -> None:
    s = _session()
    told: list[bool] = []
    s.on_restore(lambda: told.append(True))
    kept = s.snapshot()
    s.train_step()
    assert s.grad(s.model.find("w")) is not None
    s.restore(kept)
    assert s.grad(s.model.find("w")) is None and s.ledger.lines() == [] and told == [True]
    assert s.loss_history == []


def test_a_snapshot_keeps_the_gradients_as_they_were() -> None:
    s = _session()
    s.backward()
    kept = s.snapshot()
    s.backward()  # accumulates in place into the same .grad tensor
    w = s.model.find("w")
    assert kept.grads[w] == np.float32(6.6917619705200195)
    s.restore(kept)
    assert s.grad(w).item() == np.float32(6.6917619705200195)


def test_a_snapshot_keeps_the_forward_only_while_it_holds_the_backwards_gradients() -> None:
    s = _session()
    s.backward()  # the last forward holds this backward's gradients (intermediate ones too)
    kept = s.snapshot()
    assert kept.last_forward is s.last_forward and kept.last_backward is s.last_backward
    s.train_step()
    s.forward()  # the evaluation after a step: a fresh evaluation would show the same
    light = s.snapshot()
    assert light.last_forward is None  # not kept: an undo evaluates again
    assert light.last_backward.ok and light.last_backward.loss.grad_fn is None  # no graph
    assert light.last_backward.loss.item() == s.last_backward.loss.item()
    s.restore(kept)
    assert s.backward_is_current()


def test_restore_of_a_vector_weight_after_a_compiled_train_run() -> None:
    """A vector weight trained by the compiled (vector) plan: undo gives its .grad back
    element by element, and its history curves go with the steps."""
    m = GraphModel()
    w = m.add_node("weight", label="w", params={"value": [1.0, -2.0, 3.0]})
    sq = m.add_node("square")
    mean = m.add_node("mean")
    m.connect(w, sq, "x")
    m.connect(sq, mean, "x")
    s = Session(m)
    s.backward()
    before, kept = _state(s), s.snapshot()
    assert before[0]["w"] == pytest.approx([2 / 3, -4 / 3, 2.0])
    old = m.node(w).params["value"]
    block = s.train_block(5)
    assert block.compiled and len(block.steps) == 5
    apply_updates(m, block.updates)
    s.record_steps(block.steps)
    assert set(s.history.weights) == {"w[0]", "w[1]", "w[2]"}
    apply_updates(m, {w: old})
    s.restore(kept)
    assert _state(s) == before
