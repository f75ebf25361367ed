"""Autosave and crash recovery: an unsaved document is written to the data folder every
half minute and after each train run; the next launch after a crash offers it back.

The files are the graph layer's (``graph/recovery.py``): one ``recovery-<pid>.gsgraph`` plus
its note per running app, in ``QStandardPaths.AppDataLocation``/autosave. A clean close —
saved, or discarded at the unsaved prompt — and every save remove this process's pair.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from gradstudio.graph import GraphError, recovery
from gradstudio.graph.recovery import Recovery

from .document import Document
from .worker import Cancelled

__all__ = ["Autosaver", "INTERVAL_MS", "ask_restore", "data_folder", "offer_recovery"]
log = logging.getLogger(__name__)

INTERVAL_MS = 30_000  # how often an unsaved document is written


def data_folder() -> Path:
    """Where recovery files live: the app's data folder (on Linux
    ``$XDG_DATA_HOME/GradStudio/GradStudio/autosave``)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "autosave"


class Autosaver(QObject):
    """Writes the document's recovery file while it has unsaved changes; removes it when the
    document is saved or closed cleanly. ``saved`` carries each record written."""

    saved = Signal(object)  # Recovery

    def __init__(self, document: Document, folder: Path | None = None,
                 interval_ms: int = INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent or document)
        self.document = document
        self.folder = Path(folder) if folder is not None else data_folder()
        self.record: Recovery | None = None  # what this process wrote last
        self._changes = 0  # model events and resets seen, to skip writing the same state twice
        self._written = -1
        self._failed = False  # a failure is reported once, until a write succeeds again
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.save_now)
        document.model_changed.connect(self._changed)
        document.reset.connect(self._changed)
        document.trained.connect(lambda _run: self.save_now())
        document.undo_stack.cleanChanged.connect(self._clean_changed)
        self.timer.start()

    def set_interval(self, ms: int) -> None:
        self.timer.start(ms)

    def _changed(self, *_: object) -> None:
        self._changes += 1

    def _clean_changed(self, clean: bool) -> None:
        if clean:  # saved (or undone back to the saved state): nothing to recover
            self.discard()

    def save_now(self) -> Recovery | None:
        """Write the document now if it has unsaved changes not written yet; the record."""
        if not self.document.modified:
            self.discard()
            return None
        if self._changes == self._written and self.record is not None:
            return self.record
        started = time.perf_counter()
        try:
            self.record = recovery.write(self.folder, self.document.model, self.document.path)
        except GraphError as e:
            if not self._failed:
                self._failed = True
                self.document.refuse(f"autosave failed: {e}")
            return None
        self._failed = False
        self._written = self._changes
        log.debug("autosaved %s in %.3f s", self.record.graph, time.perf_counter() - started)
        self.saved.emit(self.record)
        return self.record

    def discard(self) -> None:
        """Remove this process's recovery files (a clean close, a save)."""
        graph, info = recovery.files_of(self.folder, os.getpid())
        for path in (graph, info):
            try:
                path.unlink(missing_ok=True)
            except OSError as e:
                log.warning("cannot remove %s: %s", path, e)
        self.record = None
        self._written = -1

    def stop(self) -> None:
        """A clean close: no more writes, and nothing left behind."""
        self.timer.stop()
        self.discard()


def describe(record: Recovery, now: float | None = None) -> str:
    """What and when, in the dialog's words."""
    when = datetime.fromtimestamp(record.saved_at)
    ago = max(0, int((now if now is not None else time.time()) - record.saved_at))
    ago_text = (f"{ago} seconds ago" if ago < 120 else f"{ago // 60} minutes ago" if
                ago < 7200 else f"{ago // 3600} hours ago")
    what = f"“{record.name}”" if record.original is not None else record.name
    where = f" ({record.original.parent})" if record.original is not None else ""
    size = f", {record.nodes} node{'s' * (record.nodes != 1)}" if record.nodes >= 0 else ""
    return (f"GradStudio closed without saving {what}{where}.\n"
            f"Its autosave is from {when:%Y-%m-%d %H:%M:%S} ({ago_text}{size}).")


def ask_restore(parent: QWidget, record: Recovery) -> str:
    """The dialog: "restore", "discard" or "later" (keep the file for the next launch)."""
    box = QMessageBox(QMessageBox.Question, parent.tr("Restore unsaved work?"),
                      describe(record), QMessageBox.NoButton, parent)
    box.setInformativeText(parent.tr(
        "Restore opens it with its unsaved changes. Discard deletes the autosave. "
        "Not Now keeps it for the next launch."))
    restore = box.addButton(parent.tr("Restore"), QMessageBox.AcceptRole)
    discard = box.addButton(parent.tr("Discard"), QMessageBox.DestructiveRole)
    later = box.addButton(parent.tr("Not Now"), QMessageBox.RejectRole)
    box.setDefaultButton(restore)
    box.setEscapeButton(later)
    box.exec()
    clicked = box.clickedButton()
    return "restore" if clicked is restore else "discard" if clicked is discard else "later"


def offer_recovery(window) -> bool:  # noqa: ANN001 - MainWindow
    """At launch: offer each document left by a crashed GradStudio, newest first, until one
    is restored or put off. True if one was restored."""
    autosaver: Autosaver = window.autosave
    for record in recovery.pending(autosaver.folder):
        answer = ask_restore(window, record)
        if answer == "later":
            return False
        if answer == "discard":
            record.remove()
            continue
        try:
            model = window.document.runner(lambda _task, r=record: r.load(),
                                           window.tr("Restoring %s…") % record.name,
                                           drop_on_cancel=True)
        except Cancelled:
            return False  # kept for the next launch
        except GraphError as e:
            QMessageBox.critical(window, window.tr("Cannot restore"), str(e))
            return False
        if not window.maybe_save():
            return False
        window.document.restore(model, record.original)
        autosaver.save_now()  # this process now keeps it safe
        record.remove()
        window.view.fit()
        window.statusBar().showMessage(window.tr("Restored %s from its autosave") % record.name,
                                       8000)
        return True
    return False
