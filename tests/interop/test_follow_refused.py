"""A peer that refuses the move's re-INVITE: the old session is kept and the user is told.

The routed lab of lab_uplinks, without a proxy: alice (plain SIP, on the wildcard address)
calls ``refusing_peer.py`` on the peer LAN, which answers the INVITE 200 and every re-INVITE
488, each response sent to where the request came from (as a Via rport does), so the 488
reaches alice on her new uplink. Mid-call her second uplink comes up and the first goes
(make-before-break): her re-INVITE with the new c= and Contact is refused, ``call.moved``
says ``refused`` with the 488 and "the call may drop", and the call is not ended by it:
it runs to its planned length and its BYE reaches the peer from the new address.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from lab import Lab
from lab_alexphone import Alexphone
from lab_uplinks import add_uplink, drop_uplink, uplinks_topology

pytestmark = [pytest.mark.interop, pytest.mark.slow]

PEER = Path(__file__).with_name("refusing_peer.py")
NEW = "10.0.2.2"
DURATION = 9.0  # seconds alice keeps the call


def test_a_peer_refusing_the_move_keeps_the_call_and_the_user_is_told(lab: Lab) -> None:
    net = uplinks_topology(lab)
    peer = lab.spawn(net.peer.ns, [sys.executable, "-u", str(PEER), net.peer.ipv4, "5060", "60"])
    peer.wait_for_log("LISTENING", timeout=10)
    alice = Alexphone(
        lab, net.mover.ns, "alice", listen=["udp:0.0.0.0:5060"], audio_in="tone:440",
        audio_out="null", args=["--no-alex", "-v"],
    )  # fmt: skip
    alice.start_call(f"sip:carol@{net.peer.ipv4}:5060", "--timeout", "30", duration=DURATION)
    confirmed = alice.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)
    time.sleep(1.0)
    add_uplink(lab, net)
    time.sleep(1.0)  # the new uplink is up and settled
    mark = alice.mark()
    drop_uplink(lab, net)

    refused = alice.wait_event(
        "call.moved", lambda e: e["outcome"] == "refused", timeout=10, since=mark
    )
    assert refused["call_id"] == confirmed["call_id"], refused
    assert refused["code"] == 488, refused
    assert "may drop" in refused["reason"], refused
    followed = [
        e
        for e in alice.events.snapshot()[mark:]
        if e.get("event") == "call.moved" and e["outcome"] == "followed"
    ]
    assert not followed, followed

    assert alice.wait_exit(30) == 0, alice.stderr_tail()
    ended = alice.wait_event("call.state", lambda e: e["state"] == "ended", timeout=5)
    assert ended.get("code") in (None, 200), ended  # our BYE at the planned end, not a failure
    log = peer.log_text()
    assert f"REQUEST INVITE in-dialog {NEW}:5060" in log, log  # the re-INVITE, from the new uplink
    assert f"REQUEST BYE in-dialog {NEW}:5060" in log, log  # the call outlived the refusal
