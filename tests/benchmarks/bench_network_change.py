"""Network change → report: ms from ``ip addr add/del`` to alexphone's NetworkMonitor callback.

A lab namespace with one veth pair runs the monitor (tests/interop/network_watch_probe.py);
each run adds, then removes, an address there with ``ip`` and times both reports (from just
before ``ip`` starts, so the figure includes ``ip``'s own start-up of a few ms). The settle
window and hold-down of alexphone.net.change_settler are part of the figure: the runs are
spaced beyond the hold-down, as independent moves would be. Needs root and iproute2.

Usage: python tests/benchmarks/bench_network_change.py [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from lab import Lab
from lab_network_watch import WatchedNamespace

SPACING = 0.4  # s between changes: beyond the settle window and hold-down


def measure(runs: int) -> dict[str, float]:
    """Time ``runs`` address additions and removals; return median and worst ms."""
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Path(tmp))
        try:
            watched = WatchedNamespace(lab, seconds=runs * SPACING * 2 + 30)
            if not watched.watching:
                raise SystemExit("the monitor fell back to polling: no rtnetlink figure")
            times: list[float] = []
            for _ in range(runs):  # bounded by --runs
                for verb in ("add", "del"):
                    ms, _ = watched.move("addr", verb, "10.66.0.5/24", "dev", "wan0")
                    times.append(ms)
                    time.sleep(SPACING)
        finally:
            lab.close()
    return {
        "changes": len(times),
        "median_ms": round(statistics.median(times), 1),
        "worst_ms": round(max(times), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"network change → report: {result['changes']} changes, "
            f"median {result['median_ms']} ms, worst {result['worst_ms']} ms"
        )


if __name__ == "__main__":
    main()
