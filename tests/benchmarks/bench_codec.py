"""Codec and RTP costs on one core: µs per 20 ms frame, RTP packets/s.

Usage: python tests/benchmarks/bench_codec.py [--json] [--frames N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np

from alexphone.media.g711 import G711Codec, Law
from alexphone.media.opus_codec import OpusCodec
from alexphone.rtp.packet import RtpPacket


def speech_like(samples: int, rate: int) -> list[bytes]:
    """Return 20 ms frames of a noisy chirp, closer to speech than a pure tone."""
    rng = np.random.default_rng(1)
    t = np.arange(samples) / rate
    signal = 6000 * np.sin(2 * np.pi * (200 * t + 150 * t**2)) + rng.normal(0, 500, samples)
    pcm = signal.astype(np.int16)
    frame = rate // 50
    return [pcm[i : i + frame].tobytes() for i in range(0, samples - frame + 1, frame)]


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def bench_codec(
    name: str, make: Callable[[], OpusCodec | G711Codec], frames: int
) -> dict[str, float]:
    codec = make()
    pcm = speech_like(codec.sample_rate * frames // 50, codec.sample_rate)
    payloads: list[bytes] = []
    start = time.perf_counter()
    for frame in pcm:
        payloads.append(codec.encode(frame))
    encode_us = (time.perf_counter() - start) / len(pcm) * 1e6
    start = time.perf_counter()
    for payload in payloads:
        codec.decode(payload)
    decode_us = (time.perf_counter() - start) / len(payloads) * 1e6
    conceal_us = per_call_us(codec.conceal, 200)
    return {
        f"{name}_encode_us_per_frame": round(encode_us, 1),
        f"{name}_decode_us_per_frame": round(decode_us, 1),
        f"{name}_conceal_us_per_frame": round(conceal_us, 1),
        f"{name}_bytes_per_frame": round(sum(map(len, payloads)) / len(payloads), 1),
    }


def bench_rtp(count: int) -> dict[str, float]:
    packet = RtpPacket(111, 1234, 567890, 0xDEADBEEF, b"\x55" * 80, marker=True)
    data = bytes(packet)
    parse_us = per_call_us(lambda: RtpPacket.parse(data), count)
    serialize_us = per_call_us(lambda: bytes(packet), count)
    return {
        "rtp_parse_per_s": round(1e6 / parse_us),
        "rtp_serialize_per_s": round(1e6 / serialize_us),
    }


def main() -> None:
    """Run the benchmarks and print a table or one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--frames", type=int, default=1500, help="20 ms frames per codec")
    args = parser.parse_args()
    results: dict[str, float] = {}
    results |= bench_codec(
        "opus", lambda: OpusCodec(complexity=5, packet_loss_percent=5), args.frames
    )
    results |= bench_codec("opus_c10", lambda: OpusCodec(complexity=10), args.frames // 3)
    results |= bench_codec("pcmu", lambda: G711Codec(Law.PCMU), args.frames)
    results |= bench_codec("pcma", lambda: G711Codec(Law.PCMA), args.frames)
    results |= bench_rtp(args.frames * 20)
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:32} {value:>12}")


if __name__ == "__main__":
    main()
