"""GUI event-loop latency (ms) while the engine answers a burst of 700 SIP OPTIONS.

A 10 ms QTimer on the GUI thread notes how late each tick runs during the burst; the figure is
the worst and the median lateness. Goal (issue 6): worst ≤ 100 ms. The unit of proof that the
GUI keeps running is tests/gui/test_freeze_guard.py (counted); this is the speed.

Usage: python tests/benchmarks/bench_gui_freeze.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 100.0
PROBE_MS = 10
GUI_TESTS = Path(__file__).resolve().parent.parent / "gui"


def measure(profile: Path) -> list[float]:
    """Run one burst against a fresh window on ``profile``; return each probe's lateness (ms)."""
    sys.path.insert(0, str(GUI_TESTS))
    from gui_phones import Burst, dial_check, loopback_runner
    from PySide6.QtCore import QTimer

    from alexphone.engine.events import Event, UaReady
    from alexphone.gui.app import build_window

    app, window = build_window(profile, lambda: loopback_runner(profile), dial_check())
    late: list[float] = []
    last = [time.perf_counter()]
    bursts: list[Burst] = []

    def probe() -> None:
        now = time.perf_counter()
        if bursts:
            late.append((now - last[0]) * 1000 - PROBE_MS)
        last[0] = now
        if bursts and bursts[0].finished.is_set():
            window.close()
            app.quit()

    def on_event(event: Event) -> None:
        if isinstance(event, UaReady) and not bursts:
            bursts.append(Burst(int(event.listen[0].rsplit(":", 1)[1])))
            bursts[0].start()

    window.bridge.event_received.connect(on_event)
    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    timer.start()
    window.show()
    window.start_engine()
    QTimer.singleShot(60000, app.quit)  # bounded even if something hangs
    app.exec()
    window.stop_engine(5000)
    return late


def main() -> int:
    """Measure and print the worst and median event-loop lateness."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="alexphone-bench-") as profile:
        late = measure(Path(profile))
    if not late:
        print("no probe ran during the burst", file=sys.stderr)
        return 1
    summary = {
        "burst_event_loop_late_ms_worst": round(max(late), 1),
        "burst_event_loop_late_ms_median": round(statistics.median(late), 1),
        "probes": len(late),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        worst = summary["burst_event_loop_late_ms_worst"]
        median = summary["burst_event_loop_late_ms_median"]
        print(
            f"GUI event loop during a 700-request burst: worst {worst} ms late "
            f"(goal ≤ {GOAL_MS:.0f} ms), median {median} ms, {summary['probes']} probes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
