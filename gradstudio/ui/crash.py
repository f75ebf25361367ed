"""Unexpected errors: logged to a file and shown in a dialog, and the app keeps running.

A bug in a slot must not take the document with it. Python calls ``sys.excepthook`` for an
exception that escapes a Qt slot; ours writes the traceback to the log, tells the person in
a dialog (with the log's path) and returns, so the event loop and the document go on.
The launch installs it before anything is loaded or read (``run_gui``), together with
faulthandler (a crash in native code prints the Python stack on stderr) and a hook for
threads, so no failure ends the process without a word. Installing it loads no Qt (the
launch loads the document layer before PySide6, see ``launch.load_document_layer``); the
log file is attached once the app has its name (``attach_log_file``), which needs Qt.
"""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

__all__ = ["attach_log_file", "install_excepthook", "log_path", "report"]

log = logging.getLogger("gradstudio")


def log_path() -> Path:
    from PySide6.QtCore import QStandardPaths  # Qt only when there is something to log

    folder = QStandardPaths.writableLocation(QStandardPaths.AppLocalDataLocation)
    return Path(folder or Path.home() / ".gradstudio") / "gradstudio.log"


def attach_log_file() -> None:
    """Log to the app's data folder (once the app is named: the folder is named after it)."""
    if any(isinstance(h, RotatingFileHandler) for h in log.handlers):
        return
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=2,
                                      encoding="utf-8")
    except OSError:  # no writable folder: the dialog still tells the person
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)


def report(kind: type[BaseException], error: BaseException, tb: TracebackType | None,
           parent: QWidget | None = None) -> str:
    """Log an unexpected exception and show it; returns the text shown."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    details = "".join(traceback.format_exception(kind, error, tb))
    log.error("unexpected error\n%s", details)
    text = (f"Something went wrong: {kind.__name__}: {error}\n\n"
            "Your graph is still open and unchanged by this error; saving it now is safe.\n"
            f"Details were written to {log_path()}.")
    if QApplication.instance() is None:  # before the app exists: the terminal is all there is
        print(f"{text}\n\n{details}", file=sys.stderr, flush=True)
    else:
        box = QMessageBox(QMessageBox.Critical, "GradStudio — unexpected error", text,
                          QMessageBox.Ok, parent)
        box.setDetailedText(details)
        box.exec()
    return text


def install_excepthook(parent_of_dialog: Callable[[], QWidget | None] = lambda: None,
                       log_file: bool = True) -> None:
    """Route uncaught exceptions to ``report``; Ctrl+C still interrupts. A thread's uncaught
    exception is logged (its default print stays); a fatal signal prints the stack. With
    ``log_file=False`` nothing of Qt is loaded: ``attach_log_file`` follows once the app is
    named (until then an error is printed on stderr, where ``report`` prints it anyway)."""
    if log_file:
        attach_log_file()
    _enable_faulthandler()

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None
             ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        try:
            report(kind, error, tb, parent_of_dialog())
        except Exception:  # the reporter itself failed: fall back to stderr, never loop
            sys.__excepthook__(kind, error, tb)

    sys.excepthook = hook
    threading.excepthook = _log_thread_error


def _log_thread_error(args: threading.ExceptHookArgs) -> None:
    """A thread cannot show a dialog (Qt widgets live on the GUI thread): log, then print."""
    if args.exc_type is not SystemExit:
        details = "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                     args.exc_traceback))
        log.error("unexpected error in thread %s\n%s",
                  args.thread.name if args.thread else "?", details)
    threading.__excepthook__(args)


def _enable_faulthandler() -> None:
    """A segfault or abort in Qt or numpy prints every thread's Python stack on stderr instead
    of vanishing (unless something, such as pytest, already enabled it)."""
    if faulthandler.is_enabled():
        return
    stream = sys.__stderr__
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):  # no console (a windowed bundle)
        return
    faulthandler.enable(stream, all_threads=True)
