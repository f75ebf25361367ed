"""A test's GradStudio, started as the ``gradstudio FILE`` command is, whose file loader fails
in the way named on the command line. Not a test module: ``test_launch_failures.py`` runs it.

    python tests/ui/argument_app.py FAILURE FILE

The loader prints one line ``LOAD {...}`` saying what was in place when it was called (the
crash handler, faulthandler, the application), then fails: ``memory``, ``recursion``,
``bug`` (an exception the loader never meant), ``segfault`` (native code crashes),
``none`` (it loads). Boxes print ``BOX <text>`` instead of waiting for a person; the event
loop prints ``RUNNING <title> <nodes>`` and returns at once. ``before-app`` makes starting
Qt itself fail, before any window. The platform is the environment's (the tests set
QT_QPA_PLATFORM=offscreen, or a DISPLAY of their own Xvfb).
"""

from __future__ import annotations

import faulthandler
import json
import sys

from PySide6.QtWidgets import QApplication, QMessageBox

from gradstudio.app import main
from gradstudio.graph import fileformat
from gradstudio.ui import launch

FAILURE, FILE = sys.argv[1], sys.argv[2]
real_load = fileformat.load


def load(path):  # noqa: ANN001, ANN201
    print("LOAD " + json.dumps({"crash_handler": sys.excepthook is not sys.__excepthook__,
                                "faulthandler": faulthandler.is_enabled(),
                                "app": QApplication.instance() is not None}), flush=True)
    if FAILURE == "segfault":
        import ctypes

        ctypes.string_at(0)
    if FAILURE == "none":
        return real_load(path)
    raise {"memory": MemoryError(), "recursion": RecursionError("maximum recursion depth "
                                                                "exceeded"),
           "bug": ZeroDivisionError("division by zero")}[FAILURE]


def box(self) -> int:  # noqa: ANN001
    print("BOX " + self.text().replace("\n", " | "), flush=True)
    return 0


def critical(parent, title, text, *args):  # noqa: ANN001, ANN201
    print("BOX " + text.replace("\n", " | "), flush=True)
    return QMessageBox.Ok


def event_loop(*args) -> int:  # noqa: ANN002
    from gradstudio.ui.main_window import MainWindow

    (window,) = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible()]
    print(f"RUNNING {window.windowTitle()} {len(window.document.model)}", flush=True)
    return 0


def no_qt(*args):  # noqa: ANN002, ANN202
    raise RuntimeError("Qt could not start")


fileformat.load = load
QMessageBox.exec = box
QMessageBox.critical = critical
QApplication.exec = event_loop
if FAILURE == "before-app":
    launch.make_app = no_qt
sys.exit(main([FILE]))
