"""ICE for ICE-only peers: our SDP attributes, the switch to Mode.ICE from the peer's SDP, and
ICE on both components (RTP and RTCP) with a peer that does not multiplex RTCP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alex_fakes import RecordingSipTransport

from alexphone.alex.events import Role
from alexphone.alex.negotiation import Mode
from alexphone.core.ids import IdFactory
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import AlexSelected, Event, Flow
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
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
        rtp = [c for c in candidates if c.split()[1] == "1"]
        rtcp = [c for c in candidates if c.split()[1] == "2"]
        assert rtp and all(" 10.77.0.11 16500 typ host" in c for c in rtp)
        # the peer may not multiplex: component 2 on our RTCP socket (RFC 5761 §5.1.3)
        assert rtcp and all(" 10.77.0.11 16501 typ host" in c for c in rtcp)
        assert len(rtp) + len(rtcp) == len(candidates)
        assert not any(" 5060 " in c for c in candidates)  # the sip items stay out of SDP
        again = session.with_ice(session.with_ice(_offer())).media[0]
        assert len(again.attributes_named("ice-ufrag")) == 1
        session.close()

    asyncio.run(scenario())


def test_an_ice_answer_without_rtcp_mux_switches_the_call_to_ice_on_both_components(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLED)
        session.peer_headers(Headers(), final=True)
        assert session.mode is Mode.PLAIN

        assert session.adopt_ice(ICE_OFFER.encode())  # an answer (we offered)

        assert session.mode is Mode.ICE and session.active
        remote = session.remote_candidates
        assert {c.address for c in remote} == {
            ("10.77.0.12", 7078),
            ("10.77.0.12", 7079),
            ("198.51.100.7", 40000),
        }  # the loopback candidate is skipped
        assert {c.flow for c in remote} == {"m0.1", "m0.2"}
        ours = {c.flow: c.address for c in session.candidates}
        assert set(ours) == {"m0.1", "m0.2"}  # no sip flow
        assert ours["m0.2"] == ("10.77.0.11", 16501)
        assert session.peer_credentials is not None and session.peer_credentials.ufrag == "Ab12"
        assert not session.may_send(("10.77.0.12", 7078))  # the gate: nothing probed yet
        headers = Headers()
        session.announce(headers)
        assert "ALEX-session" not in headers
        answer = session.with_ice(_offer()).media[0].candidates  # our answer does ICE too
        assert {c.split()[1] for c in answer} == {"1", "2"}
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


def test_an_offer_wanting_rtcp_checks_gets_ice_on_both_components(tmp_path: Path) -> None:
    async def scenario() -> None:
        unmuxed = _session(tmp_path / "a", Role.CONTROLLED)
        unmuxed.peer_headers(Headers(), final=True)
        assert unmuxed.adopt_ice(ICE_OFFER.encode())
        assert unmuxed.mode is Mode.ICE
        assert {c.flow for c in unmuxed.candidates} == {"m0.1", "m0.2"}
        answer = unmuxed.with_ice(_offer()).media[0]
        assert {c.split()[1] for c in answer.candidates} == {"1", "2"}

        muxed = _session(tmp_path / "b", Role.CONTROLLED)
        muxed.peer_headers(Headers(), final=True)
        assert muxed.adopt_ice((ICE_OFFER + "a=rtcp-mux\r\n").encode())
        assert muxed.mode is Mode.ICE  # RTCP rides on the RTP port: component 1 only
        assert {c.flow for c in muxed.remote_candidates} == {"m0.1"}
        assert {c.flow for c in muxed.candidates} == {"m0.1"}
        answer = muxed.with_ice(_offer()).media[0]
        assert {c.split()[1] for c in answer.candidates} == {"1"}
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
        assert {c.flow for c in session.candidates} == {"m0.1", "m0.2"}  # still no sip flow
        assert {c.split()[1] for c in ours.candidates} == {"1", "2"}
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
        session.renew(keep_gathered=False)
        assert session.restart_ice((answer + "a=rtcp-mux\r\n").encode())  # now multiplexed
        assert {c.flow for c in session.candidates} == {"m0.1"}
        session.close()

    asyncio.run(scenario())


class _Ends:
    """One side's media socket on loopback, and what reached its RTP and RTCP handlers."""

    def __init__(self, start: int) -> None:
        self.port = MediaPort("127.0.0.1", start=start)
        self.rtcp: list[tuple[bytes, Address]] = []
        self.rtcp_arrived = asyncio.Event()
        self.socket = RtpSocket(lambda data, addr: None, self._on_rtcp)

    def _on_rtcp(self, data: bytes, addr: Address) -> None:
        self.rtcp.append((data, addr))
        self.rtcp_arrived.set()


def _hub(tmp_path: Path, port: int, events: list[Event]) -> AlexHub:
    transport = RecordingSipTransport(port)
    return AlexHub(transport, events.append, IdFactory(), profile=tmp_path)  # type: ignore[arg-type]


def _sdp(port: MediaPort) -> SessionDescription:
    """An SDP without a=rtcp-mux, as linphonec 5.1 writes it."""
    local = LocalMedia(port.host, port.port, rtcp_mux=False)
    return SdpSession(local, session_id=1).create_offer()


def test_both_components_are_checked_and_rtcp_takes_its_own_pair(tmp_path: Path) -> None:
    async def scenario() -> None:
        ours, theirs = _Ends(17900), _Ends(17950)
        caller_events: list[Event] = []
        callee_events: list[Event] = []
        caller_hub = _hub(tmp_path / "a", 5082, caller_events)
        callee_hub = _hub(tmp_path / "b", 5084, callee_events)
        try:
            caller = AlexCall(
                caller_hub, "c", Role.CONTROLLING, (ours.port.host, ours.port.port), "sip:b@x"
            )
            callee = AlexCall(
                callee_hub, "c", Role.CONTROLLED, (theirs.port.host, theirs.port.port), "sip:a@x"
            )
            offer = caller.with_ice(_sdp(ours.port))  # the peer is not known yet
            callee.peer_headers(Headers(), final=True)
            assert callee.adopt_ice(offer.to_bytes())  # no a=rtcp-mux: both components
            answer = callee.with_ice(_sdp(theirs.port))
            caller.peer_headers(Headers(), final=True)
            assert caller.adopt_ice(answer.to_bytes())
            for ends, call in ((ours, caller), (theirs, callee)):
                await ends.socket.open(ends.port)
                call.attach_media(ends.socket)
                call.confirmed()

            def selected(events: list[Event]) -> dict[Flow, AlexSelected]:
                return {e.flow: e for e in events if isinstance(e, AlexSelected)}

            for _ in range(500):  # bounded: each side's checks and nominations
                if len(selected(caller_events)) == len(selected(callee_events)) == 2:
                    break
                await asyncio.sleep(0.02)
            mine, yours = selected(caller_events), selected(callee_events)
            assert set(mine) == set(yours) == {Flow.AUDIO, Flow.RTCP}
            assert mine[Flow.RTCP].remote == f"127.0.0.1:{theirs.port.port + 1}"
            assert yours[Flow.RTCP].remote == f"127.0.0.1:{ours.port.port + 1}"
            assert mine[Flow.AUDIO].remote == f"127.0.0.1:{theirs.port.port}"

            # RTCP goes to the selected component-2 pair, whatever address the stream names
            send_rtcp = caller.gate(ours.socket.send_rtcp, rtcp=True)
            report = bytes([0x81, 201, 0, 1]) + bytes(4)  # an empty receiver report
            send_rtcp(report, ("127.0.0.1", theirs.port.port + 41))
            await asyncio.wait_for(theirs.rtcp_arrived.wait(), 5)
            assert theirs.rtcp == [(report, ("127.0.0.1", ours.port.port + 1))]
            caller.close()
            callee.close()
        finally:
            for ends in (ours, theirs):
                ends.socket.close()
                ends.port.close()
            caller_hub.close()
            callee_hub.close()

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_rtcp_waits_for_a_checked_component_2_pair(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = _session(tmp_path, Role.CONTROLLED)
        session.peer_headers(Headers(), final=True)
        assert session.adopt_ice(ICE_OFFER.encode())
        sent: list[Address] = []
        send_rtcp = session.gate(lambda data, remote: sent.append(remote), rtcp=True)
        send_rtcp(b"\x81\xc9\x00\x01" + bytes(4), ("10.77.0.12", 7079))
        assert sent == []  # nothing checked on component 2 yet: no RTCP anywhere
        session.close()

    asyncio.run(scenario())
