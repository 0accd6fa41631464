"""ICE for ICE-only peers: our SDP attributes, and the switch to Mode.ICE from the peer's SDP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alex_fakes import RecordingSipTransport

from alexphone.alex.events import Role
from alexphone.alex.negotiation import Mode
from alexphone.core.ids import IdFactory
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import Event
from alexphone.sdp.negotiation import SdpSession
from alexphone.sdp.offer_answer import LocalMedia
from alexphone.sdp.session import SessionDescription
from alexphone.sip.message import Headers

Address = tuple[str, int]

ICE_OFFER = (
    "v=0\r\no=lp 1 1 IN IP4 10.77.0.12\r\ns=-\r\nc=IN IP4 10.77.0.12\r\nt=0 0\r\n"
    "a=ice-ufrag:Ab12\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
    "m=audio 7078 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=candidate:1 1 UDP 2130706431 10.77.0.12 7078 typ host\r\n"
    "a=candidate:1 2 UDP 2130706430 10.77.0.12 7079 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 198.51.100.7 40000 typ srflx raddr 10.77.0.12 rport 7078\r\n"
    "a=candidate:3 1 UDP 2130706431 127.0.0.1 7078 typ host\r\n"
)
PLAIN_OFFER = ICE_OFFER.split("a=ice-ufrag")[0] + "m=audio 7078 RTP/AVP 0\r\n"


def _session(tmp_path: Path, role: Role) -> AlexCall:
    events: list[Event] = []
    hub = AlexHub(
        RecordingSipTransport(5060, "10.77.0.11"), events.append, IdFactory(), profile=tmp_path
    )  # type: ignore[arg-type]
    return AlexCall(hub, "call-1", role, ("10.77.0.11", 16500), "sip:peer@example.com")


def _offer() -> SessionDescription:
    return SdpSession(LocalMedia("10.77.0.11", 16500), session_id=1).create_offer()


def test_our_offer_mirrors_the_audio_items_with_the_alex_credentials(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLING)
        media = session.with_ice(_offer()).media[0]
        assert media.attribute("ice-ufrag") == session.credentials.ufrag
        assert media.attribute("ice-pwd") == session.credentials.pwd
        candidates = media.candidates
        assert candidates and all(" 10.77.0.11 16500 typ host" in c for c in candidates)
        assert not any(" 5060 " in c for c in candidates)  # the sip items stay out of SDP
        again = session.with_ice(session.with_ice(_offer())).media[0]
        assert len(again.attributes_named("ice-ufrag")) == 1
        session.close()

    asyncio.run(scenario())


def test_an_ice_offer_switches_the_call_to_ice_on_audio_only(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLED)
        session.peer_headers(Headers(), final=True)
        assert session.mode is Mode.PLAIN

        assert session.adopt_ice(ICE_OFFER.encode())  # an answer (we offered)

        assert session.mode is Mode.ICE and session.active
        remote = session.remote_candidates
        assert {c.address for c in remote} == {("10.77.0.12", 7078), ("198.51.100.7", 40000)}
        assert {c.flow for c in remote} == {"m0.1"}  # RTCP and loopback candidates skipped
        assert {c.flow for c in session.candidates} == {"m0.1"}
        assert session.peer_credentials is not None and session.peer_credentials.ufrag == "Ab12"
        assert not session.may_send(("10.77.0.12", 7078))  # the gate: nothing probed yet
        headers = Headers()
        session.announce(headers)
        assert "ALEX-session" not in headers
        assert session.with_ice(_offer()).media[0].candidates  # our answer does ICE too
        session.close()

    asyncio.run(scenario())


def test_a_plain_peer_stays_plain_and_gets_no_ice_in_the_answer(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLED)
        session.peer_headers(Headers(), final=True)

        assert not session.adopt_ice(PLAIN_OFFER.encode())
        assert not session.adopt_ice(b"not sdp")

        assert session.mode is Mode.PLAIN and session.may_send(("10.77.0.12", 7078))
        assert session.with_ice(_offer()).media[0].attribute("ice-ufrag") is None
        session.close()

    asyncio.run(scenario())


def test_alex_wins_over_sdp_candidates(tmp_path: Path) -> None:
    async def scenario() -> None:
        caller = _session(tmp_path / "a", Role.CONTROLLING)
        callee = _session(tmp_path / "b", Role.CONTROLLED)
        headers = Headers()
        caller.announce(headers)
        callee.peer_headers(headers, final=True)

        assert not callee.adopt_ice(ICE_OFFER.encode())
        assert callee.mode is Mode.ALEX
        assert "sip" in {c.flow for c in callee.candidates}
        caller.close()
        callee.close()

    asyncio.run(scenario())


def test_an_offer_wanting_rtcp_checks_is_answered_without_ice(tmp_path: Path) -> None:
    async def scenario() -> None:
        unmuxed = _session(tmp_path / "a", Role.CONTROLLED)
        unmuxed.peer_headers(Headers(), final=True)
        assert not unmuxed.adopt_ice(ICE_OFFER.encode(), answering=True)
        assert unmuxed.mode is Mode.PLAIN
        assert unmuxed.with_ice(_offer()).media[0].attribute("ice-ufrag") is None

        muxed = _session(tmp_path / "b", Role.CONTROLLED)
        muxed.peer_headers(Headers(), final=True)
        assert muxed.adopt_ice((ICE_OFFER + "a=rtcp-mux\r\n").encode(), answering=True)
        assert muxed.mode is Mode.ICE
        unmuxed.close()
        muxed.close()

    asyncio.run(scenario())


def test_an_ice_restart_renews_our_credentials_and_checks_the_peers_new_ones(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLING)
        session.peer_headers(Headers(), final=True)
        assert session.adopt_ice(ICE_OFFER.encode())
        session.confirmed()
        before = session.credentials

        session.renew(keep_gathered=False)  # a move: RFC 8445 §9, new ufrag/pwd
        ours = session.with_ice(_offer()).media[0]
        assert session.credentials.ufrag != before.ufrag
        assert ours.attribute("ice-ufrag") == session.credentials.ufrag
        assert {c.flow for c in session.candidates} == {"m0.1"}  # still no sip flow
        answer = ICE_OFFER.replace("Ab12", "Cd34").replace("abcdefghijkl", "zyxwvutsrqpo")
        answer = answer.replace("10.77.0.12 7078 typ host", "10.77.0.13 7080 typ host")

        assert session.restart_ice(answer.encode())

        assert session.peer_credentials is not None and session.peer_credentials.ufrag == "Cd34"
        assert ("10.77.0.13", 7080) in {c.address for c in session.remote_candidates}
        for _ in range(500):  # bounded: the pacer sends the first check within one Ta
            if session.probes:
                break
            await asyncio.sleep(0.02)
        assert session.probes > 0  # checking toward the new candidates at once
        assert not session.restart_ice(PLAIN_OFFER.encode())  # an answer without ICE
        session.close()

    asyncio.run(scenario())
