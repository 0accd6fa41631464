"""Python's cycle collector, run in the GUI thread only.

The automatic collector runs in whichever thread happens to allocate when a threshold is
crossed; in the window that is often the engine thread, and collecting a cycle that holds
a Qt widget (a closed dialog and the lambdas connected to it) there destroys the widget
outside its thread and crashes the process. So the window turns the automatic collector
off and collects here, from a GUI-thread timer, as often as the thresholds would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """Turns off automatic collection and collects on a GUI-thread timer instead."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(interval_ms)

    def collect(self) -> int:
        """Collect the generations whose thresholds were crossed; return objects found."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        found = 0
        if counts[0] > thresholds[0]:
            generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
            found = gc.collect(generation)
        return found
