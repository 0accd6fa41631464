"""ALEX across the namespace lab: which path each flow selects, and that audio flows.

Rows of the NAT matrix (issue 5) that run today:
- same LAN (h1, h2 on one bridge): host ↔ host for sip and audio, audio both ways; a second
  call between the same daemons nominates the cached pairs (from_cache, fewer probes);
- Alexphone ↔ baresip through Kamailio (plain peer): the call works, nobody rejects our ALEX
  headers (no 400/420), no ALEX events.
"""

from __future__ import annotations

import pytest
from lab import Host, Lab, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Baresip, Event, Kamailio, baresip_account

pytestmark = pytest.mark.interop

AUDIO = {"audio_in": "tone:440", "audio_out": "null"}


def _selected(events: list[Event], call_id: str | None = None) -> dict[str, Event]:
    found = [
        e
        for e in events
        if e.get("event") == "alex.selected" and (call_id is None or e["call_id"] == call_id)
    ]
    return {str(e["flow"]): e for e in found}


def _call_ids(events: list[Event]) -> list[str]:
    ids = [str(e["call_id"]) for e in events if e.get("event") == "call.state"]
    return list(dict.fromkeys(ids))


def _received(events: list[Event], call_id: str) -> int:
    stats = [e for e in events if e.get("event") == "call.stats" and e["call_id"] == call_id]
    return max((int(e["received"]) for e in stats), default=0)


def _lan_phone(lab: Lab, host: Host, name: str) -> Alexphone:
    return Alexphone(lab, host.ns, name, listen=[f"udp:{host.ipv4}:5060"], **AUDIO)


def test_same_lan_selects_host_pairs_then_the_cache(lab: Lab, flat_lan: list[Host]) -> None:
    h1, h2 = flat_lan[0], flat_lan[1]
    bob = _lan_phone(lab, h2, "bob").daemon("--auto-answer")
    bob.wait_event("ua.ready")
    alice = _lan_phone(lab, h1, "alice")
    target = f"sip:bob@{h2.ipv4}:5060"

    code, cold_events = alice.run_call(target, duration=2, timeout=30)
    assert code == 0, alice.stderr_tail()
    (cold_id,) = _call_ids(cold_events)
    cold = _selected(cold_events)
    assert set(cold) == {"sip", "audio"}, cold_events
    for event in cold.values():
        assert event["kind"] == "host" and event["from_cache"] is False
        assert str(event["local"]).startswith(f"{h1.ipv4}:")
        assert str(event["remote"]).startswith(f"{h2.ipv4}:")
    assert cold["sip"]["remote"] == f"{h2.ipv4}:5060"
    assert _received(cold_events, cold_id) > 20  # bob's audio reached alice
    bob.wait_event("call.stats", lambda e: e["call_id"] == cold_id and e["received"] > 20)
    bob_cold = _selected(bob.events.snapshot(), cold_id)
    assert {e["kind"] for e in bob_cold.values()} == {"host"} and set(bob_cold) == {"sip", "audio"}

    code, warm_events = alice.run_call(target, duration=2, timeout=30)
    assert code == 0, alice.stderr_tail()
    (warm_id,) = _call_ids(warm_events)
    warm = _selected(warm_events)
    assert set(warm) == {"sip", "audio"} and all(e["from_cache"] for e in warm.values())
    assert max(int(e["probes"]) for e in warm.values()) < max(
        int(e["probes"]) for e in cold.values()
    )
    assert _received(warm_events, warm_id) > 20
    print(
        "ALEX same LAN: cold probes",
        {f: (e["probes"], e["after_ms"]) for f, e in cold.items()},
        "warm",
        {f: (e["probes"], e["after_ms"]) for f, e in warm.items()},
    )
    bob.stop()


@pytest.mark.needs("kamailio", "baresip")
def test_plain_baresip_peer_takes_the_call_without_rejecting_alex(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    outbound = f"sip:{nat_net.pub.ipv4}:5060;transport=udp"
    account = baresip_account("bob", password=USERS["bob"], outbound=outbound, regint=60)
    Baresip(lab, nat_net.b.ns, account).start()  # the lab stops it
    kamailio.wait_registered("bob", timeout=60)
    alice = Alexphone(lab, nat_net.a1.ns, "alice", listen=[f"udp:{nat_net.a1.ipv4}:5060"], **AUDIO)
    password = alice.password_file(USERS["alice"])
    alice.common += ["--account", f"sip:alice@{DOMAIN}", "--password-file", str(password)]
    alice.common += ["--proxy", f"sip:{nat_net.pub.ipv4}:5060"]

    code, events = alice.run_call(f"sip:bob@{DOMAIN}", "--timeout", "30", duration=2, timeout=45)

    assert code == 0, alice.stderr_tail()
    ends = [e for e in events if e.get("event") == "call.state" and e["state"] == "ended"]
    assert ends and all(e.get("code") not in (400, 420) for e in ends), ends
    assert not _selected(events)  # a plain peer: no ALEX checks
