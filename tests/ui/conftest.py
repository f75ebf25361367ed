"""Fixtures for GUI tests: offscreen Qt, settings in a temporary folder, a main window."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets empty QSettings in its own folder, never the user's."""
    QCoreApplication.setOrganizationName("GradStudioTests")
    QCoreApplication.setApplicationName("GradStudioTests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    yield tmp_path / "settings"


@pytest.fixture
def window(qtbot):
    """An empty main window, shown offscreen. Closing never prompts (marked clean)."""
    from gradstudio.ui.main_window import MainWindow

    w = MainWindow()
    # Closing must never prompt: pytest-qt closes widgets before the fixture's teardown.
    qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
    w.resize(1400, 900)
    w.show()
    qtbot.waitExposed(w)
    yield w
