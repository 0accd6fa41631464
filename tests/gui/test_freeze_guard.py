"""The GUI thread keeps running while its engine answers a burst of 700 SIP requests.

Counted, not timed: a probe on the GUI thread notes how many answers the burst has had each time
it runs; a GUI frozen by engine work would see the burst only before it began or after it ended.
The event-loop latency in milliseconds is measured by tests/benchmarks/bench_gui_freeze.py.
"""

from __future__ import annotations

from collections.abc import Callable

from gui_phones import BURST, Burst
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from alexphone.engine.events import UaReady
from alexphone.gui.main_window import MainWindow
from conftest import WAIT_MS

PROBE_MS = 10
MIN_PROBES_DURING_BURST = 5  # GUI-thread runs seen while answers were still coming in


def test_gui_thread_runs_throughout_a_burst(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    window.show()
    with qtbot.waitSignal(
        window.bridge.event_received,
        timeout=WAIT_MS,
        check_params_cb=lambda event: isinstance(event, UaReady),
    ) as ready:
        window.start_engine()
    port = int(ready.args[0].listen[0].rsplit(":", 1)[1])
    burst = Burst(port)
    seen: list[int] = []  # burst.answered each time the GUI thread ran the probe
    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(lambda: seen.append(burst.answered))
    timer.start()
    burst.start()
    qtbot.waitUntil(burst.finished.is_set, timeout=30000)
    timer.stop()
    burst.join(1)
    assert burst.answered == BURST
    during = {answered for answered in seen if 0 < answered < BURST}
    assert len(during) >= MIN_PROBES_DURING_BURST, seen
