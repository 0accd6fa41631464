"""A SIP peer that takes a call and refuses every re-INVITE in it with 488.

Run inside a lab namespace:
    python refusing_peer.py BIND_IP PORT SECONDS

Answers a dialog-creating INVITE 200 with a PCMU answer, a re-INVITE (To tag present) 488
Not Acceptable Here, a BYE 200; ACKs are taken silently. Every response goes to the address
the request came from (the Via's received/rport, RFC 3581 §4), so a caller that moved gets
it on its new address. Logs one line per request: ``REQUEST <method> <to-tag?> <ip>:<port>``.
Stops after SECONDS (every loop bounded).
"""

from __future__ import annotations

import socket
import sys
import time

SDP = (
    "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
)
COPIED = ("via", "from", "to", "call-id", "cseq")


def headers(request: str) -> dict[str, list[str]]:
    """The request's header lines by lower-case name (compact forms expanded for Via/From/To)."""
    compact = {"v": "via", "f": "from", "t": "to", "i": "call-id"}
    found: dict[str, list[str]] = {}
    for line in request.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        name, _, value = line.partition(":")
        key = compact.get(name.strip().lower(), name.strip().lower())
        found.setdefault(key, []).append(f"{name.strip()}: {value.strip()}")
    return found


def response(request: str, status: str, ip: str, port: int, body: str = "") -> bytes:
    """A response to ``request``; a 2xx to an INVITE gets a To tag, a Contact and ``body``."""
    found = headers(request)
    lines = [f"SIP/2.0 {status}"]
    for name in COPIED:
        for line in found.get(name, []):
            if name == "to" and "tag=" not in line:
                line += ";tag=refuser"
            lines.append(line)
    if body:
        lines += [f"Contact: <sip:carol@{ip}:{port}>", "Content-Type: application/sdp"]
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def main(ip: str, port: int, seconds: float) -> None:
    """Serve requests on ``ip:port`` for ``seconds``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((ip, port))
    sock.settimeout(0.5)
    print("LISTENING", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            data, source = sock.recvfrom(65535)
        except TimeoutError:
            continue
        text = data.decode(errors="replace")
        if text.startswith("SIP/2.0"):
            continue
        method = text.split(" ", 1)[0]
        in_dialog = any("tag=" in line for line in headers(text).get("to", []))
        print(f"REQUEST {method} {'in-dialog' if in_dialog else 'new'} {source[0]}:{source[1]}")
        sys.stdout.flush()
        if method == "INVITE" and not in_dialog:
            reply = response(text, "200 OK", ip, port, SDP.format(ip=ip))
        elif method == "INVITE":
            reply = response(text, "488 Not Acceptable Here", ip, port)
        elif method == "ACK":
            continue
        else:
            reply = response(text, "200 OK", ip, port)
        sock.sendto(reply, source)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))
