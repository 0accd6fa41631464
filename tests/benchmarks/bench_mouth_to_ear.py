"""Mouth-to-ear latency of our pipeline on a sound-card path, without network delay.

Usage (root, under the lab lock): python tests/benchmarks/bench_mouth_to_ear.py
    [--seconds S] [--codecs opus,pcmu] [--json]

Two MediaStreams with their asyncio drivers on loopback sockets (as bench_media.py's
pipeline latency), but the sender captures from a real ``DeviceSource`` and the receiver plays
to a real ``DeviceSink``: PyAudio → PortAudio → ALSA's ``pulse`` plugin → a private PulseAudio
with a null sink (lab_pulse.py), its monitor as the microphone. Every half second the
sender's frame carries a click (what the microphone delivered is replaced by silence and
the click, so what is played never comes back as a second click). Per click:

- capture timestamp = when the click's sample met the microphone's ADC: the time of the
  last input callback, less the samples waiting in the DeviceSource behind it, less the
  input latency PortAudio reports for the stream (``get_input_latency``: ADC of a buffer's
  first sample → its callback);
- playout timestamp = when the click meets the speaker's DAC: the next output callback (one
  20 ms period after the last), plus the samples queued in the DeviceSink ahead of it, plus
  the output latency PortAudio reports (``get_output_latency``: callback → DAC).

Mouth-to-ear = playout - capture, median and worst over the clicks (the first second left out:
the streams start). Its three parts are printed too: the capture side (ADC → the tick that
reads the click: device input latency and our capture queue), the pipeline (that tick → the
tick that writes the click to the DeviceSink: encoder, loopback, jitter buffer, decoder),
and the playout side (our playout queue and the device's output latency); and PortAudio's
two reported latencies. Samples are converted to time at the nominal rate; the
device's measured consumption rate is printed beside it (see docs/TESTING.md on this VM's
null sink). Goal: ≤ 60 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_media import _Capture, negotiated
from call_cpu import PULSE_DEVICE, fresh_lab, pulse_server

from alexphone.media.audio_device import DeviceSink, DeviceSource, PortAudio
from alexphone.media.audio_endpoint import SilenceSource
from alexphone.media.resampler import to_samples
from alexphone.media.stream import MediaStream
from alexphone.media.stream_driver import StreamDriver
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.sdp.codec import OPUS, PCMU, Codec

CLICK_EVERY = 25  # frames: a click each half second
WARMUP = 1.0  # seconds left out at the start


class _Mic:
    """The DeviceSource's timing with a synthetic click: notes each click's capture time."""

    def __init__(self, device: DeviceSource, loop: asyncio.AbstractEventLoop) -> None:
        self.device, self.loop, self.rate = device, loop, device.rate
        self.frames = 0
        self.sent: list[float] = []  # capture timestamp of each click
        self.read_at: list[float] = []  # loop time the tick read it (the pipeline's start)

    def available(self) -> int | None:
        return self.device.available()

    def read(self, samples: int) -> bytes:
        waiting = self.device.available() or 0
        last_callback = self.device.last_callback
        self.device.read(samples)  # the microphone's samples are read, then replaced
        self.frames += 1
        frame = np.zeros(samples)
        if self.frames % CLICK_EVERY == 5:
            at = samples // 2
            frame[at : at + 48] = 20000
            # PortAudio: the first sample of a callback's buffer met the ADC input-latency
            # before the callback; the newest sample waiting came with the last callback
            behind = max(waiting - at, 1)  # 1: the newest sample
            period = self.rate // 50
            self.sent.append(last_callback - self.device.latency + (period - behind) / self.rate)
            self.read_at.append(self.loop.time() + at / self.rate)
        return frame.astype("<i2").tobytes()

    def close(self) -> None:
        self.device.close()


class _Speaker:
    """The DeviceSink with click detection: notes when each click leaves the device."""

    def __init__(self, device: DeviceSink, loop: asyncio.AbstractEventLoop) -> None:
        self.device, self.loop, self.rate = device, loop, device.rate
        self.heard: list[float] = []  # playout timestamp of each click
        self.written: list[float] = []  # loop time the tick wrote it (the pipeline's end)
        self._quiet = True

    def queued(self) -> int | None:
        return self.device.queued()

    def write(self, pcm: bytes) -> None:
        loud = np.abs(to_samples(pcm)) > 4000
        if loud.any() and self._quiet:
            at = int(np.argmax(loud))
            ahead = (self.device.queued() or 0) + at
            # the next callback (one 20 ms period after the last) takes the head of the
            # queue; PortAudio: its first sample meets the DAC output-latency later
            period = self.rate // 50
            self.heard.append(
                self.device.last_callback + (period + ahead) / self.rate + self.device.latency
            )
            self.written.append(self.loop.time() + at / self.rate)
        self._quiet = not loud.any()
        self.device.write(pcm)

    def close(self) -> None:
        self.device.close()


def _pairs(sent: list[float], heard: list[float]) -> list[tuple[int, int]]:
    """(sent index, heard index): each heard click with the last click sent before it."""
    out = []
    for j, h in enumerate(heard):
        before = [i for i, s in enumerate(sent) if s < h]
        if before:
            out.append((before[-1], j))
    return out


async def _run(codec: Codec, seconds: float, system: PortAudio) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    ports = [MediaPort("127.0.0.1", 21200), MediaPort("127.0.0.1", 21300)]
    sockets = [RtpSocket(lambda d, a: None, lambda d, a: None) for _ in ports]
    for sock, port in zip(sockets, ports, strict=True):
        await sock.open(port)
    addr = [("127.0.0.1", p.port) for p in ports]
    rate = 48000 if codec.name == "opus" else 8000
    changes: list[tuple[str, str]] = []
    mic = _Mic(DeviceSource(system, PULSE_DEVICE, rate, lambda d, w: changes.append((d, w))), loop)
    speaker = _Speaker(
        DeviceSink(system, PULSE_DEVICE, rate, lambda d, w: changes.append((d, w))), loop
    )
    drivers = []
    ends = ((mic, _Capture(rate)), (SilenceSource(rate), speaker))
    for i, (src, snk) in enumerate(ends):
        driver = StreamDriver(sockets[i], on_stats=lambda s: None, on_dtmf=lambda d: None,
                              on_timeout=lambda: None)  # fmt: skip
        driver.start(MediaStream(negotiated(codec, addr[i], addr[1 - i]), src, snk,
                                 sockets[i].send_rtp, sockets[i].send_rtcp,
                                 rng=random.Random(i), ssrc=i + 1, cname="m"))  # fmt: skip
        drivers.append(driver)
    start = time.monotonic()
    requested0, captured0 = speaker.device.requested, mic.device.captured
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - start
    consumed = (speaker.device.requested - requested0) / elapsed
    produced = (mic.device.captured - captured0) / elapsed
    for driver in drivers:
        driver.stop()
    for sock in sockets:
        sock.close()
    mic.close()
    speaker.close()
    first = mic.sent[0] if mic.sent else 0.0
    pairs = [(i, j) for i, j in _pairs(mic.sent, speaker.heard) if mic.sent[i] - first >= WARMUP]
    m2e = [speaker.heard[j] - mic.sent[i] for i, j in pairs]
    return {
        "m2e": m2e,
        "pipeline": [speaker.written[j] - mic.read_at[i] for i, j in pairs],
        "capture_side": [mic.read_at[i] - mic.sent[i] for i, _ in pairs],
        "playout_side": [speaker.heard[j] - speaker.written[j] for _, j in pairs],
        "input_latency": mic.device.latency,
        "output_latency": speaker.device.latency,
        "device_rates": (speaker.device.native_rate, consumed, mic.device.native_rate, produced),
        "devices": [mic.device.device_name, speaker.device.device_name],
        "changes": changes,
    }


def _ms(values: list[float]) -> str:
    if not values:
        return "no clicks"
    return f"{1000 * statistics.median(values):.1f} / {1000 * max(values):.1f}"


def measure(codecs: list[Codec], seconds: float) -> dict[str, Any]:
    """Figures per codec, with a private PulseAudio running (PULSE_SERVER set)."""
    out: dict[str, Any] = {}
    system = PortAudio()
    try:
        for codec in codecs:
            got = asyncio.run(_run(codec, seconds, system))
            name = codec.name.lower()
            out[f"{name}_mouth_to_ear_ms"] = _ms(got["m2e"])
            out[f"{name}_pipeline_ms"] = _ms(got["pipeline"])
            out[f"{name}_capture_side_ms"] = _ms(got["capture_side"])
            out[f"{name}_playout_side_ms"] = _ms(got["playout_side"])
            out[f"{name}_portaudio_in_out_ms"] = (
                f"{1000 * got['input_latency']:.1f} + {1000 * got['output_latency']:.1f}"
            )
            out[f"{name}_clicks"] = len(got["m2e"])
            out[f"{name}_out_in_rate_nominal_measured"] = "{} {:.0f} / {} {:.0f}".format(
                *got["device_rates"]
            )
            out[f"{name}_devices"] = " | ".join(got["devices"])
            if got["changes"]:
                out[f"{name}_device_changes"] = str(got["changes"])
    finally:
        system.close()
    return out


def main() -> None:
    """Start a private PulseAudio in a lab, measure each codec, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--codecs", default="opus,pcmu")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    known = {"opus": OPUS, "pcmu": PCMU}
    codecs = [known[c] for c in args.codecs.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-m2e-") as tmp:
        lab = fresh_lab(Path(tmp), "pulse")
        try:
            with pulse_server(lab):
                results = measure(codecs, args.seconds)
        finally:
            lab.close()
    if args.json:
        print(json.dumps(results))
        return
    print("median / worst, ms")
    for key, value in results.items():
        print(f"{key:40s} {value}")


if __name__ == "__main__":
    main()
