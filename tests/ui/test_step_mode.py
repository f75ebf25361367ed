"""Step Through as a person uses it: Run ▸ Step Through, F10 / Shift+F10 / Esc on the window,
reading the labels drawn over the canvas (issue 11)."""

from __future__ import annotations

from gestures import click, drag, hover, keep_visible, key, press_shortcut, trigger, wire
from PySide6.QtCore import QPointF
from PySide6.QtGui import QKeySequence

from gradstudio.graph import Edge
from gradstudio.graph.trace import build_trace
from gradstudio.ui.canvas.step_overlay import StepHighlight, StepLabel


def run_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")


def labels(window) -> list[str]:
    """The texts of the step labels on the canvas."""
    return sorted(i.text for i in window.view.scene().items() if isinstance(i, StepLabel))


def overlay_items(window) -> list:
    return [i for i in window.view.scene().items() if isinstance(i, StepLabel | StepHighlight)]


def card_texts(window) -> dict[str, list[str]]:
    return {n: item.display_lines() for n, item in window.view.scene().nodes.items()}


def assert_on_wire(window, text: str, edge: Edge) -> None:
    """The label ``text`` is drawn across the wire ``edge`` (the wire runs through its box),
    or beside it with a line to the wire's middle."""
    scene, view = window.view.scene(), window.view
    label = next(i for i in scene.items() if isinstance(i, StepLabel) and i.text == text)
    path = scene.edges[edge].path()
    if label.leader is not None:
        assert (label.leader - path.pointAtPercent(0.5)).manhattanLength() < 0.5, text
        return
    at = view.mapFromScene(label.pos())  # the label keeps its size on screen
    rect = label.box().translated(at.x(), at.y())
    assert any(rect.contains(QPointF(view.mapFromScene(path.pointAtPercent(t / 20))))
               for t in range(21)), text


def enter(window) -> None:
    trigger(run_menu(window), "Step Through")
    assert window.step_mode.active


def step_to(qtbot, window, number: int) -> None:
    """Press F10 until the mode shows step ``number`` (1-based, as the toolbar says)."""
    while window.step_mode.index + 1 < number:
        key(qtbot, window.view, "F10")
    assert window.step_mode.index + 1 == number


def test_small_network_forward_then_backward_shows_the_traces_words(qtbot, window):
    window.open_example("small_network")
    model = window.document.model
    w, wx, x = model.find("w"), model.find("wx"), model.find("x")
    enter(window)
    assert window.findChild(object, "step_position").text().strip() == "1 / 16 · forward"
    step_to(qtbot, window, 5)  # forward at wx: the values flow in, the card fills in
    assert "1 → wx.a" in labels(window) and "6.7000 → wx.b" in labels(window)
    assert "wx = w · x = 1 · 6.7000 = 6.7000\n(grad_fn=<MulBackward0>)" in labels(window)
    assert card_texts(window)[wx] == ["6.7000", "MulBackward0"]
    assert card_texts(window)[model.find("loss")] == []  # not computed yet in the step-through
    step_to(qtbot, window, 14)  # backward at wx
    shown = labels(window)
    assert "0.9988 × 6.7000 = 6.6918 → w" in shown
    assert "nothing → x (x does not require grad: requires_grad is off)" in shown
    assert "wx (MulBackward0): ∂loss/∂wx = 0.9988 from z\n∂wx/∂w = x = 6.7000\n∂wx/∂x = w = 1" \
        in shown
    # the contribution sits across the wire from w into wx
    scene = window.view.scene()
    assert_on_wire(window, "0.9988 × 6.7000 = 6.6918 → w", Edge(w, wx, "a"))
    label = next(i for i in scene.items() if isinstance(i, StepLabel))
    assert label.font.pixelSize() >= 11
    assert "skipped" in shown  # y, skipped earlier, keeps its mark
    step_to(qtbot, window, 16)  # w's leaf step: the accumulation
    assert "w: ∂loss/∂w = 6.6918 from wx\nw.grad = None + 6.6918 = 6.6918" in labels(window)
    assert "grad 6.6918" in " ".join(card_texts(window)[w])  # the card fills in w.grad
    assert window.statusBar().currentMessage().startswith("16 / 16 · leaf: w: ∂loss/∂w")
    key(qtbot, window.view, "F10")  # past the end: stays on the last step
    assert window.step_mode.index == 15 and x in card_texts(window)


def test_every_label_is_a_piece_of_the_trace_line(qtbot, window):
    """What the canvas shows is what `gradstudio run --trace` prints, cut at its joints."""
    window.open_example("small_network")
    trace = build_trace(window.document.session)
    enter(window)
    for i, step in enumerate(trace):
        step_to(qtbot, window, i + 1)
        line = trace.lines()[i]
        for text in labels(window):
            if text == "skipped":
                continue
            for part in text.split("\n"):
                assert part in line or part in step.maths or \
                    part in [w.text for w in step.wires], (part, line)


def test_step_back_restores_the_previous_frame(qtbot, window):
    window.open_example("small_network")
    enter(window)
    step_to(qtbot, window, 11)
    before, cards = labels(window), card_texts(window)
    key(qtbot, window.view, "F10")
    assert labels(window) != before
    key(qtbot, window.view, "Shift+F10")
    assert window.step_mode.index + 1 == 11
    assert labels(window) == before and card_texts(window) == cards
    assert "skipped" in labels(window)  # y's mark, from step 10
    for _ in range(2):
        key(qtbot, window.view, "Shift+F10")
    assert window.step_mode.index + 1 == 9
    assert "skipped" not in labels(window)  # y's mark goes when its step is undone


def test_leaving_restores_the_view_and_changes_nothing(qtbot, window):
    window.open_example("small_network")
    document = window.document
    cards, count = card_texts(window), document.undo_stack.count()
    saved = document.model.to_dict()
    grads = {n: document.session.grad(n) for n in document.model.node_ids()}
    view = window.view
    qtbot.wait(50)
    shown = (view.zoom(), view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    enter(window)
    step_to(qtbot, window, 13)
    assert card_texts(window) != cards
    key(qtbot, window.view, "Esc")
    assert not window.step_mode.active
    assert overlay_items(window) == []
    assert card_texts(window) == cards
    qtbot.wait(50)  # the step toolbar's row is gone: the canvas has its size back
    assert (view.zoom(), view.horizontalScrollBar().value(),
            view.verticalScrollBar().value()) == shown
    assert document.undo_stack.count() == count and not document.modified
    assert document.model.to_dict() == saved
    assert {n: document.session.grad(n) for n in document.model.node_ids()} == grads
    assert not window.action_map["step"].isEnabled()


def test_the_controls_are_off_until_stepping(window):
    """Step, Step back and Leave's Esc are off outside the mode, so the canvas keeps its own
    Esc (dropping a held wire)."""
    acts = window.action_map
    trigger(run_menu(window), "Step Through")  # an empty graph: nothing to step through
    assert not window.step_mode.active
    assert window.panels["messages"].entries[-1] == (
        "info", "Nothing to step through: the graph is empty")
    window.open_example("square")
    assert acts["step_through"].isEnabled()
    assert not any(acts[n].isEnabled() for n in ("step", "step_back", "step_leave"))
    enter(window)
    assert all(acts[n].isEnabled() for n in ("step", "step_back", "step_leave"))


def test_run_to_end_and_play(qtbot, window):
    window.open_example("square")
    enter(window)
    mode = window.step_mode
    window.action_map["step_to_end"].trigger()
    assert mode.index == len(mode.trace) - 1
    assert "x: ∂y/∂x = 6 from y\nx.grad = None + 6 = 6" in labels(window)
    mode.go(0)
    window.findChild(object, "step_speed").setValue(4)  # the fastest
    window.action_map["step_play"].trigger()
    assert window.action_map["step_play"].text() == "Pause"
    qtbot.waitUntil(lambda: not mode.playing, timeout=3000)
    assert mode.index == len(mode.trace) - 1
    assert window.action_map["step_play"].text() == "Play"


def test_fan_out_lists_and_sums_the_contributions(qtbot, window):
    """mul(x, x), built by mouse: x receives once per port, and the sum is shown at x."""
    keep_visible(window)
    view = window.view
    x = view.add_node("weight", QPointF(-200, 0))
    m = view.add_node("mul", QPointF(100, 0))
    wire(window, x, m, "a")
    wire(window, x, m, "b")
    qtbot.waitUntil(lambda: window.view.scene().nodes[m].value is not None)
    trace = build_trace(window.document.session)
    leaf = trace.find(x)
    assert leaf is not None and len(leaf.arrivals) == 2
    enter(window)
    step_to(qtbot, window, leaf.index + 1)
    caption = next(t for t in labels(window) if t.startswith(f"{leaf.label}: "))
    head = leaf.text.split("; ")[0]
    assert caption.split("\n")[0] == head
    assert head.count(" from ") == 2 and " + " in head  # two contributions, summed
    key(qtbot, window.view, "Shift+F10")  # at mul: one contribution per wire
    wires = [t for t in labels(window) if t.endswith(f"→ {leaf.label}")]
    assert len(wires) == 2


def test_an_edit_while_stepping_leaves_with_a_message(qtbot, window):
    window.open_example("small_network")
    cards = card_texts(window)
    enter(window)
    step_to(qtbot, window, 6)
    keep_visible(window)
    scene = window.view.scene()
    b = window.document.model.find("b")
    click(window.view, scene.nodes[b].card_rect().center())
    press_shortcut(qtbot, window, QKeySequence.Delete)
    assert b not in window.document.model.node_ids()
    assert not window.step_mode.active and overlay_items(window) == []
    messages = window.panels["messages"].entries
    assert messages[-1] == ("info", "Step Through ended: the graph was edited")
    assert b not in card_texts(window) and len(card_texts(window)) == len(cards) - 1


def test_moving_a_card_keeps_stepping_and_the_labels_follow(qtbot, window):
    window.open_example("small_network")
    enter(window)
    step_to(qtbot, window, 14)
    model = window.document.model
    w, wx = model.find("w"), model.find("wx")
    keep_visible(window)
    scene = window.view.scene()
    start = scene.nodes[w].mapToScene(scene.nodes[w].title_rect().center())
    position = model.node(w).position
    drag(window.view, start, start + QPointF(-60, -40))
    assert model.node(w).position != position
    assert window.step_mode.active
    assert_on_wire(window, "0.9988 × 6.7000 = 6.6918 → w", Edge(w, wx, "a"))


def test_a_backward_that_cannot_run_shows_why_and_the_skipped_nodes(qtbot, window):
    """detach example: the refusal with PyTorch's message and the graph's reason, then each
    skipped node marked, its reason in the mark's tooltip (the trace's words)."""
    window.open_example("detach")
    trace = build_trace(window.document.session)
    refused = next(s for s in trace if s.phase == "refused")
    enter(window)
    step_to(qtbot, window, refused.index + 1)
    assert refused.text in labels(window)
    assert "cannot run: RuntimeError: element 0 of tensors does not require grad" in refused.text
    window.action_map["step_to_end"].trigger()
    marks = {i.toolTip() for i in window.view.scene().items()
             if isinstance(i, StepLabel) and i.text == "skipped"}
    z = window.document.model.find("z")
    assert trace.find(z).reason in marks
    assert "z is detached: a detached wire cuts the gradient here" in marks


def test_a_cards_tooltip_gives_its_formula_with_the_numbers(qtbot, window):
    """Issue 11 item 2: hovering y_pred shows σ and its derivative with the current numbers
    (the graph layer's node_formulas)."""
    window.open_example("small_network")
    keep_visible(window)
    window.view.fit_all()
    item = window.view.scene().nodes[window.document.model.find("y_pred")]
    hover(window.view, item.card_rect().center())
    tip = item.toolTip()
    assert "y_pred = σ(z) = σ(6.7000) = 0.9988" in tip
    assert "∂y_pred/∂z = y_pred·(1−y_pred) = 0.9988·(1−0.9988) = 0.0012" in tip
