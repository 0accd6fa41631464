"""PESQ table: what each receiver makes of speech under loss and jitter, both directions.

Usage (root, under the lab lock):
    python tests/benchmarks/bench_playout_table.py [--rounds 5] [--codecs pcmu,opus]
        [--losses 0,3,5,10] [--jitters 0,40] [--json]

Rows: codec × loss % × random jitter ms. Each round runs, in one fresh three-host lab,
- baresip → phone and baresip → baresip (`lab_playout.receive_speech`: the same baresip
  sender speaks into a call to `alexphone daemon --audio-out file:` and into a call to a
  second baresip that records what it decodes), and
- phone → baresip (`lab_playout.send_speech`: baresip records what it decodes).
Loss and jitter are nfqueue_delay.py on the sender's RTP: loss drops the packets at seeded
places of each stream (sequence number minus the stream's first), so baresip → phone and
baresip → baresip lose the same packets of the sentence in every round and the two columns
differ only by what each receiver makes of them; jitter holds each packet 0..J ms. Round i
uses seed i + 1 for both: rounds differ in which packets are lost, receivers do not.
Every row also prints the codec-only ceiling: the source encoded and
decoded with no network (PCMU; Opus at the bitrate baresip sent, and at our own 32 kb/s
for phone → baresip). PESQ-NB for PCMU, PESQ-WB for Opus; median and worst over rounds.
A round takes about a minute (three 11 s calls and the labs), so the full table at 5 rounds
takes about 80 minutes; --codecs/--losses/--jitters/--rounds run a part of it.
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
from lab_playout import codec_only, receive_speech, send_speech

COLUMNS = ("to_phone", "to_baresip", "ceiling_in", "phone_to_baresip", "ceiling_out")


PHONE_STATS = ("received", "lost", "late", "concealed", "stretched", "playout_delay_ms")


def one_round(workdir: Path, codec: str, loss: float, jitter: float, seed: int) -> dict[str, float]:
    """Both directions in fresh labs; PESQ of each receiver and the two ceilings."""
    lab = Lab(workdir / "in")
    try:
        got = receive_speech(lab, lab.flat_lan(3), codec, jitter_ms=jitter, loss=loss, seed=seed)
    finally:
        lab.close()
    print(f"  phone's call: { {k: got.phone_stats.get(k) for k in PHONE_STATS} }", flush=True)
    delayer = workdir / "in" / "delayer.log"
    if delayer.exists():  # the sender's streams the loss and jitter were keyed on
        streams = [x for x in delayer.read_text().splitlines() if x.startswith("DELAYER STREAM")]
        print(f"  sender's streams: {streams}", flush=True)
    lab = Lab(workdir / "out")
    try:
        sent = send_speech(lab, lab.flat_lan(2), codec, jitter_ms=jitter, loss=loss, seed=seed)
    finally:
        lab.close()
    reference = workdir / "in" / "speech.wav"
    return {
        "to_phone": got.phone_pesq,
        "to_baresip": got.baresip_pesq,
        "ceiling_in": codec_only(reference, codec, workdir, got.sent_kbps or 32),
        "phone_to_baresip": sent.baresip_pesq,
        "ceiling_out": codec_only(reference, codec, workdir),
    }


def main() -> None:
    """Run every row and print the table (median / worst per column)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--codecs", default="pcmu,opus")
    parser.add_argument("--losses", default="0,3,5,10")
    parser.add_argument("--jitters", default="0,40")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    table: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pesq-") as tmp:
        for codec in args.codecs.split(","):
            for loss in (float(x) for x in args.losses.split(",")):
                for jitter in (float(x) for x in args.jitters.split(",")):
                    row = f"{codec} loss {loss:g} % jitter {jitter:g} ms"
                    rounds = []
                    for i in range(args.rounds):
                        workdir = Path(tmp) / f"{codec}-{loss:g}-{jitter:g}-{i}"
                        (workdir / "in").mkdir(parents=True)
                        (workdir / "out").mkdir()
                        rounds.append(one_round(workdir, codec, loss, jitter, seed=i + 1))
                        print(f"{row} round {i}: {rounds[-1]}", flush=True)
                    table[row] = {
                        c: (round(float(np.median([r[c] for r in rounds])), 2),
                            round(min(r[c] for r in rounds), 2))
                        for c in COLUMNS
                    }  # fmt: skip
    if args.json:
        print(json.dumps(table))
        return
    print("| row | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for row, cells in table.items():
        print(f"| {row} | " + " | ".join(f"{m:.2f} / {w:.2f}" for m, w in cells.values()) + " |")


if __name__ == "__main__":
    main()
