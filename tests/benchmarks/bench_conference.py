"""Conference benchmark: what mixing a local 3-way conference costs, next to a single call.

Usage: python tests/benchmarks/bench_conference.py [--json] [--cpu-seconds S]

1. The mixer alone, in process: µs per 20 ms frame to capture and play every leg (Opus's
   48 kHz), for one call and for a two-call conference (mix-minus), same run.
2. The daemon in the middle, as % of one core: `alexphone daemon --auto-answer` (tone in,
   null out, Opus) with one call from a second daemon, then with a second call (answered
   with hold-and-answer) merged into a conference (`alexphone ctl merge`), measured one
   after the other in the same run on loopback.
   Every process sends and receives real RTP; the two callers run beside it on the same
   machine (2 cores shared), as users live.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_media import _cpu_seconds, _leaf

from alexphone.media.audio_endpoint import NullSink, ToneSource
from alexphone.media.mixer import LegMode, Mixer
from alexphone.media.resampler import to_pcm

RATE = 48000
FRAME = 960


def mixer_cost(legs: int, frames: int = 3000) -> float:
    """µs per 20 ms frame for ``legs`` legs (a conference when more than one)."""
    mixer = Mixer(ToneSource(RATE, 1100), NullSink(RATE))
    joined = [mixer.join(f"leg{i}", RATE) for i in range(legs)]
    if legs > 1:
        for i in range(legs):
            mixer.set_mode(f"leg{i}", LegMode.CONFERENCE)
    played = to_pcm(np.sin(np.arange(FRAME) / 10) * 8000)
    start = time.perf_counter()
    for _ in range(frames):
        for source, sink in joined:
            source.read(FRAME)
            sink.write(played)
    return round((time.perf_counter() - start) / frames * 1e6, 1)


def _ctl(phone: object, *args: str) -> None:
    profile, env = phone.profile, phone.env()  # type: ignore[attr-defined]
    argv = [sys.executable, "-m", "alexphone", "ctl", "--profile", str(profile), *args]
    done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ctl {' '.join(args)}: {done.stderr}")


def _host_cpu(pid: int, seconds: float) -> float:
    time.sleep(2.0)  # past set-up, re-INVITEs and the jitter buffer's first steering
    before, start = _cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return round(100 * (_cpu_seconds(pid) - before) / (time.monotonic() - start), 2)


def conference_cpu(workdir: Path, seconds: float) -> dict[str, float]:
    """% of one core of the daemon in the middle: one call, then a 3-way conference."""
    from lab import Lab
    from lab_alexphone import Alexphone

    lab = Lab(workdir / "lab")
    workdir.joinpath("lab").mkdir()
    try:
        phones = {}
        for i, (name, hz) in enumerate((("host", 1100), ("alice", 500), ("bob", 700))):
            phones[name] = Alexphone(
                lab,
                None,
                name,
                listen=[f"udp:127.0.0.1:{26160 + 2 * i}"],
                audio_in=f"tone:{hz}",
                audio_out="null",
                args=["--codecs", "opus", "--no-alex"],
            )
            phones[name].daemon(*(["--auto-answer"] if name == "host" else []))
            phones[name].wait_event("ua.ready", timeout=15)
        host = phones["host"]
        assert host.process is not None
        pid = _leaf(host.process.pid)
        _ctl(phones["alice"], "dial", "sip:host@127.0.0.1:26160")
        host.wait_event("call.media", timeout=15)
        single = _host_cpu(pid, seconds)
        mark = host.mark()
        _ctl(phones["bob"], "dial", "sip:host@127.0.0.1:26160")
        host.wait_event("call.media", timeout=15, since=mark)
        _ctl(host, "merge")
        host.wait_event("call.mode", lambda e: e["mode"] == "conference", 15, mark)
        conference = _host_cpu(pid, seconds)
        for phone in phones.values():
            phone.stop()
    finally:
        lab.close()
    return {
        "host_single_call_cpu_pct": single,
        "host_conference_3way_cpu_pct": conference,
        "conference_over_single_ratio": round(conference / single, 2) if single else 0.0,
    }


def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cpu-seconds", type=float, default=15.0)
    args = parser.parse_args()
    results: dict[str, float | str] = {
        "mixer_1_call_us_per_frame": mixer_cost(1),
        "mixer_conference_2_calls_us_per_frame": mixer_cost(2),
    }
    with tempfile.TemporaryDirectory(prefix="bench-conference-") as tmp:
        results.update(conference_cpu(Path(tmp), args.cpu_seconds))
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:40s} {value}")


if __name__ == "__main__":
    main()
