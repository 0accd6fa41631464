"""What a receiver plays of baresip's speech: our phone and a second baresip, side by side.

One baresip (h3) sends an espeak-ng sentence (aufile) into two calls in turn: one answered by
`alexphone daemon --audio-out file:got.wav` (h1), one by a second baresip recording what it
decodes (h2, sndfile). baresip's decoded stream is the ceiling: the same encoder's packets
decoded with no playout in between. Both receivers are pinned to one CPU; `busy` pins a
spinning process there too (a desktop doing other work); `jitter_ms` delays the sender's
RTP by a random 0..J ms each (tests/benchmarks/nfqueue_delay.py in the sender's namespace,
so packets also overtake each other) and `loss` drops the same places of both calls'
streams there (a seeded decision per place in the stream, not a random one per packet).

With `--audio-out file:` the phone's audio clock is the driver's 20 ms schedule: the file
gets one frame per scheduled tick (late ticks catch up), as a sound card would take one
per period, and arrivals are placed on that schedule. So the recording's timeline is the
playout's; a slipped or inserted frame shows as a 20 ms step of the delay.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path

from lab import Host, Lab
from lab_alexphone import Alexphone
from lab_peers import Baresip, baresip_account
from media_tools import (
    convert,
    delay_track,
    delay_within_speech,
    pesq_score,
    read_wav,
    silence_wav,
    speech_wav,
)

from alexphone.media.codec import AudioCodec
from alexphone.media.g711 import G711Codec, Law
from alexphone.media.opus_codec import OpusCodec

DELAYER = Path(__file__).resolve().parents[1] / "benchmarks" / "nfqueue_delay.py"
CODECS = {"pcmu": ("PCMU", 8000, 1, "nb"), "opus": ("opus/48000/2", 48000, 2, "wb")}
RECEIVER_CPU = 1
SIP_PORT = "5060"


@dataclass(frozen=True)
class Received:
    """Scores of one call to each receiver."""

    phone_pesq: float
    phone_delays: list[float]  # playout delay of each 0.5 s speech window, seconds
    baresip_pesq: float | None  # None: no call to baresip (with_reference=False)
    baresip_delays: list[float]
    phone_stats: dict[str, object]  # the phone's call.stats at the end of the call
    sent_kbps: float  # what baresip's encoder sent
    phone_segments: list[tuple[float, float]] = field(default_factory=list)

    @staticmethod
    def variation_ms(delays: list[float]) -> float:
        """Max - min of the delays, ms."""
        return round(1000 * (max(delays) - min(delays)), 2) if delays else float("nan")

    @staticmethod
    def moved_in_speech_ms(segments: list[tuple[float, float]]) -> float:
        """The largest delay change inside one speech segment (between pauses), ms."""
        return round(1000 * max((abs(b - a) for a, b in segments), default=0.0), 2)


def _spin() -> subprocess.Popen[bytes]:
    """A busy loop pinned to the receivers' CPU (a desktop doing other work)."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    os.sched_setaffinity(spinner.pid, {RECEIVER_CPU})
    return spinner


def _pin(pid: int, cpu: int) -> None:
    """Pin every thread of `pid` and the leaf process under the lab's wrappers to `cpu`."""
    for _ in range(4):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            break
        pid = int(children[0])
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {cpu})


def _delays(reference: Path, received: Path, workdir: Path) -> list[float]:
    _, ref = read_wav(convert(reference, workdir / "track-ref.wav", 16000))
    _, deg = read_wav(convert(received, workdir / f"track-{received.stem}.wav", 16000))
    return delay_track(ref, deg, 16000)


def _segments(reference: Path, received: Path, workdir: Path) -> list[tuple[float, float]]:
    _, ref = read_wav(convert(reference, workdir / "seg-ref.wav", 16000))
    _, deg = read_wav(convert(received, workdir / f"seg-{received.stem}.wav", 16000))
    return delay_within_speech(ref, deg, 16000)


def codec_only(reference: Path, codec: str, workdir: Path, kbps: float = 32.0) -> float:
    """PESQ of `reference` encoded and decoded frame by frame, no network: the ceiling."""
    coder: AudioCodec = (
        G711Codec(Law.PCMU) if codec == "pcmu" else OpusCodec(bitrate=int(kbps * 1000))
    )
    source = convert(reference, workdir / f"codec-in-{coder.sample_rate}.wav", coder.sample_rate)
    with wave.open(str(source), "rb") as f:
        pcm = f.readframes(f.getnframes())
    step = 2 * coder.frame_samples
    out = b"".join(
        coder.decode(coder.encode(pcm[i : i + step].ljust(step, b"\0")))
        for i in range(0, len(pcm), step)
    )
    decoded = workdir / f"codec-only-{codec}.wav"
    with wave.open(str(decoded), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(coder.sample_rate)
        f.writeframes(out)
    return pesq_score(reference, decoded, CODECS[codec][3], workdir)


def _impair(lab: Lab, ns: str, jitter_ms: float, loss: float, seconds: float, seed: int) -> None:
    """Hold every non-SIP UDP packet leaving `ns` a random 0..jitter_ms, and drop `loss` %
    of its RTP at places of each stream fixed by a seed (nfqueue_delay.py --loss-percent).

    The loss is taken on the sender's way out and keyed on each packet's place in its
    stream, so every receiver of one sender loses the same packets of the sentence: a
    comparison of two receivers is not decided by which packets each happened to lose.
    Every UDP datagram but SIP's goes through the queue: baresip picks its RTP port anywhere
    in 1024-49151 (its default `rtp_ports`).
    """
    argv = [sys.executable, str(DELAYER), "--delay-ms", "0", "--jitter-ms", f"{jitter_ms:g}",
            "--loss-percent", f"{loss:g}", "--seed", str(seed),
            "--duration", f"{seconds:g}"]  # fmt: skip
    lab.spawn(ns, argv, lab.workdir / "delayer.log", timeout=seconds + 5).wait_for_log(
        "DELAYER READY", 10
    )
    rule = ["OUTPUT", "-p", "udp", "!", "--dport", SIP_PORT, "-j", "NFQUEUE", "--queue-num", "1",
            "--queue-bypass"]  # fmt: skip
    lab.run(ns, ["iptables", "-t", "mangle", "-I", *rule])


def receive_speech(
    lab: Lab,
    hosts: list[Host],
    codec: str,
    busy: bool = False,
    jitter_ms: float = 0.0,
    loss: float = 0.0,
    with_reference: bool = True,
    seed: int = 1,
) -> Received:
    """Run both calls in `lab` (3 hosts) and score what each receiver played.

    `loss` % of the sender's RTP is dropped, the same places of both calls' streams (which
    places, and the jitter's draws, follow `seed`).
    Without `with_reference` only the phone's call runs (11 s less), for tests that do not
    compare with baresip.
    """
    sdp_codec, rate, channels, mode = CODECS[codec]
    workdir = lab.workdir
    reference = speech_wav(workdir / "speech.wav", 16000)
    source = speech_wav(workdir / f"speech-{rate}.wav", rate, channels)
    quiet = silence_wav(workdir / f"quiet-{rate}.wav", rate, channels, seconds=60.0)
    seconds = read_wav(reference)[1].size / 16000 + 1.0
    h1, h2, h3 = hosts
    spinner = None
    try:
        if busy:
            spinner = _spin()
        got = workdir / "got.wav"
        pinned = ["taskset", "-c", str(RECEIVER_CPU), sys.executable, "-m", "alexphone"]
        phone = Alexphone(lab, h1.ns, "daemon", listen=[f"udp:{h1.ipv4}:5060"],
                          audio_in="silence", audio_out=f"file:{got}", program=pinned)  # fmt: skip
        phone.daemon("--auto-answer")
        phone.wait_event("ua.ready", timeout=15)
        account = baresip_account("rx", domain=f"{h2.ipv4}:5060", codecs=sdp_codec)
        rx = Baresip(lab, h2.ns, account, listen=f"{h2.ipv4}:5060",
                     audio_source=f"aufile,{quiet}").start()  # fmt: skip
        assert rx.process is not None
        _pin(rx.process.pid, RECEIVER_CPU)
        account = baresip_account("tx", domain=f"{h3.ipv4}:5060", codecs=sdp_codec,
                                  answermode="manual")  # fmt: skip
        tx = Baresip(lab, h3.ns, account, listen=f"{h3.ipv4}:5060",
                     audio_source=f"aufile,{source}").start()  # fmt: skip
        assert tx.process is not None and tx.ctrl is not None
        _pin(tx.process.pid, 1 - RECEIVER_CPU)
        if jitter_ms or loss:
            calls = 2 if with_reference else 1
            _impair(lab, h3.ns, jitter_ms, loss, calls * seconds + 40, seed)

        # baresip's aufile ends each call once the sentence has been sent
        tx.dial(f"sip:alexphone@{h1.ipv4}:5060")
        phone.wait_event("call.media", timeout=15)
        tx.wait_event("CALL_CLOSED", timeout=seconds + 15)
        phone.wait_event("call.stats", lambda e: e["received"] > 0, timeout=10)
        phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
        recorded = None
        if with_reference:
            mark = len(tx.ctrl.events.snapshot())
            tx.dial(f"sip:rx@{h2.ipv4}:5060")
            tx.wait_event("CALL_CLOSED", timeout=seconds + 15, since=mark)
            recorded = sorted(rx.config_dir.glob("dump/*-dec.wav"))[-1]
        rates = [int(m) for m in re.findall(r"audio=(\d+)/\d+ \(bit/s\)", tx.log_text())]
        # the counters of the whole call: the last report, sent when its media stopped
        stats = [e for e in phone.events.snapshot() if e.get("event") == "call.stats"][-1]
        result = Received(
            phone_pesq=pesq_score(reference, got, mode, workdir),
            phone_delays=_delays(reference, got, workdir),
            baresip_pesq=None
            if recorded is None
            else pesq_score(reference, recorded, mode, workdir),
            baresip_delays=[] if recorded is None else _delays(reference, recorded, workdir),
            phone_stats=dict(stats),
            sent_kbps=round(max(rates, default=0) / 1000, 1),
            phone_segments=_segments(reference, got, workdir),
        )
        tx.quit()
        rx.quit()
        phone.stop()
        return result
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


@dataclass(frozen=True)
class Sent:
    """What baresip decoded of the phone's speech."""

    baresip_pesq: float
    baresip_delays: list[float]  # playout delay of each 0.5 s speech window, seconds
    baresip_segments: list[tuple[float, float]]  # delay at both ends of each speech run


def send_speech(
    lab: Lab,
    hosts: list[Host],
    codec: str,
    busy: bool = False,
    jitter_ms: float = 0.0,
    loss: float = 0.0,
    seed: int = 1,
) -> Sent:
    """The phone (h1) speaks the sentence into a call answered by baresip (h2), which records.

    baresip is pinned to the receivers' CPU (with the spinner when `busy`); the phone's RTP
    gets the random `jitter_ms` and loses `loss` % (seeded places) on the way out.
    """
    sdp_codec, rate, channels, mode = CODECS[codec]
    workdir = lab.workdir
    reference = speech_wav(workdir / "speech.wav", 16000)
    quiet = silence_wav(workdir / f"quiet-{rate}.wav", rate, channels, seconds=60.0)
    seconds = read_wav(reference)[1].size / 16000 + 1.0
    h1, h2 = hosts[0], hosts[1]
    spinner = _spin() if busy else None
    try:
        account = baresip_account("rx", domain=f"{h2.ipv4}:5060", codecs=sdp_codec)
        rx = Baresip(lab, h2.ns, account, listen=f"{h2.ipv4}:5060",
                     audio_source=f"aufile,{quiet}").start()  # fmt: skip
        assert rx.process is not None
        _pin(rx.process.pid, RECEIVER_CPU)
        pinned = ["taskset", "-c", str(1 - RECEIVER_CPU), sys.executable, "-m", "alexphone"]
        phone = Alexphone(lab, h1.ns, "caller", listen=[f"udp:{h1.ipv4}:5060"],
                          audio_in=f"file:{reference}", audio_out="null",
                          args=["--codecs", codec], program=pinned)  # fmt: skip
        if jitter_ms or loss:
            _impair(lab, h1.ns, jitter_ms, loss, seconds + 40, seed)
        code, _ = phone.run_call(f"sip:rx@{h2.ipv4}:5060", duration=seconds, timeout=seconds + 40)
        assert code == 0, phone.stderr_tail()
        rx.wait_event("CALL_CLOSED", timeout=15)
        recorded = sorted(rx.config_dir.glob("dump/*-dec.wav"))[-1]
        sent = Sent(
            baresip_pesq=pesq_score(reference, recorded, mode, workdir),
            baresip_delays=_delays(reference, recorded, workdir),
            baresip_segments=_segments(reference, recorded, workdir),
        )
        rx.quit()
        return sent
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
