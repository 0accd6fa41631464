"""ALEX across the namespace lab: which path each flow selects, and that audio flows.

Rows of the NAT matrix (issue 5) that run today:
- same LAN (h1, h2 on one bridge): host ↔ host for sip and audio, audio both ways; a second
  call between the same daemons nominates the cached pairs (from_cache);
- Alexphone ↔ baresip through Kamailio (plain peer): the call works, nobody rejects our ALEX
  headers (no 400/420), no ALEX events;
- behind two NATs, through Kamailio, with coturn (STUN/TURN) on the public bridge: bob is a
  registered `alexphone daemon` on b, alice places the call from a1 with `alexphone call`.
  Cone ↔ cone: the checks punch holes, so audio and sip select a srflx (or prflx) pair and
  never the relay. Symmetric ↔ symmetric: every NAT mapping is per destination, so the only
  paths that answer go through a TURN relay; audio selects a relay pair and flows both ways,
  and a second call nominates the cached relay pair with fewer probes.
- dual-stack, cone NATs for IPv4 and routed IPv6: sip and audio select the IPv6 host pair
  when both phones listen on IPv6; an IPv4-only caller still gets IPv4 for both.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from lab import Host, Lab, NatMode, NatNet
from lab_alexphone import Alexphone
from lab_coturn import Coturn
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
    # On one LAN the best pair is checked first and nominated by its own check even cold, so
    # the cache cannot save probes here (it does across NATs: the symmetric row asserts it).
    assert max(int(e["probes"]) for e in warm.values()) <= max(
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


# -- behind NATs, through Kamailio, with coturn -------------------------------------------
def _nat_phone(
    lab: Lab,
    host: Host,
    user: str,
    net: NatNet,
    coturn: Coturn,
    v6: bool = False,
    *,
    listen: Sequence[str] = (),
    args: Sequence[str] = (),
) -> Alexphone:
    """`user`@lab.test on `host` (IPv6 too if `v6`; or on `listen`), via Kamailio,
    STUN/TURN at coturn."""
    if not listen:
        listen = [f"udp:{host.ipv4}:5060", *([f"udp:[{host.ipv6}]:5060"] if v6 else [])]
    phone = Alexphone(lab, host.ns, user, listen=list(listen), args=list(args), **AUDIO)
    password = phone.password_file(USERS[user])
    turn_secret = phone.home / "turn-password"
    turn_secret.write_text(USERS[user])
    phone.common += ["--account", f"sip:{user}@{DOMAIN}", "--password-file", str(password)]
    phone.common += ["--proxy", f"sip:{net.pub.ipv4}:5060", "--stun", coturn.server]
    phone.common += ["--turn", coturn.uri, "--turn-user", user]
    phone.common += ["--turn-password-file", str(turn_secret)]
    return phone


def _call_across(
    lab: Lab,
    net: NatNet,
    coturn: Coturn,
    v6: tuple[bool, bool] = (False, False),
    warm: dict[str, Event] | None = None,
) -> tuple[dict[str, Event], dict[str, Event], list[Event]]:
    """bob (daemon on b) answers alice (call from a1): (alice's, bob's selections, events)."""
    bob = _nat_phone(lab, net.b, "bob", net, coturn, v6[1]).daemon("--auto-answer")
    bob.wait_event("registration.state", lambda e: e["state"] == "registered", timeout=20)
    alice = _nat_phone(lab, net.a1, "alice", net, coturn, v6[0])
    code, events = alice.run_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=3, timeout=40)
    assert code == 0, alice.stderr_tail()
    (call_id,) = _call_ids(events)
    assert _received(events, call_id) > 20, events  # bob's audio reached alice
    bob.wait_event(
        "call.stats", lambda e: e["call_id"] == call_id and e["received"] > 20, timeout=10
    )
    theirs = _selected(bob.events.snapshot(), call_id)
    if warm is not None:  # a second call between the same two phones: the ALEX cache
        code, again = alice.run_call(f"sip:bob@{DOMAIN}", "--timeout", "20", duration=2)
        assert code == 0, alice.stderr_tail()
        (warm_id,) = _call_ids(again)
        assert _received(again, warm_id) > 20
        warm.update(_selected(again, warm_id))
    bob.stop()
    return _selected(events, call_id), theirs, events


def _nat_servers(lab: Lab, net: NatNet) -> Coturn:
    """Kamailio and coturn in pub (see _nat_lab); coturn, for the phones' --stun/--turn."""
    return _nat_lab(lab, net)[1]


def _nat_lab(lab: Lab, net: NatNet) -> tuple[Kamailio, Coturn]:
    """Kamailio and coturn in pub; pub gets a default route into a dead end, so that
    relaying to a peer's private address vanishes as on the Internet (with no route at all
    coturn's send fails with ENETUNREACH and it drops the whole allocation)."""
    lab.ip(net.pub.ns, "link", "add", "void0", "type", "veth", "peer", "name", "void1")
    for link in ("void0", "void1"):
        lab.ip(net.pub.ns, "link", "set", link, "up")
    lab.address(net.pub.ns, "void0", "192.0.2.1/24")  # frames to a MAC nobody owns
    lab.ip(net.pub.ns, "neigh", "add", "192.0.2.254", "lladdr", "02:00:5e:00:00:fe", "dev", "void0")
    lab.ip(net.pub.ns, "route", "add", "default", "via", "192.0.2.254", "dev", "void0")
    kamailio = Kamailio(lab, net.pub.ns, [net.pub.ipv4, net.pub.ipv6]).start()
    return kamailio, Coturn(lab, net.pub.ns, net.pub.ipv4).start()


@pytest.mark.slow
@pytest.mark.needs("kamailio", "turnserver")
def test_cone_nats_punch_a_direct_srflx_path(lab: Lab) -> None:
    net = lab.nat_topology(NatMode.CONE)
    coturn = _nat_servers(lab, net)

    warm: dict[str, Event] = {}
    ours, theirs, events = _call_across(lab, net, coturn, warm=warm)

    for selected, near, far in ((ours, net.nat1, net.nat2), (theirs, net.nat2, net.nat1)):
        assert set(selected) == {"sip", "audio"}, selected
        for event in selected.values():
            # RFC 8445: both sides sit behind endpoint-independent mappings, so the pair of
            # public (server-reflexive) addresses works once each side has sent a check.
            assert event["kind"] in ("srflx", "prflx"), event
            assert str(event["local"]).startswith(f"{near.ipv4}:"), event
            assert str(event["remote"]).startswith(f"{far.ipv4}:"), event
    assert ours["sip"]["remote"] == f"{net.nat2.ipv4}:5060"  # bob's registered mapping
    paths = [e["path"] for e in events if e.get("event") == "call.media"]
    assert paths and paths[-1] in ("srflx", "prflx") and "relay" not in paths, paths
    assert set(warm) == {"sip", "audio"} and all(e["from_cache"] for e in warm.values()), warm
    assert all(e["kind"] in ("srflx", "prflx") for e in warm.values()), warm
    print(
        "ALEX cone<->cone: 200 OK -> selected (probes, ms) cold",
        {f: (e["probes"], e["after_ms"]) for f, e in ours.items()},
        "warm",
        {f: (e["probes"], e["after_ms"]) for f, e in warm.items()},
    )


@pytest.mark.slow
@pytest.mark.needs("kamailio", "turnserver")
def test_symmetric_nats_relay_the_audio(lab: Lab) -> None:
    net = lab.nat_topology(NatMode.SYMMETRIC)
    coturn = _nat_servers(lab, net)

    warm: dict[str, Event] = {}
    ours, theirs, events = _call_across(lab, net, coturn, warm=warm)

    # RFC 8445: a symmetric NAT maps each destination to a new port, so srflx addresses
    # learnt from coturn are useless to the peer; only checks through a TURN allocation
    # (whose permission covers the other NAT's address) answer. No TURN for sip.
    assert ours["audio"]["kind"] == "relay" and theirs["audio"]["kind"] == "relay"
    assert "sip" not in ours and "sip" not in theirs
    paths = [e["path"] for e in events if e.get("event") == "call.media"]
    assert paths and paths[-1] == "relay", paths
    last_media = [e for e in events if e.get("event") == "call.media"][-1]
    assert last_media["local"] == ours["audio"]["local"]  # the selected address, not the SDP's
    # the relay pair is nominated a relay round trip after its first answer (the relay rule),
    # but audio moves to it as soon as that answer arrives, before the nomination
    names = [(e.get("event"), e.get("path") or e.get("flow")) for e in events]
    assert names.index(("call.media", "relay")) < names.index(("alex.selected", "audio")), names
    # ALEX cache: cold, every direct pair had to fail first; warm, the cached relay pair is
    # checked first and nominated by that one check
    assert warm["audio"]["from_cache"] and warm["audio"]["kind"] == "relay", warm
    assert int(warm["audio"]["probes"]) < int(ours["audio"]["probes"]), (warm, ours)
    print(
        "ALEX symmetric<->symmetric: audio",
        ours["audio"]["local"],
        "->",
        ours["audio"]["remote"],
        "cold (probes, ms)",
        (ours["audio"]["probes"], ours["audio"]["after_ms"]),
        "warm",
        (warm["audio"]["probes"], warm["audio"]["after_ms"]),
    )


@pytest.mark.slow
@pytest.mark.needs("kamailio", "turnserver")
@pytest.mark.parametrize("alice_v6", [True, False], ids=["dual-dual", "v4-dual"])
def test_dual_stack_prefers_the_routed_ipv6_pair_for_sip(lab: Lab, alice_v6: bool) -> None:
    net = lab.nat_topology(NatMode.CONE)
    coturn = _nat_servers(lab, net)

    ours, theirs, events = _call_across(lab, net, coturn, (alice_v6, True))

    # RFC 8445 §5.1.2.1 with our local preference (docs/ALEX.md): IPv6 ranks above IPv4, and the
    # lab routes fd42:1::/64 <-> fd42:2::/64 without NAT, so host <-> host over IPv6 wins
    # when both announce IPv6; an IPv4-only caller pairs IPv4 only (same family only).
    if alice_v6:
        assert ours["sip"]["kind"] == "host", ours
        assert ours["sip"]["remote"] == f"[{net.b.ipv6}]:5060"
        assert theirs["sip"]["remote"] == f"[{net.a1.ipv6}]:5060"
    else:
        assert ours["sip"]["remote"] == f"{net.nat2.ipv4}:5060", ours
        assert theirs["sip"]["remote"].startswith(f"{net.nat1.ipv4}:"), theirs
    # IPv6 is preferred where it works. A dual-stack phone opens an IPv6 RTP pair
    # beside the IPv4 one (the SDP c= stays IPv4), so audio takes the routed IPv6 host pair
    # when both sides have one, both ways (_call_across counts what each side received).
    last_media = [e for e in events if e.get("event") == "call.media"][-1]
    if alice_v6:
        assert ours["audio"]["kind"] == "host", ours
        assert str(ours["audio"]["local"]).startswith(f"[{net.a1.ipv6}]:"), ours
        assert str(ours["audio"]["remote"]).startswith(f"[{net.b.ipv6}]:"), ours
        assert str(theirs["audio"]["remote"]).startswith(f"[{net.a1.ipv6}]:"), theirs
        assert str(last_media["remote"]).startswith(f"[{net.b.ipv6}]:"), last_media
    else:
        assert ours["audio"]["kind"] in ("srflx", "prflx"), ours
        assert str(ours["audio"]["remote"]).startswith(f"{net.nat2.ipv4}:"), ours
        assert str(theirs["audio"]["remote"]).startswith(f"{net.nat1.ipv4}:"), theirs
        assert not str(last_media["remote"]).startswith("["), last_media


@pytest.mark.slow
@pytest.mark.needs("kamailio", "turnserver")
def test_cone_to_symmetric_relays_what_the_filters_block(lab: Lab) -> None:
    net = lab.nat_topology(NatMode.CONE, NatMode.SYMMETRIC)  # alice cone (nat1), bob symmetric
    coturn = _nat_servers(lab, net)

    ours, theirs, events = _call_across(lab, net, coturn)

    # RFC 8445 §2 / RFC 4787 §5: the lab's "cone" is endpoint-independent mapping with
    # address+port-dependent filtering (Linux conntrack). bob's checks leave nat2 from a new
    # port per destination, a port alice never sent to, so nat1 drops them; alice's checks to
    # bob's srflx hit a mapping made for coturn, so nat2 drops them. No direct pair can
    # validate; the pairs through a TURN allocation (permissions by IP, RFC 8656 §9) do.
    assert ours["audio"]["kind"] == "relay" and theirs["audio"]["kind"] == "relay"
    assert "sip" not in ours and "sip" not in theirs  # no TURN for sip
    paths = [e["path"] for e in events if e.get("event") == "call.media"]
    assert paths and paths[-1] == "relay", paths
    print(
        "ALEX cone<->symmetric: audio",
        ours["audio"]["local"],
        "->",
        ours["audio"]["remote"],
        (ours["audio"]["probes"], ours["audio"]["after_ms"]),
    )
