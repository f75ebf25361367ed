"""Long work on the GUI thread with a progress dialog and Cancel, for work that reports
through callbacks (the graph layer's ``progress(done, total)`` and ``should_stop()``).

The dialog is window-modal, so the graph cannot be edited under the work, and it appears
only when the work is going to take longer than ``SHOW_AFTER_MS``; while it is up, the
window keeps painting (events are processed between reports, at most every
``EVENTS_EVERY`` seconds). Cancel is cooperative: the work stops at its next
``should_stop()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

__all__ = ["run_with_progress", "SHOW_AFTER_MS"]

SHOW_AFTER_MS = 300  # work expected to take less than this shows no dialog
EVENTS_EVERY = 0.03  # seconds between two turns of the event loop while working
T = TypeVar("T")
Report = Callable[[int, int], None]
Stop = Callable[[], bool]


def run_with_progress(parent: QWidget, label: str, work: Callable[[Report, Stop], T]) -> T:
    """Run ``work(progress, should_stop)`` and return what it returns."""
    dialog = QProgressDialog(label, QCoreApplication.translate("progress", "Cancel"), 0, 0,
                             parent)
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    dialog.setAutoReset(False)
    dialog.setAutoClose(False)
    dialog.setValue(0)  # starts the dialog's clock
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < EVENTS_EVERY and done < total:
            return
        last[0] = now
        if dialog.maximum() != total:
            dialog.setMaximum(total)
        dialog.setValue(done)  # shows the dialog once it is worth it
        QCoreApplication.processEvents()  # paint, and hear the Cancel button

    try:
        return work(progress, dialog.wasCanceled)
    finally:
        dialog.close()
        dialog.deleteLater()
