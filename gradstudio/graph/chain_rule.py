"""The chain rule at one node, with numbers: incoming gradient x local derivative = what
went to each input. This is the notebook's manual derivation, generated for any graph.

The node is replayed on private copies of its inputs, so each port gets its own numbers
even when one source feeds two ports (``mul(x, x)``).

The wording lives here too (the Chain rule panel only lays it out): a step's lines, a leaf's
facts, what the last backward was and whether its gradients are still there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

import gradstudio.engine as ge

from .catalog import kind
from .explain import blocks_gradient, why_not_requires_grad
from .ledger import format_number
from .maths import format_factor
from .session import Session

__all__ = ["PortFlow", "ChainRuleStep", "LeafFacts", "chain_rule_at", "leaf_facts",
           "formula_with_labels", "loss_label", "target_text", "gradients_are_stale"]


@dataclass(frozen=True)
class PortFlow:
    """One input edge: the local derivative d(node)/d(input) and the gradient sent along
    it in the last backward (None, with ``why_none``, where nothing flowed)."""

    port: str
    source: str  # label of the node wired into the port
    local: np.ndarray | None
    sent: np.ndarray | None
    why_none: str | None = None

    @property
    def local_text(self) -> str:
        return "—" if self.local is None else format_factor(self.local)

    @property
    def nothing_sent(self) -> str:
        """Why nothing went along this input: ``nothing sent to x: x does not require
        grad``."""
        return f"nothing sent to {self.source}: {self.why_none or 'no gradient flows here'}"


@dataclass(frozen=True)
class ChainRuleStep:
    node: str
    label: str
    formula: str
    incoming: np.ndarray | None  # d(loss)/d(this node's output) in the last backward
    flows: tuple[PortFlow, ...]
    note: str | None = None

    @property
    def incoming_text(self) -> str:
        return "?" if self.incoming is None else format_number(self.incoming)

    def product(self, f: PortFlow) -> str:
        """The chain rule along one input: ``0.9988 × 6.7000 = 6.6918``."""
        sent = "?" if f.sent is None else format_number(f.sent)
        return f"{self.incoming_text} × {f.local_text} = {sent}"

    def lines(self, loss_label: str = "loss") -> list[str]:
        """The derivation in words and numbers, one line per input."""
        if self.note:
            return self.note.split("\n")
        out = [f"∂{loss_label}/∂{self.label} = {self.incoming_text}"]
        for f in self.flows:
            if f.sent is None:
                out.append(f"∂{self.label}/∂{f.port} = {f.local_text}; {f.nothing_sent}")
            else:
                out.append(f"∂{self.label}/∂{f.port} = {f.local_text};  {self.product(f)} "
                           f"→ {f.source}")
        return out


@dataclass(frozen=True)
class LeafFacts:
    """What the chain rule says at a leaf: where it stops, the value, the gradient."""

    intro: str
    value: str | None  # ``value: 1`` (None for a leaf without a value)
    grad: str  # what .grad holds, or why there is none
    has_grad: bool

    def lines(self) -> list[str]:
        return [self.intro, *([self.value] if self.value else []), self.grad]


def leaf_facts(session: Session, node_id: str) -> LeafFacts:
    model = session.model
    data = model.node(node_id)
    label = data.label
    value = data.params.get("value")
    intro = (f"{label} is a leaf: it was not computed from other nodes, so the chain rule "
             f"stops here. Every backward adds what reaches {label} to {label}.grad.")
    shown = None if value is None else f"value: {format_number(np.asarray(value, float))}"
    why_not = why_not_requires_grad(model, node_id, session.no_grad_mode)
    grad = session.grad(node_id)
    if why_not:
        return LeafFacts(intro, shown, f"{why_not}, so no gradient is recorded for it.", False)
    if grad is None:
        return LeafFacts(intro, shown, f"{label}.grad is None: no backward has reached it yet.",
                         False)
    return LeafFacts(intro, shown, f"{label}.grad holds {format_number(grad.numpy())}", True)


def formula_with_labels(formula: str, ports: dict[str, str]) -> str:
    """``a · b`` with a = w, b = x becomes ``w · x``; ``prediction`` also stands as ``p``."""
    names: dict[str, str] = {}
    for port, label in ports.items():
        names[port] = label
        names.setdefault(port[0], label)
    if not names or not formula:
        return formula
    pattern = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, names)) + r")(?![\w])")
    return pattern.sub(lambda m: names[m.group(1)], formula)


def loss_label(session: Session) -> str:
    """The name the gradients are about: the last backward's target, else the loss."""
    last, model = session.last_backward, session.model
    if last is not None and last.target in model:
        return model.label(last.target)
    loss = model.loss
    return model.label(loss) if loss in model else "loss"


def target_text(session: Session) -> str:
    last = session.last_backward
    if last is None:
        return "no backward has run yet"
    if not last.ok:
        return "the last backward did not run"
    return f"last backward from {loss_label(session)}"


def gradients_are_stale(session: Session) -> bool:
    """True when a forward ran after the last backward: its gradients are gone from the
    computed values."""
    last = session.last_backward
    if last is None or not last.ok or session.last_forward is None:
        return False
    return not session.backward_is_current()


def chain_rule_at(session: Session, node_id: str) -> ChainRuleStep:
    """The backward step at ``node_id`` after the session's last backward."""
    model = session.model
    data = model.node(node_id)
    spec = kind(data.kind)
    if spec.is_leaf:
        note = "\n".join(leaf_facts(session, node_id).lines())
        return ChainRuleStep(node_id, data.label, "", None, (), note)
    forward = session.last_forward
    if forward is None or node_id in forward.errors or node_id not in forward.values:
        why = "run forward first" if forward is None else forward.errors.get(node_id, "no value")
        return ChainRuleStep(node_id, data.label, spec.formula, None, (), f"{data.label}: {why}")
    wired = model.inputs_of(node_id)
    sources = [wired.get(p) for p in spec.inputs]
    inputs = [forward.value(s) for s in sources]
    if any(v is None for v in inputs):
        return ChainRuleStep(node_id, data.label, spec.formula, None, (),
                             f"{data.label} has an input without a value")
    copies = [ge.tensor(v.detach().numpy(), dtype=v.dtype, requires_grad=True) for v in inputs]
    out = spec.build(data.params)(*copies)
    locals_ = ge.autograd.grad(out, copies, ge.ones_like(out), retain_graph=True,
                               allow_unused=True)
    incoming = _incoming(session, node_id)
    sent = (None,) * len(copies)
    if incoming is not None:
        sent = ge.autograd.grad(out, copies, ge.tensor(incoming, dtype=out.dtype),
                                allow_unused=True)
    flows = []
    for port, src, value, local, s in zip(spec.inputs, sources, inputs, locals_, sent,
                                          strict=True):
        why = None
        if incoming is None:
            why = _why_no_incoming(session, node_id)
        elif not value.requires_grad:  # say which switch: requires_grad, detach, no-grad
            why = (why_not_requires_grad(model, src, session.no_grad_mode)
                   or f"{model.label(src)} does not require grad")
        flows.append(PortFlow(port, model.label(src), _np(local), None if why else _np(s), why))
    return ChainRuleStep(node_id, data.label, spec.formula, incoming, tuple(flows))


def _np(t: ge.Tensor | None) -> np.ndarray | None:
    return None if t is None else np.array(t.numpy())


def _incoming(session: Session, node_id: str) -> np.ndarray | None:
    """The gradient that reached this node's output in the last backward."""
    last = session.last_backward
    if last is None or not last.ok:
        return None
    if blocks_gradient(session.model, node_id):
        return None
    if node_id == last.target:
        return np.ones(tuple(last.loss.shape), dtype=last.loss.dtype.numpy)
    grad = session.grad(node_id)
    return None if grad is None else np.array(grad.numpy())


def _why_no_incoming(session: Session, node_id: str) -> str:
    last = session.last_backward
    if last is None:
        return "no backward has run yet"
    if not last.ok:
        return "the last backward did not run"
    how = blocks_gradient(session.model, node_id)
    label = session.model.label(node_id)
    if how:
        return f"{label} is {how}"
    return f"no gradient reached {label} from {session.model.label(last.target)}"
