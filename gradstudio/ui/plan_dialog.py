"""Help ▸ Show Compiled Plan: the straight-line code the open graph is compiled to (the one
Train N and the probes run), read-only, in a monospace font; or why the engine runs it."""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from gradstudio.graph import Session

__all__ = ["PlanDialog"]


class PlanDialog(QDialog):
    """Shows ``session.plan_text()``; nothing in it can change the document."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Compiled Plan"))
        self.text = QPlainTextEdit(session.plan_text())
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.text.setAccessibleName(self.tr("Compiled plan code"))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(720, 560)
