"""``gradstudio FILE`` for real, offscreen, with a person at the screen: the app starts as
the command line starts it (``gradstudio.app.main``: crash handler, window, the file loaded,
the event loop); every message box that comes up is read and its default button pressed;
once the main window is up with no box in front of it, what it shows is reported and the app
is closed as a person closes it. Each event is one JSON line on stdout.

    python tests/argument_driver.py FILE
"""

from __future__ import annotations

import json
import sys


def main(file: str) -> int:
    from gradstudio.ui import launch

    launch.offscreen()
    app = launch.make_app()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from gradstudio.app import main as gradstudio
    from gradstudio.ui.main_window import MainWindow

    def say(**event: object) -> None:
        print(json.dumps(event), flush=True)

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            say(box=box.text())
            (box.defaultButton() or box.buttons()[0]).click()
            return
        if box is not None:
            return  # a progress dialog: the app is busy, look again
        shown = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, MainWindow) and w.isVisible()]
        if shown:
            window = shown[0]
            say(window=window.windowTitle(), nodes=len(window.document.model),
                messages=window.panels["messages"].text.toPlainText())
            timer.stop()
            window.close()

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(look)
    timer.start()
    code = gradstudio([file])
    say(exit=code)
    del app
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
