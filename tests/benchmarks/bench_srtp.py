"""SRTP cost on one core: µs to protect and to unprotect one 20 ms Opus packet, per suite.

A packet is a 12-byte RTP header and a 120-byte payload (Opus at ~48 kb/s for 20 ms).
Each protected packet is unprotected by a second SrtpProtection keyed the other way, so
the figure includes authentication and the replay check, as in a call.

Beside it, the DTLS-SRTP handshake: ms of CPU for one whole handshake between two endpoints
in memory (ECDSA P-256 certificates, both sides' work, key export and fingerprint check
included; no network), the median of ``--handshakes`` runs, and the one-off cost of making
the phone's certificate.

Then, as root (the lab's process runner), the CPU of an encrypted call against a cleartext
one in the same run: three Opus calls between two ``alexphone`` processes on loopback (tone
in, nothing played), one after the other, % of one core per process: cleartext (both
``--media-encryption off``), SDES-SRTP (the caller ``mandatory``: RTP/SAVP with a=crypto)
and DTLS-SRTP (the caller ``dtls``); each call's ``call.media`` event must name the
encryption the figure is about. Medians of ``--rounds`` rounds (3), each round the three
calls in turn, with the ratio of each to the cleartext call.

Usage: python tests/benchmarks/bench_srtp.py [--json] [--packets N] [--handshakes N]
       [--cpu-seconds S] [--rounds N]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from call_cpu import alexphone_call_cpu, fresh_lab

from alexphone.media.dtls import DtlsEndpoint, HandshakeCompleted
from alexphone.media.dtls_certificate import DtlsCertificate
from alexphone.media.srtp import SrtpProtection
from alexphone.rtp.packet import RtpPacket
from alexphone.sdp.crypto import CryptoSuite, SrtpKeys
from alexphone.sdp.dtls import DtlsParams, DtlsRole

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


def handshake_ms(a: DtlsCertificate, b: DtlsCertificate) -> float:
    """Time one DTLS-SRTP handshake between two in-memory endpoints, in ms."""
    start = time.perf_counter()
    client = DtlsEndpoint(a, DtlsParams(DtlsRole.CLIENT, (b.fingerprint,)))
    server = DtlsEndpoint(b, DtlsParams(DtlsRole.SERVER, (a.fingerprint,)))
    server.start(0.0)
    client.start(0.0)
    for _ in range(10):  # two round trips suffice
        to_server, to_client = client.datagrams_to_send(), server.datagrams_to_send()
        for datagram in to_server:
            server.receive_datagram(datagram, 0.0)
        for datagram in to_client:
            client.receive_datagram(datagram, 0.0)
        if not to_server and not to_client:
            break
    elapsed = (time.perf_counter() - start) * 1e3
    assert isinstance(client.next_event(), HandshakeCompleted)
    assert isinstance(server.next_event(), HandshakeCompleted)
    return elapsed


def bench_dtls(handshakes: int) -> dict[str, float]:
    start = time.perf_counter()
    a = DtlsCertificate.generate()
    certificate_ms = (time.perf_counter() - start) * 1e3
    b = DtlsCertificate.generate()
    runs = [handshake_ms(a, b) for _ in range(handshakes)]
    return {
        "dtls_certificate_ms": round(certificate_ms, 2),
        "dtls_handshake_ms_median": round(statistics.median(runs), 2),
        "dtls_handshake_ms_max": round(max(runs), 2),
    }


CALLS = (  # name, options of both phones, the caller's, call.media's encryption
    ("cleartext", ["--media-encryption", "off"], [], "none"),
    ("sdes_srtp", [], ["--media-encryption", "mandatory"], "srtp"),
    ("dtls_srtp", [], ["--media-encryption", "dtls"], "dtls-srtp"),
)


def call_cpu(workdir: Path, seconds: float, rounds: int) -> dict[str, float]:
    """% of one core per process of a cleartext, an SDES-SRTP and a DTLS-SRTP Opus call:
    medians of ``rounds`` rounds, each round the three calls one after the other."""
    runs: dict[str, list[float]] = {name: [] for name, *_ in CALLS}
    lab = fresh_lab(workdir, "calls")
    try:
        for n in range(rounds):
            for i, (name, both, caller, encryption) in enumerate(CALLS):
                runs[name].append(alexphone_call_cpu(
                    lab, 27200 + 40 * n + 10 * i, seconds, options=both, caller_options=caller,
                    check=lambda media, want=encryption: media["encryption"] == want,
                ))  # fmt: skip
    finally:
        lab.close()
    results = {f"{name}_call_cpu_pct_per_process": statistics.median(v) for name, v in runs.items()}
    clear = results["cleartext_call_cpu_pct_per_process"]
    for name, *_ in CALLS[1:]:
        ratio = results[f"{name}_call_cpu_pct_per_process"] / clear
        results[f"ratio_{name}_to_cleartext"] = round(ratio, 3)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--handshakes", type=int, default=50)
    parser.add_argument("--cpu-seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, float | str] = {}
    for suite in CryptoSuite:
        results.update(bench_suite(suite, args.packets))
    results.update(bench_dtls(args.handshakes))
    if os.geteuid() == 0:
        with tempfile.TemporaryDirectory(prefix="bench-srtp-") as tmp:
            results.update(call_cpu(Path(tmp), args.cpu_seconds, args.rounds))
    else:
        results["calls"] = "skipped (needs root)"
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:45} {value}")


if __name__ == "__main__":
    main()
