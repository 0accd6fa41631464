"""Desktop app start-up: cold start to the first painted window (ms) and resident memory (MB).

Each run is a fresh process (imports, QApplication, profile database, window,
engine thread on loopback) so the figure includes Python and Qt start-up.
Goals (issue 6): first paint ≤ 1000 ms, RSS ≤ 150 MB.

Usage: python tests/benchmarks/bench_gui.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_MS = 1000.0
GOAL_MB = 150.0
GUI_TESTS = Path(__file__).resolve().parent.parent / "gui"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(launched: float, profile: Path) -> None:
    """Start the app, print {"paint_ms", "rss_mb"} once painted and the engine is up, exit."""
    sys.path.insert(0, str(GUI_TESTS))
    from gui_phones import dial_check, loopback_runner
    from PySide6.QtCore import QEvent, QObject, QTimer

    from alexphone.gui.app import build_window

    app, window = build_window(profile, lambda: loopback_runner(profile), dial_check())
    painted: list[float] = []

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and not painted:
                painted.append(time.time())
            return False

    watch = PaintWatch()
    window.installEventFilter(watch)
    window.show()
    window.start_engine()

    def check() -> None:
        engine = window.engine
        if painted and engine is not None and engine.client is not None:
            result = {"paint_ms": (painted[0] - launched) * 1000, "rss_mb": _rss_mb()}
            print(json.dumps(result), flush=True)
            window.close()
            app.quit()
        else:
            QTimer.singleShot(5, check)

    QTimer.singleShot(0, check)
    QTimer.singleShot(20000, app.quit)  # bounded even if something hangs
    app.exec()


def main() -> int:
    """Run the start-up several times and report the median and worst."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("LAUNCHED", "PROFILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(float(args.child[0]), Path(args.child[1]))
        return 0
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    paints: list[float] = []
    rss: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="alexphone-bench-") as profile:
            launched = time.time()
            out = subprocess.run(
                [sys.executable, __file__, "--child", repr(launched), profile],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
            if not lines:
                print(out.stderr, file=sys.stderr)
                return 1
            result = json.loads(lines[-1])
            paints.append(result["paint_ms"])
            rss.append(result["rss_mb"])
    summary = {
        "cold_start_to_first_paint_ms_median": round(statistics.median(paints), 1),
        "cold_start_to_first_paint_ms_max": round(max(paints), 1),
        "rss_mb_after_start_median": round(statistics.median(rss), 1),
        "runs": args.runs,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        paint_median = summary["cold_start_to_first_paint_ms_median"]
        paint_max = summary["cold_start_to_first_paint_ms_max"]
        print(
            f"cold start to first painted window: median {paint_median} ms, "
            f"max {paint_max} ms (goal ≤ {GOAL_MS:.0f} ms)"
        )
        rss_median = summary["rss_mb_after_start_median"]
        print(f"resident memory after start: {rss_median} MB (goal ≤ {GOAL_MB:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
