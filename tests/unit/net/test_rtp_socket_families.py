"""An RtpSocket with an IPv6 pair: receives on both, sends from the destination's family;
multiplexed RTCP (RFC 5761) leaves from the RTP port."""

from __future__ import annotations

import asyncio
import socket

from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket

Address = tuple[str, int]
RTP = bytes([0x80, 0x00, 0x00, 0x01]) + bytes(8)  # version 2, PT 0 (RFC 7983: RTP)
RTCP = bytes([0x81, 0xC8, 0x00, 0x06]) + bytes(24)  # sender report


def _peer(family: int, host: str) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.setblocking(False)
    return sock


async def _recv(sock: socket.socket) -> tuple[bytes, Address]:
    loop = asyncio.get_running_loop()
    data, addr = await asyncio.wait_for(loop.sock_recvfrom(sock, 2048), 2.0)
    return data, (str(addr[0]), int(addr[1]))


def test_each_family_sends_from_its_own_pair_and_both_receive() -> None:
    async def scenario() -> None:
        port = MediaPort("127.0.0.1", start=17300)
        port.v6 = MediaPort("::1", start=port.port)
        got: list[tuple[str, Address]] = []
        both: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def record(kind: str, addr: Address) -> None:
            got.append((kind, addr))
            if len(got) == 2 and not both.done():
                both.set_result(None)

        media = RtpSocket(lambda d, a: record("rtp", a), lambda d, a: record("rtcp", a))
        await media.open(port)
        peer4, peer6 = _peer(socket.AF_INET, "127.0.0.1"), _peer(socket.AF_INET6, "::1")
        try:
            assert media.local6 == ("::1", port.v6.port)
            here6 = (str(peer6.getsockname()[0]), int(peer6.getsockname()[1]))
            here4 = (str(peer4.getsockname()[0]), int(peer4.getsockname()[1]))
            media.send_rtp(RTP, here6)
            data, source = await _recv(peer6)
            assert data == RTP and source == ("::1", port.v6.port)
            media.send_rtcp(RTCP, here6)
            _, source = await _recv(peer6)
            assert source == ("::1", port.v6.port + 1)
            media.send_rtp(RTP, here4)
            _, source = await _recv(peer4)
            assert source == ("127.0.0.1", port.port)
            peer6.sendto(RTP, ("::1", port.v6.port))
            peer4.sendto(RTCP, ("127.0.0.1", port.port))
            await asyncio.wait_for(both, 2.0)
            assert sorted((kind, addr[0]) for kind, addr in got) == [
                ("rtcp", "127.0.0.1"),
                ("rtp", "::1"),
            ]
        finally:
            media.close()
            peer4.close()
            peer6.close()

    asyncio.run(scenario())


def test_multiplexed_rtcp_leaves_from_the_rtp_port() -> None:
    async def scenario() -> None:
        port = MediaPort("127.0.0.1", start=17320)
        media = RtpSocket(lambda d, a: None, lambda d, a: None)
        await media.open(port)
        peer = _peer(socket.AF_INET, "127.0.0.1")
        here = (str(peer.getsockname()[0]), int(peer.getsockname()[1]))
        try:
            media.send_rtcp(RTCP, here)
            assert (await _recv(peer))[1] == ("127.0.0.1", port.port + 1)
            media.rtcp_mux = True  # RFC 5761 §5.1.1
            media.send_rtcp(RTCP, here)
            assert await _recv(peer) == (RTCP, ("127.0.0.1", port.port))
        finally:
            media.close()
            peer.close()

    asyncio.run(scenario())
