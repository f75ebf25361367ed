"""Starting the app: the QApplication, the window, and the offscreen modes
(--screenshot, --smoke-test) used by tests, docs and packaging."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["make_app", "run_gui", "screenshot", "smoke_test"]


def make_app(argv: list[str] | None = None):  # noqa: ANN201 - QApplication
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from gradstudio.resources import resource_path

    QCoreApplication.setOrganizationName("GradStudio")
    QCoreApplication.setApplicationName("GradStudio")
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setStyle("Fusion")
    hints = QGuiApplication.styleHints()
    if hasattr(hints, "colorScheme") and hints.colorScheme() == Qt.ColorScheme.Dark:
        from .style import dark_palette

        app.setPalette(dark_palette())
    icon = resource_path("icons", "gradstudio.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _window(file: str | None, first_launch_example: bool = True):  # noqa: ANN202
    from PySide6.QtCore import QSettings

    from .main_window import MainWindow

    window = MainWindow()
    settings: QSettings = window.settings
    if file:
        window.load(file)
    elif first_launch_example or not settings.value("app/launched", False, type=bool):
        window.open_example("small_network")
    settings.setValue("app/launched", True)
    return window


def run_gui(file: str | None = None) -> int:
    app = make_app()
    window = _window(file, first_launch_example=False)
    window.show()
    window.view.fit()
    return app.exec()


def _offscreen() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def screenshot(out: str, file: str | None = None) -> int:
    """Render the window (after a backward pass) to a PNG."""
    _offscreen()
    app = make_app()
    window = _window(file)
    window.resize(1500, 950)
    window.show()
    app.processEvents()
    window.document.backward()
    window.view.fit()
    app.processEvents()
    ok = window.grab().save(str(Path(out)))
    window.document.undo_stack.setClean()
    window.close()
    if not ok:
        print(f"gradstudio: error: cannot write {out}", file=sys.stderr)
        return 1
    return 0


def smoke_test() -> int:
    """Start offscreen, run the small network, check the notebook's numbers."""
    _offscreen()
    app = make_app()
    window = _window(None)
    window.show()
    app.processEvents()
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
    window.close()
    failed = [k for k, ok in checks.items() if not ok]
    print("smoke test: " + ("ok" if not failed else "FAILED: " + ", ".join(failed)))
    return 1 if failed else 0
