"""Start-up pays only for the first window: the modules it does not need (the plots'
pyqtgraph, the schema explainer jsonschema, the code importer and exporter, nbformat,
and PyTorch itself) are not loaded when the window first paints, and the Training panel's
plots are made right after that frame, from the event loop."""

import json
import subprocess
import sys

# Run in a fresh interpreter: the test process has imported everything already.
_SCRIPT = r"""
import json, os, sys, tempfile
home = tempfile.mkdtemp()
os.environ.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QSettings
from gradstudio.ui.launch import make_app, start_window

LATER = json.loads(sys.argv[1])
app = make_app()
settings = QSettings(os.path.join(home, "settings.ini"), QSettings.IniFormat)
window = start_window(None, settings=settings)  # a first launch: the small network
seen = {}

class FirstFrame(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Paint and "at_first_paint" not in seen:
            seen["at_first_paint"] = sorted(m for m in LATER if m in sys.modules)
        return False

watch = FirstFrame()
window.installEventFilter(watch)
app.processEvents()  # the first frame
seen["after_first_frame"] = sorted(m for m in LATER if m in sys.modules)
training = window.panels["training"]
seen["plots_in_first_frame"] = training._plots is not None
clock = QElapsedTimer()
clock.start()
while training._plots is None and clock.elapsed() < 20000:
    app.processEvents()
seen["plots_then"] = training._plots is not None
seen["pyqtgraph_then"] = "pyqtgraph" in sys.modules
seen["nodes"] = len(window.document.model)
print(json.dumps(seen))
"""

NOT_AT_START = ["pyqtgraph", "jsonschema", "nbformat", "gradstudio.graph.code_import",
                "gradstudio.graph.code_export", "gradstudio.graph.code_notebook",
                "gradstudio.ui.import_dialog", "torch"]


def test_the_first_window_paints_before_the_modules_it_does_not_need_are_loaded() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(NOT_AT_START)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["nodes"] == 8  # the small network is open
    assert seen["at_first_paint"] == []  # the window painted: none of them loaded
    assert seen["after_first_frame"] == []
    assert not seen["plots_in_first_frame"]
    assert seen["plots_then"] and seen["pyqtgraph_then"]  # the plots come right after
