"""Crossing re-INVITEs between two daemons: each answers the other 491, both retry (RFC 3261 §14).

Two ``alexphone daemon`` processes on the flat LAN (h1 calls h2, both with the SIP log on).
Each namespace holds its outgoing SIP for 300 ms (tests/benchmarks/nfqueue_delay.py on an
NFQUEUE rule for UDP from port 5060; no netem), so two re-INVITEs sent within 300 ms of each
other cross on the wire. Mid-call both users put the call on hold at once (two ``alexphone
ctl hold`` started together): each daemon receives the other's re-INVITE while its own is
pending and answers it 491 Request Pending (§14.2), each gets 491 for its own, and each
retries after its §14.1 wait (the Call-ID's owner 2.1-4 s, the other 0-2 s), so both holds
end with a 200 and both daemons say ``held``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lab import Host, Lab
from lab_alexphone import Alexphone
from test_ctl_daemon import ctl

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("iptables")]

DELAYER = Path(__file__).resolve().parents[1] / "benchmarks" / "nfqueue_delay.py"
SIP_DELAY_MS = 300
Event = dict[str, object]


def _delay_sip(lab: Lab, host: Host, queue: int) -> None:
    """Hold every SIP datagram leaving ``host`` for SIP_DELAY_MS (its RTP is untouched)."""
    argv = [sys.executable, str(DELAYER), "--queue", str(queue), "--delay-ms", str(SIP_DELAY_MS),
            "--duration", "60"]  # fmt: skip
    lab.spawn(host.ns, argv, lab.workdir / f"delayer-{queue}.log", timeout=65).wait_for_log(
        "DELAYER READY", 10
    )
    rule = ["OUTPUT", "-p", "udp", "--sport", "5060", "-j", "NFQUEUE", "--queue-num", str(queue),
            "--queue-bypass"]  # fmt: skip
    lab.run(host.ns, ["iptables", "-t", "mangle", "-I", *rule])


def _responses(events: list[Event], direction: str, status: int) -> int:
    """SIP responses with ``status`` that went ``direction`` (the SIP log's sip.message)."""
    return sum(
        1
        for e in events
        if e.get("event") == "sip.message"
        and e["direction"] == direction
        and str(e["text"]).startswith(f"SIP/2.0 {status} ")
    )


def _reinvites(events: list[Event], direction: str) -> int:
    return sum(
        1
        for e in events
        if e.get("event") == "sip.message"
        and e["direction"] == direction
        and str(e["text"]).startswith("INVITE ")
    )


def test_crossing_holds_get_491_and_both_are_retried(lab: Lab, flat_lan: list[Host]) -> None:
    h1, h2, _ = flat_lan
    alice = Alexphone(lab, h1.ns, "alice", listen=[f"udp:{h1.ipv4}:5060"], args=["--sip-log"],
                      audio_in="tone:440", audio_out="null").daemon()  # fmt: skip
    bob = Alexphone(lab, h2.ns, "bob", listen=[f"udp:{h2.ipv4}:5060"], args=["--sip-log"],
                    audio_in="tone:440", audio_out="null").daemon("--auto-answer")  # fmt: skip
    for phone in (alice, bob):
        phone.wait_event("ua.ready", timeout=15)
    for queue, host in enumerate((h1, h2), start=1):
        _delay_sip(lab, host, queue)
    assert ctl(alice, "dial", f"sip:bob@{h2.ipv4}:5060").returncode == 0
    for phone in (alice, bob):
        phone.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)
    marks = {phone.name: phone.mark() for phone in (alice, bob)}

    holds = [
        subprocess.Popen(
            [sys.executable, "-m", "alexphone", "ctl", "--profile", str(p.profile), "hold"],
            env={**os.environ, **p.env()},
        )
        for p in (alice, bob)
    ]
    assert [hold.wait(30) for hold in holds] == [0, 0]
    for phone in (alice, bob):  # the owner's retry comes after 2.1-4 s, plus the delays
        phone.wait_event(
            "call.state", lambda e: e["state"] == "held", timeout=15, since=marks[phone.name]
        )

    for phone in (alice, bob):
        events = phone.events.snapshot()[marks[phone.name] :]
        assert _responses(events, "out", 491) >= 1, phone.name  # it refused the crossing one
        assert _responses(events, "in", 491) >= 1, phone.name  # its own met the other's
        assert _reinvites(events, "out") >= 2, phone.name  # the first try and the retry
        assert _responses(events, "in", 200) >= 1, phone.name  # the retry went through
    assert ctl(alice, "hangup").returncode == 0
    for phone in (alice, bob):
        phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=15)
        phone.stop()
