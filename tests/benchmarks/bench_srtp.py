"""SRTP cost on one core: µs to protect and to unprotect one 20 ms Opus packet, per suite.

A packet is a 12-byte RTP header and a 120-byte payload (Opus at ~48 kb/s for 20 ms).
Each protected packet is unprotected by a second SrtpProtection keyed the other way, so
the figure includes authentication and the replay check, as in a call.

Usage: python tests/benchmarks/bench_srtp.py [--json] [--packets N]
"""

from __future__ import annotations

import argparse
import json
import time

from alexphone.media.srtp import SrtpProtection
from alexphone.rtp.packet import RtpPacket
from alexphone.sdp.crypto import CryptoSuite, SrtpKeys

OPUS_PAYLOAD = 120  # bytes in 20 ms at ~48 kb/s


def bench_suite(suite: CryptoSuite, packets: int) -> dict[str, float]:
    ours, theirs = bytes(range(suite.master_length)), bytes(range(50, 50 + suite.master_length))
    sender = SrtpProtection(SrtpKeys(suite, ours, theirs))
    receiver = SrtpProtection(SrtpKeys(suite, theirs, ours))
    plain = [
        bytes(RtpPacket(111, n % 65536, 960 * n % 2**32, 0x1234ABCD, bytes(OPUS_PAYLOAD)))
        for n in range(packets)
    ]
    start = time.perf_counter()
    wire = [sender.protect_rtp(p) for p in plain]
    protect_us = (time.perf_counter() - start) / packets * 1e6
    start = time.perf_counter()
    for datagram in wire:
        assert datagram is not None and receiver.unprotect_rtp(datagram) is not None
    unprotect_us = (time.perf_counter() - start) / packets * 1e6
    name = suite.value.lower()
    return {
        f"{name}_protect_us": round(protect_us, 2),
        f"{name}_unprotect_us": round(unprotect_us, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, float] = {}
    for suite in CryptoSuite:
        results.update(bench_suite(suite, args.packets))
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:45} {value}")


if __name__ == "__main__":
    main()
