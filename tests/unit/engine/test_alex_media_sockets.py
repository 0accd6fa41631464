"""IPv6 audio candidates of a call's second media pair, and which socket STUN reached."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alex_fakes import RecordingSipTransport, start_stun_server

from alexphone.alex.candidate import CandidateType
from alexphone.alex.events import Role
from alexphone.core.ids import IdFactory
from alexphone.engine.alexcall.headers import media_bound_for
from alexphone.engine.alexcall.hub import AlexHub
from alexphone.engine.alexcall.media_sockets import (
    audio_candidates,
    ipv6_reflexive,
    media_bounds,
)
from alexphone.engine.alexcall.session import AlexCall
from alexphone.engine.events import Event
from alexphone.engine.settings import PhoneSettings
from alexphone.net.media_port import MediaPort
from alexphone.sip.message import Headers

Address = tuple[str, int]
MAPPED6 = ("2001:db8::7", 50000)


def test_the_bound_of_the_remote_family_else_the_first() -> None:
    bounds = [("0.0.0.0", 16400), ("::", 16400)]
    assert media_bound_for(bounds, ("2001:db8::1", 9)) == ("::", 16400)
    assert media_bound_for(bounds, ("198.51.100.1", 9)) == ("0.0.0.0", 16400)
    assert media_bound_for(bounds[:1], ("2001:db8::1", 9)) == ("0.0.0.0", 16400)


def test_a_call_with_an_ipv6_pair_announces_both_families_for_audio(tmp_path: Path) -> None:
    async def scenario() -> None:
        port = MediaPort("127.0.0.1", start=17400)
        port.v6 = MediaPort("::1", start=port.port)
        try:
            events: list[Event] = []
            transport = RecordingSipTransport(5072)
            hub = AlexHub(transport, events.append, IdFactory(), profile=tmp_path)  # type: ignore[arg-type]
            session = AlexCall(
                hub, "call-1", Role.CONTROLLING, (port.host, port.port), "sip:peer@example.com"
            )
            v6 = (port.v6.host, port.v6.port)
            assert [c.address for c in session.add_audio_socket(v6)] == [("::1", port.v6.port)]
            assert session.add_audio_socket(v6) == []  # once only
            assert list(session.media_bounds) == media_bounds(port)
            assert session.keep_loopback  # ::1 is loopback too
            headers = Headers()
            session.announce(headers)
            items = headers.get_fields("ALEX-item")
            assert any(i.startswith(f"m0.1 udp [::1]:{port.v6.port};typ=host") for i in items)
            assert any(i.startswith(f"m0.1 udp 127.0.0.1:{port.port};typ=host") for i in items)
            audio = [c.address for c in audio_candidates(list(session.media_bounds))]
            assert audio == [("127.0.0.1", port.port), ("::1", port.v6.port)]
            hub.close()
        finally:
            port.close()

    asyncio.run(scenario())


def test_a_call_without_an_ipv6_pair_is_unchanged(tmp_path: Path) -> None:
    async def scenario() -> None:
        port = MediaPort("127.0.0.1", start=17500)
        try:
            hub = AlexHub(
                RecordingSipTransport(5074), lambda e: None, IdFactory(), profile=tmp_path
            )  # type: ignore[arg-type]
            session = AlexCall(hub, "c", Role.CONTROLLED, (port.host, port.port), "sip:p@x")
            assert port.v6 is None and media_bounds(port) == [(port.host, port.port)]
            assert list(session.media_bounds) == media_bounds(port)
            hub.close()
        finally:
            port.close()

    asyncio.run(scenario())


def test_an_ipv6_stun_server_adds_the_ipv6_pairs_srflx(tmp_path: Path) -> None:
    async def scenario() -> None:
        server6, address6 = await start_stun_server("::1", MAPPED6)
        server4, address4 = await start_stun_server("127.0.0.1", MAPPED6)
        port = MediaPort("127.0.0.1", start=17600)
        port.v6 = MediaPort("::1", start=port.port)
        try:
            hub = AlexHub(
                RecordingSipTransport(5076), lambda e: None, IdFactory(), profile=tmp_path
            )  # type: ignore[arg-type]
            session = AlexCall(hub, "c", Role.CONTROLLING, (port.host, port.port), "sip:p@x")
            session.add_audio_socket((port.v6.host, port.v6.port))
            v4_server = PhoneSettings(profile=tmp_path, stun=address4)
            assert await ipv6_reflexive(v4_server, port) == []
            assert server4.sources == []  # an IPv4 server cannot map the IPv6 pair
            hub.learn_sip_mapping(hub.sip_bound()[0], ("198.51.100.1", 5076))  # no sip STUN
            await session.gather(PhoneSettings(profile=tmp_path, stun=address6), port)
            assert ("::1", port.v6.port) in server6.sources
            srflx = [c for c in session.candidates if c.type is CandidateType.SRFLX]
            assert [(c.flow, c.address) for c in srflx] == [("m0.1", MAPPED6)]
            assert port.v6.sockets is not None  # borrowed only: the RtpSocket takes it later
            hub.close()
        finally:
            port.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))


class _Media:
    """Stands in for the RtpSocket: records what the session sends through it."""

    def __init__(self, awaited: Address) -> None:
        self.on_stun: object = None
        self.sent: list[Address] = []
        self.awaited = awaited
        self.reached = asyncio.Event()

    def send_rtp(self, data: bytes, remote: Address) -> None:
        self.sent.append(remote)
        if remote == self.awaited:
            self.reached.set()


def test_ipv6_audio_probes_leave_through_the_media_socket(tmp_path: Path) -> None:
    async def scenario() -> None:
        ours_port = MediaPort("127.0.0.1", start=17700)
        ours_port.v6 = MediaPort("::1", start=ours_port.port + 40)  # another port number
        theirs_port = MediaPort("127.0.0.1", start=17800)
        theirs_port.v6 = MediaPort("::1", start=theirs_port.port + 40)
        try:
            transport = RecordingSipTransport(5078)
            hub = AlexHub(transport, lambda e: None, IdFactory(), profile=tmp_path)  # type: ignore[arg-type]
            ours = AlexCall(hub, "a", Role.CONTROLLING, (ours_port.host, ours_port.port), "sip:b@x")
            theirs = AlexCall(
                hub, "b", Role.CONTROLLED, (theirs_port.host, theirs_port.port), "sip:a@x"
            )
            ours.add_audio_socket((ours_port.v6.host, ours_port.v6.port))
            theirs.add_audio_socket((theirs_port.v6.host, theirs_port.v6.port))
            headers = Headers()
            theirs.announce(headers)
            ours.peer_headers(headers, final=True)
            v6_remote = ("::1", theirs_port.v6.port)
            media = _Media(v6_remote)
            ours.attach_media(media)  # type: ignore[arg-type]
            ours.confirmed()
            await media.reached.wait()  # the agent's own paced checks (bounded by wait_for)
            assert all(local[1] == 5078 for _, local, _ in transport.sent)  # sip only there
            hub.close()
        finally:
            ours_port.close()
            theirs_port.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))
