"""Parse + serialize throughput of the SIP parser (messages/s on one core).

Usage: python tests/benchmarks/bench_parser.py [--json] [--seconds S]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

from alexphone.core.errors import ParseError
from alexphone.sip.parser import parse

TORTURE_DIR = Path(__file__).resolve().parent.parent / "data" / "rfc4475"

_SDP = (
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 96 0 8 101\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
)

TYPICAL_INVITE = (
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bKnashds8;received=192.0.2.10\r\n"
    "Max-Forwards: 69\r\n"
    "Route: <sip:proxy.biloxi.example.com;lr>\r\n"
    'To: "Bob" <sip:bob@biloxi.example.com>\r\n'
    'From: "Alice" <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5062;transport=udp>;expires=3600\r\n"
    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
    "Supported: replaces, timer\r\n"
    "User-Agent: Alexphone/0.1\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(_SDP)}\r\n"
    "\r\n" + _SDP
).encode()


def _distinct_invites(count: int) -> list[bytes]:
    """Variants of the typical INVITE with distinct Request-URI, branch, tag and Call-ID.

    More variants than the URI cache holds, so every parse starts cold.
    """
    variants = []
    for index in range(count):
        text = TYPICAL_INVITE.decode()
        text = text.replace("bob@", f"bob{index}@").replace("776asdhds", f"776asd{index:06d}")
        text = text.replace("1928301774", f"19{index:08d}").replace("a84b4c76e6", f"a8{index:08d}")
        variants.append(text.encode())
    return variants


def _rate(messages: list[bytes], seconds: float) -> float:
    """Return parse+serialize operations per second over ``messages``, repeated for ``seconds``."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for data in messages:
            with contextlib.suppress(ParseError):
                bytes(parse(data))
        count += len(messages)
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def _hostile(name: bytes, filler: bytes, size: int, *, folded: bool) -> bytes:
    """An OPTIONS whose ``name`` header is ``size`` bytes of ``filler`` (folded: 100 a line)."""
    head = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
    head += b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
    line = b"\r\n ".join([filler * 100] * (size // 100)) if folded else filler * size
    return head + name + b": " + line + b"\r\n\r\n"


def _slowest_hostile_ms(size: int = 60000) -> tuple[float, str]:
    """Return the slowest parse (ms) of a ``size``-byte hostile header line, and which one."""
    worst, which = 0.0, ""
    for name in (b"Via", b"Contact", b"X-Unknown", b"Accept", b"Route"):
        for filler in (b",", b";", b'"', b"<", b"%", b"a"):
            for folded in (False, True):
                data = _hostile(name, filler, size, folded=folded)
                started = time.perf_counter()
                with contextlib.suppress(ParseError):
                    parse(data)
                elapsed = 1000 * (time.perf_counter() - started)
                if elapsed > worst:
                    worst, which = elapsed, f"{name.decode()} {filler.decode()!r} {folded=}"
    return worst, which


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--json", action="store_true", help="print one JSON object")
    options.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = options.parse_args(argv)
    torture = [path.read_bytes() for path in sorted(TORTURE_DIR.glob("*.dat"))]
    results = {
        "typical_invite_bytes": len(TYPICAL_INVITE),
        "typical_invite_msgs_per_s": round(_rate([TYPICAL_INVITE], args.seconds)),
        "distinct_invites_msgs_per_s": round(_rate(_distinct_invites(4096), args.seconds)),
        "torture_corpus_messages": len(torture),
        "torture_msgs_per_s": round(_rate(torture, args.seconds)) if torture else 0,
    }
    worst_ms, worst_case = _slowest_hostile_ms()
    results["hostile_60kB_line_worst_ms"] = round(worst_ms, 2)
    results["hostile_60kB_line_worst_case"] = worst_case
    if args.json:
        print(json.dumps(results))
    else:
        for key, value in results.items():
            print(f"{key:28} {value:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
