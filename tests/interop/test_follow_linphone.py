"""An ICE peer follows our move: linphonec gets an ICE restart in the re-INVITE.

The routed lab of lab_uplinks, without a proxy: alice (the mover, on the wildcard address)
calls linphonec (ICE, ``firewall_policy=3``, coturn for STUN) on the server LAN, or
linphonec calls her. Its SDP does ICE on both components (no rtcp-mux), so the call checks
its RTP and RTCP paths with ICE (Mode.ICE). Mid-call alice's second uplink comes up and her
first goes down a second later: the move restarts the checks as an ICE restart (new
a=ice-ufrag/a=ice-pwd and candidates for both components in the re-INVITE; linphonec's answer
brings its new credentials), RTP and RTCP are selected on the new uplink and audio flows both
ways.
"""

from __future__ import annotations

import time

import pytest
from lab import Lab
from lab_alexphone import Alexphone
from lab_coturn import Coturn
from lab_peers import tone_wav
from lab_uplinks import (
    Capture,
    Uplinks,
    add_uplink,
    drop_uplink,
    handoff,
    longest_silence,
    uplinks_topology,
)
from test_alex_ice_linphone import _linphonec

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.needs("linphonec", "turnserver")]

OLD, NEW = "10.0.1.2", "10.0.2.2"
GAP_LIMIT_MS = 200.0
MIN_PACKETS = 50
Event = dict[str, object]


def _alice(lab: Lab, net: Uplinks) -> Alexphone:
    return Alexphone(
        lab, net.mover.ns, "alice", listen=["udp:0.0.0.0:5060"], audio_in="tone:440",
        audio_out="null", args=["-v"],
    )  # fmt: skip


def _move_and_check(lab: Lab, net: Uplinks, alice: Alexphone, row: str) -> None:
    """Make-before-break under a running ICE call; both components follow, gap <= 200 ms."""
    first = alice.wait_event("alex.selected", lambda e: e["flow"] == "audio", timeout=20)
    alice.wait_event("alex.selected", lambda e: e["flow"] == "rtcp", timeout=10)
    at_peer = Capture(lab, net.peer.ns, "at-linphone")
    at_alice = Capture(lab, net.mover.ns, "at-alice")
    time.sleep(1.0)
    start = time.time()
    add_uplink(lab, net)
    time.sleep(1.0)
    drop_uplink(lab, net)
    after = alice.wait_event(
        "alex.selected", lambda e: e["flow"] == "audio" and NEW in str(e["local"]), timeout=15
    )
    rtcp = alice.wait_event(
        "alex.selected", lambda e: e["flow"] == "rtcp" and NEW in str(e["local"]), timeout=15
    )
    time.sleep(2.0)
    end = time.time()
    to_peer, to_alice = at_peer.stop(), at_alice.stop()

    events = alice.events.snapshot()
    assert {e["flow"] for e in events if e.get("event") == "alex.selected"} == {"audio", "rtcp"}
    assert OLD in str(first["local"]), first  # ICE from the start, on the first uplink
    assert rtcp["remote"] == f"{net.peer.ipv4}:{int(str(after['remote']).split(':')[1]) + 1}"
    peer = net.peer.ipv4
    assert handoff(to_peer, OLD, NEW, peer, to_peer=True).new_packets >= MIN_PACKETS
    assert handoff(to_alice, OLD, NEW, peer, to_peer=False).new_packets >= MIN_PACKETS
    gap_peer = longest_silence(to_peer, peer, start, end, to_peer=True)
    gap_alice = longest_silence(to_alice, peer, start, end, to_peer=False)
    print(
        f"ICE restart with linphonec ({row}): audio on {after['local']} -> {after['remote']},",
        f"rtcp on {rtcp['local']} -> {rtcp['remote']};",
        f"longest silence at linphonec {gap_peer:.0f} ms, at alice {gap_alice:.0f} ms",
    )
    assert gap_peer <= GAP_LIMIT_MS and gap_alice <= GAP_LIMIT_MS, (gap_peer, gap_alice)


def test_linphonec_follows_the_calling_phone_through_an_ice_restart(lab: Lab) -> None:
    net = uplinks_topology(lab)
    coturn = Coturn(lab, net.server.ns, net.server.ipv4).start()
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=30, hz=700, rate=48000)
    commands = f"soundcard use files\nplay {tone}\nrecord {lab.workdir / 'heard.wav'}"
    linphone = _linphonec(lab, net.peer, coturn.server, commands, seconds=16)
    lab.wait_listening(net.peer.ns, "udp", "0.0.0.0", 5060, timeout=15)
    time.sleep(1.0)  # the sound card commands are read after the SIP port opens
    alice = _alice(lab, net)
    alice.start_call(f"sip:carol@{net.peer.ipv4}:5060", "--timeout", "40", duration=11)

    _move_and_check(lab, net, alice, "mover calls")

    assert alice.wait_exit(30) == 0, alice.stderr_tail()
    linphone.wait(40)


def test_linphonec_follows_the_answering_phone_through_an_ice_restart(lab: Lab) -> None:
    net = uplinks_topology(lab)
    coturn = Coturn(lab, net.server.ns, net.server.ipv4).start()
    tone = tone_wav(lab.workdir / "tone700.wav", seconds=30, hz=700, rate=48000)
    alice = _alice(lab, net).daemon("--auto-answer")
    alice.wait_event("ua.ready", timeout=15)
    commands = (
        f"sleep 2\nsoundcard use files\nplay {tone}\nrecord {lab.workdir / 'heard.wav'}\n"
        f"call sip:alice@{OLD}:5060\nsleep 11\nterminate"
    )
    linphone = _linphonec(lab, net.peer, coturn.server, commands, seconds=2)
    confirmed = alice.wait_event("call.state", lambda e: e["state"] == "confirmed", timeout=20)

    _move_and_check(lab, net, alice, "mover answers")

    ended = alice.wait_event("call.state", lambda e: e["state"] == "ended", timeout=20)
    assert ended["call_id"] == confirmed["call_id"] and ended.get("code") in (None, 200), ended
    linphone.wait(40)
    alice.stop()
