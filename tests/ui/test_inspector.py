"""The inspector, used as a person would: click a card, read the fields, type, tick."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence


def _click_node(qtbot, window, label: str, modifier=Qt.NoModifier) -> str:
    """Click on the middle of a node's card; returns its id."""
    view = window.view
    node_id = window.document.model.find(label)
    item = view.scene().nodes[node_id]
    view.ensureVisible(item)
    pos = view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, modifier, pos)
    return node_id


def _type(qtbot, edit, text: str) -> None:
    """Click into a line edit, select what is there, type, press Enter."""
    qtbot.mouseClick(edit, Qt.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


def _tick(qtbot, box) -> None:
    """Click a check box on its indicator (a click far right of its text does nothing)."""
    qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))


def _open(window) -> tuple:
    window.open_example("small_network")
    return window.panels["inspector"], window.document


def test_hint_when_nothing_or_many_selected(qtbot, window):
    insp, doc = _open(window)
    assert insp.hint.isVisible() and "Select a node" in insp.hint.text()
    _click_node(qtbot, window, "w")
    assert not insp.hint.isVisible() and insp.title.text() == "w"
    _click_node(qtbot, window, "b", Qt.ControlModifier)
    assert insp.hint.isVisible() and insp.hint.text() == "2 nodes selected"


def test_leaf_facts_value_edit_and_undo(qtbot, window):
    insp, doc = _open(window)
    w = _click_node(qtbot, window, "w")
    value = insp.param_fields["value"].edit
    assert value.text() == "1.0"
    assert insp.requires_grad.isVisible() and insp.requires_grad.isChecked()
    assert not insp.no_grad.isVisible()
    assert insp.facts["value"].text() == "tensor(1., requires_grad=True)"
    assert insp.facts["is_leaf"].text() == "True"
    assert insp.facts["why"].text() == "w requires grad: requires_grad is on"

    window.action_map["backward"].trigger()
    assert insp.facts["grad"].text() == "tensor(6.6918)"

    depth = doc.undo_stack.index()
    _type(qtbot, value, "2.5")
    assert doc.model.node(w).params["value"] == 2.5
    assert doc.undo_stack.index() == depth + 1
    qtbot.waitUntil(lambda: insp.facts["value"].text() == "tensor(2.5000, requires_grad=True)")

    # Ctrl+Z with the focus still in the field undoes the edit (the field has nothing typed)
    assert value.hasFocus()
    undo = QKeySequence(QKeySequence.Undo)[0]
    qtbot.keyClick(value, undo.key(), undo.keyboardModifiers())
    assert doc.model.node(w).params["value"] == 1.0
    assert value.text() == "1.0"
    window.action_map["redo"].trigger()
    assert value.text() == "2.5"
    window.action_map["undo"].trigger()
    assert value.text() == "1.0" and doc.undo_stack.index() == depth


def test_bad_value_refused_inline(qtbot, window):
    insp, doc = _open(window)
    w = _click_node(qtbot, window, "w")
    field = insp.param_fields["value"]
    depth = doc.undo_stack.index()
    _type(qtbot, field.edit, "1, x")
    assert field.error.isVisible()
    assert "must be a number" in field.error.text() and "'x'" in field.error.text()
    assert doc.model.node(w).params["value"] == 1.0
    assert doc.undo_stack.index() == depth
    qtbot.keyClick(field.edit, Qt.Key_Escape)  # Esc brings the old value back
    assert field.edit.text() == "1.0"
    _type(qtbot, field.edit, "[[1, 2], [3, 4]]")  # a good entry clears the error
    assert not field.error.isVisible()
    assert doc.model.node(w).params["value"] == [[1.0, 2.0], [3.0, 4.0]]
    assert field.edit.text() == "[[1.0, 2.0], [3.0, 4.0]]"
    qtbot.waitUntil(lambda: insp.facts["shape"].text() == "torch.Size([2, 2])")


def test_requires_grad_off_explains_and_backward_fails(qtbot, window):
    insp, doc = _open(window)
    w = _click_node(qtbot, window, "w")
    _tick(qtbot, insp.requires_grad)
    assert doc.model.node(w).flags["requires_grad"] is False
    assert insp.facts["requires_grad"].text() == "False"
    assert insp.facts["why"].text() == "w does not require grad: requires_grad is off"
    window.action_map["backward"].trigger()  # b still requires grad: backward runs
    assert insp.facts["grad"].text() == "None"

    b = _click_node(qtbot, window, "b")
    _tick(qtbot, insp.requires_grad)
    assert doc.model.node(b).flags["requires_grad"] is False
    window.action_map["backward"].trigger()
    level, text = window.panels["messages"].entries[-1]
    assert level == "error"
    assert "element 0 of tensors does not require grad and does not have a grad_fn" in text
    assert "requires_grad is off" in text
    window.action_map["undo"].trigger()
    assert insp.requires_grad.isChecked()


def test_rename_and_refused_duplicate(qtbot, window):
    insp, doc = _open(window)
    w = _click_node(qtbot, window, "w")
    field = insp.name_field
    _type(qtbot, field.edit, "b")
    assert field.error.isVisible() and "already exists" in field.error.text()
    assert field.edit.text() == "w" and doc.model.label(w) == "w"
    _type(qtbot, field.edit, "weight")
    assert doc.model.label(w) == "weight" and not field.error.isVisible()
    assert insp.title.text() == "weight"
    window.action_map["undo"].trigger()
    assert field.edit.text() == "w"


def test_op_node_detach_no_grad_and_loss(qtbot, window):
    insp, doc = _open(window)
    z = _click_node(qtbot, window, "z")
    assert not insp.requires_grad.isVisible()
    assert insp.detach.isVisible() and insp.no_grad.isVisible()
    assert not insp.params_box.isVisible()
    assert insp.facts["grad_fn"].text() == "<AddBackward0>"
    assert insp.facts["why"].text() == "z requires grad: it depends on b and w, which require grad"

    _tick(qtbot, insp.detach)
    assert doc.model.node(z).flags["detach"] is True
    assert insp.facts["why"].text() == "z is detached: its output does not require grad"
    _tick(qtbot, insp.detach)
    assert doc.model.node(z).flags["detach"] is False

    _tick(qtbot, insp.no_grad)
    assert doc.model.node(z).flags["no_grad"] is True
    assert "z is computed under no-grad" in insp.facts["why"].text()
    window.action_map["undo"].trigger()
    assert not insp.no_grad.isChecked()
    assert insp.facts["requires_grad"].text() == "True"

    window.action_map["no_grad"].trigger()  # the global mode is honoured too
    assert insp.facts["why"].text().startswith("no-grad mode is on")
    window.action_map["no_grad"].trigger()

    assert not insp.is_loss.isChecked()
    _tick(qtbot, insp.is_loss)
    assert doc.model.loss == z
    window.action_map["undo"].trigger()
    assert doc.model.loss == doc.model.find("loss") and not insp.is_loss.isChecked()


def test_op_parameter_field(qtbot, window):
    _, doc = _open(window)
    insp = window.panels["inspector"]
    loss = _click_node(qtbot, window, "loss")
    eps = insp.param_fields["epsilon"]
    assert eps.edit.text() == "1e-08"
    _type(qtbot, eps.edit, "0.9")
    assert "at most 0.5" in eps.error.text()
    assert doc.model.node(loss).params["epsilon"] == 1e-8
    _type(qtbot, eps.edit, "0.001")
    assert doc.model.node(loss).params["epsilon"] == 0.001 and not eps.error.isVisible()


def test_keyboard_labels_and_follows_deletion(qtbot, window):
    insp, doc = _open(window)
    _click_node(qtbot, window, "w")
    assert insp.name_field.edit.accessibleName() == "Name"
    assert insp.param_fields["value"].edit.accessibleName() == "Value"
    insp.name_field.edit.setFocus()
    qtbot.keyClick(insp.name_field.edit, Qt.Key_Tab)
    assert insp.param_fields["value"].edit.hasFocus()
    window.action_map["delete"].trigger()
    assert "w" not in [n.label for n in doc.model.nodes()]
    assert insp.hint.isVisible()


def test_typing_then_clicking_away_commits_to_the_node_typed_into(qtbot, window):
    insp, doc = _open(window)
    w = _click_node(qtbot, window, "w")
    edit = insp.param_fields["value"].edit
    qtbot.mouseClick(edit, Qt.LeftButton)
    edit.selectAll()
    qtbot.keyClicks(edit, "4")
    b = _click_node(qtbot, window, "b")  # focus leaves the field: the edit is committed
    assert doc.model.node(w).params["value"] == 4.0
    assert doc.model.node(b).params["value"] == 0.0
    assert insp.title.text() == "b" and insp.param_fields["value"].edit.text() == "0.0"


def test_why_reads_as_a_sentence_for_one_leaf_and_for_several(qtbot, window):
    insp, _ = _open(window)
    _click_node(qtbot, window, "wx")
    assert insp.facts["why"].text() == "wx requires grad: it depends on w, which requires grad"
    _click_node(qtbot, window, "loss")
    assert insp.facts["why"].text() == \
        "loss requires grad: it depends on b and w, which require grad"


def test_an_op_with_nothing_wired_in_says_so_without_empty_parentheses(qtbot, window):
    palette = window.palette_panel
    qtbot.keyClicks(palette.filter, "mul")
    qtbot.keyClick(palette.filter, Qt.Key_Return)  # adds the node, selected
    insp = window.panels["inspector"]
    assert insp.title.text() == "mul"
    assert insp.facts["why"].text() == \
        "mul does not require grad: no input, weight or constant reaches it yet"


def _field_heights(insp) -> dict[str, int]:
    """Where each field sits (its top, in the inspector's own coordinates)."""
    value = insp.param_fields.get("value", insp.computed_value).edit
    widgets = {"name": insp.name_field.edit, "kind": insp.kind_name, "value": value,
               "requires_grad": insp.requires_grad, "detach": insp.detach,
               "no_grad": insp.no_grad, "loss": insp.is_loss}
    return {k: w.mapTo(insp, w.rect().topLeft()).y() for k, w in widgets.items()}


def test_fields_sit_at_the_same_heights_for_every_kind(qtbot, window):
    insp, doc = _open(window)
    seen = {}
    for label in ("x", "w", "y", "wx", "z", "y_pred", "loss"):  # input ... bce
        _click_node(qtbot, window, label)
        qtbot.wait(10)  # the layout settles
        assert insp.title.text() == label
        seen[doc.model.node(doc.model.find(label)).kind] = heights = _field_heights(insp)
        order = sorted(heights, key=heights.get)
        assert order == ["name", "kind", "value", "requires_grad", "detach", "no_grad", "loss"]
        last_switch = insp.is_loss.mapTo(insp, insp.is_loss.rect().bottomLeft()).y()
        facts = insp.facts["value"].mapTo(insp, insp.facts["value"].rect().topLeft()).y()
        assert last_switch < facts  # read-only facts come after every editable field
    assert len({tuple(h.values()) for h in seen.values()}) == 1, seen
    # the kind-specific parameter (bce's epsilon) comes after the switches
    eps = insp.param_fields["epsilon"].edit
    assert eps.mapTo(insp, eps.rect().topLeft()).y() > seen["bce"]["loss"]
    assert insp.value_label.buddy() is insp.computed_value.edit
    assert insp.computed_value.edit.isReadOnly()


def test_a_long_tensor_fits_the_inspector_without_scrolling_sideways(qtbot, window):
    """`tensor(0.9988, grad_fn=<SigmoidBackward0>)` has a word too wide to sit beside its
    label at the first-launch width: it goes under the label instead of pushing the panel
    into a sideways scroll that cuts off the Name field."""
    insp, _ = _open(window)
    for label in ("w", "y_pred"):
        _click_node(qtbot, window, label)
        qtbot.wait(50)  # the layout settles
        value = insp.facts["value"]
        assert "grad_fn=<SigmoidBackward0>" in value.text() or label == "w"
        assert not insp.scroll.horizontalScrollBar().isVisible(), label
        right = value.mapTo(insp.scroll.viewport(), value.rect().topRight()).x()
        assert right <= insp.scroll.viewport().width(), label
        name = insp.name_field.edit
        assert name.mapTo(insp.scroll.viewport(), name.rect().topRight()).x() \
            <= insp.scroll.viewport().width(), label


def test_an_op_missing_an_input_says_why_it_has_no_value_not_run_forward(qtbot, window):
    """Auto-Evaluate is on: a mul with one input wired has no value because of the missing
    input, and its Value line says that rather than asking for a Forward that cannot help."""
    palette = window.palette_panel
    qtbot.keyClicks(palette.filter, "mul")
    qtbot.keyClick(palette.filter, Qt.Key_Return)  # adds the node, selected
    insp = window.panels["inspector"]
    value = insp.computed_value.edit
    qtbot.waitUntil(lambda: insp.facts["error"].isVisible())  # the evaluation came back
    assert value.text() == ""
    assert value.placeholderText() == "no value: input 'a' is not connected"
    assert "Forward" not in value.placeholderText()
    window.action_map["forward"].trigger()
    assert "not connected" in value.placeholderText()
