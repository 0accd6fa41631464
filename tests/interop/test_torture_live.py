"""A live daemon takes all 49 RFC 4475 torture messages over UDP and keeps answering.

Replies go where RFC 3261 §18.2.2 says: to the source address (``received``) and the
port in the top Via's sent-by, so the test listens on each port those Vias name.
"""

from __future__ import annotations

import csv
import re
import select
import socket
import time
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone

CORPUS = Path(__file__).resolve().parents[1] / "data" / "rfc4475"
VIA_PORTS = (5050, 5060, 5061, 5070)  # 5061: the default port of a TLS sent-by

# What a UA (not a proxy, not a registrar) must answer; None: no response at all.
EXPECTED: dict[str, int | None] = {
    # valid
    "wsinv.dat": 481,  # its To carries a tag: an in-dialog request for no dialog of ours
    "intmeth.dat": 501, "esc01.dat": 180, "escnull.dat": 405,
    "esc02.dat": 501, "lwsdisp.dat": 200, "longreq.dat": 180, "dblreq.dat": 405,
    "semiuri.dat": 200, "transports.dat": 200, "mpart01.dat": 405, "unreason.dat": None,
    "noreason.dat": None, "cparam01.dat": 405,
    # Same branch, sent-by and method as an earlier message: RFC 3261 §17.2.3 matches them to
    # that server transaction, which re-sends its response (under the earlier Call-ID).
    "cparam02.dat": None, "regescrt.dat": None, "novelsc.dat": None,
    "inv2543.dat": 180,
    # invalid: 400 (505 for the unknown version); responses are dropped
    "badinv01.dat": 400, "clerr.dat": 400, "ncl.dat": 400, "scalar02.dat": 400,
    "scalarlg.dat": None, "quotbal.dat": 400, "ltgtruri.dat": 400, "lwsruri.dat": 400,
    "lwsstart.dat": 400, "trws.dat": 400, "escruri.dat": 400, "baddate.dat": 400,
    "regbadct.dat": 400, "badaspec.dat": 400, "baddn.dat": 400, "badvers.dat": 505,
    "mismatch01.dat": 400, "mismatch02.dat": 400, "bigcode.dat": None,
    # semantic
    "badbranch.dat": 400, "insuf.dat": 400, "unkscm.dat": 416,
    "unksm2.dat": 405, "bext01.dat": 420, "invut.dat": 415, "regaut01.dat": 405,
    "multi01.dat": 400, "mcl01.dat": 400, "bcast.dat": None, "zeromf.dat": 200,
    "sdp01.dat": 406,
}  # fmt: skip


def manifest() -> list[str]:
    with (CORPUS / "MANIFEST.tsv").open() as handle:
        return [row["file"] for row in csv.DictReader(handle, delimiter="\t")]


def collect(sockets: list[socket.socket], quiet: float, limit: float) -> list[bytes]:
    """Read what arrives until ``quiet`` seconds pass with nothing (at most ``limit``)."""
    got: list[bytes] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select(sockets, [], [], quiet)
        if not ready:
            break
        for sock in ready:
            got.append(sock.recv(70000))
    return got


def call_id_of(message: bytes) -> str | None:
    match = re.search(rb"^(?:call-id|i)[ \t]*:[ \t]*(\S+)", message, re.IGNORECASE | re.MULTILINE)
    return None if match is None else match.group(1).decode("latin-1")


def status_of(reply: bytes) -> int:
    match = re.match(rb"SIP/2\.0 (\d{3}) ", reply)
    assert match is not None, reply[:80]
    return int(match.group(1))


@pytest.mark.interop
def test_daemon_answers_every_torture_message_as_rfc4475_says(
    lab: Lab, flat_lan: list[Host]
) -> None:
    target, tester = flat_lan[0], flat_lan[1]
    assert sorted(manifest()) == sorted(EXPECTED), "manifest and expectations disagree"
    phone = Alexphone(lab, target.ns, "torture", listen=[f"udp:{target.ipv4}:5060"])
    phone.daemon()
    phone.wait_event("ua.ready", timeout=15)
    sockets = []
    for port in VIA_PORTS:
        sock = lab.socket(tester.ns, socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((tester.ipv4, port))
        sockets.append(sock)
    sender = sockets[VIA_PORTS.index(5060)]

    replies: list[bytes] = []
    for name in manifest():
        sender.sendto((CORPUS / name).read_bytes(), (target.ipv4, 5060))
        replies += collect(sockets, quiet=0.2, limit=2.0)
    replies += collect(sockets, quiet=1.0, limit=5.0)

    # Non-2xx finals to INVITE are retransmitted until an ACK that never comes (Timer G),
    # so a message's answer is the set of distinct final statuses carrying its Call-ID.
    answers: dict[str | None, set[int]] = {}
    for reply in replies:
        answers.setdefault(call_id_of(reply), set()).add(status_of(reply))
    wrong: dict[str, object] = {}
    for name in manifest():
        statuses = answers.get(call_id_of((CORPUS / name).read_bytes()), set()) - {100}
        expected = EXPECTED[name]
        if sorted(statuses) != ([] if expected is None else [expected]):
            wrong[name] = (expected, sorted(statuses))
    assert wrong == {}

    options = (
        f"OPTIONS sip:torture@{target.ipv4} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {tester.ipv4}:5060;branch=z9hG4bKafter49\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:tester@lab>;tag=t1\r\nTo: <sip:torture@lab>\r\n"
        "Call-ID: after-torture@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    sender.sendto(options, (target.ipv4, 5060))
    after = collect(sockets, quiet=0.5, limit=3.0)
    mine = [r for r in after if call_id_of(r) == "after-torture@lab"]
    assert [status_of(r) for r in mine] == [200]
    assert b"Allow:" in mine[0] and b"Accept: application/sdp" in mine[0]
    assert phone.process is not None and phone.process.running(), phone.stderr_tail()
    for sock in sockets:
        sock.close()
    phone.stop()
