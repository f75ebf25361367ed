"""The main window: canvas in the centre, docks around it, menus and toolbar, and the
document-window behaviour (unsaved prompt, atomic save, recent files, saved layout)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)
from shiboken6 import isValid

from gradstudio import __version__
from gradstudio.graph import EXTENSION, GraphModel
from gradstudio.resources import example_paths

from .actions import build_actions
from .autosave import Autosaver
from .canvas.refusal import RefusalMarker
from .canvas.view import GraphView
from .document import Cancel, Document, Message
from .edit_controller import EditController
from .first_paint import FirstPaint
from .panels.chain_rule import ChainRulePanel
from .panels.grad_check import GradCheckPanel
from .panels.gradients import GradientsPanel
from .panels.inspector import Inspector
from .panels.ledger import LedgerPanel
from .panels.loss_slice import LossSlicePanel
from .panels.messages import MessagesPanel
from .panels.palette import Palette
from .panels.training import TrainingPanel
from .progress import run_with_progress
from .quiz_mode import QuizMode
from .step_mode import StepMode
from .worker import BackgroundRunner

__all__ = ["MainWindow", "PANELS"]

MAX_RECENT = 8
SIDE_DOCK_WIDTHS = {"palette": 180, "inspector": 320}  # first-launch widths, pixels
FILE_FILTER = f"GradStudio graphs (*{EXTENSION});;All files (*)"
# (name, title, area): the docked panels, in this order; the bottom ones share one tab group.
PANELS = [
    ("inspector", "Inspector", Qt.RightDockWidgetArea),
    ("gradients", "Gradients", Qt.BottomDockWidgetArea),
    ("ledger", "Accumulation", Qt.BottomDockWidgetArea),
    ("chain_rule", "Chain rule", Qt.BottomDockWidgetArea),
    ("training", "Training", Qt.BottomDockWidgetArea),
    ("messages", "Messages", Qt.BottomDockWidgetArea),
    ("grad_check", "Gradient check", Qt.BottomDockWidgetArea),
    ("loss_slice", "Loss slice", Qt.RightDockWidgetArea),
]
# Docks closed on first launch (View menu or their Run action opens them): the loss slice's
# plot library is loaded only when it is first shown.
CLOSED_AT_FIRST = ("loss_slice",)


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, autosave_folder: Path | None = None
                 ) -> None:
        super().__init__()
        FirstPaint(self)  # work the first frame does not need waits for it (first_paint.py)
        self.settings = settings or QSettings()
        self.document = Document(self)
        self.document.runner = BackgroundRunner(self)  # long work: a worker, progress, Cancel
        # unsaved work goes to the data folder (or ``autosave_folder``) every half minute
        self.autosave = Autosaver(self.document, autosave_folder)
        self._example: str | None = None  # the example open as an untitled template
        self.view = GraphView(self.document)
        self.setCentralWidget(self.view)
        self.edit = EditController(self.document, self.view, self)
        self.quick_add = self.view.quick_add  # the canvas opens it (Tab, double-click, a wire)
        self.docks: dict[str, QDockWidget] = {}
        self.panels: dict[str, QWidget] = {}
        # set by build_actions: the File menu's recent files, the View menu, the toolbar's lr
        self.recent_menu: QMenu
        self.view_menu: QMenu
        self.lr_box: QDoubleSpinBox
        self.step_mode = StepMode(self.document, self.view.scene(), self)
        self.quiz_mode = QuizMode(self.document, self.view, self.docks, self)
        self.action_map: dict[str, QAction] = build_actions(self)  # by name, e.g. "backward"
        self._make_docks()
        self.refusals = RefusalMarker(self.document, self.view.scene())
        self._unseen_errors = 0  # refusals that arrived while the Messages tab was hidden
        self._make_status_bar()
        self._connect()
        self._restore_settings()
        self._update_title()

    # --- construction -----------------------------------------------------------------------
    def _make_docks(self) -> None:
        self.palette_panel = Palette()
        self._add_dock("palette", self.tr("Nodes"), self.palette_panel, Qt.LeftDockWidgetArea)
        bottom: list[QDockWidget] = []
        self.panels.update(self._make_panels())
        for name, title, area in PANELS:
            dock = self._add_dock(name, self.tr(title), self.panels[name], area)
            if area == Qt.BottomDockWidgetArea:
                if bottom:
                    self.tabifyDockWidget(bottom[0], dock)
                bottom.append(dock)
        if bottom:
            bottom[0].raise_()
        for name in CLOSED_AT_FIRST:
            self.docks[name].hide()
        self.view_menu.addSeparator()
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.resize(1400, 900)
        # The side panels start narrow so the canvas gets the room (the first graph a
        # learner sees must fit at a readable size); people widen them as they like.
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]],
                         [SIDE_DOCK_WIDTHS["palette"], SIDE_DOCK_WIDTHS["inspector"]],
                         Qt.Horizontal)

    def _make_panels(self) -> dict[str, QWidget]:
        """Each panel gets what it shows and the actions it offers; each subscribes to the
        document signals it needs and re-renders in its ``refresh()``."""
        doc, view = self.document, self.view
        return {
            "inspector": Inspector(doc, view, quiz=self.quiz_mode),
            "gradients": GradientsPanel(doc, view),
            "ledger": LedgerPanel(doc, zero_grad=self.action_map["zero_grad"]),
            "chain_rule": ChainRulePanel(doc, view),
            "training": TrainingPanel(doc),
            "messages": MessagesPanel(doc),
            "grad_check": GradCheckPanel(doc, self.action_map["check_gradients"]),
            "loss_slice": LossSlicePanel(doc, view),
        }

    def show_panel(self, name: str) -> None:
        """Open a dock (if closed) and bring it to the front of its tab group."""
        dock = self.docks[name]
        if dock.isHidden() and self.dockWidgetArea(dock) == Qt.RightDockWidgetArea:
            dock.show()  # under the inspector: give the plot half the height
            half = max(self.docks["inspector"].height() // 2, 200)
            self.resizeDocks([self.docks["inspector"], dock], [half, half], Qt.Vertical)
        dock.show()
        dock.raise_()

    def check_gradients(self) -> None:
        """Run ▸ Check Gradients, with progress and Cancel when it takes a while."""
        self.show_panel("grad_check")
        run_with_progress(self, self.tr("Checking gradients against finite differences…"),
                          self.document.check_gradients)

    def _add_dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea
                  ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock.{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        return dock

    def _make_status_bar(self) -> None:
        self.zoom_label = QLabel()
        self.zoom_label.setAccessibleName(self.tr("Zoom"))
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.view.zoom_changed.connect(self._show_zoom)
        self._show_zoom(self.view.zoom())

    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

    def _connect(self) -> None:
        doc = self.document
        doc.undo_stack.cleanChanged.connect(self._title_follows)
        doc.path_changed.connect(self._title_follows)
        doc.message.connect(self._show_message)
        doc.message.connect(self._mark_messages)
        self.docks["messages"].visibilityChanged.connect(self._messages_seen)
        self.view.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.step_mode.status.connect(lambda text: self.statusBar().showMessage(text))
        self.quiz_mode.status.connect(lambda text: self.statusBar().showMessage(text))
        self.view.context_menu_requested.connect(self.edit.context_menu)
        self.palette_panel.add_requested.connect(
            lambda k: self.view.add_node(k, self.view.center_scene_pos()))

    def _show_message(self, message: Message) -> None:
        first = message.text.split("\n")[0]
        seconds = 10 if message.level in ("error", "warning") else 4
        self.statusBar().showMessage(first, seconds * 1000)

    def _mark_messages(self, message: Message) -> None:
        """A refusal while the Messages tab is hidden marks its title until it is shown."""
        dock = self.docks["messages"]
        if message.level != "error" or (dock.isVisible() and not dock.visibleRegion().isEmpty()):
            return  # not a refusal, or the person sees it arrive
        self._unseen_errors += 1
        dock.setWindowTitle(self.tr("Messages ⚠ %s") % self._unseen_errors)

    def _messages_seen(self, visible: bool) -> None:
        if visible and self._unseen_errors:
            self._unseen_errors = 0
            self.docks["messages"].setWindowTitle(self.tr("Messages"))

    def _title_follows(self, _change: object) -> None:
        """The document's clean state or path changed. The document and its undo stack are
        the window's children, deleted while the window itself is being destroyed, and they
        can signal on the way: by then there is no title to set."""
        if isValid(self):
            self._update_title()

    def _update_title(self) -> None:
        if self.document.path is not None:
            self._example = None
            name = self.document.path.name
        elif self._example:
            name = self.tr("%s (example)") % self._example
        else:
            name = self.tr("untitled")
        self.setWindowTitle(f"{name}[*] — GradStudio")
        self.setWindowModified(self.document.modified)

    # --- files ------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """Ask before losing changes: True means go on (saved or discarded)."""
        if not self.document.modified:
            return True
        answer = self.ask_save()
        if answer == QMessageBox.Save:
            return self.save()
        return answer == QMessageBox.Discard

    def ask_save(self) -> QMessageBox.StandardButton:
        return QMessageBox.warning(
            self, self.tr("Unsaved changes"),
            self.tr("The graph has unsaved changes. Save them first?"),
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel)

    def new_file(self) -> None:
        if self.maybe_save():
            self._example = None
            self.document.new()
            self.statusBar().clearMessage()  # the last graph's description is not this one's

    def open_file(self, path: str | Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, self.tr("Open graph"),
                                                  self._last_folder(), FILE_FILTER)
            if not path:
                return False
        return self.load(path)

    def load(self, path: str | Path) -> bool:
        """Open a file without asking; errors are shown in a dialog."""
        path = Path(path)
        opened = self.document.load(path)
        if opened:
            self._add_recent(path)
            self._remember_folder(path)
            self.view.fit()
            return True
        if not isinstance(opened, Cancel):
            QMessageBox.critical(self, self.tr("Cannot open"), opened.reason)
        return False

    def open_model(self, model: GraphModel) -> bool:
        """A new untitled document holding ``model`` (imported code), unsaved, so closing
        asks; the current document's changes are asked about first."""
        if not self.maybe_save():
            return False
        self._example = None
        self.document.restore(model, None)
        self.view.fit()
        return True

    def open_example(self, name: str) -> bool:
        if not self.maybe_save():
            return False
        if not self.document.load(example_paths()[name]):
            return False
        self.document.path = None  # an example is a template: Save asks where
        self._example = name
        self.document.path_changed.emit(None)
        self.view.fit()
        self.statusBar().showMessage(self.document.model.description, 15000)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save graph as"),
                                              self._suggested(EXTENSION), FILE_FILTER)
        if not path:
            return False
        if not path.endswith(EXTENSION):
            path += EXTENSION
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        saved = self.document.save(path)
        if saved:
            self._add_recent(path)
            self._remember_folder(path)
            return True
        QMessageBox.critical(self, self.tr("Cannot save"), saved.reason)
        return False

    def _last_folder(self) -> str:
        return str(self.settings.value("files/last_folder", str(Path.home())))

    def _remember_folder(self, path: str | Path) -> None:
        """The folder of the file last opened, saved or exported: where the next file
        dialog starts."""
        self.settings.setValue("files/last_folder", str(Path(path).parent))

    def _suggested(self, extension: str) -> str:
        """Where a save or export dialog starts: the last folder, and the graph's own name
        (its file's, the example's, else "untitled") with ``extension``."""
        source = self.document.path
        stem = source.stem if source else (self._example or "untitled")
        return str(Path(self._last_folder()) / f"{stem}{extension}")

    def recent_files(self) -> list[str]:
        value = self.settings.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if v]

    def _add_recent(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("files/recent", recent[:MAX_RECENT])

    def export_image(self, path: str | None = None, fmt: str = "png") -> bool:
        from .export import export_scene

        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export canvas"), self._suggested(f".{fmt}"),
                "PNG image (*.png)" if fmt == "png" else "SVG drawing (*.svg)")
            if not path:
                return False
            if not Path(path).suffix:  # as Save As does: "graph" becomes "graph.png"
                path += f".{fmt}"
        ok, error = export_scene(self.view.scene(), path, fmt)
        if not ok:
            QMessageBox.critical(self, self.tr("Cannot export"), error)
        else:
            self._remember_folder(path)
            self.statusBar().showMessage(self.tr("Exported %s") % path, 4000)
        return ok

    def export_code(self, fmt: str = "py", path: str | None = None) -> bool:
        """File ▸ Export ▸ PyTorch Script… / Jupyter Notebook…: the graph as code that gives
        the app's numbers on PyTorch, written atomically; a refusal says why."""
        from gradstudio.graph import GraphError
        from gradstudio.graph.code_export import export_text
        from gradstudio.graph.fileformat import write_atomic

        self.document.run_requested.emit()  # typed but unconfirmed values count
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, self.tr("Export as PyTorch code"), self._suggested(f".{fmt}"),
                self.tr("PyTorch script (*.py)") if fmt == "py" else
                self.tr("Jupyter notebook (*.ipynb)"))
            if not path:
                return False
            if not Path(path).suffix:
                path += f".{fmt}"
        source = self.document.path
        title = source.name if source else (self._example or "untitled")
        try:
            text = export_text(self.document.session, fmt, title=title)
            write_atomic(path, text)
        except GraphError as e:
            QMessageBox.critical(self, self.tr("Cannot export"), str(e))
            return False
        self._remember_folder(path)
        self.statusBar().showMessage(self.tr("Exported %s") % path, 4000)
        return True

    def run_training(self, steps: int) -> None:
        """Train with a progress dialog that can cancel; the window stays responsive."""
        from PySide6.QtWidgets import QProgressDialog

        dialog = QProgressDialog(self.tr("Training…"), self.tr("Cancel"), 0, steps, self)
        dialog.setWindowTitle(self.tr("Train"))
        dialog.setWindowModality(Qt.WindowModal)  # no edits under a run; Cancel stays live
        dialog.setMinimumDuration(300)
        dialog.setValue(0)  # starts the 0.3 s until it shows (before a value it waits 4 s)
        job = self.document.start_training(steps)
        job.progress.connect(lambda done: (dialog.setValue(done[-1].number), dialog.setLabelText(
            self.tr("Step %d of %d — loss %.6g") % (done[-1].number, steps, done[-1].loss))))
        dialog.canceled.connect(job.cancel)
        job.finished.connect(dialog.reset)
        self._training = job

    # --- help -------------------------------------------------------------------------------
    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About GradStudio"), self.tr(
            "<h3>GradStudio %s</h3><p>See and understand autograd: build a graph, run forward "
            "and backward, and watch the gradients flow.</p><p>MIT licence.</p>") % __version__)

    def show_plan(self) -> None:
        """Help ▸ Show Compiled Plan (non-modal: it can stay open beside the canvas)."""
        from .plan_dialog import PlanDialog

        self.plan_dialog = PlanDialog(self.document.session, self)
        self.plan_dialog.show()

    def show_shortcuts(self) -> None:
        rows = []
        for action in self.action_map.values():
            if action.shortcuts():
                keys = ", ".join(s.toString(QKeySequence.NativeText) for s in action.shortcuts())
                # Undo/Redo name the next change ("Undo Add mul"): list their plain name
                name = action.property("plain_text") or action.text()
                rows.append(f"<tr><td>{name.replace('&', '')}</td>"
                            f"<td><b>{keys}</b></td></tr>")
        QMessageBox.information(self, self.tr("Keyboard shortcuts"),
                                "<table cellspacing=6>" + "".join(sorted(rows)) + "</table>")

    # --- settings ---------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.autosave.stop()  # saved or discarded: nothing to recover
        event.accept()
