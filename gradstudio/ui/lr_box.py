"""The toolbar's learning-rate box: a QDoubleSpinBox that shows what the person types, even
out of range, and says why it is refused, instead of dropping keys (typing ``-5`` into a
plain spin box with a positive minimum gives 5, silently)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from gradstudio.graph import LR_MAX, LR_MIN

__all__ = ["LearningRateBox", "lr_refusal"]


def lr_refusal(typed: str, now: float) -> str:
    """Why a typed learning rate is not taken, and the lr that stays."""
    text = f"lr {typed} refused: a learning rate is from {LR_MIN:g} to {LR_MAX:g}"
    if typed.lstrip().startswith("-"):
        text += (", and a negative one would climb the loss (Train Step does "
                 "w -= lr * w.grad)")
    return f"{text}; lr is {now:g}"


class LearningRateBox(QDoubleSpinBox):
    """Out-of-range numbers (a minus sign, 0, 1000) stay in the box while typed; when the
    person confirms (Enter, leaving the box, a run), the box goes back to its last lr and
    ``refused`` says why."""

    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._typed = ""  # the refused number, until it is said
        self.editingFinished.connect(self._say_refusal)

    def validate(self, text: str, pos: int) -> object:
        state, text, pos = super().validate(text, pos)
        body = self._number_text(text)
        if state == QValidator.Invalid and body is not None and (
                body in ("-", "") or self.locale().toDouble(body)[1]):
            state = QValidator.Intermediate  # shown as typed; refused when confirmed
        return state, text, pos

    def fixup(self, text: str) -> str:
        body = self._number_text(text)
        if body and self.locale().toDouble(body)[1]:
            self._typed = body
        return super().fixup(text)

    def settle(self) -> None:
        """Take what the box shows now (a run uses it, even unconfirmed), or refuse it."""
        self.interpretText()
        self._say_refusal()

    def _say_refusal(self) -> None:
        if self._typed:
            typed, self._typed = self._typed, ""
            self.refused.emit(lr_refusal(typed, self.value()))

    def _number_text(self, text: str) -> str | None:
        prefix = self.prefix()
        return text[len(prefix):].strip() if text.startswith(prefix) else None
