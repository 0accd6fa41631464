"""Echo cancellation benchmarks: the processing's own cost, and CPU of a call with it on.

Usage: python tests/benchmarks/bench_echo.py [--json] [--cpu-seconds S] [--rounds N]

1. µs of echo cancellation (AEC3 beside the linear filter) + noise suppression
   (``AudioProcessing``) per 20 ms frame, at 48 kHz (Opus)
   and 8 kHz (G.711), speech-like noise with an echo of it, in process.
2. CPU of one Opus call between two ``alexphone`` processes on loopback, as % of one core
   per process, with ``--echo-cancel on`` on both sides and, in the same run, with it off;
   next to it, in the same run, baresip↔baresip (Opus, loopback) and the ratio ours/baresip.
   All three calls play into one private PulseAudio null sink (``--audio-out pulse``,
   baresip ``audio_player alsa,pulse``): one paced sink for both, and what we play is the
   canceller's reference, as on a sound card. Sources are synthetic on both sides (our
   ``tone:``, baresip's ``ausine``). ``--rounds`` rounds of the three calls, medians
   reported (one shared machine: single runs vary by ±1 % of a core). Goal: ≤ 5 % with it on.
   Needs root (the lab's process runner); otherwise only part 1.
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from call_cpu import PULSE_DEVICE, alexphone_call_cpu, baresip_call_cpu, fresh_lab, pulse_server
from lab import LabError

from alexphone.media.audio_processing import AudioProcessing, ProcessingOptions
from alexphone.media.resampler import to_pcm


def processing_cost(frames: int = 1000) -> dict[str, float]:
    """µs per 20 ms frame of capture processing against a render reference."""
    out: dict[str, float] = {}
    for rate in (48000, 8000):
        processing = AudioProcessing(rate, ProcessingOptions())
        n = rate // 50
        rng = np.random.default_rng(1)
        far = [to_pcm(rng.standard_normal(n) * 3000) for _ in range(50)]
        near = [to_pcm(rng.standard_normal(n) * 1500) for _ in range(50)]
        start = time.process_time()
        for i in range(frames):
            processing.analyze_render(far[i % 50])
            processing.process_capture(near[(i + 3) % 50])
        used = time.process_time() - start
        out[f"aec_ns_us_per_frame_{rate // 1000}k"] = round(1e6 * used / frames, 1)
        out[f"aec_ns_cpu_pct_{rate // 1000}k"] = round(100 * used / (frames * 0.02), 2)
    return out


def cpu_call(workdir: Path, seconds: float, rounds: int) -> dict[str, float | str]:
    """% of one core per process: Opus call with echo cancellation on, off, and baresip's;
    the median of ``rounds`` rounds, each round running the three calls one after the other."""
    runs: dict[str, list[float]] = {"on": [], "off": [], "baresip": []}
    for n in range(rounds):  # each round its own lab and PulseAudio, stopped at its end
        lab = fresh_lab(workdir, f"cpu-{n}")
        try:
            with pulse_server(lab):
                base = 27060 + 40 * n
                for setting in ("on", "off"):
                    options = ["--echo-cancel", setting]
                    base += 10
                    runs[setting].append(alexphone_call_cpu(lab, base, seconds, options=options,
                                                            audio_out=PULSE_DEVICE))  # fmt: skip
                try:
                    theirs = baresip_call_cpu(lab, base + 10, seconds, f"alsa,{PULSE_DEVICE}")
                except LabError as exc:  # said in the output; the median is of the others
                    print(f"round {n + 1}: the baresip call failed: {exc}".splitlines()[0])
                    continue
                runs["baresip"].append(theirs)
        finally:
            lab.close()
    theirs = statistics.median(runs["baresip"])
    results: dict[str, float | str] = {"baresip_cpu_pct_per_process": theirs}
    for setting in ("on", "off"):
        ours = statistics.median(runs[setting])
        results[f"alexphone_echo_cancel_{setting}_cpu_pct_per_process"] = ours
        results[f"ratio_ours_echo_cancel_{setting}_to_baresip"] = round(ours / theirs, 3)
    if rounds > 1:
        for name, values in runs.items():
            results[f"rounds_{name}"] = " ".join(f"{v:.2f}" for v in values)
    return results


def main() -> None:
    """Run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, float | str] = dict(processing_cost())
    if os.geteuid() == 0:
        with tempfile.TemporaryDirectory(prefix="bench-echo-") as tmp:
            results.update(cpu_call(Path(tmp), args.cpu_seconds, args.rounds))
    else:
        results["call"] = "skipped (needs root)"
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:48s} {value}")


if __name__ == "__main__":
    main()
