"""Messages: what happened, newest last — PyTorch's error text together with the reason in
plain words, and notes such as 'saved'."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QPushButton, QTextBrowser, QVBoxLayout, QWidget

from .. import theme
from ..document import Document, Message

__all__ = ["MessagesPanel"]


class MessagesPanel(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.entries: list[tuple[str, str]] = []  # (level, text)
        self._stamps: list[str] = []
        self.text = QTextBrowser()
        self.text.setAccessibleName(self.tr("Messages"))
        clear = QPushButton(self.tr("Clear"))
        clear.clicked.connect(self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text)
        layout.addWidget(clear)
        document.message.connect(self.add)
        theme.follow(self, self.refresh)

    def add(self, message: Message) -> None:
        level, text = message.level, message.text
        self.entries.append((level, text))
        self._stamps.append(time.strftime("%H:%M:%S"))
        self.text.append(self._html(self._stamps[-1], level, text))

    def _html(self, stamp: str, level: str, text: str) -> str:
        c = theme.current()
        color = {"error": c.error, "wrong": c.error, "warning": c.warning,
                 "info": c.ok}.get(level, c.muted)
        lines = html.escape(text).split("\n")
        body = f"<b>{lines[0]}</b>" + "".join(f"<br>&nbsp;&nbsp;{ln}" for ln in lines[1:])
        return (f"<span style='color:{c.muted}'>{stamp}</span> "
                f"<span style='color:{color}'>{body}</span>")

    def refresh(self) -> None:
        """Show the messages again in the colours of the new light/dark appearance."""
        self.text.clear()
        for stamp, (level, text) in zip(self._stamps, self.entries, strict=True):
            self.text.append(self._html(stamp, level, text))

    def clear(self) -> None:
        self.entries.clear()
        self._stamps.clear()
        self.text.clear()
