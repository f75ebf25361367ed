"""Messages: what happened, newest last — PyTorch's error text together with the reason in
plain words, and notes such as 'saved'."""

from __future__ import annotations

import html
import time

from PySide6.QtWidgets import QPushButton, QTextBrowser, QVBoxLayout, QWidget

__all__ = ["MessagesPanel"]


class MessagesPanel(QWidget):
    def __init__(self, document, view=None, parent: QWidget | None = None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.document = document
        self.entries: list[tuple[str, str]] = []  # (level, text)
        self.text = QTextBrowser()
        self.text.setAccessibleName(self.tr("Messages"))
        clear = QPushButton(self.tr("Clear"))
        clear.clicked.connect(self.clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text)
        layout.addWidget(clear)
        document.message.connect(self.add)

    def add(self, level: str, text: str) -> None:
        self.entries.append((level, text))
        color = "#d0312d" if level == "error" else "#2e7d32" if level == "info" else "#555"
        lines = html.escape(text).split("\n")
        body = f"<b>{lines[0]}</b>" + "".join(f"<br>&nbsp;&nbsp;{ln}" for ln in lines[1:])
        stamp = time.strftime("%H:%M:%S")
        self.text.append(f"<span style='color:#888'>{stamp}</span> "
                         f"<span style='color:{color}'>{body}</span>")

    def clear(self) -> None:
        self.entries.clear()
        self.text.clear()
