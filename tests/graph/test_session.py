"""Session: gradients accumulate like the notebook, the ledger, leaf edits, training, dtype."""

from __future__ import annotations

import numpy as np
import pytest

from gradstudio.graph import GraphModel, Session, TrainRun, TrainStep, apply_updates, load
from gradstudio.resources import example_paths

# The reference (tests/engine/data/pytorch_reference.md): PyTorch 2.13 on the small network.
W_GRAD, B_GRAD, LOSS = 6.6917619705200195, 0.9987704753875732, 6.701176166534424
LOSS64, W_GRAD64, B_GRAD64 = 6.701230154951767, 6.691763029237442, 0.9987706013787226


def _session(name: str) -> Session:
    return Session(load(example_paths()[name]))


def test_gradients_accumulate_like_the_notebook() -> None:
    s = _session("accumulation")
    x = s.model.find("x")
    assert s.backward().ok
    assert repr(s.grad(x)) == "tensor(4.)"
    assert s.ledger.warning() is None
    assert s.backward().ok
    assert repr(s.grad(x)) == "tensor(8.)"
    assert s.ledger.lines() == ["backward #1: x.grad += 4 -> 4",
                                "backward #2: x.grad += 4 -> 8"]
    assert "accumulating" in s.ledger.warning()
    grad = s.grad(x)
    s.zero_grad()
    assert repr(s.grad(x)) == "tensor(0.)" and s.grad(x) is grad  # zeroed in place, as zero_()
    assert s.ledger.lines()[-1] == "zero grad"
    assert s.ledger.warning() is None
    assert s.backward().ok and s.grad(x).item() == 4.0
    assert s.ledger.lines()[-1] == "backward #3: x.grad += 4 -> 4"


def test_ledger_entry_records_target_loss_and_each_leaf() -> None:
    s = _session("small_network")
    s.backward()
    entry = s.ledger.entries[-1]
    assert entry.target == "loss"
    assert entry.loss == np.float32(LOSS)
    assert set(entry.received) == {"w", "b"}  # x and y do not require grad
    assert entry.received["w"] == np.float32(W_GRAD) and entry.holds["b"] == np.float32(B_GRAD)
    assert s.ledger.lines() == ["backward #1: b.grad += 0.9988 -> 0.9988, "
                                "w.grad += 6.6918 -> 6.6918"]


def test_editing_a_leaf_value_keeps_its_tensor_and_gradient() -> None:
    s = _session("accumulation")
    m, x = s.model, s.model.find("x")
    s.backward()
    tensor = s.leaf(x)
    m.set_param(x, "value", 5)
    assert s.leaf(x) is tensor and s.grad(x).item() == 4.0  # like assigning x.data
    assert repr(s.leaf(x)) == "tensor(5., requires_grad=True)"
    s.backward()
    assert s.grad(x).item() == 4.0 + 10.0


def test_changing_a_leafs_shape_clears_its_gradient_with_a_note() -> None:
    s = _session("accumulation")
    m, x = s.model, s.model.find("x")
    s.backward()
    m.set_param(x, "value", "1, 2")
    assert s.grad(x) is None
    assert s.ledger.lines()[-1] == "x.grad was cleared: its shape or dtype changed"
    assert repr(s.leaf(x)) == "tensor([1., 2.], requires_grad=True)"


def test_a_new_document_starts_with_fresh_leaves() -> None:
    s = _session("small_network")
    s.backward()
    s.model.load_dict(load(example_paths()["square"]).to_dict())  # ids n1, n2 reused
    assert s.grad(s.model.find("x")) is None and s.grad(s.model.find("y")) is None
    result = s.train_step()
    assert result.ok and result.updates == {}  # the square example has no weights


def test_train_step_moves_weights_against_their_gradients() -> None:
    s = _session("small_network")
    m = s.model
    w, b = m.find("w"), m.find("b")
    lr = np.float32(0.1)
    step = s.train_step(0.1)
    assert step.ok and step.loss == pytest.approx(LOSS, abs=0)
    new_w = np.float32(1.0) - lr * np.float32(W_GRAD)  # w -= lr * w.grad, in float32
    new_b = np.float32(0.0) - lr * np.float32(B_GRAD)
    assert step.updates == {w: float(new_w), b: float(new_b)}
    assert m.node(w).params["value"] == 1.0  # computed, not written: the caller applies it
    assert s.leaf(w).item() == 1.0
    apply_updates(m, step.updates)
    assert m.node(w).params["value"] == float(new_w)
    assert s.leaf(w).item() == new_w and s.leaf(b).item() == new_b
    assert m.node(m.find("x")).params["value"] == 6.7  # inputs are not trained
    assert s.grad(w).item() == 0.0 and s.ledger.lines()[-1] == "zero grad"
    second = s.train_step(0.1)
    assert second.loss < step.loss
    assert s.loss_history == [step.loss, second.loss]


def test_train_reports_progress_and_stops_when_asked() -> None:
    s = _session("small_network")
    seen: list[tuple[int, float]] = []
    results = s.train(3, 0.1, progress=lambda i, loss: seen.append((i, loss)))
    assert [i for i, _ in seen] == [1, 2, 3]
    losses = [loss for _, loss in seen]
    assert losses == s.loss_history == [r.loss for r in results]
    assert losses[0] > losses[1] > losses[2]
    stopped = s.train(10, 0.1, should_stop=lambda: len(s.loss_history) >= 5)
    assert len(stopped) == 2 and len(s.loss_history) == 5


def test_train_stops_at_a_step_that_cannot_run() -> None:
    s = _session("no_grad")
    results = s.train(5, 0.1)
    assert len(results) == 1 and not results[0].ok and results[0].loss is None
    assert s.loss_history == []


def test_float64_gives_the_references_float64_numbers() -> None:
    m = load(example_paths()["small_network"])
    m.set_setting("dtype", "float64")
    s = Session(m)
    result = s.backward()
    assert result.ok
    assert result.loss.item() == pytest.approx(LOSS64, rel=1e-12)
    assert s.grad(m.find("w")).item() == pytest.approx(W_GRAD64, rel=1e-12)
    assert s.grad(m.find("b")).item() == pytest.approx(B_GRAD64, rel=1e-12)
    assert repr(result.loss) == "tensor(6.7012, dtype=torch.float64, grad_fn=<NegBackward0>)"


def test_switching_dtype_recreates_the_leaves() -> None:
    s = _session("accumulation")
    x = s.model.find("x")
    s.backward()
    s.model.set_setting("dtype", "float64")
    assert repr(s.leaf(x)) == "tensor(2., dtype=torch.float64, requires_grad=True)"
    assert s.grad(x) is None
    assert s.ledger.lines()[-1] == "x.grad was cleared: its shape or dtype changed"


def test_removed_and_re_added_leaves() -> None:
    m = GraphModel()
    x = m.add_node("input", label="x", params={"value": 2}, flags={"requires_grad": True})
    y = m.add_node("square", label="y")
    m.connect(x, y, "x")
    s = Session(m)
    s.backward()
    m.remove_node(x)
    x = m.add_node("input", label="x", params={"value": 2}, flags={"requires_grad": True},
                   node_id=x)
    m.connect(x, y, "x")
    assert s.grad(x) is None  # a new node is a new tensor
    assert s.backward().ok and s.grad(x).item() == 4.0


def test_train_applies_each_step_so_the_next_starts_from_it() -> None:
    s = _session("small_network")
    w = s.model.find("w")
    results = s.train(2, 0.1)
    assert [r.ok for r in results] == [True, True]
    assert s.model.node(w).params["value"] == results[1].updates[w]  # the last step's value
    assert results[1].updates[w] != results[0].updates[w]


def test_a_run_knows_each_steps_loss_after_its_update() -> None:
    run = TrainRun([TrainStep(1, 3.0, {}), TrainStep(2, 2.0, {})], loss_after=1.5)
    assert run.losses == [3.0, 2.0]
    assert run.losses_after == [2.0, 1.5]
    assert TrainRun().losses_after == []


def test_the_ledger_knows_what_the_latest_backward_sent() -> None:
    s = _session("accumulation")
    assert s.ledger.last_received() == {}
    s.backward()
    s.zero_grad()  # a zero grad after it does not hide it
    assert {k: v.tolist() for k, v in s.ledger.last_received().items()} == {"x": 4.0}
    s.model.set_param(s.model.find("x"), "value", 3.0)
    s.backward()
    assert s.ledger.last_received()["x"].tolist() == 6.0


def test_a_train_step_records_each_weight_laid_open() -> None:
    s = _session("small_network")
    m = s.model
    w, b = m.find("w"), m.find("b")
    step = s.train_step(0.1)
    lr = np.float32(0.1)
    record = step.record(1)
    assert record.lr == 0.1 and set(record.weights) == {w, b}
    ws = record.weights[w]
    assert ws.value == 1.0 and ws.grad == float(np.float32(W_GRAD))
    assert ws.delta == float(-lr * np.float32(W_GRAD))  # -lr * w.grad, in float32
    assert ws.new == record.updates[w] == float(np.float32(1.0) - lr * np.float32(W_GRAD))
    assert np.float32(ws.value) + np.float32(ws.delta) == np.float32(ws.new)  # w' = w + Δw
    assert record.weights[b].grad == float(np.float32(B_GRAD))
    assert s.grad(w).item() == 0.0  # the record keeps the gradient the step used
