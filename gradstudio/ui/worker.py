"""Long work off the GUI thread: a function runs in a worker thread while the GUI thread
only repaints, with a progress dialog (after 0.3 s) whose Cancel stops it.

The worker never touches a Qt object: it gets a ``Task`` (a stop flag it checks between
nodes, and progress numbers it sets) and returns a plain result. The GUI thread polls it
between events and gets the result back where the call was made, so callers stay
synchronous — ``document.load(path)`` still returns when the file is open — and whatever
the result replaces (the document's model) is swapped on the GUI thread only.

While a task runs the person cannot edit: for the first 0.3 s input waits (it is
delivered afterwards, as after any short pause), then the window-modal dialog blocks it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

__all__ = ["Task", "Cancelled", "run_inline", "BackgroundRunner", "Runner"]

T = TypeVar("T")
SHOW_AFTER_MS = 300  # shorter work shows no dialog
# How often the GUI thread looks up from waiting (repaints, progress, Cancel): each look takes
# the GIL from a worker running Python, so not more often than a smooth repaint needs.
POLL_SECONDS = 0.04


class Cancelled(Exception):
    """The person pressed Cancel: the work's result, if it ever comes, is dropped."""


class Task:
    """What a worker sees: ``should_stop()`` (checked between nodes, steps, files) and the
    progress it reports with ``report(done, total)``. Plain attributes, no Qt: the GUI
    thread reads them between events."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.done = 0
        self.total = 0  # 0: no count known (a busy indicator)

    def should_stop(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def report(self, done: int, total: int) -> None:
        self.done, self.total = done, total


# (work, label, drop_on_cancel=False) -> the work's result; may raise Cancelled
Runner = Callable[..., T]


def run_inline(work: Callable[[Task], T], label: str, drop_on_cancel: bool = False) -> T:
    """Run on the calling thread (headless documents, tests without a window)."""
    return work(Task())


class BackgroundRunner:
    """Runs work in a worker thread with a progress dialog over ``parent``."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.last_dialog_shown = False  # whether the last task's dialog appeared (tests)

    def __call__(self, work: Callable[[Task], T], label: str, drop_on_cancel: bool = False
                 ) -> T:
        """The work's result. On Cancel the worker is asked to stop at its next check; with
        ``drop_on_cancel`` (work on data of its own, such as reading a file) the call returns
        at once by raising Cancelled, else it waits until the work has stopped and returns
        what it returned (work on the document's session must be over before anything else
        touches it)."""
        task = Task()
        future: Future = Future()

        def target() -> None:
            try:
                future.set_result(work(task))
            except BaseException as e:  # noqa: BLE001 - handed to the GUI thread as it is
                future.set_exception(e)

        self.last_dialog_shown = False
        threading.Thread(target=target, name="gradstudio-worker", daemon=True).start()
        dialog: list[QProgressDialog] = []  # made only if the work outlasts SHOW_AFTER_MS
        try:
            self._wait(task, future, label, dialog, drop_on_cancel)
        finally:
            for d in dialog:
                d.close()
                d.deleteLater()
        if task.should_stop() and drop_on_cancel and not future.done():
            raise Cancelled(label)
        return future.result()  # an error in the worker is raised here, on the GUI thread

    def _dialog(self, label: str) -> QProgressDialog:
        dialog = QProgressDialog(label, self.parent.tr("Cancel"), 0, 0, self.parent)
        dialog.setWindowTitle(self.parent.tr("GradStudio"))
        dialog.setWindowModality(Qt.WindowModal)
        # shown by _wait after SHOW_AFTER_MS (its own timer starts at 4 s, before any value)
        dialog.setMinimumDuration(SHOW_AFTER_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        return dialog

    def _wait(self, task: Task, future: Future, label: str, made: list[QProgressDialog],
              drop: bool) -> None:
        """Until the work is done. The dialog (into ``made``) is built only once it is due
        to show: short work, such as the file opened at start-up, never builds one."""
        shown_total = -1
        show_at = time.monotonic() + SHOW_AFTER_MS / 1000
        while not future.done():
            if not made and time.monotonic() >= show_at:
                made.append(self._dialog(label))
            if made:
                shown_total = self._follow(task, made[0], drop, shown_total)
            if drop and task.should_stop():
                return  # its result is dropped: no need to wait for it
            # while no modal dialog is up, input waits; once one is, it blocks the window
            modal = QApplication.activeModalWidget() is not None
            QCoreApplication.processEvents(
                QEventLoop.AllEvents if modal else QEventLoop.ExcludeUserInputEvents, 20)
            wait_for([future], timeout=POLL_SECONDS)

    def _follow(self, task: Task, dialog: QProgressDialog, drop: bool, shown_total: int
                ) -> int:
        """The dialog shown, its Cancel passed on, its bar following the task's progress;
        returns the total the bar now shows."""
        if not dialog.isVisible() and not dialog.wasCanceled():
            dialog.show()
        if dialog.wasCanceled() and not task.should_stop():
            task.stop()  # the worker stops at its next check
            if not drop:  # Cancel hid it: say what happens until the work stops
                dialog.show()
                dialog.setLabelText(self.parent.tr("Cancelling…"))
        visible = dialog.isVisible()
        self.last_dialog_shown |= visible
        if visible and task.total != shown_total:
            shown_total = task.total
            dialog.setMaximum(task.total)
        if visible and task.total:
            dialog.setValue(min(task.done, task.total))
        return shown_total
