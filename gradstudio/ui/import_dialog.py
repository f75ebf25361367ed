"""File ▸ Import PyTorch Code…: a box to paste code into (or fill from a file), and Import.

The code is read by the graph layer (graph/code_import.py), never run. A refusal shows its
line:col under the box, puts the cursor there and keeps the text to fix; an import becomes a
new untitled document (after the unsaved-changes question), and the code's backward calls are
replayed so the cards show its gradients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gradstudio.graph.code_import import (
    Backward,
    CodeImportError,
    ImportedGraph,
    code_text,
    import_code,
    read_code,
    zero_grad_of,
)

from . import theme
from .document import Document, Message

if TYPE_CHECKING:
    from .main_window import MainWindow

__all__ = ["ImportCodeDialog", "show_import_dialog", "replay_in_document"]

EXAMPLE = """import torch
x = torch.tensor(3.0, requires_grad=True)
y = x ** 2
y.backward()"""


class ImportCodeDialog(QDialog):
    """The paste box, From file…, and Import; one per window, so its text stays."""

    def __init__(self, window: MainWindow, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.setWindowTitle(self.tr("Import PyTorch Code"))
        self.resize(640, 480)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("import.code")
        self.editor.setAccessibleName(self.tr("PyTorch code"))
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.editor.setPlaceholderText(self.tr("Paste PyTorch code here, for example:\n\n")
                                       + EXAMPLE)
        self.editor.setLineWrapMode(QPlainTextEdit.NoWrap)
        intro = QLabel(self.tr("The code is read, never run: tensors, their operations, "
                               "no_grad blocks and backward() become a graph."), self)
        intro.setWordWrap(True)
        self.error = QLabel(self)
        self.error.setObjectName("import.error")
        self.error.setAccessibleName(self.tr("Import error"))
        self.error.setWordWrap(True)
        self.error.hide()
        theme.follow(self.error, self._restyle)
        self.from_file = QPushButton(self.tr("From &file…"), self)
        self.from_file.clicked.connect(lambda: self.load_file())
        buttons = QDialogButtonBox(QDialogButtonBox.Cancel, self)
        self.import_button = buttons.addButton(self.tr("&Import"), QDialogButtonBox.AcceptRole)
        self.import_button.setDefault(True)
        buttons.addButton(self.from_file, QDialogButtonBox.ActionRole)
        buttons.accepted.connect(self.import_text)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _restyle(self) -> None:
        self.error.setStyleSheet(f"color: {theme.current().error}")

    def show_error(self, error: CodeImportError) -> None:
        """The refusal under the box, and the cursor where it is."""
        self.error.setText(self.tr("Not imported: %s") % str(error))
        self.error.show()
        block = self.editor.document().findBlockByLineNumber(error.line - 1)
        if block.isValid():
            cursor = QTextCursor(block)
            cursor.movePosition(QTextCursor.Right, QTextCursor.MoveAnchor,
                                min(error.col - 1, block.length() - 1))
            self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def load_file(self, path: str | None = None) -> bool:
        """Put a script's text in the box (it is imported when the person presses Import)."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Import PyTorch code"), "",
                                                  self.tr("Python (*.py);;All files (*)"))
            if not path:
                return False
        try:
            text = code_text(read_code(path))
        except OSError as e:
            self.error.setText(self.tr("Cannot read %s: %s") % (path, e.strerror or e))
            self.error.show()
            return False
        except CodeImportError as e:
            self.error.setText(self.tr("Cannot read %s: %s") % (path, e))
            self.error.show()
            return False
        self.editor.setPlainText(text)
        self.error.hide()
        return True

    def import_text(self) -> bool:
        """Import what the box holds: True when it became the document."""
        try:
            imported = import_code(self.editor.toPlainText())
        except CodeImportError as e:
            self.show_error(e)
            return False
        if imported.no_graph():  # only comments, prints, numbers: no graph to open
            self.error.setText(self.tr("Not imported: %s") % imported.no_graph())
            self.error.show()
            self.editor.setFocus()
            return False
        if not self.window_.open_model(imported.model):
            return False  # the person kept the current document: the text stays here
        self.error.hide()
        self.accept()
        replay_in_document(self.window_.document, imported)
        self.window_.statusBar().showMessage(imported.model.description, 15000)
        return True


def replay_in_document(document: Document, imported: ImportedGraph) -> None:
    """The code's backward and zero-grad calls, as Backward and zero grad in the window (so
    panels, ledger and messages follow); then its notes, as messages."""
    for action in imported.actions:
        if isinstance(action, Backward):
            document.backward(action.target)
        else:
            zero_grad_of(document.session, action.target, action.clear)
            document.ledger_changed.emit()
            document.forward()
    for note in imported.notes:
        document.message.emit(Message("info", note))


def show_import_dialog(window: MainWindow) -> ImportCodeDialog:
    """Open the window's import dialog (made once, so a cancelled paste is still there)."""
    dialog = window.findChild(ImportCodeDialog)
    if dialog is None:
        dialog = ImportCodeDialog(window)
    dialog.open()
    dialog.editor.setFocus()
    return dialog
