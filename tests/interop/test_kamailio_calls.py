"""The alexphone CLI against Kamailio and baresip: registration, calls, loss, dead registrars.

alice is always alexphone on a1 (behind nat1); bob is baresip on b (behind nat2);
both register at Kamailio on 198.51.100.1, so every request crosses two NATs.
"""

from __future__ import annotations

import pytest
from lab import Host, Lab, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Baresip, Event, Kamailio, baresip_account

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio", "baresip")]

ALICE = f"sip:alice@{DOMAIN}"
BOB = f"sip:bob@{DOMAIN}"
TRANSPORTS = ["udp", "tcp"]
LOSS_PERCENT = 20
# RFC 3261 §17.1.2.2 / Table 4: Timer F = 64*T1 = 32 s for a non-INVITE transaction.
SIP_T1_MS = 100  # --sip-t1: the lab is a closed network (RFC 3261 §17.1.1.1)
TIMER_F = 64 * SIP_T1_MS / 1000  # 6.4 s instead of the default 32 s
DEAD_PORT = 5070  # nothing listens there on 198.51.100.2


def proxy_option(ip: str, transport: str, port: int = 5060) -> str:
    """The --proxy URI for a registrar at ip:port over `transport`."""
    uri = f"sip:{ip}:{port}"
    return uri if transport == "udp" else f"{uri};transport={transport}"


def alice_phone(lab: Lab, host: Host, transport: str, proxy: str, name: str = "alice") -> Alexphone:
    """alexphone for alice@lab.test listening on host:5060 over `transport`."""
    phone = Alexphone(lab, host.ns, name, listen=[f"{transport}:{host.ipv4}:5060"])
    password = phone.password_file(USERS["alice"])
    phone.common += ["--account", ALICE, "--password-file", str(password), "--proxy", proxy]
    return phone


def start_bob(lab: Lab, nat_net: NatNet, kamailio: Kamailio, transport: str = "udp") -> Baresip:
    """baresip for bob@lab.test on b, registered at Kamailio, answering at once."""
    outbound = f"sip:{nat_net.pub.ipv4}:5060;transport={transport}"
    account = baresip_account("bob", password=USERS["bob"], outbound=outbound, regint=60)
    bob = Baresip(lab, nat_net.b.ns, account).start()
    kamailio.wait_registered("bob", timeout=60)
    return bob


def registered(phone: Alexphone, timeout: float) -> Event:
    """Wait for alice's registration.state registered."""
    return phone.wait_event(
        "registration.state",
        lambda e: e["account"] == ALICE and e["state"] == "registered",
        timeout=timeout,
    )


def call_states(events: list[Event], direction: str) -> tuple[set[str], list[str]]:
    """(call ids, states in order) of the call.state events in one direction."""
    calls = [e for e in events if e.get("event") == "call.state" and e["direction"] == direction]
    return {e["call_id"] for e in calls}, [e["state"] for e in calls]


def assert_confirmed_then_ended(states: list[str]) -> None:
    """The call was confirmed once and its last state is ended (nothing after it)."""
    assert "confirmed" in states, states
    assert states[-1] == "ended", states
    assert states.index("confirmed") < len(states) - 1
    assert states.count("ended") == 1, states


def relayed(kamailio: Kamailio, method: str, source: Host) -> bool:
    """Tell whether Kamailio received `method` from `source` (a NAT router's public side)."""
    prefix = f"LAB-REQUEST {method} "
    return any(s.startswith(prefix) and f" {source.ipv4}:" in s for s in kamailio.events())


# -- 1. registration with digest auth --------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_daemon_registers_at_kamailio_with_digest_auth(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio, transport: str
) -> None:
    alice = alice_phone(lab, nat_net.a1, transport, proxy_option(nat_net.pub.ipv4, transport))

    alice.daemon()
    event = registered(alice, timeout=15)
    kamailio.wait_registered("alice", timeout=5)

    assert event["code"] == 200
    assert isinstance(event["expires"], int) and event["expires"] > 0
    lines = kamailio.events()
    challenge = next(i for i, s in enumerate(lines) if s.startswith("LAB-CHALLENGE alice REGISTER"))
    bound = next(i for i, s in enumerate(lines) if s.startswith(f"LAB-REGISTERED {ALICE} "))
    assert challenge < bound
    # The binding came through nat1 over the asked transport.
    assert f"{nat_net.nat1.ipv4}:" in lines[bound]
    requests = [s for s in lines if s.startswith("LAB-REQUEST REGISTER ")]
    assert requests and all(s.endswith(f" {transport}") for s in requests), requests
    assert not kamailio.registered("bob")

    mark = alice.mark()
    assert alice.stop(grace=10) == 0
    alice.wait_event("registration.state", lambda e: e["state"] == "unregistered", since=mark)
    assert not kamailio.registered("alice")


# -- 2. calls through Kamailio to and from baresip --------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_cli_call_to_baresip_through_kamailio(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio, transport: str
) -> None:
    bob = start_bob(lab, nat_net, kamailio)
    alice = alice_phone(lab, nat_net.a1, transport, proxy_option(nat_net.pub.ipv4, transport))

    code, events = alice.run_call(BOB, "--timeout", "30", duration=2, timeout=45)

    assert code == 0, alice.stderr_tail()
    ids, states = call_states(events, "out")
    assert len(ids) == 1
    assert_confirmed_then_ended(states)
    assert bob.wait_event("CALL_ESTABLISHED", timeout=5)["class"] == "call"
    assert bob.wait_event("CALL_CLOSED", timeout=10)["class"] == "call"
    invites = [s for s in kamailio.events() if s.startswith("LAB-REQUEST INVITE ")]
    assert invites and invites[0].endswith(f" {transport}")
    # RFC 3261 §12.2.1.1: ACK and BYE follow the route set Kamailio recorded.
    assert relayed(kamailio, "ACK", nat_net.nat1)
    assert relayed(kamailio, "BYE", nat_net.nat1)


@pytest.mark.slow
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_baresip_calls_the_daemon_through_kamailio(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio, transport: str
) -> None:
    alice = alice_phone(lab, nat_net.a1, transport, proxy_option(nat_net.pub.ipv4, transport))
    alice.common.append("--auto-answer")
    alice.daemon()
    registered(alice, timeout=15)
    kamailio.wait_registered("alice", timeout=5)
    bob = start_bob(lab, nat_net, kamailio)

    bob.dial(ALICE)
    bob.wait_event("CALL_ESTABLISHED", timeout=15)
    confirmed = alice.wait_event(
        "call.state", lambda e: e["direction"] == "in" and e["state"] == "confirmed"
    )
    bob.hangup()
    ended = alice.wait_event(
        "call.state", lambda e: e["direction"] == "in" and e["state"] == "ended", timeout=10
    )

    assert ended["call_id"] == confirmed["call_id"]
    ids, states = call_states(alice.events.snapshot(), "in")
    assert len(ids) == 1
    assert_confirmed_then_ended(states)
    assert bob.wait_event("CALL_CLOSED", timeout=5)["class"] == "call"
    # RFC 3261 §12.1.1: our 2xx echoed Record-Route, so bob's ACK and BYE came via Kamailio
    # (the ended call is bob's BYE, not our 2xx retransmissions giving up, §13.3.1.4).
    assert relayed(kamailio, "ACK", nat_net.nat2)
    assert relayed(kamailio, "BYE", nat_net.nat2)


# -- 3. the same with 20 % packet loss on both NAT routers -------------------------------
def add_loss_on_routers(lab: Lab, nat_net: NatNet) -> None:
    """Drop LOSS_PERCENT % of what both NAT routers forward (each direction)."""
    for router in (nat_net.nat1, nat_net.nat2):
        lab.add_loss(router.ns, LOSS_PERCENT)


@pytest.mark.slow
def test_register_and_call_survive_packet_loss(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    add_loss_on_routers(lab, nat_net)
    bob = start_bob(lab, nat_net, kamailio)
    alice = alice_phone(lab, nat_net.a1, "udp", proxy_option(nat_net.pub.ipv4, "udp"))

    code, events = alice.run_call(BOB, "--timeout", "90", duration=2, timeout=120)

    assert code == 0, alice.stderr_tail()
    ids, states = call_states(events, "out")
    assert len(ids) == 1
    assert_confirmed_then_ended(states)
    assert bob.wait_event("CALL_CLOSED", timeout=60)["class"] == "call"
    # A lost ACK may be superseded by the BYE (RFC 3261 §13.3.1.4); BYE is retransmitted.
    assert relayed(kamailio, "BYE", nat_net.nat1)


@pytest.mark.slow
def test_daemon_registers_and_answers_despite_packet_loss(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    add_loss_on_routers(lab, nat_net)
    alice = alice_phone(lab, nat_net.a1, "udp", proxy_option(nat_net.pub.ipv4, "udp"))
    alice.common.append("--auto-answer")
    alice.daemon(timeout=240)
    event = registered(alice, timeout=60)
    kamailio.wait_registered("alice", timeout=10)
    bob = start_bob(lab, nat_net, kamailio)

    bob.dial(ALICE)
    bob.wait_event("CALL_ESTABLISHED", timeout=60)
    confirmed = alice.wait_event(
        "call.state", lambda e: e["direction"] == "in" and e["state"] == "confirmed", timeout=30
    )
    bob.hangup()
    ended = alice.wait_event(
        "call.state", lambda e: e["direction"] == "in" and e["state"] == "ended", timeout=60
    )

    assert event["code"] == 200
    assert ended["call_id"] == confirmed["call_id"]
    assert_confirmed_then_ended(call_states(alice.events.snapshot(), "in")[1])
    # A lost ACK may be superseded by the BYE (RFC 3261 §13.3.1.4); BYE is retransmitted.
    assert relayed(kamailio, "BYE", nat_net.nat2)


# -- 4. registrars that do not answer ----------------------------------------------------
@pytest.mark.slow
def test_silent_udp_registrar_fails_with_408_after_timer_f(lab: Lab, nat_net: NatNet) -> None:
    # 198.51.100.2 is a lab address with nothing on 5070; drop instead of ICMP-refusing,
    # so only the transaction timer can end the REGISTER.
    drop = ["-A", "INPUT", "-p", "udp", "--dport", str(DEAD_PORT), "-j", "DROP"]
    lab.run(nat_net.pub.ns, ["iptables", *drop])
    alice = alice_phone(
        lab, nat_net.a1, "udp", proxy_option(nat_net.pub_ipv4_alt, "udp", DEAD_PORT)
    )
    alice.common += ["--sip-t1", str(SIP_T1_MS), "--sip-log"]

    alice.daemon()
    start = alice.wait_event("registration.state", lambda e: e["state"] == "registering")
    failed = alice.wait_event(
        "registration.state", lambda e: e["state"] == "failed", timeout=TIMER_F + 10
    )

    assert failed["code"] == 408
    assert TIMER_F - 0.5 <= failed["ts"] - start["ts"] <= TIMER_F + 3
    # Timer E doubles from T1 up to T2 (RFC 3261 §17.1.2.2): sent at 0, .1, .3, .7, 1.5, 3.1
    # and 6.3 s, the seventh just before Timer F fires at 6.4 s
    sent = [
        e["ts"] - start["ts"]
        for e in alice.events.snapshot()
        if e["event"] == "sip.message" and e["direction"] == "out" and e["ts"] <= failed["ts"]
    ]
    assert 6 <= len(sent) <= 7, sent
    assert not [e for e in alice.events.snapshot() if e.get("state") == "registered"]


def test_closed_tcp_port_fails_registration_quickly_with_503(lab: Lab, nat_net: NatNet) -> None:
    alice = alice_phone(
        lab, nat_net.a1, "tcp", proxy_option(nat_net.pub_ipv4_alt, "tcp", DEAD_PORT)
    )

    alice.daemon()
    start = alice.wait_event("registration.state", lambda e: e["state"] == "registering")
    failed = alice.wait_event("registration.state", lambda e: e["state"] == "failed", timeout=10)

    assert failed["code"] == 503
    assert failed["ts"] - start["ts"] < 5
