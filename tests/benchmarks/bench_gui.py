"""Desktop app start-up: cold start to the first painted window (ms) and resident memory (MB).

Each run is a fresh process (imports, QApplication, profile database, window,
engine thread on loopback) so the figure includes Python and Qt start-up. Two ways in:
``window`` builds the window directly (gui.app.build_window), ``cli`` goes through the
command line's ``alexphone gui`` as the ``alexphone`` program and ``make run`` do (its
imports, config.toml, the single-instance check, a fresh profile's first-run assistant).
The engine's protocol stack is imported in the engine thread, so the window can paint first.
Goals: first paint ≤ 1000 ms, RSS ≤ 150 MB.

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


def child_cli(launched: float, profile: Path) -> None:
    """``alexphone gui`` through the command line; print the figures once painted and up."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(["alexphone"])  # the app's application() takes this one over
    painted: list[float] = []

    def main_window() -> QWidget | None:
        found = [w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow"]
        return found[0] if found else None

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and not painted and watched is main_window():
                painted.append(time.time())
            return False

    watch = PaintWatch()
    app.installEventFilter(watch)

    def check() -> None:
        window = main_window()
        engine = getattr(window, "engine", None)
        if painted and window is not None and engine is not None and engine.client is not None:
            result = {"paint_ms": (painted[0] - launched) * 1000, "rss_mb": _rss_mb()}
            print(json.dumps(result), flush=True)
            window.close()
        else:
            QTimer.singleShot(5, check)

    QTimer.singleShot(0, check)
    QTimer.singleShot(20000, app.quit)  # bounded even if something hangs
    from alexphone.cli import main as alexphone_main

    listen = ["--listen", "udp:127.0.0.1:0", "--no-mdns", "--audio-in", "silence"]
    alexphone_main(["gui", "--profile", str(profile), *listen, "--audio-out", "null"])


def measure(way: str, runs: int) -> tuple[list[float], list[float]]:
    """First-paint times and RSS of ``runs`` fresh processes started ``way``."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    paints: list[float] = []
    rss: list[float] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="alexphone-bench-") as profile:
            launched = time.time()
            out = subprocess.run(
                [sys.executable, __file__, "--child", way, repr(launched), profile],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
            if not lines:
                raise RuntimeError(f"{way}: no figures; stderr: {out.stderr[-2000:]}")
            result = json.loads(lines[-1])
            paints.append(result["paint_ms"])
            rss.append(result["rss_mb"])
    return paints, rss


def main() -> int:
    """Run the start-up several times and report the median and worst."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--child", nargs=3, metavar=("WAY", "LAUNCHED", "PROFILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        way, launched, profile = args.child
        (child_cli if way == "cli" else child)(float(launched), Path(profile))
        return 0
    summary: dict[str, float] = {"runs": args.runs}
    for way in ("window", "cli"):
        paints, rss = measure(way, args.runs)
        prefix = "cold_start" if way == "window" else "cli_cold_start"
        summary[f"{prefix}_to_first_paint_ms_median"] = round(statistics.median(paints), 1)
        summary[f"{prefix}_to_first_paint_ms_max"] = round(max(paints), 1)
        summary[f"{prefix}_rss_mb_median"] = round(statistics.median(rss), 1)
        if not args.json:
            print(
                f"{way}: cold start to first painted window: median {statistics.median(paints):.0f}"
                f" ms, max {max(paints):.0f} ms (goal ≤ {GOAL_MS:.0f} ms); resident memory "
                f"{statistics.median(rss):.0f} MB (goal ≤ {GOAL_MB:.0f} MB)"
            )
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
