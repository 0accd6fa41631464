"""gather_for_call on loopback: STUN from a MediaPort it only borrows, or an open RtpSocket."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alex_fakes import start_stun_server

from alexphone.alex.candidate import CandidateType
from alexphone.engine.alexcall.gathering import SipMapping, address_lines, gather_for_call
from alexphone.engine.settings import PhoneSettings
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.stun.message import binding_request

Address = tuple[str, int]
MAPPED = ("203.0.113.7", 50000)


def test_media_port_is_borrowed_and_given_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        server, address = await start_stun_server("127.0.0.1", MAPPED)
        port = MediaPort("127.0.0.1")
        try:
            settings = PhoneSettings(profile=tmp_path, stun=address)
            found = await gather_for_call(
                settings,
                media=[("m0.1", port)],
                sip=[SipMapping(("192.0.2.5", 5060), ("198.51.100.11", 5060))],
            )
            assert server.sources == [("127.0.0.1", port.port)]
            assert [(c.flow, c.type, c.address) for c in found.candidates] == [
                ("sip", CandidateType.HOST, ("192.0.2.5", 5060)),
                ("sip", CandidateType.SRFLX, ("198.51.100.11", 5060)),
                ("m0.1", CandidateType.SRFLX, MAPPED),
            ]
            assert port.sockets is not None and port.sockets[0].fileno() >= 0  # still ours
            (line,) = [x for x in address_lines(found, False) if " m0.1 " in x]
            assert line.startswith("ALEX-item: m0.1 udp 203.0.113.7:50000;typ=srflx;")
        finally:
            port.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))


def test_open_rtp_socket_hands_stun_back_to_its_handler(tmp_path: Path) -> None:
    async def scenario() -> None:
        _, address = await start_stun_server("127.0.0.1", MAPPED)
        stray: list[bytes] = []
        rtp = RtpSocket(lambda d, a: None, lambda d, a: None, lambda d, a: stray.append(d))
        await rtp.open(MediaPort("127.0.0.1"))
        try:
            settings = PhoneSettings(profile=tmp_path, stun=address)
            found = await gather_for_call(settings, media=[("m0.1", rtp)])
            assert [c.address for c in found.candidates] == [MAPPED]
            assert rtp.on_stun is not None
            rtp.on_stun(binding_request(b"y" * 12), address)  # the check engine's again
            assert len(stray) == 1
        finally:
            rtp.close()

    asyncio.run(asyncio.wait_for(scenario(), 10))
