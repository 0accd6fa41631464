"""Media benchmarks: codec cost, pipeline latency, CPU of a call, PESQ under loss.

Usage: python tests/benchmarks/bench_media.py [--json] [--cpu-seconds S] [--skip-lab]

1. Codec µs per 20 ms frame (Opus at our settings: 48 kb/s, complexity 10; PCMU).
2. Pipeline latency: two MediaStreams with their asyncio drivers on loopback sockets, file-
   like endpoints; a click's capture tick → the tick that plays it out (jitter buffer and
   codec delay included, no network delay, no sound-card buffers).
3. CPU of one Opus call (tone in, both directions) between two `alexphone daemon`/`call`
   processes on loopback, as % of one core, next to baresip↔baresip in the same run
   (--cpu-seconds, 20 s by default: shorter than the issue's 60 s, same steady state).
   Caveat: with no sound card baresip plays into ALSA's `null` PCM, which is not paced,
   and its player thread spins (~80-95 % of a core); its figure is an upper bound, not a
   like-for-like baseline. Ours uses `--audio-out null` (nothing played).
4. PESQ under random loss 0/3/5/10 %: our pipeline (real MediaStreams, loss simulated
   on the wire with a fixed seed; Opus FEC on and off, PCMU), and baresip↔baresip over a
   namespace link with iptables `statistic` loss (needs root; --skip-lab leaves it out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from media_tools import pesq_score, read_wav, silence_wav, speech_wav

from alexphone.core.clock import FakeClock
from alexphone.media.audio_endpoint import SilenceSource, ToneSource, WavSource
from alexphone.media.codec import make_codec
from alexphone.media.resampler import to_samples
from alexphone.media.stream import FRAME_SECONDS, OPUS_BITRATE, MediaStream
from alexphone.media.stream_driver import StreamDriver
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.sdp.attribute import Direction
from alexphone.sdp.codec import OPUS, PCMU, Codec
from alexphone.sdp.offer_answer import NegotiatedMedia

LOSSES = (0, 3, 5, 10)


def negotiated(codec: Codec, local: tuple[str, int], remote: tuple[str, int]) -> NegotiatedMedia:
    """A sendrecv NegotiatedMedia with telephone-event, as an answer would give."""
    return NegotiatedMedia(codec, 101, local, remote, Direction.SENDRECV, 20, (codec,), 8000,
                           (remote[0], remote[1] + 1))  # fmt: skip


# -- 1. codec cost ------------------------------------------------------------------------
def codec_cost(frames: int = 1000) -> dict[str, float]:
    """µs per 20 ms frame for encode and decode."""
    results: dict[str, float] = {}
    stream = MediaStream(negotiated(OPUS, ("a", 1), ("b", 2)), SilenceSource(48000),
                         _Capture(48000), lambda d, a: None, lambda d, a: None,
                         rng=random.Random(1), ssrc=1, cname="x")  # fmt: skip
    for name, codec in (("opus", stream.encoder), ("pcmu", make_codec(PCMU))):
        pcm = ToneSource(codec.sample_rate, 440).read(codec.frame_samples * frames)
        size = codec.frame_samples * 2
        chunks = [pcm[i : i + size] for i in range(0, len(pcm), size)]
        start = time.perf_counter()
        payloads = [codec.encode(c) for c in chunks]
        middle = time.perf_counter()
        for p in payloads:
            codec.decode(p)
        end = time.perf_counter()
        results[f"{name}_encode_us"] = round((middle - start) / frames * 1e6, 1)
        results[f"{name}_decode_us"] = round((end - middle) / frames * 1e6, 1)
    return results


class _Capture:
    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.frames: list[bytes] = []

    def write(self, pcm: bytes) -> None:
        self.frames.append(pcm)

    def close(self) -> None:
        return


# -- 2. latency ---------------------------------------------------------------------------
class _ClickSource:
    """Silence with one full-scale click every half second; remembers when each was read."""

    def __init__(self, rate: int, loop: asyncio.AbstractEventLoop) -> None:
        self.rate, self.loop, self.frames, self.sent = rate, loop, 0, []

    def read(self, samples: int) -> bytes:
        self.frames += 1
        frame = np.zeros(samples)
        if self.frames % 25 == 5:
            frame[samples // 2 : samples // 2 + 48] = 20000
            self.sent.append(self.loop.time() + 0.5 * samples / self.rate)
        return frame.astype("<i2").tobytes()

    def close(self) -> None:
        return


class _ClickSink:
    """Notes when a click is written (played out), to the sample."""

    def __init__(self, rate: int, loop: asyncio.AbstractEventLoop) -> None:
        self.rate, self.loop, self.heard, self._quiet = rate, loop, [], True

    def write(self, pcm: bytes) -> None:
        samples = np.abs(to_samples(pcm))
        loud = samples > 4000
        if loud.any() and self._quiet:
            self.heard.append(self.loop.time() + int(np.argmax(loud)) / self.rate)
        self._quiet = not loud.any()

    def close(self) -> None:
        return


async def _latency(codec: Codec, seconds: float) -> list[float]:
    loop = asyncio.get_running_loop()
    ports = [MediaPort("127.0.0.1", 21000), MediaPort("127.0.0.1", 21100)]
    sockets = [RtpSocket(lambda d, a: None, lambda d, a: None) for _ in ports]
    for sock, port in zip(sockets, ports, strict=True):
        await sock.open(port)
    addr = [("127.0.0.1", p.port) for p in ports]
    rate = 48000 if codec.name == "opus" else 8000
    source, sink = _ClickSource(rate, loop), _ClickSink(rate, loop)
    drivers = []
    for i, (src, snk) in enumerate(((source, _Capture(rate)), (SilenceSource(rate), sink))):
        driver = StreamDriver(sockets[i], on_stats=lambda s: None, on_dtmf=lambda d: None,
                              on_timeout=lambda: None)  # fmt: skip
        driver.start(MediaStream(negotiated(codec, addr[i], addr[1 - i]), src, snk,
                                 sockets[i].send_rtp, sockets[i].send_rtcp,
                                 rng=random.Random(i), ssrc=i + 1, cname="b"))  # fmt: skip
        drivers.append(driver)
    await asyncio.sleep(seconds)
    for driver in drivers:
        driver.stop()
    return [h - s for s, h in zip(source.sent, sink.heard, strict=False)]


def latency(seconds: float = 5.0) -> dict[str, float]:
    """Median and max capture→playout latency in ms, per codec."""
    out: dict[str, float] = {}
    for codec in (OPUS, PCMU):
        values = asyncio.run(_latency(codec, seconds))
        out[f"{codec.name.lower()}_latency_ms_median"] = round(1000 * float(np.median(values)), 1)
        out[f"{codec.name.lower()}_latency_ms_max"] = round(1000 * max(values), 1)
    return out


# -- 3. CPU of a call ---------------------------------------------------------------------
def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its children threads (not waited-for children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _leaf(pid: int) -> int:
    """The process under the `timeout` wrappers the lab starts."""
    for _ in range(3):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            return pid
        pid = int(children[0])
    return pid


def cpu_call(workdir: Path, seconds: float) -> dict[str, float]:
    """% of one core per process during an Opus call: ours vs baresip's."""
    from lab import Lab
    from lab_alexphone import Alexphone

    lab = Lab(workdir / "cpu")
    workdir.joinpath("cpu").mkdir()
    results: dict[str, float] = {}
    try:
        callee = Alexphone(
            lab,
            None,
            "callee",
            listen=["udp:127.0.0.1:26060"],
            audio_in="tone:440",
            audio_out="null",
            args=["--codecs", "opus"],
        )
        callee.daemon("--auto-answer")
        callee.wait_event("ua.ready", timeout=15)
        caller = Alexphone(
            lab,
            None,
            "caller",
            listen=["udp:127.0.0.1:26062"],
            audio_in="tone:600",
            audio_out="null",
            args=["--codecs", "opus"],
        )
        caller.start_call("sip:x@127.0.0.1:26060", duration=seconds + 4)
        caller.wait_event("call.media", timeout=15)
        results.update(_measure("alexphone", [callee, caller], seconds))
        caller.wait_exit(seconds + 20)
        callee.stop()

        results.update(baresip_cpu(lab, seconds))
    finally:
        lab.close()
    return results


def baresip_cpu(lab: Any, seconds: float, base: int = 26070) -> dict[str, float]:
    """% of one core per process of a baresip↔baresip Opus call on loopback in ``lab``."""
    from lab_peers import Baresip, baresip_account

    peers = []
    for i, port in enumerate((base, base + 2)):
        account = baresip_account(f"b{i}", domain=f"127.0.0.1:{port}", codecs="opus/48000/2")
        peer = Baresip(lab, None, account, listen=f"127.0.0.1:{port}", ctrl_port=4470 + i)
        peers.append(peer.start())
    peers[0].dial(f"sip:b1@127.0.0.1:{base + 2}")
    peers[0].wait_event("CALL_ESTABLISHED", timeout=15)
    results = _measure("baresip", peers, seconds)
    for peer in peers:
        peer.quit()
    return results


def _measure(name: str, peers: list, seconds: float) -> dict[str, float]:  # type: ignore[type-arg]
    time.sleep(2.0)  # past call set-up
    pids = [_leaf(p.process.pid) for p in peers]
    before = [_cpu_seconds(pid) for pid in pids]
    start = time.monotonic()
    time.sleep(seconds)
    used = [_cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
    wall = time.monotonic() - start
    return {f"{name}_cpu_pct_per_process": round(100 * sum(used) / len(used) / wall, 2)}


# -- 4. PESQ under loss -------------------------------------------------------------------
def _simulated_call(codec: Codec, reference: Path, loss: float, out: Path) -> Path:
    """Run a→b with real MediaStreams on a fake clock; the wire drops `loss` % at random."""
    rng = random.Random(20261125)
    rate = 48000 if codec.name == "opus" else 8000
    clock = FakeClock(10.0)
    sink = _Capture(rate)
    wire: list[bytes] = []
    a = MediaStream(negotiated(codec, ("a", 1), ("b", 2)), WavSource(reference, rate),
                    _Capture(rate), lambda d, addr: wire.append(d), lambda d, addr: None,
                    rng=random.Random(1), ssrc=1, cname="a")  # fmt: skip
    b = MediaStream(negotiated(codec, ("b", 2), ("a", 1)), SilenceSource(rate), sink,
                    lambda d, addr: None, lambda d, addr: None,
                    rng=random.Random(2), ssrc=2, cname="b")  # fmt: skip
    seconds = read_wav(reference)[1].size / 16000 + 0.5
    for _ in range(round(seconds / FRAME_SECONDS)):
        now = clock.advance(FRAME_SECONDS)
        a.tick(now)
        for datagram in wire:
            if rng.random() >= loss / 100:
                b.receive_rtp(datagram, ("a", 1), now + 0.002)
        wire.clear()
        b.tick(now)
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(sink.frames))
    return out


def pesq_ours(workdir: Path, reference: Path) -> dict[str, float]:
    """PESQ of our pipeline at each loss: Opus FEC on/off (WB), PCMU (NB)."""
    no_fec = replace(OPUS, fmtp="useinbandfec=0")
    out: dict[str, float] = {}
    for loss in LOSSES:
        for label, codec, mode in (("opus_fec", OPUS, "wb"), ("opus_nofec", no_fec, "wb"),
                                   ("pcmu", PCMU, "nb")):  # fmt: skip
            got = _simulated_call(codec, reference, loss, workdir / f"{label}-{loss}.wav")
            out[f"ours_{label}_{mode}_loss{loss}"] = round(pesq_score(reference, got, mode,
                                                                      workdir), 2)  # fmt: skip
    return out


def pesq_baresip(workdir: Path, reference: Path) -> dict[str, float]:
    """PESQ of baresip→baresip over a namespace link with iptables loss (Opus WB, PCMU NB)."""
    from lab import Lab
    from lab_peers import Baresip, baresip_account

    out: dict[str, float] = {}
    seconds = read_wav(reference)[1].size / 16000 + 1.5
    for codec, rate, channels, mode in (("opus/48000/2", 48000, 2, "wb"), ("PCMU", 8000, 1, "nb")):
        source = speech_wav(workdir / f"bs-{rate}.wav", rate, channels)
        quiet = silence_wav(workdir / f"bq-{rate}.wav", rate, channels)
        for loss in LOSSES:
            lab = Lab(workdir / f"bs-{rate}-{loss}")
            lab.workdir.mkdir()
            try:
                hosts = lab.flat_lan(2)
                _drop_media(lab, hosts[1].ns, loss)
                bob = Baresip(
                    lab,
                    hosts[1].ns,
                    baresip_account("bob", domain=f"{hosts[1].ipv4}:5060", codecs=codec),
                    listen=f"{hosts[1].ipv4}:5060",
                    audio_source=f"aufile,{quiet}",
                ).start()
                alice = Baresip(
                    lab,
                    hosts[0].ns,
                    baresip_account(
                        "alice", domain=f"{hosts[0].ipv4}:5060", codecs=codec, answermode="manual"
                    ),
                    listen=f"{hosts[0].ipv4}:5060",
                    audio_source=f"aufile,{source}",
                ).start()
                alice.dial(f"sip:bob@{hosts[1].ipv4}:5060")
                time.sleep(seconds)
                alice.hangup()
                time.sleep(0.5)
                recorded = sorted(bob.config_dir.glob("dump/*-dec.wav"))[-1]
                key = f"baresip_{codec.split('/')[0].lower()}_{mode}_loss{loss}"
                out[key] = round(pesq_score(reference, recorded, mode, lab.workdir), 2)
                alice.quit()
                bob.quit()
            finally:
                lab.close()
    return out


def _drop_media(lab: Any, ns: str, loss: float) -> None:
    """Drop `loss` % of the UDP entering `ns` other than SIP (iptables statistic; no netem)."""
    if loss:
        rule = ["-p", "udp", "!", "--dport", "5060", "-m", "statistic", "--mode", "random",
                "--probability", f"{loss / 100:.4f}", "-j", "DROP"]  # fmt: skip
        lab.run(ns, ["iptables", "-I", "INPUT", "1", *rule])


def pesq_ours_network(workdir: Path, reference: Path) -> dict[str, float]:
    """PESQ of alexphone→alexphone over the same kind of namespace link and iptables loss."""
    from lab import Lab
    from lab_alexphone import Alexphone

    out: dict[str, float] = {}
    seconds = read_wav(reference)[1].size / 16000 + 0.6
    for codec, mode in (("opus", "wb"), ("pcmu", "nb")):
        for loss in LOSSES:
            lab = Lab(workdir / f"ours-{codec}-{loss}")
            lab.workdir.mkdir()
            try:
                hosts = lab.flat_lan(2)
                _drop_media(lab, hosts[0].ns, loss)
                got = lab.workdir / "got.wav"
                listen = [f"udp:{hosts[0].ipv4}:5060"]
                daemon = Alexphone(lab, hosts[0].ns, "answerer", listen=listen,
                                   audio_in="silence", audio_out=f"file:{got}",
                                   args=["--codecs", codec])  # fmt: skip
                daemon.daemon("--auto-answer")
                daemon.wait_event("ua.ready", timeout=15)
                listen = [f"udp:{hosts[1].ipv4}:5060"]
                caller = Alexphone(lab, hosts[1].ns, "caller", listen=listen,
                                   audio_in=f"file:{reference}", audio_out="null",
                                   args=["--codecs", codec])  # fmt: skip
                caller.run_call(f"sip:a@{hosts[0].ipv4}:5060", duration=seconds, timeout=40)
                daemon.wait_event("call.stats", timeout=10)
                key = f"ours_net_{codec}_{mode}_loss{loss}"
                out[key] = round(pesq_score(reference, got, mode, lab.workdir), 2)
                daemon.stop()
            finally:
                lab.close()
    return out


def main() -> None:
    """Run every benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    parser.add_argument("--skip-lab", action="store_true", help="no root: skip CPU and baresip")
    args = parser.parse_args()
    results: dict[str, float | str] = {"opus_bitrate": OPUS_BITRATE}
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        workdir = Path(tmp)
        reference = speech_wav(workdir / "speech.wav", 16000)
        results.update(codec_cost())
        results.update(latency())
        results.update(pesq_ours(workdir, reference))
        if not args.skip_lab and os.geteuid() == 0:
            results.update(cpu_call(workdir, args.cpu_seconds))
            results.update(pesq_ours_network(workdir, reference))
            results.update(pesq_baresip(workdir, reference))
        else:
            results["lab"] = "skipped (needs root)"
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:40s} {value}")


if __name__ == "__main__":
    main()
