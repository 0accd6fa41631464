"""The asyncio driver on loopback: paced frames reach the peer socket; silence times out."""

from __future__ import annotations

import asyncio
import random
import socket

from alexphone.media.audio_endpoint import NullSink, ToneSource
from alexphone.media.stream import MediaStream, StreamStats
from alexphone.media.stream_driver import StreamDriver
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.rtp.demux import PacketKind, classify
from alexphone.rtp.packet import RtpPacket
from alexphone.sdp.attribute import Direction
from alexphone.sdp.codec import PCMU
from alexphone.sdp.offer_answer import NegotiatedMedia


async def _drive(media_timeout: float) -> tuple[list[bytes], float, StreamStats | None, int]:
    loop = asyncio.get_running_loop()
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.setblocking(False)
    port = MediaPort("127.0.0.1", 20000)
    rtp = RtpSocket(lambda d, a: None, lambda d, a: None)
    await rtp.open(port)
    timed_out: asyncio.Future[float] = loop.create_future()
    driver = StreamDriver(
        rtp,
        on_stats=lambda s: None,
        on_dtmf=lambda d: None,
        on_timeout=lambda: timed_out.set_result(loop.time()),
        media_timeout=media_timeout,
    )
    remote = peer.getsockname()
    media = NegotiatedMedia(PCMU, None, ("127.0.0.1", port.port), remote, Direction.SENDRECV, 20,
                            (PCMU,), None, (remote[0], remote[1] + 1))  # fmt: skip
    stream = MediaStream(media, ToneSource(8000, 440), NullSink(8000), rtp.send_rtp, rtp.send_rtcp,
                         rng=random.Random(3), ssrc=7, cname="t@x")  # fmt: skip
    started = loop.time()
    driver.start(stream)
    # a STUN binding request on the media socket is not RTP: dropped and counted
    peer.sendto(b"\x00\x01\x00\x00" + bytes(16), ("127.0.0.1", port.port))
    await asyncio.wait_for(timed_out, 5)
    received = []
    while True:
        try:
            received.append(peer.recv(2048))
        except BlockingIOError:
            break
    stats = driver.stop()
    peer.close()
    return received, timed_out.result() - started, stats, rtp.dropped


def test_frames_are_paced_and_a_silent_peer_times_out() -> None:
    received, elapsed, stats, dropped = asyncio.run(_drive(media_timeout=0.4))
    rtp = [RtpPacket.parse(d) for d in received if classify(d) is PacketKind.RTP]
    assert 0.4 <= elapsed < 0.8  # ended by the media timeout, not before
    assert abs(len(rtp) - elapsed / 0.02) <= 3  # one packet per 20 ms, paced
    assert [p.sequence - rtp[0].sequence for p in rtp] == list(range(len(rtp)))
    assert rtp[0].marker and all(p.payload_type == 0 and len(p.payload) == 160 for p in rtp)
    assert stats is not None and stats.sent >= len(rtp)
    assert dropped == 1
