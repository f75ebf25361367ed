"""Render the documentation's screenshots offscreen into docs/images/.

    .venv/bin/python tools/make_screenshots.py              # all of them
    .venv/bin/python tools/make_screenshots.py --only 05    # those whose name has "05"
    .venv/bin/python tools/make_screenshots.py --dark       # with the dark palette

``main-window.png`` (the README's) is what ``gradstudio --screenshot OUT.png`` renders; the
others follow docs/guide.md, one per notebook section: open the example, do what the section
does (backward, twice for accumulation, ...), select the node worth looking at and bring the
panel that explains it to the front. Settings live in a temporary folder, so a layout saved
by the app on this machine never leaks into the pictures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QCoreApplication, QSettings  # noqa: E402

from gradstudio.ui import launch  # noqa: E402

SIZE = (1400, 900)


@dataclass
class Shot:
    """One picture: open ``example``, run ``steps``, select ``select``, raise ``panel``."""

    name: str
    example: str
    steps: Callable = lambda window: None
    select: str | None = None
    panel: str = "gradients"
    size: tuple[int, int] = SIZE
    hide: list[str] = field(default_factory=list)


def _backward(times: int = 1, target: str | None = None) -> Callable:
    def run(window) -> None:  # noqa: ANN001
        node = window.document.model.find(target) if target else None
        for _ in range(times):
            window.document.backward(node)
    return run


def _backward_then_zero(window) -> None:  # noqa: ANN001
    _backward(2)(window)
    window.action_map["zero_grad"].trigger()


def _detach_both(window) -> None:  # noqa: ANN001
    """y.backward() works; y1.backward() is refused (z is x.detach())."""
    _backward(target="y")(window)
    _backward(target="y1")(window)


def _train(window) -> None:  # noqa: ANN001
    """100 steps at the file's learning rate (0.1), the loss on a log scale."""
    from PySide6.QtWidgets import QCheckBox

    window.document.train(100)
    for box in window.panels["training"].findChildren(QCheckBox):
        if "log" in box.text():
            box.setChecked(True)


WIDE = ["palette"]  # the small network is wide: its pictures leave the palette out

SHOTS = [
    Shot("01-square", "square", _backward(), select="y", panel="chain_rule"),
    Shot("02-sin-of-square", "sin_of_square", _backward(), select="y", panel="chain_rule"),
    Shot("03-small-network", "small_network", _backward(), select="wx", panel="chain_rule",
         hide=WIDE),
    Shot("03b-small-network-gradients", "small_network", _backward(), select="w",
         panel="gradients", hide=WIDE),
    Shot("04-vector-mean", "vector_mean", _backward(), select="x", panel="gradients"),
    Shot("05-accumulation", "accumulation", _backward(2), select="x", panel="ledger"),
    Shot("05b-zero-grad", "accumulation", _backward_then_zero, select="x", panel="ledger"),
    Shot("06-requires-grad-off", "requires_grad_off", _backward(), select="x",
         panel="messages"),
    Shot("07-detach", "detach", _detach_both, select="z", panel="messages"),
    Shot("08-no-grad", "no_grad", _backward(), select="y", panel="messages"),
    Shot("09-training", "small_network", _train, select="w", panel="training", hide=WIDE),
]


def render(shot: Shot, out: Path, settings_folder: str) -> Path:
    from PySide6.QtWidgets import QApplication

    from gradstudio.ui.main_window import MainWindow

    app = QApplication.instance()
    settings = QSettings(str(Path(settings_folder) / f"{shot.name}.ini"), QSettings.IniFormat)
    window = MainWindow(settings)
    window.resize(*shot.size)
    window.show()
    app.processEvents()
    window.open_example(shot.example)
    app.processEvents()
    shot.steps(window)
    app.processEvents()
    for name in shot.hide:
        window.docks[name].hide()
    launch.frame_for_picture(window, shot.select, shot.panel)
    path = out / f"{shot.name}.png"
    if not window.grab().save(str(path)):
        raise SystemExit(f"cannot write {path}")
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    app.processEvents()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--only", action="append", default=[], metavar="PART",
                        help="render only shots whose name contains PART (repeatable)")
    parser.add_argument("--dark", action="store_true", help="use the dark palette")
    args = parser.parse_args(argv)
    os.environ["GRADSTUDIO_APPEARANCE"] = "dark" if args.dark else "light"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gradstudio-shots-") as folder:
        # Anything that asks QSettings() for the defaults lands in the scratch folder too.
        QSettings.setDefaultFormat(QSettings.IniFormat)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, folder)
        launch.offscreen()
        _app = launch.make_app(["make_screenshots"])  # kept alive while rendering
        QCoreApplication.setOrganizationName("GradStudioScreenshots")
        wanted = [s for s in SHOTS if not args.only or any(p in s.name for p in args.only)]
        if not args.only or any(p in "main-window" for p in args.only):
            main_png = args.out / "main-window.png"
            if launch.screenshot(str(main_png)) != 0:
                return 1
            print(main_png.relative_to(ROOT) if main_png.is_relative_to(ROOT) else main_png)
        for shot in wanted:
            path = render(shot, args.out, folder)
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
