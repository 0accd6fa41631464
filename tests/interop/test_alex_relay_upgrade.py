"""A relayed audio flow moves up to a direct pair that starts answering mid-call.

The NAT lab of test_alex_nat (Kamailio and coturn on the public bridge, alice on a1 behind
nat1 calls bob on b behind nat2). Both NATs keep endpoint-independent mappings, and each drops
every UDP datagram from the other NAT's public address (a firewall rule in the raw table,
before connection tracking): the direct pairs go unanswered and only the pairs through
coturn's allocations work, as across two symmetric NATs. Relayed selection must not wait for
the stop rule's 1 s (docs/ALEX.md "Nomination and the stop rule"). How fast it is (the goal:
one relay round trip + 150 ms) is measured by tests/benchmarks/bench_relay_selection.py, not
here: on this lab it takes ~130 ms, and a loaded machine must not turn a timing into a failure.

Then both rules go, mid-call. The direct checks still retransmit (RFC 8489 timers), so one of
them is answered; alice (controlling) nominates it at once, both phones select it a second
time (a second ``alex.selected``, kind srflx or prflx) and audio leaves the relay
(``call.media`` names nat2's address), still flowing both ways. With truly symmetric mappings
no direct pair could ever answer, whatever the filters, hence the rule on cone mappings.
"""

from __future__ import annotations

import time

import pytest
from lab import Lab, NatMode, NatNet
from lab_peers import DOMAIN
from test_alex_nat import _nat_phone, _nat_servers

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("kamailio", "turnserver")]

STOP_RULE_MS = 1000.0  # what relayed selection waited before the relay rule
DIRECT = ("srflx", "prflx")


def _block(net: NatNet) -> list[tuple[str, list[str]]]:
    """Each NAT drops UDP from the other's public address; the rules, to remove later."""
    rules = []
    for router, other in ((net.nat1, net.nat2), (net.nat2, net.nat1)):
        rule = ["PREROUTING", "-i", "wan0", "-s", other.ipv4, "-p", "udp", "-j", "DROP"]
        rules.append((router.ns, rule))
    return rules


def test_a_relayed_flow_moves_up_when_a_direct_pair_starts_answering(lab: Lab) -> None:
    net = lab.nat_topology(NatMode.CONE)
    coturn = _nat_servers(lab, net)
    rules = _block(net)
    for ns, rule in rules:
        lab.run(ns, ["iptables", "-t", "raw", "-I", *rule])
    bob = _nat_phone(lab, net.b, "bob", net, coturn).daemon("--auto-answer")
    bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    alice = _nat_phone(lab, net.a1, "alice", net, coturn)
    alice.start_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=9)

    relayed = alice.wait_event("alex.selected", lambda e: e["flow"] == "audio", timeout=20)
    assert relayed["kind"] == "relay", relayed
    assert float(relayed["after_ms"]) < STOP_RULE_MS / 2, relayed  # never the stop rule's wait
    mark = alice.mark()
    time.sleep(1.0)  # audio on the relay for a while
    for ns, rule in rules:
        lab.run(ns, ["iptables", "-t", "raw", "-D", *rule])
    relaxed = time.monotonic()

    direct = alice.wait_event(
        "alex.selected", lambda e: e["flow"] == "audio" and e["kind"] in DIRECT, timeout=20
    )
    moved_after = time.monotonic() - relaxed
    media = alice.wait_event(
        "call.media", lambda e: e.get("path") in DIRECT, timeout=10, since=mark
    )
    theirs = bob.wait_event(
        "alex.selected", lambda e: e["flow"] == "audio" and e["kind"] in DIRECT, timeout=10
    )
    assert alice.wait_exit(30) == 0, alice.stderr_tail()
    events = alice.events.snapshot()
    call_id = str(direct["call_id"])

    assert str(direct["remote"]).startswith(f"{net.nat2.ipv4}:"), direct
    assert str(theirs["remote"]).startswith(f"{net.nat1.ipv4}:"), theirs
    assert media["remote"] == direct["remote"], media
    paths = [e["path"] for e in events if e.get("event") == "call.media"]
    assert "relay" in paths and paths[-1] in DIRECT, paths
    stats = [e for e in events if e.get("event") == "call.stats" and e["call_id"] == call_id]
    assert stats and int(stats[-1]["received"]) > 300, stats  # ~9 s of bob's audio
    bob.wait_event(
        "call.stats", lambda e: e["call_id"] == call_id and e["received"] > 300, timeout=10
    )
    bob.stop()
    print(
        f"relay selected {relayed['after_ms']} ms after the 200 OK (relay RTT",
        f"{relayed['rtt_ms']} ms, {relayed['probes']} probes); filter relaxed:",
        f"{direct['kind']} {direct['local']} -> {direct['remote']} selected",
        f"{moved_after * 1000:.0f} ms later",
    )
