"""An unexpected exception in the UI is logged and shown, and the document survives."""

from __future__ import annotations

import logging
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from gradstudio.ui import crash


@pytest.mark.qt_no_exception_capture
def test_error_in_a_slot_is_shown_logged_and_survived(window, qtbot, monkeypatch, tmp_path):
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.text()) or 0)
    monkeypatch.setattr(crash, "log_path", lambda: tmp_path / "gradstudio.log")
    window.open_example("square")
    crash.install_excepthook(lambda: window)
    handlers = list(crash.log.handlers)

    def broken_view(result) -> None:  # noqa: ANN001 - a buggy subscriber
        raise ValueError("a bug in a panel")

    try:
        window.document.evaluated.connect(broken_view)
        window.action_map["backward"].trigger()
        qtbot.waitUntil(lambda: bool(shown))
    finally:
        window.document.evaluated.disconnect(broken_view)
        sys.excepthook = sys.__excepthook__
        for h in crash.log.handlers:
            if h not in handlers or isinstance(h, logging.FileHandler):
                crash.log.removeHandler(h)
                h.close()
    assert "ValueError: a bug in a panel" in shown[0]
    assert "gradstudio.log" in shown[0]
    assert "a bug in a panel" in (tmp_path / "gradstudio.log").read_text()
    # The document is intact and still runs.
    model = window.document.model
    x = model.find("x")
    assert window.document.session.grad(x).item() == 6.0
    window.action_map["backward"].trigger()
    assert window.document.session.grad(x).item() == 12.0
