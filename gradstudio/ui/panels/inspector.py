"""Inspector: the selected node's name, value, parameters and autograd switches, editable,
and what the last evaluation made of it — value, grad, grad_fn, and whether it requires
grad and why. Every edit is an undoable command; a refused entry is explained inline."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph import (
    Change,
    GraphError,
    ModelEvent,
    format_number,
    kind,
    requires_grad_reason,
)
from gradstudio.graph.overflow import leaf_overflow, result_overflow

from .. import theme
from ..commands import ModelCommand, Rename, SetFlag, SetLoss, SetParam
from .quiz_box import QuizBox

if TYPE_CHECKING:
    from ..canvas.view import GraphView
    from ..document import Document
    from ..quiz_mode import QuizMode

__all__ = ["Inspector", "param_text"]


def _text_color(color: str) -> str:
    """A label's style sheet for text in ``color`` (a theme role)."""
    return f"color: {color};"


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def param_text(value: Any, dtype: str = "float32") -> str:
    """A stored parameter as the person would type it: ``1.0``, ``1.0, 2.0``, ``[[1.0, ...]]``."""
    def one(v: float) -> str:
        if dtype != "float32" or abs(v) > _FLOAT32_MAX and math.isfinite(v):
            return repr(float(v))  # 1e308 stays what was typed (the overflow row says inf)
        return str(np.float32(v))

    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return "[" + ", ".join("[" + ", ".join(map(one, row)) + "]" for row in value) + "]"
        return ", ".join(map(one, value))
    return one(value)


class _CommitEdit(QLineEdit):
    """A line edit holding a committed text: Escape brings it back, and while nothing is
    typed the window's Undo/Redo shortcuts pass through to the document."""

    def __init__(self) -> None:
        super().__init__()
        self.committed = ""

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.ShortcutOverride and self.text() == self.committed
                and (event.matches(QKeySequence.Undo) or event.matches(QKeySequence.Redo))):
            event.ignore()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key_Escape and self.text() != self.committed:
            self.setText(self.committed)
            return
        super().keyPressEvent(event)


class _Field(QWidget):
    """A line edit with an inline error under it; ``submitted`` carries new text."""

    submitted = Signal(str)

    def __init__(self, name: str, tip: str = "") -> None:
        super().__init__()
        self.edit = _CommitEdit()
        self.edit.setAccessibleName(name)
        self.edit.setToolTip(tip)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(_text_color(theme.current().error))
        self.error.setAccessibleName(f"{name} error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.error)
        self.edit.editingFinished.connect(self._finished)

    def _finished(self) -> None:
        if self.edit.text() == self.edit.committed:
            self.set_error(None)
        else:
            self.submitted.emit(self.edit.text())

    def commit_typed(self) -> None:
        """Submit text typed but not entered yet (a refused entry is not sent again)."""
        if self.edit.text() != self.edit.committed and self.error.isHidden():
            self.submitted.emit(self.edit.text())

    def show_value(self, text: str, force: bool = False) -> None:
        """Show the model's text; typing in progress stays unless the model changed."""
        if force or text != self.edit.committed:
            self.edit.committed = text
            self.edit.setText(text)
            self.set_error(None)

    def set_error(self, text: str | None, restore: bool = False) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        if restore:
            self.edit.setText(self.edit.committed)
        elif text:
            self.edit.selectAll()


class Inspector(QWidget):
    """Shows and edits the one selected node of ``view``."""

    def __init__(self, document: Document, view: GraphView, parent: QWidget | None = None,
                 quiz: QuizMode | None = None) -> None:
        super().__init__(parent)
        self.document, self.view, self.quiz = document, view, quiz
        self.node_id: str | None = None
        self._params_for: tuple[str, str] | None = None
        self.param_fields: dict[str, _Field] = {}
        self._build()
        theme.follow(self, self._restyle)
        view.scene().selectionChanged.connect(self.refresh)
        document.model_changed.connect(self._on_model_event)
        document.evaluated.connect(lambda _: self._show_facts())
        document.reset.connect(self.refresh)
        document.run_requested.connect(self.commit_typed)
        if quiz is not None:
            quiz.changed.connect(self.refresh)
        self.refresh()

    # --- construction -----------------------------------------------------------------------
    def _build(self) -> None:
        self.hint = QLabel(self.tr("Select a node to inspect it"))
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setWordWrap(True)
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.kind_label = QLabel()  # the kind's formula and description, at the bottom
        self.kind_label.setWordWrap(True)

        # Fixed rows first, the same for every kind: name, kind, value; then the switches
        # (a switch a kind lacks keeps its room); then kind-specific parameters; then facts.
        node_box = QGroupBox(self.tr("Node"))
        form = QFormLayout(node_box)
        self.name_field = _Field(self.tr("Name"), self.tr("The node's unique name"))
        self.name_field.submitted.connect(self._rename)
        self._add_row(form, self.tr("&Name:"), self.name_field, self.name_field.edit)
        self.kind_name = QLabel()
        form.addRow(self.tr("Kind:"), self.kind_name)
        self.computed_value = _Field(self.tr("Computed value"), self.tr(
            "What the last Forward computed here; only inputs, weights and constants take a "
            "typed value"))
        self.computed_value.edit.setReadOnly(True)  # drawn as text, not as a box to type in
        self.computed_value.edit.setStyleSheet("QLineEdit { background: transparent; "
                                               "border: none; }")
        self.computed_value.edit.setFixedHeight(self.name_field.edit.sizeHint().height())
        self.computed_value.edit.setPlaceholderText(self.tr("run Forward to compute it"))
        self.value_slot = QStackedWidget()  # a leaf's value field, or the computed value
        self.value_slot.addWidget(self.computed_value)
        self.value_label = QLabel(self.tr("Va&lue:"))
        form.addRow(self.value_label, self.value_slot)
        self.params_box = QGroupBox(self.tr("Parameters"))
        self.params_form = QFormLayout(self.params_box)

        flags_box = QGroupBox(self.tr("Autograd switches"))
        flags = QVBoxLayout(flags_box)
        self.checks: dict[str, QCheckBox] = {}
        for flag, text, tip in (
                ("requires_grad", self.tr("re&quires_grad"),
                 self.tr("Track operations on this leaf so backward can fill its .grad")),
                ("detach", self.tr("&detach()"), self.tr(
                    "Pass the value on without its history: no gradient flows back here")),
                ("no_grad", self.tr("no-&grad"), self.tr(
                    "Compute this operation as inside torch.no_grad(): it is not recorded")),
                ("loss", self.tr("Backward &starts here (loss)"),
                 self.tr("Use this node as the target of Backward and Train step"))):
            box = self.checks[flag] = QCheckBox(text)
            box.setToolTip(tip)
            box.setAccessibleName(text.replace("&", ""))
            box.clicked.connect(lambda on, f=flag: self._set_flag(f, on))
            policy = box.sizePolicy()
            policy.setRetainSizeWhenHidden(True)  # the switches below stay where they are
            box.setSizePolicy(policy)
            flags.addWidget(box)
        self.requires_grad, self.detach = self.checks["requires_grad"], self.checks["detach"]
        self.no_grad, self.is_loss = self.checks["no_grad"], self.checks["loss"]

        facts_box = QGroupBox(self.tr("Last evaluation"))
        facts = QFormLayout(facts_box)
        facts.setRowWrapPolicy(QFormLayout.WrapLongRows)  # a long tensor goes under its label
        mono = QFont("monospace")
        mono.setStyleHint(QFont.Monospace)
        self.facts: dict[str, QLabel] = {}
        for key, text in (("value", "value:"), ("overflow", ""), ("grad", "grad:"),
                          ("grad_fn", "grad_fn:"), ("shape", "shape:"), ("dtype", "dtype:"),
                          ("is_leaf", "is_leaf:"), ("requires_grad", "requires_grad:"),
                          ("why", ""), ("error", "")):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            label.setAccessibleName(key.replace("_", " "))
            if key in ("value", "grad"):
                label.setFont(mono)
            self.facts[key] = label
            if text:
                facts.addRow(self.tr(text), label)
            else:
                facts.addRow(label)

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        self.quiz_box = QuizBox(self.quiz) if self.quiz is not None else None
        for w in (self.title, self.quiz_box, node_box, flags_box, self.params_box, facts_box,
                  self.kind_label):
            if w is not None:
                body.addWidget(w)
        body.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(self.body)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.hint)
        layout.addWidget(scroll)
        self.setMinimumWidth(280)
        self._restyle()

    def _restyle(self) -> None:
        """Colours from the theme: now and whenever the app switches light/dark."""
        c = theme.current()
        for label in (self.hint, self.kind_label):
            label.setStyleSheet(_text_color(c.muted))
        for field in [self.name_field, *self.param_fields.values()]:
            field.error.setStyleSheet(_text_color(c.error))
        self.facts["error"].setStyleSheet(_text_color(c.error))
        self.facts["overflow"].setStyleSheet(_text_color(c.warning))
        self._show_facts()

    def sizeHint(self) -> QSize:  # noqa: N802 - wide enough for a tensor's repr
        return QSize(360, 420)

    def _add_row(self, form: QFormLayout, text: str, field: QWidget, buddy: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(buddy)
        form.addRow(label, field)
        label.show()  # now, not after the next event-loop turn
        field.show()

    def _build_params(self, node_id: str, kind_name: str) -> None:
        """One field per parameter of the node's kind: a leaf's value in the Value row,
        others (pow's exponent, clamp's min and max, ...) under Parameters."""
        if self._params_for == (node_id, kind_name):
            return
        self._params_for = (node_id, kind_name)
        for old in self.param_fields.values():  # leaving focus as it goes must not commit
            old.blockSignals(True)
            if self.value_slot.indexOf(old) >= 0:
                self.value_slot.removeWidget(old)
                old.deleteLater()
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_fields.clear()
        spec = kind(kind_name)
        for p in spec.params:
            limits = [f"≥ {p.minimum:g}" if p.minimum is not None else "",
                      f"≤ {p.maximum:g}" if p.maximum is not None else ""]
            tip = p.doc + (f" ({', '.join(x for x in limits if x)})" if any(limits) else "")
            field = _Field(self.tr("Value") if p.name == "value" else p.name, tip)
            field.edit.setPlaceholderText(self.tr("3  or  1, 2, 3  or  [[1, 2], [3, 4]]")
                                          if p.type == "tensor" else f"{p.default:g}")
            field.submitted.connect(lambda text, n=p.name: self._set_param(n, text))
            if p.name == "value":
                self.value_slot.addWidget(field)
            else:
                self._add_row(self.params_form, f"{p.name}:", field, field.edit)
            self.param_fields[p.name] = field
        value = self.param_fields.get("value", self.computed_value)
        self.value_slot.setCurrentWidget(value)
        self.value_label.setBuddy(value.edit)
        others = [f for n, f in self.param_fields.items() if n != "value"]
        self.params_box.setVisible(bool(others))
        chain = [self.name_field.edit, value.edit, self.requires_grad, self.detach,
                 self.no_grad, self.is_loss] + [f.edit for f in others]
        for a, b in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(a, b)

    # --- following the document ------------------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        if event.kind is not Change.NODE_MOVED:
            self.refresh()

    def refresh(self) -> None:
        """Show the selected node (exactly one), or a hint."""
        ids = [n for n in self.view.selected_node_ids() if n in self.document.model]
        previous, self.node_id = self.node_id, ids[0] if len(ids) == 1 else None
        if self.node_id is None:
            self.hint.setText(self.tr("Select a node to inspect it") if not ids else
                              self.tr("%d nodes selected") % len(ids))
        self.hint.setVisible(self.node_id is None)
        self.scroll.setVisible(self.node_id is not None)
        if self.node_id is None:
            self._params_for = None
            return
        model = self.document.model
        data = model.node(self.node_id)
        spec = data.spec
        self.title.setText(data.label)
        self.kind_name.setText(spec.title)
        self.kind_name.setToolTip(spec.doc)
        formula = f" = {spec.formula}" if spec.formula else ""
        self.kind_label.setText(f"{spec.title}{formula} — {spec.doc}")
        self.name_field.show_value(data.label, force=self.node_id != previous)
        self._build_params(self.node_id, data.kind)
        for name, field in self.param_fields.items():
            field.show_value(param_text(data.params[name], model.settings.dtype))
        for box, flag, shown in ((self.requires_grad, "requires_grad", spec.is_leaf),
                                 (self.detach, "detach", True),
                                 (self.no_grad, "no_grad", not spec.is_leaf)):
            box.setChecked(data.flags[flag])
            box.setVisible(shown)
        self.is_loss.setChecked(model.loss == self.node_id)
        if self.quiz_box is not None:
            self.quiz_box.show_node(self.node_id)
        self._show_facts()

    def _show_facts(self) -> None:
        if self.node_id is None or self.node_id not in self.document.model:
            return
        n, session, model = self.node_id, self.document.session, self.document.model
        forward = session.last_forward
        value = None if forward is None else forward.value(n)
        error = None if forward is None else forward.errors.get(n)
        f = self.facts
        self.computed_value.show_value("" if value is None
                                       else format_number(value.detach().numpy()))
        self.computed_value.edit.setPlaceholderText(  # why there is no value, if known
            self.tr("no value: %s") % error if error else self.tr("run Forward to compute it"))
        if value is None:
            for key in ("value", "grad", "grad_fn", "shape", "dtype", "is_leaf"):
                f[key].setText("—")
        else:
            f["value"].setText(repr(value))
            grad = session.grad(n)
            hint = ""
            if grad is None and not value.is_leaf and not session.retain_intermediate:
                hint = self.tr("  (turn on Show Intermediate Gradients to keep it)")
            f["grad"].setText(("None" if grad is None else repr(grad)) + hint)
            if self.quiz is not None and self.quiz.active:
                f["grad"].setText(self.tr("hidden during the quiz"))
                if self.quiz.hides_value(n):
                    f["value"].setText(self.tr("hidden during the quiz"))
                    self.computed_value.show_value("")
            f["grad_fn"].setText("None" if value.grad_fn is None
                                 else f"<{value.grad_fn.name()}>")
            f["shape"].setText(repr(value.shape))
            f["dtype"].setText(str(value.dtype))
            f["is_leaf"].setText(str(value.is_leaf))
        on, why = requires_grad_reason(model, n, session.no_grad_mode)
        f["requires_grad"].setText(str(on))
        f["why"].setText(why)
        c = theme.current()
        f["why"].setStyleSheet(_text_color(c.ok if on else c.muted))
        f["error"].setText(f"⚠ {error}" if error else "")
        f["error"].setVisible(bool(error))
        past = leaf_overflow(model, n) or (None if forward is None or self._hidden(n)
                                            else result_overflow(model, forward, n))
        f["overflow"].setText(f"⚠ {past}" if past else "")
        f["overflow"].setVisible(bool(past))

    def _hidden(self, node_id: str) -> bool:
        """The quiz hides this node's computed value (so its overflow too)."""
        return self.quiz is not None and self.quiz.active and self.quiz.hides_value(node_id)

    # --- edits ------------------------------------------------------------------------------
    def commit_typed(self) -> None:
        """Apply what is typed but not entered, before Forward, Backward or Train runs: the
        toolbar's buttons and the F-keys take no focus, so the field never hears of it."""
        if self.node_id is None:
            return
        for field in [self.name_field, *self.param_fields.values()]:
            field.commit_typed()
    def _run(self, command: ModelCommand) -> str | None:
        """Run an edit through the document; the refusal's reason, if it was refused."""
        done = self.document.run(command)
        return None if done else done.reason

    def _rename(self, text: str) -> None:
        if self.node_id is None:
            return
        label = text.strip()
        if label == self.document.model.label(self.node_id):
            self.name_field.set_error(None, restore=True)
            return
        error = self._run(Rename(self.document.model, self.node_id, label))
        if error:
            self.name_field.set_error(error, restore=True)

    def _set_param(self, name: str, text: str) -> None:
        if self.node_id is None:
            return
        data = self.document.model.node(self.node_id)
        field = self.param_fields[name]
        try:
            value = data.spec.param(name).parse(text)
        except GraphError as e:
            old = field.edit.committed
            field.set_error(self.tr("Not applied: %s. %s keeps %s (Esc restores it).")
                            % (e, data.label, old))
            return
        if value == data.params[name]:  # "1" for 1.0: nothing to change
            field.set_error(None, restore=True)
            return
        error = self._run(SetParam(self.document.model, self.node_id, name, value))
        if error:
            field.set_error(error)

    def _set_flag(self, flag: str, on: bool) -> None:
        if self.node_id is None:
            return
        model = self.document.model
        self._run(SetLoss(model, self.node_id if on else None) if flag == "loss"
                  else SetFlag(model, self.node_id, flag, on))
        self.refresh()  # a refused switch springs back
