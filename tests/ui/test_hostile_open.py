"""The hostile corpus of issue 12 (benchmarks/hostile.py) through File > Open, with a graph
already open: a refused file shows its reason in the error box and leaves the open document
exactly as it was (graph, file, undo history); a file that is fine opens, and what is
unusual about it (1e308 in float32) is said in Messages. The FIFO and /dev/zero come back
at once (a hang would run into the test's timeout)."""

from __future__ import annotations

import pytest
from hostile_cases import CASES
from PySide6.QtWidgets import QFileDialog, QMessageBox

from benchmarks.hostile import Hostile

pytestmark = pytest.mark.usefixtures("canvas_ready")


@pytest.mark.parametrize("hostile", CASES)
def test_file_open_of_a_hostile_file_says_why_and_keeps_the_document(
        window, monkeypatch, hostile_file, hostile: Hostile) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical",
                        lambda parent, title, text, *a: shown.append(text))
    path = hostile_file(hostile.name)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window.open_example("small_network")
    doc = window.document
    doc.backward()  # something in the ledger and on the cards, too
    before = (doc.model.to_dict(), doc.path, doc.undo_stack.count(), doc.undo_stack.index(),
              window.windowTitle(), doc.session.ledger.lines())

    window.action_map["open"].trigger()
    messages = window.panels["messages"].text.toPlainText()
    if hostile.opens:
        assert shown == []
        assert doc.path == path and len(doc.model) >= 1
        assert hostile.says in messages
    else:
        (text,) = shown
        assert hostile.says in text and "Traceback" not in text
        after = (doc.model.to_dict(), doc.path, doc.undo_stack.count(), doc.undo_stack.index(),
                 window.windowTitle(), doc.session.ledger.lines())
        assert after == before
        assert window.statusBar().currentMessage() == text.split("\n")[0]
