"""Echo cancellation benchmarks: the processing's own cost, and CPU of a call with it on.

Usage: python tests/benchmarks/bench_echo.py [--json] [--cpu-seconds S]

1. µs of echo cancellation (AEC3 beside the linear filter) + noise suppression
   (``AudioProcessing``) per 20 ms frame, at 48 kHz (Opus)
   and 8 kHz (G.711), speech-like noise with an echo of it, in process.
2. CPU of one Opus call between two ``alexphone`` processes on loopback, as % of one core
   per process, with ``--echo-cancel on`` on both sides and, in the same run, with it off
   (tone in, ``--audio-out null``: what is played is what the canceller gets as reference).
   Goal: ≤ 5 % with it on. Next to it, in the same run, baresip↔baresip (Opus, loopback)
   and the ratio ours/baresip. Caveat (see bench_media.py): with no sound card baresip
   plays into ALSA's unpaced ``null`` PCM, so its figure is an upper bound.
   Needs root (the lab's process runner); otherwise only part 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_media import _measure, baresip_cpu

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


def cpu_call(workdir: Path, seconds: float) -> dict[str, float]:
    """% of one core per process during an Opus call, echo cancellation on, then off."""
    from lab import Lab
    from lab_alexphone import Alexphone

    results: dict[str, float] = {}
    for setting, base in (("on", 27060), ("off", 27070)):
        lab = Lab(workdir / f"cpu-{setting}")
        workdir.joinpath(f"cpu-{setting}").mkdir()
        try:
            options = ["--codecs", "opus", "--echo-cancel", setting]
            callee = Alexphone(lab, None, "callee", listen=[f"udp:127.0.0.1:{base}"],
                               audio_in="tone:440", audio_out="null", args=options)  # fmt: skip
            callee.daemon("--auto-answer")
            callee.wait_event("ua.ready", timeout=15)
            caller = Alexphone(lab, None, "caller", listen=[f"udp:127.0.0.1:{base + 2}"],
                               audio_in="tone:600", audio_out="null", args=options)  # fmt: skip
            caller.start_call(f"sip:x@127.0.0.1:{base}", duration=seconds + 4)
            caller.wait_event("call.media", timeout=15)
            figure = _measure("alexphone", [callee, caller], seconds)
            results[f"alexphone_echo_cancel_{setting}_cpu_pct_per_process"] = next(
                iter(figure.values())
            )
            caller.wait_exit(seconds + 20)
            callee.stop()
        finally:
            lab.close()
    lab = Lab(workdir / "cpu-baresip")
    workdir.joinpath("cpu-baresip").mkdir()
    try:
        results.update(baresip_cpu(lab, seconds, base=27080))
    finally:
        lab.close()
    theirs = results["baresip_cpu_pct_per_process"]
    for setting in ("on", "off"):
        ours = results[f"alexphone_echo_cancel_{setting}_cpu_pct_per_process"]
        results[f"ratio_ours_echo_cancel_{setting}_to_baresip"] = round(ours / theirs, 3)
    return results


def main() -> None:
    """Run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    args = parser.parse_args()
    results: dict[str, float | str] = dict(processing_cost())
    if os.geteuid() == 0:
        with tempfile.TemporaryDirectory(prefix="bench-echo-") as tmp:
            results.update(cpu_call(Path(tmp), args.cpu_seconds))
    else:
        results["call"] = "skipped (needs root)"
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:48s} {value}")


if __name__ == "__main__":
    main()
