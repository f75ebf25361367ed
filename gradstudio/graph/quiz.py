"""Predict, then reveal: the quiz's questions, the true answers with the chain-rule product
that gives them, reading a learner's typed prediction, and marking it.

The answers come from one forward and one backward from zero on private copies of the
leaves (``trace.build_trace(accumulate=False)``), so the quiz asks what a single Backward
gives and never touches the session or the document. A leaf's answer is explained by the
notebook's derivation by hand (``by_hand``: the product of local derivatives along each path
from the loss); a value by its forward formula with numbers; a missing gradient by the
graph layer's reason (``x does not require grad: requires_grad is off``).
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass

import numpy as np

from .annotations import Question
from .by_hand import by_hand
from .catalog import GraphError, parse_tensor_value
from .ledger import format_number
from .model import GraphModel
from .session import Session
from .trace import BACKWARD, FORWARD, LEAF, Trace, TraceStep, build_trace

__all__ = ["RTOL", "ATOL", "TOLERANCE_TEXT", "Answer", "Mark", "Quiz", "questions_of",
           "parse_prediction", "score_line"]

RTOL = 1e-3  # a prediction is right within this relative tolerance of the true value
ATOL = 1e-8  # ... or this close to it, for a true value of 0
TOLERANCE_TEXT = f"right within a relative tolerance of {RTOL:.0e}".replace("e-0", "e-")
NONE_WORDS = ("none", "null")  # a gradient that is None: "None"
MAX_TYPED = 2_000  # characters of a prediction read (a gradient fits in far fewer)
# PyTorch's printed form, tensor(6.6918) or tensor([...], requires_grad=True): its numbers
TENSOR_FORM = re.compile(r"^tensor\((.*?)(?:,\s*(?:requires_grad|grad_fn|dtype|device)=.*)?\)$",
                         re.S)
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow}


def questions_of(model: GraphModel) -> tuple[Question, ...]:
    """The file's questions, else one per leaf that requires grad (its ``.grad``)."""
    asked = tuple(q for q in model.exercise.questions if q.node in model)
    if asked:
        return asked
    return tuple(Question(n.id) for n in model.nodes()
                 if n.spec.is_leaf and n.flags.get("requires_grad"))


def _what(model: GraphModel, q: Question) -> str:
    label = model.label(q.node)
    return f"{label}.grad" if q.ask == "grad" else label


@dataclass(frozen=True)
class Answer:
    """The truth for one question: the number(s), or None for a gradient that is None."""

    question: Question
    what: str  # ``w.grad`` or ``z``
    truth: np.ndarray | None
    why: tuple[str, ...]  # the chain-rule product (or formula, or reason) that gives it

    @property
    def truth_text(self) -> str:
        return "None" if self.truth is None else format_number(self.truth)

    @property
    def shape(self) -> tuple[int, ...] | None:
        return None if self.truth is None else tuple(np.shape(self.truth))


@dataclass(frozen=True)
class Mark:
    """A prediction marked against its answer."""

    answer: Answer
    typed: str
    right: bool

    @property
    def symbol(self) -> str:
        return "✓" if self.right else "✗"

    def lines(self) -> list[str]:
        """``✓ w.grad: you said 6.69, it is 6.6918`` then how it is made."""
        a = self.answer
        said = self.typed.strip() or "nothing"
        return [f"{self.symbol} {a.what}: you said {said}, it is {a.truth_text}", *a.why]


def parse_prediction(text: str, shape: tuple[int, ...] | None) -> np.ndarray | None:
    """A typed prediction: a number, numbers for a vector (``1, 2, 3``) or ``None``.
    GraphError says what to type when it is not one (never a crash)."""
    typed = text.strip()
    if not typed:
        raise GraphError("type your prediction first: a number like 0.5"
                         + (", or None" if shape is None else ""))
    if typed.lower() in NONE_WORDS:
        return None
    form = TENSOR_FORM.match(typed)
    if form is not None:  # as PyTorch prints it: tensor(6.6918)
        typed = form.group(1).strip()
    try:
        value = np.asarray(_worked_out(typed), dtype=float)
    except GraphError as e:
        raise GraphError(f"not a prediction: {e}") from None
    if shape is not None:
        want = int(np.prod(shape))
        if value.size != want:
            raise GraphError(f"the answer has {want} number{'s' if want != 1 else ''}"
                             f"{f' (shape {list(shape)})' if shape else ''}; you typed "
                             f"{value.size}")
        value = value.reshape(shape)
    return value


def _worked_out(text: str) -> float | list:
    """Numbers, or sums and products of them worked out (``2*3``, ``cos(9)`` is not: no
    names), one per element: ``1, 2, 3`` or ``[0.667, 4/3, 2]``. Python's own expression
    syntax is read with ``ast`` and only numbers and + - * / ** are evaluated: typed text
    never runs code. Whatever else is typed is a GraphError, as a leaf's value would be."""
    if len(text) > MAX_TYPED:
        raise GraphError(f"more than {MAX_TYPED} characters: type the numbers only")
    try:
        tree = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return parse_tensor_value(text)  # its words say what is wrong
    if isinstance(tree, ast.Tuple):  # 1, 2, 3
        tree = ast.List(tree.elts)
    try:
        value = _number_or_list(tree, depth=0)
    except RecursionError:  # ---...-1: deeper than anyone works a number out
        raise GraphError("too deeply nested: type the number itself") from None
    parse_tensor_value(value)  # the same checks as a leaf's value: shape, element budget
    return value


def _number_or_list(node: ast.AST, depth: int) -> float | list:
    if isinstance(node, ast.List | ast.Tuple):
        if depth >= 2:
            raise GraphError("a prediction is a number, a list or a list of lists")
        return [_number_or_list(e, depth + 1) for e in node.elts]
    return _arithmetic(node)


def _arithmetic(node: ast.AST) -> float:
    """A number worked out from numbers and + - * / ** (in floats: 10**10**10 overflows
    at once instead of running for ever)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return float(node.value)
        except OverflowError:  # an integer of hundreds of digits
            raise GraphError("a number too big, or not a real number") from None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _arithmetic(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        try:
            return float(_OPERATORS[type(node.op)](left, right))
        except ZeroDivisionError:
            raise GraphError("a division by zero") from None
        except (OverflowError, TypeError):  # TypeError: a negative number to a fraction
            raise GraphError("a number too big, or not a real number") from None
    if isinstance(node, ast.Name) and node.id.lower() in ("inf", "nan"):
        return float(node.id)
    raise GraphError(f"each element must be a number (+ − × ÷ allowed, like 2*3), "
                     f"got {ast.unparse(node)!r}")


def _is_right(prediction: np.ndarray | None, truth: np.ndarray | None) -> bool:
    if prediction is None or truth is None:
        return prediction is None and truth is None
    truth = np.asarray(truth, dtype=float)
    if prediction.shape != truth.shape:
        return False
    return bool(np.all(np.isclose(prediction, truth, rtol=RTOL, atol=ATOL)))


class Quiz:
    """The questions of a session's graph and their answers, worked out once."""

    def __init__(self, session: Session) -> None:
        self.model = session.model
        self.questions = questions_of(self.model)
        self.trace = build_trace(session, accumulate=False)
        self.answers = {q: self._answer(q) for q in self.questions}

    def answer(self, q: Question) -> Answer:
        return self.answers[q]

    def check(self, q: Question, text: str) -> str | None:
        """Why ``text`` cannot be marked (to show at once, before the reveal), or None."""
        try:
            parse_prediction(text, self.answers[q].shape)
        except GraphError as e:
            return str(e)
        return None

    def mark(self, q: Question, text: str) -> Mark:
        """A prediction that does not parse (or is empty) is marked wrong, not refused."""
        answer = self.answers[q]
        try:
            prediction = parse_prediction(text, answer.shape)
        except GraphError:
            return Mark(answer, text, False)
        return Mark(answer, text, _is_right(prediction, answer.truth))

    def mark_all(self, typed: dict[Question, str]) -> list[Mark]:
        return [self.mark(q, typed.get(q, "")) for q in self.questions]

    def is_current(self) -> bool:
        """False once the graph was edited: the answers are for another graph."""
        return self.trace.is_current(self.model)

    def _leaf_why(self, leaf: TraceStep) -> tuple[str, ...]:
        """The product along each path from the loss (the sum when there are several), then
        the local derivative of each node the gradient reached the leaf from, with its
        formula (``∂wx/∂w = x = 6.7000``); a one-link path is that line alone."""
        label = self.model.label(leaf.node)
        hand = by_hand(self.trace, leaf.node)
        product = hand.lines(label)[:-1]  # the last line checks it against autograd
        local = []
        for consumer in dict.fromkeys(a.consumer for a in leaf.arrivals):
            step = self.trace.find(consumer, BACKWARD)
            head = f"∂{self.model.label(consumer)}/∂{label} ="
            local += [m for m in (step.maths if step else ()) if m.startswith(head)]
        if hand.count == 1 and len(hand.paths[0].factors) == 1 and local:
            return tuple(local)
        return tuple(product + local)

    def _answer(self, q: Question) -> Answer:
        what, t = _what(self.model, q), self.trace
        if q.ask == "value":
            step = t.find(q.node, FORWARD)
            if step is None or step.value is None:
                reason = t.forward.errors.get(q.node, "it has no value")
                return Answer(q, what, None, (f"{what} is not computed: {reason}",))
            return Answer(q, what, np.array(step.value), step.maths[:1])
        leaf = t.find(q.node, LEAF)
        if leaf is not None:
            return Answer(q, what, np.array(leaf.grad), self._leaf_why(leaf))
        step = t.find(q.node, BACKWARD)
        if step is not None and step.grad is not None:
            return Answer(q, what, np.array(step.grad), (step.text,))
        return Answer(q, what, None, (_why_none(t, self.model, q.node),))


def _why_none(trace: Trace, model: GraphModel, node: str) -> str:
    label = model.label(node)
    step = trace.find(node)
    reason = step.reason if step is not None and step.reason else None
    if not trace.backward.ok and trace.target is not None:
        b = trace.backward
        head = f"backward from {model.label(trace.target)} cannot run ({b.reason})"
        return f"{label}.grad stays None: {head}" + (f"; {reason}" if reason and
                                                     reason != b.reason else "")
    return f"{label}.grad stays None: {reason or 'backward does not reach it'}"


def score_line(marks: list[Mark]) -> str:
    """``2 of 3 right``."""
    return f"{sum(m.right for m in marks)} of {len(marks)} right"
