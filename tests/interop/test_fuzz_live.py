"""A running daemon takes mutated SIP over UDP and TCP and still answers OPTIONS afterwards.

The inputs come from the structure-aware mutator of tests/fuzz seeded with the RFC 4475
torture messages and a full INVITE with SDP and ALEX headers. Every 250 datagrams (and
every 50 TCP connections) a well-formed OPTIONS must be answered 200: the daemon keeps up
and stays alive. Counts: ALEXPHONE_FUZZ_DATAGRAMS / ALEXPHONE_FUZZ_STREAMS (`make fuzz`
sends 20,000 and 2,000; the default slice is 2,000 and 200).
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import socket
import sys
import time
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
from fuzz_mutator import Mutator
from fuzz_targets import SIP_SEEDS

DATAGRAMS = int(os.environ.get("ALEXPHONE_FUZZ_DATAGRAMS", "2000"))
STREAMS = int(os.environ.get("ALEXPHONE_FUZZ_STREAMS", "200"))


def options(tester: Host, target: Host, n: int) -> bytes:
    """A well-formed OPTIONS whose Call-ID names probe ``n``."""
    return (
        f"OPTIONS sip:fuzz@{target.ipv4} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {tester.ipv4}:5099;branch=z9hG4bKprobe{n}\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:tester@lab>;tag=t1\r\nTo: <sip:fuzz@lab>\r\n"
        f"Call-ID: probe-{n}@lab\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def answered(probe: socket.socket, tester: Host, target: Host, n: int, limit: float) -> bool:
    """Send OPTIONS probe ``n`` (again every 0.5 s, as Timer E would) until its 200 comes.

    The probe shares the fuzzer's source address, so the daemon's flood limit may shed
    the first copies; at most ``limit`` seconds.
    """
    deadline = time.monotonic() + limit
    resend = 0.0
    while (left := deadline - time.monotonic()) > 0:
        if time.monotonic() >= resend:
            probe.sendto(options(tester, target, n), (target.ipv4, 5060))
            resend = time.monotonic() + 0.5
        ready, _, _ = select.select([probe], [], [], min(left, 0.5))
        if ready:
            reply = probe.recv(70000)
            if f"probe-{n}@lab".encode() in reply and reply.startswith(b"SIP/2.0 200 "):
                return True
    return False


def drain(sock: socket.socket) -> None:
    """Throw away replies to the fuzz inputs so that the socket never fills."""
    while select.select([sock], [], [], 0)[0]:
        sock.recv(70000)


@pytest.mark.interop
@pytest.mark.slow
def test_daemon_survives_mutated_sip_over_udp_and_tcp(lab: Lab, flat_lan: list[Host]) -> None:
    target, tester = flat_lan[0], flat_lan[1]
    phone = Alexphone(
        lab, target.ns, "fuzzed",
        listen=[f"udp:{target.ipv4}:5060", f"tcp:{target.ipv4}:5060"],
    )  # fmt: skip
    phone.daemon()
    phone.wait_event("ua.ready", timeout=15)
    mutator = Mutator(SIP_SEEDS, random.Random("live-fuzz"), text=True)
    probe = lab.socket(tester.ns, socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind((tester.ipv4, 5099))
    fuzz = lab.socket(tester.ns, socket.AF_INET, socket.SOCK_DGRAM)
    fuzz.bind((tester.ipv4, 5060))  # the sent-by port of most seeds' Vias
    missed = []

    for i in range(DATAGRAMS):
        with contextlib.suppress(OSError):  # EMSGSIZE for the largest mutants
            fuzz.sendto(mutator.mutate()[:65000], (target.ipv4, 5060))
        if i % 250 == 249:
            drain(fuzz)
            if not answered(probe, tester, target, i, limit=10.0):
                missed.append(i)
    for i in range(STREAMS):
        with lab.socket(tester.ns, socket.AF_INET, socket.SOCK_STREAM) as stream:
            stream.settimeout(5.0)
            with contextlib.suppress(OSError):  # the daemon may close on a framing error
                stream.connect((target.ipv4, 5060))
                stream.sendall(mutator.mutate() + mutator.mutate())
                stream.shutdown(socket.SHUT_WR)
        if i % 50 == 49 and not answered(probe, tester, target, DATAGRAMS + i, limit=10.0):
            missed.append(DATAGRAMS + i)

    drain(fuzz)
    assert answered(probe, tester, target, -1, limit=5.0), phone.stderr_tail()
    assert missed == []
    assert phone.process is not None and phone.process.running(), phone.stderr_tail()
    assert "Traceback" not in phone.stderr_tail(100_000)
    fuzz.close()
    probe.close()
    phone.stop()
