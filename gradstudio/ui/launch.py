"""Starting the app: the QApplication, the window, and the offscreen modes
(--screenshot, --smoke-test) used by tests, docs and packaging."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["CannotOpenWindow", "frame_for_picture", "load_document_layer", "make_app",
           "offscreen", "process_age", "run_gui", "screenshot", "smoke_test", "start_window"]

# Messages Qt's offscreen platform prints that say nothing about the app.
_OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",)


def load_document_layer() -> None:
    """Import the document layer (``gradstudio.graph``: numpy, networkx, the engine) before
    any of Qt. From its first import on, PySide6 reads the source of every module imported
    after it (looking for ``from __feature__ import``); for the ~400 modules of these
    libraries that is a tenth of the start-up. The window needs them all anyway; they read
    no file and start nothing."""
    import gradstudio.graph  # noqa: F401


class CannotOpenWindow(Exception):
    """This desktop cannot show a window (``desktop.problem`` says why and what to do)."""


def make_app(argv: list[str] | None = None):  # noqa: ANN201 - QApplication
    """The QApplication: Fusion style, light or dark palette following the system (or
    ``GRADSTUDIO_APPEARANCE=light|dark``), the app icon. First, whether a window can open
    at all: CannotOpenWindow rather than Qt's abort when it cannot."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from gradstudio.resources import resource_path

    from . import desktop, style

    if QApplication.instance() is None and (why := desktop.problem()) is not None:
        raise CannotOpenWindow(why)
    _name_the_app()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    desktop.release()  # Qt is connected now
    app.setStyle("Fusion")
    app.setDesktopFileName("io.github.gradstudio.GradStudio")
    style.follow_system_appearance(app)
    icon = resource_path("icons", "gradstudio.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _name_the_app() -> None:
    """Who the app is to Qt: settings, the data folder and the crash log's path follow it."""
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.setOrganizationName("GradStudio")
    QCoreApplication.setApplicationName("GradStudio")
    QCoreApplication.setApplicationVersion(_version())


def _version() -> str:
    from gradstudio import __version__

    return __version__


def _window(file: str | None, first_launch_example: bool = True, settings=None,  # noqa: ANN001, ANN202
            autosave_folder: Path | None = None):
    from .main_window import MainWindow

    window = MainWindow(settings, autosave_folder)
    settings = window.settings
    if file:
        _open_argument(window, file)
    elif first_launch_example or not settings.value("app/launched", False, type=bool):
        window.open_example("small_network")
    settings.setValue("app/launched", True)
    return window


def _open_argument(window, file: str) -> None:  # noqa: ANN001 - MainWindow
    """Open the file named on the command line. A file that cannot be opened is said in a box
    by ``load``; anything else that goes wrong on the way (a bug, memory) is reported as an
    unexpected error. Either way the window stays open with an empty document."""
    from .crash import report

    try:
        window.load(file)
    except Exception as e:  # noqa: BLE001 - shown and survived, like an error in a slot
        report(type(e), e, e.__traceback__, window)


def start_window(file: str | None = None, settings=None):  # noqa: ANN001, ANN201
    """The window as the app opens it: ``file``, or on the first launch small_network;
    shown, then fitted (the canvas has its real size only once the window is shown)."""
    window = _window(file, first_launch_example=False, settings=settings)
    window.show()
    window.view.fit()
    return window


def run_gui(file: str | None = None) -> int:
    """The app: the crash handler first (before anything is loaded, Qt starts or any file is
    read), then the document layer, the application, the window with ``file``, the recovery
    offer, the event loop."""
    from .crash import attach_log_file, install_excepthook

    shown: list = []  # the window, once there is one, parents the crash dialog
    install_excepthook(lambda: shown[0] if shown else None, log_file=False)  # no Qt yet
    load_document_layer()
    _name_the_app()  # the crash log's folder is named after the app
    attach_log_file()
    app = make_app()
    window = start_window(file)
    shown.append(window)
    from .autosave import offer_recovery

    offer_recovery(window)  # work left by a crash or a kill, if any
    code = app.exec()
    _dispose(window)
    return code


def _dispose(window) -> None:  # noqa: ANN001 - MainWindow
    """Destroy a window now, while Qt is whole, rather than in Python's final collection."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    window.close()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def shutdown() -> None:
    """End Qt before the interpreter does. Left to Python's own shutdown, PySide objects can
    be freed in an order that crashes (seen in the frozen bundle: a segfault at exit after
    'smoke test: ok')."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.processEvents()
        app.shutdown()


def offscreen() -> None:
    """Offscreen Qt, quiet about what the offscreen platform cannot do."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message: str) -> None:  # noqa: ANN001
        if message in _OFFSCREEN_NOISE:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            print(message, file=sys.stderr)

    previous = qInstallMessageHandler(handler)


def _scratch_settings(folder: str):  # noqa: ANN202 - QSettings
    """Settings in a throw-away folder: the offscreen modes neither read the person's saved
    layout (so their output is always the same) nor write to it."""
    from PySide6.QtCore import QSettings

    return QSettings(str(Path(folder) / "settings.ini"), QSettings.IniFormat)


def frame_for_picture(window, select: str | None = None,  # noqa: ANN001 - MainWindow
                      panel: str | None = None) -> None:
    """Make the window look its best in a picture: side panels narrow so the canvas is large,
    one node selected (by default the first leaf holding a gradient) so the Inspector and the
    Chain rule panel show something, ``panel`` brought to the front, the graph fitted."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    side = [d for d in (window.docks.get("palette"), window.docks.get("inspector"))
            if d is not None and d.isVisible()]
    window.resizeDocks(side, [160 if d is window.docks.get("palette") else 320 for d in side],
                       Qt.Horizontal)
    bottom = window.docks.get(panel or "gradients")
    if bottom is not None:
        bottom.raise_()
        window.resizeDocks([bottom], [max(285, window.height() * 27 // 100)], Qt.Vertical)
    model, session = window.document.model, window.document.session
    if select is None:
        leaves = [n for n in model.node_ids() if not model.inputs_of(n)]
        select = next((n for n in leaves if session.grad(n) is not None), None)
    scene = window.view.scene()
    scene.clearSelection()
    if select is not None:
        scene.nodes[model.find(select)].setSelected(True)
    app.processEvents()
    window.view.fit()
    app.processEvents()


def screenshot(out: str, file: str | None = None, size: tuple[int, int] = (1600, 1000)) -> int:
    """Render the window (after a backward pass) to a PNG."""
    load_document_layer()
    offscreen()
    app = make_app()
    with tempfile.TemporaryDirectory(prefix="gradstudio-") as folder:
        if file and not _readable(file):
            return 1
        window = _window(file, settings=_scratch_settings(folder),
                         autosave_folder=Path(folder) / "autosave")
        window.resize(*size)
        window.show()
        app.processEvents()
        window.document.backward()
        frame_for_picture(window)
        ok = window.grab().save(str(Path(out)))
        window.document.undo_stack.setClean()
        _dispose(window)
    if not ok:
        print(f"gradstudio: error: cannot write {out}", file=sys.stderr)
        return 1
    return 0


def _readable(file: str) -> bool:
    """Offscreen there is no one to close a dialog: a file that cannot be opened is said in
    one line on stderr, as `gradstudio run` says it."""
    from gradstudio.graph import GraphError, fileformat

    try:
        fileformat.load(file)
    except GraphError as e:
        print(f"gradstudio: error: {e}", file=sys.stderr)
        return False
    except Exception as e:  # noqa: BLE001 - whatever it is, one line and no traceback
        print(f"gradstudio: error: cannot open {file}: {type(e).__name__}: {e}",
              file=sys.stderr)
        return False
    return True


def process_age() -> float | None:
    """Seconds since this process started (Linux), or None where that is not known."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def smoke_test() -> int:
    """Start offscreen, run the small network, check the notebook's numbers.

    Prints "window shown" (with the seconds since the process started, where known) as
    soon as the window is on screen, so start-up can be timed from outside; see
    packaging/measure_startup.py.
    """
    load_document_layer()
    offscreen()
    app = make_app()
    with tempfile.TemporaryDirectory(prefix="gradstudio-") as folder:
        window = _window(None, settings=_scratch_settings(folder),
                         autosave_folder=Path(folder) / "autosave")
        window.show()
        app.processEvents()
        age = process_age()
        print("window shown" + (f" {age:.2f} s after start" if age is not None else ""),
              flush=True)
        doc = window.document
        result = doc.backward()
        model, session = doc.model, doc.session
        w, b = model.find("w"), model.find("b")
        checks = {
            "backward ran": result.ok,
            "loss": repr(result.loss) == "tensor(6.7012, grad_fn=<NegBackward0>)",
            "w.grad": abs(session.grad(w).item() - 6.6917619705200195) < 1e-6,
            "b.grad": abs(session.grad(b).item() - 0.9987704753875732) < 1e-6,
        }
        window.document.undo_stack.setClean()
        _dispose(window)
    failed = [k for k, ok in checks.items() if not ok]
    print("smoke test: " + ("ok" if not failed else "FAILED: " + ", ".join(failed)))
    return 1 if failed else 0
