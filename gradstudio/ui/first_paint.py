"""Work the first frame does not need, done once the window has painted it.

Start-up is what a person waits for: the Training panel's plots need pyqtgraph (a third of
a second to import), yet they are empty until something is trained. ``after_first_paint``
runs such work as soon as the window's first frame is on screen, from the event loop, so
the window appears first and the plots a moment later; once the window has painted, the
work runs at once, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["FirstPaint", "after_first_paint", "settled"]


class FirstPaint(QObject):
    """Watches one window for its first paint; then runs what waited for it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("first-paint")
        self.painted = False
        self._waiting: list[Callable[[], object]] = []
        window.installEventFilter(self)

    def call(self, fn: Callable[[], object]) -> None:
        if self.painted:
            fn()
        else:
            self._waiting.append(fn)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and not self.painted:
            self.painted = True
            watched.removeEventFilter(self)
            # after this frame is finished, not inside it; never once the window is gone
            QTimer.singleShot(0, self, self._run)
        return False

    @property
    def settled(self) -> bool:
        """Painted, and what waited for it has run."""
        return self.painted and not self._waiting

    def _run(self) -> None:
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            fn()


def _watcher(window: QWidget) -> FirstPaint | None:
    return window.findChild(FirstPaint, "first-paint", Qt.FindChildOption.FindDirectChildrenOnly)


def settled(window: QWidget) -> bool:
    """Whether ``window`` has painted its first frame and run what waited for it (a test
    waits for this, so the deferred work does not fall into what it measures)."""
    watcher = _watcher(window)
    return watcher is None or watcher.settled


def after_first_paint(widget: QWidget, fn: Callable[[], object]) -> None:
    """``fn()`` once ``widget``'s window has painted its first frame (now, if it has, or if
    the window does not watch for it)."""
    watcher = _watcher(widget.window())
    if watcher is None:
        fn()
    else:
        watcher.call(fn)
