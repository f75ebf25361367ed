"""Start-up pays only for the first window: the modules it does not need (the plots'
pyqtgraph, the schema explainer jsonschema, the code importer and exporter, nbformat,
the compiled plans, the step-through's trace, the quiz, the comparison with PyTorch and
PyTorch itself) are not loaded when the window first paints, and the Training panel's
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
                "gradstudio.ui.import_dialog", "torch",
                # the first evaluation runs on the engine; plans compile on the first Train
                "gradstudio.graph.plan", "gradstudio.graph.plan_vector",
                # Step Through, the Chain rule's derivation by hand, a card's tooltip
                "gradstudio.graph.trace", "gradstudio.graph.by_hand",
                "gradstudio.ui.canvas.step_overlay",
                "gradstudio.graph.quiz", "gradstudio.ui.canvas.quiz_overlay",
                "gradstudio.ui.compare_dialog", "gradstudio.oracle"]


def test_the_first_window_paints_before_the_modules_it_does_not_need_are_loaded() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT, json.dumps(NOT_AT_START)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["nodes"] == 8  # the small network is open
    assert seen["at_first_paint"] == []  # the window painted: none of them loaded
    assert seen["after_first_frame"] == []
    assert not seen["plots_in_first_frame"]
    assert seen["plots_then"] and seen["pyqtgraph_then"]  # the plots come right after


# Which modules are imported in which order, and what was in place when numpy came.
_ORDER_SCRIPT = r"""
import faulthandler, json, os, sys, tempfile
home = tempfile.mkdtemp()
os.environ.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=home, XDG_DATA_HOME=home)
order, at_numpy = [], {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        if name not in order:
            order.append(name)
        if name == "numpy" and not at_numpy:
            at_numpy.update(crash_handler=sys.excepthook is not sys.__excepthook__,
                            faulthandler=faulthandler.is_enabled())
        return None

sys.meta_path.insert(0, Spy())
from gradstudio.ui import launch

def stop(*args):
    raise SystemExit(0)

if sys.argv[1] == "gui":
    launch.make_app = stop  # the order up to the application is what is looked at
    try:
        launch.run_gui(None)
    except SystemExit:
        pass
else:
    launch.smoke_test()
print(json.dumps({"order": order, "at_numpy": at_numpy}))
"""


def _import_order(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _ORDER_SCRIPT, mode], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_document_layer_loads_before_qt_and_after_the_crash_handler() -> None:
    # PySide6 reads the source of every module imported after it: numpy, networkx and the
    # graph layer come first, in the app and in the smoke test the benchmark times alike;
    # in the app the crash handler and faulthandler are in place before any of them.
    for mode in ("gui", "smoke"):
        seen = _import_order(mode)
        order = seen["order"]
        for name in ("numpy", "networkx", "gradstudio.graph.session"):
            assert order.index(name) < order.index("PySide6"), (mode, name)
        if mode == "gui":
            assert seen["at_numpy"] == {"crash_handler": True, "faulthandler": True}
