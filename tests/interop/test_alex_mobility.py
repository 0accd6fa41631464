"""ALEX mobility: a call survives the caller's machine moving to another network mid-call.

alice calls bob through Kamailio, coturn on the public bridge, both NATs cone. alice listens
on the wildcard address, so her SIP and RTP sockets outlive her addresses. Once audio flows,
a1 leaves LAN 1 (eth0 down) for a new uplink on 10.0.3.0/24 behind nat2. alice's network
monitor notices (rtnetlink, within tens of ms) and (docs/ALEX.md "Restart") a local
address change restarts checking with new credentials: she re-registers from the new address,
gathers her srflx/relay again from the new network, sends a re-INVITE with a new
ALEX-session over the route set, both sides check again and audio moves to the new pair.
Where bob sits decides which pair that is:
- bob on b (behind nat2): after the move both are behind nat2, which routes between its LANs
  without NAT, so the host pair 10.0.3.2 <-> 10.0.2.2 wins (RFC 8445: host ranks first);
- bob on a2 (stays behind nat1): the LAN host pair of the start is gone, and the new path
  crosses both NATs, alice's side mapped to nat2's public address (srflx or prflx).
Either way the call ends normally with audio both ways after the move.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from lab import Lab, NatMode
from lab_peers import DOMAIN, Event
from test_alex_nat import _call_ids, _nat_lab, _nat_phone

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("kamailio", "turnserver")]

CALL_SECONDS = 16.0  # stats come every 5 s: one before the move, two after it
AFTER_MOVE = 100  # packets each way after the move: 2 s of 20 ms frames


def _audio(call_id: str) -> Callable[[Event], bool]:
    return lambda e: e["call_id"] == call_id and e["flow"] == "audio"


def _stats_over(call_id: str, received: int) -> Callable[[Event], bool]:
    return lambda e: e["call_id"] == call_id and e["received"] > received


def _last_stats(events: list[Event], call_id: str) -> Event:
    stats = [e for e in events if e.get("event") == "call.stats" and e["call_id"] == call_id]
    assert stats, events
    return stats[-1]


def _ip(hostport: object) -> str:
    return str(hostport).rpartition(":")[0]


@pytest.mark.parametrize("bob_on", ["b", "a2"], ids=["bob-behind-nat2", "bob-behind-nat1"])
def test_call_follows_the_caller_to_another_network(lab: Lab, bob_on: str) -> None:
    net = lab.nat_topology(NatMode.CONE)
    kamailio, coturn = _nat_lab(lab, net)
    bob_host = net.b if bob_on == "b" else net.a2
    bob = _nat_phone(lab, bob_host, "bob", net, coturn, args=["-v"])
    bob.daemon("--auto-answer")
    bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    alice = _nat_phone(lab, net.a1, "alice", net, coturn, listen=["udp:0.0.0.0:5060"], args=["-v"])
    alice.start_call(f"sip:bob@{DOMAIN}", "--timeout", "60", duration=CALL_SECONDS)

    first = alice.wait_event("alex.selected", lambda e: e["flow"] == "audio", timeout=20)
    call_id = str(first["call_id"])
    before = alice.wait_event("call.stats", _stats_over(call_id, 20), timeout=10)
    bob_before = bob.wait_event("call.stats", _stats_over(call_id, 20), timeout=10)
    alice_mark, bob_mark = alice.mark(), bob.mark()
    reports_before = len(kamailio.bindings("alice"))
    moved = lab.move_behind(net, net.a1, net.nat2)
    moved_ts = time.time()  # event ts are Unix times

    again = alice.wait_event(
        "registration.state", lambda e: e["state"] == "registered", timeout=15, since=alice_mark
    )
    restart = alice.wait_event(
        "error",
        lambda e: e["where"] == "alex" and "checks restart" in str(e["message"]),
        timeout=15,
        since=alice_mark,
    )
    after = alice.wait_event("alex.selected", _audio(call_id), timeout=15, since=alice_mark)
    bob_after = bob.wait_event("alex.selected", _audio(call_id), timeout=15, since=bob_mark)
    code = alice.wait_exit(CALL_SECONDS + 30)
    bob.wait_event("call.state", lambda e: e["call_id"] == call_id and e["state"] == "ended")

    assert code == 0, alice.stderr_tail()
    events = alice.events.snapshot()
    assert _call_ids(events) == [call_id]
    assert again["code"] == 200, again  # registered from the new address
    # one binding for alice after the move, not one per address she had: Kamailio also drops
    # a binding re-registered under the same Call-ID, and our REGISTER lists the old Contact
    # with expires=0 (RFC 3261 §10.2.2) for registrars that would keep it
    bindings = kamailio.wait_bindings("alice", reports_before)
    assert bindings == 1, (bindings, kamailio.events()[-6:])
    assert call_id in str(restart["message"]), restart
    if bob_on == "b":
        # RFC 8445 §5.1.2: host first. nat2 routes LAN 3 <-> LAN 2 without NAT.
        assert first["kind"] in ("srflx", "prflx") and _ip(first["local"]) == net.nat1.ipv4
        assert after["kind"] == "host", after
        assert _ip(after["local"]) == moved.ipv4 and _ip(after["remote"]) == net.b.ipv4, after
        assert _ip(bob_after["remote"]) == moved.ipv4, bob_after
    else:
        # Same LAN at first; then only the NATs' public mappings connect the two.
        assert first["kind"] == "host" and _ip(first["remote"]) == net.a2.ipv4, first
        assert after["kind"] in ("srflx", "prflx"), after
        assert _ip(after["local"]) == net.nat2.ipv4, after
        assert _ip(after["remote"]) == net.nat1.ipv4, after
        assert _ip(bob_after["remote"]) == net.nat2.ipv4, bob_after
    # the old LAN's address stays on the downed eth0 (Linux keeps IPv4 on a link set down):
    # nothing is checked from it after the move
    pairs_after = [e for e in events[alice_mark:] if e.get("event") == "alex.pair"]
    assert pairs_after and not any(_ip(e["local"]) == net.a1.ipv4 for e in pairs_after), [
        e["local"] for e in pairs_after
    ]
    media = [e for e in events if e.get("event") == "call.media"]
    assert media and media[-1]["remote"] == after["remote"], media  # RTP went to the new pair
    final = _last_stats(events, call_id)
    sent = int(final["sent"]) - int(before["sent"])
    received = int(final["received"]) - int(before["received"])
    assert sent > AFTER_MOVE and received > AFTER_MOVE, (before, final)
    bob_final = _last_stats(bob.events.snapshot(), call_id)
    bob_received = int(bob_final["received"]) - int(bob_before["received"])
    assert bob_received > AFTER_MOVE, (bob_before, bob_final)  # alice's audio reached bob
    ended = [e for e in events if e.get("event") == "call.state" and e["state"] == "ended"]
    assert ended and ended[-1].get("code") in (None, 200), ended
    print(
        f"ALEX mobility ({bob_on}): move -> audio selected",
        f"{float(after['ts']) - moved_ts:.2f} s,",
        after["local"],
        "->",
        after["remote"],
        after["kind"],
        f"probes {after['probes']}; after the move alice sent {sent}, received {received},",
        f"bob received {bob_received}",
    )
    bob.stop()
