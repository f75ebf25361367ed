"""Fixtures for GUI tests: offscreen Qt, settings in a temporary folder, main windows that
never prompt, a canvas at 100%. Gestures (drag, click, wire, key...) are in ``gestures.py``."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gestures import keep_visible  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets empty QSettings in its own folder, never the user's, and its own data
    folder (autosave writes there: QStandardPaths reads XDG_DATA_HOME on each call)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    QCoreApplication.setOrganizationName("GradStudioTests")
    QCoreApplication.setApplicationName("GradStudioTests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    yield tmp_path / "settings"


@pytest.fixture(autouse=True)
def empty_clipboard():
    """Every test starts and ends with an empty clipboard: what one test copied is not the
    next one's to paste, and none of it is left at exit, where the offscreen platform's
    clipboard frees a QMimeData made in Python after the interpreter has gone (a
    segmentation fault after the last test passed: tests/ui/test_exit.py)."""
    from PySide6.QtWidgets import QApplication

    yield
    if QApplication.instance() is not None:
        QApplication.clipboard().clear()


@pytest.fixture
def never_prompt(monkeypatch) -> Callable:
    """``never_prompt(w)``: window ``w`` answers its "Unsaved changes" box with Discard.
    pytest-qt closes widgets before fixtures tear down, so a modified document would open that
    modal box and hang. A test that answers the box itself patches ``ask_save`` after this."""

    def apply(window) -> None:
        monkeypatch.setattr(window, "ask_save", lambda: QMessageBox.Discard)

    return apply


@pytest.fixture
def open_window(qtbot, never_prompt) -> Callable:
    """``open_window()``: a new empty main window, shown offscreen at 1400x900, never
    prompting; closed by pytest-qt after the test."""
    from gradstudio.ui.first_paint import settled
    from gradstudio.ui.main_window import MainWindow

    def open_() -> MainWindow:
        w = MainWindow()
        qtbot.addWidget(w, before_close_func=lambda w: w.document.undo_stack.setClean())
        never_prompt(w)
        w.resize(1400, 900)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: settled(w))  # the plots made after the first frame
        return w

    return open_


@pytest.fixture
def window(open_window):
    """The test's main window (see ``open_window``)."""
    return open_window()


@pytest.fixture
def canvas_ready(window) -> None:
    """Scene (0, 0) in the middle of the view at 100%, where ``gestures`` put cards. Canvas
    test modules ask for it with ``pytestmark = pytest.mark.usefixtures("canvas_ready")``."""
    keep_visible(window)


@pytest.fixture
def restore_palette():
    """For tests that change the application palette: put it back for the tests after them."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = app.palette()
    yield app
    app.setPalette(before)
