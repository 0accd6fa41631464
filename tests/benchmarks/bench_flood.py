"""How cheaply the SIP socket sheds a request flood (datagrams/s on one core).

A spoofed flood of INVITEs with SDP from 1,000 source addresses arrives at 2,000
datagrams/s of simulated time (the rate of the flood acceptance test); the UDP endpoint
asks the flood limiter before parsing, as the daemon does. Reported: how many were
shed and admitted (parsed and handed up), the rate one core sustains for the whole
mix, and the rate without the limit (every datagram parsed).

Usage: python tests/benchmarks/bench_flood.py [--json] [--datagrams N]
"""

from __future__ import annotations

import argparse
import json
import logging
import time

from alexphone.net.rate_limit import RequestLimiter
from alexphone.net.udp import UdpEndpoint

INVITE = (
    "INVITE sip:bob@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.{n}:5060;branch=z9hG4bK{i}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:x@198.51.100.{n}>;tag={i}\r\nTo: <sip:bob@192.0.2.1>\r\n"
    "Call-ID: flood-{i}\r\nCSeq: 1 INVITE\r\nContact: <sip:x@198.51.100.{n}>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 129\r\n\r\n"
    "v=0\r\no=- 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)


def main() -> None:
    """Feed the flood and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datagrams", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    datagrams = [
        (INVITE.format(n=i % 250, i=i).encode(), (f"198.51.{i % 1000 // 250}.{i % 250}", 5060))
        for i in range(args.datagrams)
    ]
    limiter = RequestLimiter()
    now = [0.0]
    delivered = []
    udp = UdpEndpoint(lambda m, _f: delivered.append(m), logging.getLogger("bench"), 65535)
    udp.admit = lambda source: limiter.admit(source, now[0])
    start = time.perf_counter()
    for i, (data, source) in enumerate(datagrams):
        now[0] = i / 2000.0
        udp.datagram_received(data, source)
    elapsed = time.perf_counter() - start
    unlimited = UdpEndpoint(lambda m, _f: None, logging.getLogger("bench"), 65535)
    sample = datagrams[: args.datagrams // 10]
    start = time.perf_counter()
    for data, source in sample:
        unlimited.datagram_received(data, source)
    parse_rate = len(sample) / (time.perf_counter() - start)
    result = {
        "datagrams": args.datagrams,
        "shed": limiter.shed,
        "admitted": len(delivered),
        "datagrams_per_s_one_core": round(args.datagrams / elapsed),
        "seconds": round(elapsed, 2),
        "unlimited_datagrams_per_s_one_core": round(parse_rate),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{result['datagrams']} flood datagrams at 2,000/s from 1,000 sources: "
            f"{result['shed']} shed, {result['admitted']} admitted and parsed; "
            f"{result['datagrams_per_s_one_core']} datagrams/s on one core "
            f"(without the limit, every one parsed: "
            f"{result['unlimited_datagrams_per_s_one_core']}/s)"
        )


if __name__ == "__main__":
    main()
