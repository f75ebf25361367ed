"""Chain rule: for the selected node, the backward step that ran there — the incoming
gradient times each local derivative is what went to each input, with numbers. It is the
notebook's manual derivation, generated for whatever graph is on the canvas. The words come
from ``gradstudio.graph.chain_rule``; this panel lays them out."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from gradstudio.graph import format_number, kind
from gradstudio.graph.chain_rule import (
    ChainRuleStep,
    PortFlow,
    chain_rule_at,
    formula_with_labels,
    gradients_are_stale,
    leaf_facts,
    loss_label,
    target_text,
)

from .. import theme

if TYPE_CHECKING:
    from gradstudio.graph.trace import Trace

    from ..canvas.view import GraphView
    from ..document import Document

__all__ = ["ChainRulePanel"]


def _esc(text: object) -> str:
    return html.escape(str(text))


class ChainRulePanel(QWidget):
    """The 'Chain rule' dock: shows ``chain_rule_at(session, node)`` as a small table."""

    def __init__(self, document: Document, view: GraphView, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.document = document
        self.view = view
        self.node_id: str | None = None
        self.step: ChainRuleStep | None = None
        self._trace: tuple[object, Trace] | None = None  # (the backward it retraces, trace)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setAccessibleName(self.tr("Chain rule at the selected node"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text)
        self._timer = QTimer(self, singleShot=True, interval=40)
        self._timer.timeout.connect(self.refresh)

        view.scene().selectionChanged.connect(self.refresh)
        document.backward_done.connect(lambda _: self.refresh())
        document.evaluated.connect(lambda _: self.refresh())
        document.model_changed.connect(lambda _: self._timer.start())
        document.reset.connect(self.refresh)
        theme.follow(self, self.refresh)
        self.refresh()

    def plain_text(self) -> str:
        return self.text.toPlainText()

    # --- updating ---------------------------------------------------------------------------
    def refresh(self) -> None:
        self._timer.stop()
        ids = [n for n in self.view.selected_node_ids() if n in self.document.model]
        self.node_id = ids[0] if len(ids) == 1 else None
        self.step = None
        if not ids:
            self._hint(self.tr("Select a node on the canvas to see the chain rule at it: the "
                               "gradient that arrived from the loss, times the node's local "
                               "derivative, is what it passes on to each input."))
            return
        if len(ids) > 1:
            self._hint(self.tr("%n nodes are selected: select one to see its backward step.",
                               "", len(ids)))
            return
        try:
            self.step = chain_rule_at(self.document.session, self.node_id)
        except Exception as e:  # noqa: BLE001 - a half-built graph must not break the panel
            self._hint(self.tr("The chain rule cannot be shown here: %s") % e)
            return
        self.text.setHtml(self._render(self.step))

    def _hint(self, text: str) -> None:
        self.text.setHtml(f"<p style='color:{theme.current().muted}'>{_esc(text)}</p>")

    # --- rendering --------------------------------------------------------------------------
    def _render(self, step: ChainRuleStep) -> str:
        model = self.document.model
        data = model.node(step.node)
        spec = kind(data.kind)
        c = theme.current()
        if spec.is_leaf:
            head = (f"<h3 style='margin:0'>{_esc(step.label)}</h3>"
                    f"<p style='color:{c.muted}; margin-top:2px'>{_esc(spec.title)} · "
                    f"{_esc(self.tr('leaf'))}</p>")
            return head + self._render_leaf(step)
        ports = {f.port: f.source for f in step.flows}
        formula = formula_with_labels(step.formula, ports)
        head = (f"<h3 style='margin:0'>{_esc(step.label)} = {_esc(formula)}</h3>"
                f"<p style='color:{c.muted}; margin-top:2px'>{_esc(spec.title)}"
                f" · {_esc(target_text(self.document.session))}</p>")
        if step.note:
            return head + f"<p style='color:{c.error}'>{_esc(step.note)}</p>"
        loss = loss_label(self.document.session)
        stale = gradients_are_stale(self.document.session)
        if stale:
            incoming = (f"<p><b>∂{_esc(loss)}/∂{_esc(step.label)}</b>: "
                        + _esc(self.tr("a forward has run since the last backward (a train "
                                       "step or an edit), so its gradients are gone from the "
                                       "computed values. Press Backward (F6) to run it on the "
                                       "current values.")) + "</p>")
        elif step.incoming is None:
            why = step.flows[0].why_none if step.flows else None
            incoming = (f"<p><b>∂{_esc(loss)}/∂{_esc(step.label)}</b>: nothing arrived here"
                        f"{' — ' + _esc(why) if why else ''}.</p>")
            if self.document.session.last_backward is None:
                incoming += (f"<p style='color:{c.muted}'>"
                             + _esc(self.tr("Press Backward (F6) to run it. The local "
                                            "derivatives below are already known from the "
                                            "forward values.")) + "</p>")
        else:
            start = step.node == getattr(self.document.session.last_backward, "target", None)
            where = (self.tr("Backward starts here, with") if start else
                     self.tr("Gradient arriving from %s:") % loss)
            incoming = (f"<p>{_esc(where)} <b>∂{_esc(loss)}/∂{_esc(step.label)} = "
                        f"<span style='color:{c.gradient}'>{_esc(format_number(step.incoming))}"
                        f"</span></b></p>")
        rows = "".join(self._row(step, f, loss, stale) for f in step.flows)
        rule = (f"<p style='color:{c.muted}'>"
                + _esc(self.tr("Chain rule: each input receives ∂%1/∂%2 × ∂%2/∂input, and "
                               "adds it to what it gets from its other uses.")
                       .replace("%1", loss).replace("%2", step.label)) + "</p>")
        table = ("<table cellspacing=0 cellpadding=5 style='border-collapse:collapse'>"
                 f"<tr style='color:{c.muted}'><th align=left>input</th>"
                 "<th align=left>local derivative</th><th align=left>chain rule</th>"
                 "<th align=left>sent</th></tr>" + rows + "</table>")
        return head + incoming + table + rule

    def _row(self, step: ChainRuleStep, f: PortFlow, loss: str, stale: bool = False) -> str:
        c = theme.current()
        deriv = f"∂{_esc(step.label)}/∂{_esc(f.source)} = <b>{_esc(f.local_text)}</b>"
        port = f"<span style='color:{c.muted}'>port {_esc(f.port)}</span>"
        if stale:
            return (f"<tr><td>{_esc(f.source)} {port}</td><td>{deriv}</td>"
                    f"<td colspan=2 style='color:{c.muted}'>—</td></tr>")
        if f.sent is None:
            return (f"<tr><td>{_esc(f.source)} {port}</td><td>{deriv}</td>"
                    f"<td colspan=2 style='color:{c.muted}'>{_esc(f.nothing_sent)}</td></tr>")
        dest = f"<b>{_esc(f.source)}</b>"
        if kind(self.document.model.node(self._source_id(step, f)).kind).is_leaf:
            dest += f" <span style='color:{c.muted}'>(adds up in {_esc(f.source)}.grad)</span>"
        product, sent = step.product(f).rsplit(" = ", 1)
        return (f"<tr><td>{_esc(f.source)} {port}</td><td>{deriv}</td>"
                f"<td>{_esc(product)} = <b style='color:{c.gradient}'>{_esc(sent)}</b></td>"
                f"<td>→ {dest}</td></tr>")

    def _render_leaf(self, step: ChainRuleStep) -> str:
        c = theme.current()
        facts = leaf_facts(self.document.session, step.node)
        parts = [f"<p>{_esc(facts.intro)}</p>"]
        if facts.value:
            parts.append(f"<p>{_esc(facts.value)}</p>")
        color = c.gradient if facts.has_grad else c.muted
        parts.append(f"<p style='color:{color}'>{_esc(facts.grad)}</p>")
        lines = self._by_hand(step)
        if lines:
            parts.append(f"<p><b>{_esc(self.tr('By hand'))}</b><br>"
                         + "<br>".join(_esc(line) for line in lines) + "</p>")
        return "".join(parts)

    def _by_hand(self, step: ChainRuleStep) -> list[str]:
        """The notebook's derivation by hand for a leaf (graph/by_hand.py), after a backward
        that still stands; the trace is built once per backward. The trace's module is
        loaded then, not at start-up."""
        from gradstudio.graph.by_hand import by_hand
        from gradstudio.graph.trace import build_trace

        session = self.document.session
        last = session.last_backward
        if last is None or not last.ok or gradients_are_stale(session):
            return []
        if self._trace is None or self._trace[0] is not last \
                or not self._trace[1].is_current(self.document.model):
            self._trace = (last, build_trace(session, last.target, accumulate=False))
        if self._trace[1].find(step.node) is None:
            return []
        return by_hand(self._trace[1], step.node).lines(step.label)

    def _source_id(self, step: ChainRuleStep, f: PortFlow) -> str:
        return self.document.model.inputs_of(step.node)[f.port]
