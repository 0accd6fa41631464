"""ALEX signaling bypass across two cone NATs through Kamailio (docs/ALEX.md "Signaling bypass").

With ``-A WITH_ALEX_BYPASS`` Kamailio puts ``;alex-bypass`` on its Record-Route: once the
``sip`` pair is selected, alice's BYE goes straight to bob's public mapping and Kamailio only
sees the INVITE transaction (and the ACK, which follows the route set). Without the
parameter the BYE goes through Kamailio. When the direct path dies after selection (an
iptables DROP in alice's NAT router for SIP toward bob's NAT), the BYE goes unanswered for
2 s and is sent again over the route set, so Kamailio sees it and the call still ends.
"""

from __future__ import annotations

import re

import pytest
from lab import Lab, NatMode, NatNet
from lab_coturn import Coturn
from lab_peers import DOMAIN, Event, Kamailio
from test_alex_nat import _call_ids, _nat_phone, _selected

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("kamailio", "turnserver")]

DURATION = 2.0


def _servers(lab: Lab, net: NatNet, bypass: bool) -> tuple[Kamailio, Coturn]:
    kamailio = Kamailio(lab, net.pub.ns, [net.pub.ipv4], alex_bypass=bypass).start()
    return kamailio, Coturn(lab, net.pub.ns, net.pub.ipv4).start()


def _proxied(kamailio: Kamailio) -> list[str]:
    """The methods of the requests Kamailio handled, in order (its LAB-REQUEST lines)."""
    return re.findall(r"LAB-REQUEST (\S+) ", kamailio.log_text())


def _call_seconds(events: list[Event], call_id: str) -> float:
    """From CONFIRMED to ENDED, as alice saw it."""
    states = {
        str(e["state"]): float(e["ts"])
        for e in events
        if e.get("event") == "call.state" and e["call_id"] == call_id
    }
    return states["ended"] - states["confirmed"]


def _drop_direct_sip(lab: Lab, net: NatNet) -> None:
    """In alice's NAT router: drop SIP from alice to bob's public address (not to Kamailio)."""
    rule = ["FORWARD", "-s", net.a1.ipv4, "-d", net.nat2.ipv4, "-p", "udp", "--sport", "5060"]
    lab.run(net.nat1.ns, ["iptables", "-I", *rule, "-j", "DROP"])


@pytest.mark.parametrize("bypass", [True, False], ids=["consent", "no-consent"])
def test_bye_bypasses_kamailio_only_with_its_consent(lab: Lab, bypass: bool) -> None:
    net = lab.nat_topology(NatMode.CONE)
    kamailio, coturn = _servers(lab, net, bypass)
    bob = _nat_phone(lab, net.b, "bob", net, coturn).daemon("--auto-answer")
    bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    alice = _nat_phone(lab, net.a1, "alice", net, coturn)
    before = len(_proxied(kamailio))

    code, events = alice.run_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=DURATION)

    assert code == 0, alice.stderr_tail()
    (call_id,) = _call_ids(events)
    assert "sip" in _selected(events, call_id), events
    bob.wait_event("call.state", lambda e: e["call_id"] == call_id and e["state"] == "ended")
    call = _proxied(kamailio)[before:]
    assert "INVITE" in call and "ACK" in call, call  # the ACK for 2xx follows the route set
    if bypass:
        assert "BYE" not in call, call
        assert set(call) <= {"INVITE", "ACK", "REGISTER"}, call
        assert _call_seconds(events, call_id) < DURATION + 1.5
        print("ALEX bypass: Kamailio handled", call)
    else:
        assert call.count("BYE") == 1, call
        print("ALEX no bypass: Kamailio handled", call)
    bob.stop()


def test_unanswered_direct_bye_falls_back_through_kamailio_after_2s(lab: Lab) -> None:
    net = lab.nat_topology(NatMode.CONE)
    kamailio, coturn = _servers(lab, net, True)
    bob = _nat_phone(lab, net.b, "bob", net, coturn).daemon("--auto-answer")
    bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    alice = _nat_phone(lab, net.a1, "alice", net, coturn)
    before = len(_proxied(kamailio))

    alice.start_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=DURATION)
    alice.wait_event("alex.selected", lambda e: e["flow"] == "sip", timeout=20)
    _drop_direct_sip(lab, net)
    code = alice.wait_exit(30)

    assert code == 0, alice.stderr_tail()
    events = alice.events.snapshot()
    (call_id,) = _call_ids(events)
    ended = [e for e in events if e.get("event") == "call.state" and e["state"] == "ended"]
    assert ended and ended[-1].get("code") in (None, 200), ended  # the routed BYE got its 200
    bob.wait_event("call.state", lambda e: e["call_id"] == call_id and e["state"] == "ended")
    call = _proxied(kamailio)[before:]
    assert call.count("BYE") == 1, call
    seconds = _call_seconds(events, call_id)
    assert DURATION + 2.0 <= seconds < DURATION + 4.0, seconds
    print(f"ALEX bypass fallback: call lasted {seconds:.2f} s for {DURATION} s; Kamailio", call)
    bob.stop()
