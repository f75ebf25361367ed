"""A test's GradStudio: the real window in a process of its own, edited as a person edits it
(a palette entry dropped, a wire dragged, a value typed on the card), then autosaving every
200 ms. Not a test module: ``test_recovery.py`` starts it, waits for its autosave and kills it.

    python tests/ui/recovery_app.py AUTOSAVE_FOLDER [FILE]

Once the edited document is autosaved it prints one line of JSON, ``{"pid": ..., "model":
...}`` (the model as the window holds it), then keeps running until it is killed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # gestures.py

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gestures import drag, drop_on_canvas, keep_visible, to_view  # noqa: E402
from PySide6.QtCore import QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gradstudio.ui import launch  # noqa: E402
from gradstudio.ui.main_window import MainWindow  # noqa: E402


def _drop(window, kind: str, at: QPointF) -> str:
    palette = window.palette_panel
    before = set(window.document.model.node_ids())
    assert drop_on_canvas(window.view, palette.tree.mimeData([palette.items()[kind]]),
                          to_view(window.view, at))
    (new,) = set(window.document.model.node_ids()) - before
    return new


def _settle(app) -> None:
    for _ in range(5):
        app.processEvents()
        QTest.qWait(40)  # lets the auto-evaluation run, as between a person's gestures


def edit(window, app) -> None:
    """Add x -> sin, type 2.5 into x's card, and wire sin after whatever the file ended in."""
    view = window.view
    ends = [n for n in window.document.model.node_ids()
            if not window.document.model.consumers_of(n)]
    x = _drop(window, "input", QPointF(-330, 120))
    sin = _drop(window, "sin", QPointF(60, 120))
    _settle(app)
    nodes = view.scene().nodes
    drag(view, nodes[x].output_port_pos(), nodes[sin].input_port_pos("x"))
    _settle(app)
    value = view.mapFromScene(nodes[x].mapToScene(nodes[x].value_rect().center()))
    QTest.mouseDClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, value)
    editor = QApplication.focusWidget()
    editor.selectAll()
    QTest.keyClicks(editor, "2.5")
    QTest.keyClick(editor, Qt.Key_Return)
    _settle(app)
    if ends:  # the file's last node moves down a little: a drag, so positions count too
        card = nodes[ends[0]]
        start = card.mapToScene(card.title_rect().center())
        drag(view, start, start + QPointF(0, 40))
        _settle(app)


def main() -> int:
    folder, file = Path(sys.argv[1]), (sys.argv[2] if len(sys.argv) > 2 else None)
    launch.offscreen()
    app = launch.make_app()
    scratch = tempfile.mkdtemp(prefix="gradstudio-test-")
    window = MainWindow(QSettings(str(Path(scratch) / "settings.ini"), QSettings.IniFormat),
                        autosave_folder=folder)
    window.resize(1400, 900)
    window.show()
    if file:
        assert window.load(file)
    keep_visible(window)
    _settle(app)
    edit(window, app)
    assert window.document.modified

    def written(_record) -> None:
        print(json.dumps({"pid": os.getpid(), "model": window.document.model.to_dict()}),
              flush=True)
        window.autosave.saved.disconnect(written)

    window.autosave.saved.connect(written)
    window.autosave.set_interval(200)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
