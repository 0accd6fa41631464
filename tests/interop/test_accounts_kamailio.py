"""Two accounts on one daemon, one of them over TCP, against Kamailio and baresip.

alice (UDP) and carol (TCP) are both accounts of one alexphone daemon on a1 (behind nat1);
bob is baresip on b (behind nat2). Both accounts register; a call placed from each reaches
bob with that account's From; bob's calls to each are reported with the account they
came to.
"""

from __future__ import annotations

import pytest
from lab import Lab, NatNet
from lab_alexphone import Alexphone
from lab_peers import DOMAIN, USERS, Baresip, Kamailio
from test_kamailio_calls import proxy_option, start_bob

pytestmark = [pytest.mark.interop, pytest.mark.needs("kamailio", "baresip")]

ALICE = f"sip:alice@{DOMAIN}"
CAROL = f"sip:carol@{DOMAIN}"
BOB = f"sip:bob@{DOMAIN}"


def two_account_phone(lab: Lab, nat_net: NatNet) -> Alexphone:
    """The daemon with alice over UDP and carol over TCP, answering at once."""
    host = nat_net.a1
    listen = [f"udp:{host.ipv4}:5060", f"tcp:{host.ipv4}:5060"]
    phone = Alexphone(lab, host.ns, "two-accounts", listen=listen)
    alice = phone.password_file(USERS["alice"], "alice.password")
    carol = phone.password_file(USERS["carol"], "carol.password")
    phone.common += ["--proxy", proxy_option(nat_net.pub.ipv4, "udp"), "--auto-answer"]
    phone.common += ["--account", ALICE, "--password-file", str(alice)]
    phone.common += ["--account", CAROL, "--password-file", str(carol), "--transport", "tcp"]
    return phone


def registered_line(kamailio: Kamailio, aor: str) -> str:
    """Kamailio's log line of the binding it saved for ``aor``."""
    return next(s for s in kamailio.events() if s.startswith(f"LAB-REGISTERED {aor} "))


def call_out(phone: Alexphone, bob: Baresip, account: str) -> None:
    """Dial bob from ``account`` through ``ctl``; bob sees that From; hang up."""
    mark, bob_mark = phone.mark(), bob._control().events.mark()
    dialled = phone.ctl("dial", "--account", account.removeprefix("sip:"), BOB)
    assert dialled.returncode == 0, dialled.stderr
    confirmed = phone.wait_event(
        "call.state", lambda e: e["state"] == "confirmed", timeout=20, since=mark
    )
    incoming = bob.wait_event("CALL_ESTABLISHED", timeout=5, since=bob_mark)
    assert incoming["peeruri"] == account, incoming  # the From bob saw
    assert confirmed["direction"] == "out" and confirmed["account"] == account
    assert phone.ctl("hangup").returncode == 0
    ended = phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10, since=mark)
    assert ended["call_id"] == confirmed["call_id"] and ended["account"] == account
    bob.wait_event("CALL_CLOSED", timeout=10, since=bob_mark)


def call_in(phone: Alexphone, bob: Baresip, account: str) -> None:
    """bob dials ``account``; the daemon answers and says which account was called."""
    mark, bob_mark = phone.mark(), bob._control().events.mark()
    bob.dial(account)
    bob.wait_event("CALL_ESTABLISHED", timeout=20, since=bob_mark)
    confirmed = phone.wait_event(
        "call.state",
        lambda e: e["direction"] == "in" and e["state"] == "confirmed",
        timeout=10,
        since=mark,
    )
    assert confirmed["account"] == account, confirmed
    bob.hangup()
    ended = phone.wait_event("call.state", lambda e: e["state"] == "ended", timeout=10, since=mark)
    assert ended["call_id"] == confirmed["call_id"] and ended["account"] == account
    bob.wait_event("CALL_CLOSED", timeout=10, since=bob_mark)


@pytest.mark.slow
def test_two_accounts_register_call_out_and_are_called(
    lab: Lab, nat_net: NatNet, kamailio: Kamailio
) -> None:
    phone = two_account_phone(lab, nat_net)
    phone.daemon()
    for aor in (ALICE, CAROL):
        event = phone.wait_event(
            "registration.state",
            lambda e, aor=aor: e["account"] == aor and e["state"] == "registered",
            timeout=20,
        )
        assert event["code"] == 200
    kamailio.wait_registered("alice", timeout=5)
    kamailio.wait_registered("carol", timeout=5)
    # each account over its own transport: Kamailio saw carol's binding come over TCP
    assert "transport=tcp" in registered_line(kamailio, CAROL)
    assert "transport=tcp" not in registered_line(kamailio, ALICE)
    registers = [s for s in kamailio.events() if s.startswith("LAB-REQUEST REGISTER ")]
    assert {s.rsplit(" ", 1)[1] for s in registers} == {"udp", "tcp"}, registers
    bob = start_bob(lab, nat_net, kamailio)

    invites_before = len([s for s in kamailio.events() if s.startswith("LAB-REQUEST INVITE ")])
    call_out(phone, bob, ALICE)
    call_out(phone, bob, CAROL)
    invites = [s for s in kamailio.events() if s.startswith("LAB-REQUEST INVITE ")]
    ours = [s for s in invites[invites_before:] if f" {nat_net.nat1.ipv4}:" in s]
    # each INVITE twice (challenged, then with the account's credentials), over its transport
    assert [s.rsplit(" ", 1)[1] for s in ours] == ["udp", "udp", "tcp", "tcp"], ours
    call_in(phone, bob, ALICE)
    call_in(phone, bob, CAROL)

    mark = phone.mark()
    assert phone.stop(grace=10) == 0
    for aor in (ALICE, CAROL):
        phone.wait_event(
            "registration.state",
            lambda e, aor=aor: e["account"] == aor and e["state"] == "unregistered",
            since=mark,
        )
