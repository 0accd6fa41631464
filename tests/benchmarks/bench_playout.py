"""Playout benchmark: what a receiver plays of a real peer's stream, calm and busy machine.

Usage (root, under the lab lock): python tests/benchmarks/bench_playout.py [--rounds N] [--json]

Each round is `lab_playout.receive_speech`: baresip speaks an espeak-ng sentence into a
call answered by `alexphone daemon --audio-out file:` and, in the same round, into a call
answered by a second baresip (the ceiling: the same packets decoded with no playout).
Both receivers are pinned to CPU 1; in the "busy" rows a spinning process is pinned there
too; in the "jitter40" rows the sender's RTP is delayed by a random 0-40 ms per packet
(nfqueue_delay.py). For every row (PCMU, Opus; calm, busy, jitter40, both) it prints median
and worst PESQ over the rounds for both receivers and the worst playout-delay variation
within a call (0.5 s windows cross-correlated with the source; a slipped 20 ms frame shows
as ~20 ms).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from lab import Lab
from lab_playout import Received, receive_speech

CONDITIONS = {"calm": (False, 0.0), "busy": (True, 0.0), "jitter40": (False, 40.0),
              "busy_jitter40": (True, 40.0)}  # fmt: skip


def one_round(workdir: Path, codec: str, condition: str) -> Received:
    """One call to each receiver in a fresh three-host lab."""
    busy, jitter_ms = CONDITIONS[condition]
    lab = Lab(workdir)
    try:
        return receive_speech(lab, lab.flat_lan(3), codec, busy, jitter_ms)
    finally:
        lab.close()


def main() -> None:
    """Run every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--codecs", default="pcmu,opus")
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-playout-") as tmp:
        for codec in args.codecs.split(","):
            for condition in args.conditions.split(","):
                row = f"{codec}_{condition}"
                rounds = []
                for i in range(args.rounds):
                    workdir = Path(tmp) / f"{row}-{i}"
                    workdir.mkdir()
                    r = one_round(workdir, codec, condition)
                    rounds.append(r)
                    print(f"{row} round {i}: phone PESQ {r.phone_pesq:.2f} delay var "
                          f"{r.variation_ms(r.phone_delays)} ms, baresip PESQ {r.baresip_pesq:.2f}"
                          f" var {r.variation_ms(r.baresip_delays)} ms, sent {r.sent_kbps} kb/s,"
                          f" phone stats {r.phone_stats}", flush=True)  # fmt: skip
                for who in ("phone", "baresip"):
                    pesqs = [getattr(r, f"{who}_pesq") for r in rounds]
                    results[f"{row}_{who}_pesq_median"] = round(float(np.median(pesqs)), 2)
                    results[f"{row}_{who}_pesq_worst"] = round(min(pesqs), 2)
                    results[f"{row}_{who}_delay_var_ms_worst"] = max(
                        r.variation_ms(getattr(r, f"{who}_delays")) for r in rounds
                    )
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:45s} {value}")


if __name__ == "__main__":
    main()
