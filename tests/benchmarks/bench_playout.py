"""Playout benchmark: what a receiver plays of a real peer's stream, calm and busy machine.

Usage (root, under the lab lock): python tests/benchmarks/bench_playout.py [--rounds N] [--json]

One baresip (h3) speaks an espeak-ng sentence into two calls in turn: one answered by
`alexphone daemon --audio-out file:got.wav` (h1), one by a second baresip that records what it
decodes (h2). Both receivers are pinned to CPU 1; in the "busy" rows a spinning process is
pinned there too, as a desktop doing other work would be. For every row (PCMU, Opus at
baresip's default 28 kb/s; calm, busy) it prints median and worst PESQ over the rounds, the
codec-only ceiling of the same source, and the worst playout-delay variation within a call
(0.5 s windows cross-correlated with the source; a slipped 20 ms frame shows as ~20 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))

from media_tools import convert, delay_track, pesq_score, read_wav, silence_wav, speech_wav

from alexphone.media.g711 import G711Codec, Law
from alexphone.media.opus_codec import OpusCodec

CODECS = {"pcmu": ("PCMU", 8000, 1, "nb"), "opus": ("opus/48000/2", 48000, 2, "wb")}
BARESIP_OPUS_BITRATE = 28000  # baresip's opus module default
RECEIVER_CPU = 1


def ceiling(workdir: Path, reference: Path, codec: str) -> float:
    """PESQ of the source through the codec alone (encode/decode, no network)."""
    rate = CODECS[codec][1]
    source = convert(reference, workdir / f"ceil-src-{rate}.wav", rate)
    _, samples = read_wav(source)
    coder = G711Codec(Law.PCMU) if codec == "pcmu" else OpusCodec(bitrate=BARESIP_OPUS_BITRATE)
    n = coder.frame_samples
    pcm = np.clip(samples, -32768, 32767).astype("<i2")
    frames = [pcm[i : i + n].tobytes() for i in range(0, pcm.size - n + 1, n)]
    out = b"".join(coder.decode(coder.encode(f)) for f in frames)
    path = workdir / f"ceil-{codec}.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(out)
    return pesq_score(reference, path, CODECS[codec][3], workdir)


def _pin(pid: int, cpu: int) -> None:
    """Pin every thread of `pid` (and those it starts later) to `cpu`."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), {cpu})


def _leaf(pid: int) -> int:
    for _ in range(4):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if not children:
            return pid
        pid = int(children[0])
    return pid


def variation_ms(reference: Path, received: Path, workdir: Path) -> float:
    """Max - min playout delay over the call's speech windows, in ms (16 kHz)."""
    _, ref = read_wav(convert(reference, workdir / "var-ref.wav", 16000))
    _, deg = read_wav(convert(received, workdir / f"var-{received.stem}.wav", 16000))
    delays = delay_track(ref, deg, 16000)
    return round(1000 * (max(delays) - min(delays)), 2) if delays else float("nan")


def one_round(workdir: Path, reference: Path, codec: str, busy: bool) -> dict[str, float]:
    """One call to each receiver; PESQ and delay variation of each."""
    from lab import Lab
    from lab_alexphone import Alexphone
    from lab_peers import Baresip, baresip_account

    sdp_codec, rate, channels, mode = CODECS[codec]
    source = speech_wav(workdir / f"speech-{rate}.wav", rate, channels)
    quiet = silence_wav(workdir / f"quiet-{rate}.wav", rate, channels, seconds=60.0)
    seconds = read_wav(reference)[1].size / 16000 + 1.0
    lab = Lab(workdir)
    spinner = None
    try:
        h1, h2, h3 = lab.flat_lan(3)
        if busy:
            spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
            os.sched_setaffinity(spinner.pid, {RECEIVER_CPU})
        got = workdir / "got.wav"
        phone = Alexphone(lab, h1.ns, "daemon", listen=[f"udp:{h1.ipv4}:5060"],
                          audio_in="silence", audio_out=f"file:{got}",
                          program=["taskset", "-c", str(RECEIVER_CPU), sys.executable, "-m",
                                   "alexphone"])  # fmt: skip
        phone.daemon("--auto-answer")
        phone.wait_event("ua.ready", timeout=15)
        account = baresip_account("rx", domain=f"{h2.ipv4}:5060", codecs=sdp_codec)
        rx = Baresip(lab, h2.ns, account, listen=f"{h2.ipv4}:5060",
                     audio_source=f"aufile,{quiet}").start()  # fmt: skip
        _pin(_leaf(rx.process.pid), RECEIVER_CPU)  # type: ignore[union-attr]
        account = baresip_account("tx", domain=f"{h3.ipv4}:5060", codecs=sdp_codec,
                                  answermode="manual")  # fmt: skip
        tx = Baresip(lab, h3.ns, account, listen=f"{h3.ipv4}:5060",
                     audio_source=f"aufile,{source}").start()  # fmt: skip
        _pin(_leaf(tx.process.pid), 1 - RECEIVER_CPU)  # type: ignore[union-attr]

        # baresip's aufile ends each call when the sentence has been sent
        tx.dial(f"sip:alexphone@{h1.ipv4}:5060")
        phone.wait_event("call.media", timeout=15)
        tx.wait_event("CALL_CLOSED", timeout=seconds + 15)
        phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10)
        mark = len(tx.ctrl.events.snapshot())  # type: ignore[union-attr]
        tx.dial(f"sip:rx@{h2.ipv4}:5060")
        tx.wait_event("CALL_CLOSED", timeout=seconds + 15, since=mark)
        recorded = sorted(rx.config_dir.glob("dump/*-dec.wav"))[-1]
        result = {
            "phone_pesq": pesq_score(reference, got, mode, workdir),
            "phone_var_ms": variation_ms(reference, got, workdir),
            "baresip_pesq": pesq_score(reference, recorded, mode, workdir),
            "baresip_var_ms": variation_ms(reference, recorded, workdir),
        }
        tx.quit()
        rx.quit()
        phone.stop()
        return result
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
        lab.close()


def main() -> None:
    """Run every row and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--codecs", default="pcmu,opus")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-playout-") as tmp:
        workdir = Path(tempfile.mkdtemp(prefix="bench-playout-") if args.keep else tmp)
        reference = speech_wav(workdir / "speech.wav", 16000)
        for codec in args.codecs.split(","):
            results[f"{codec}_ceiling_pesq"] = round(ceiling(workdir, reference, codec), 2)
            for busy in (False, True):
                row = f"{codec}_{'busy' if busy else 'calm'}"
                rounds = []
                for i in range(args.rounds):
                    round_dir = workdir / f"{row}-{i}"
                    round_dir.mkdir()
                    rounds.append(one_round(round_dir, reference, codec, busy))
                    print(row, i, {k: round(v, 2) for k, v in rounds[-1].items()}, flush=True)
                for who in ("phone", "baresip"):
                    pesqs = [r[f"{who}_pesq"] for r in rounds]
                    results[f"{row}_{who}_pesq_median"] = round(float(np.median(pesqs)), 2)
                    results[f"{row}_{who}_pesq_worst"] = round(min(pesqs), 2)
                    results[f"{row}_{who}_delay_var_ms_worst"] = max(
                        r[f"{who}_var_ms"] for r in rounds
                    )
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:45s} {value}")


if __name__ == "__main__":
    main()
