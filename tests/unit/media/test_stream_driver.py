"""StreamDriver: frames paced on a fake loop (counted, not timed); on loopback, frames reach the
peer socket and a silent peer times out."""

from __future__ import annotations

import asyncio
import random
import socket

from alexphone.media.audio_endpoint import NullSink, ToneSource
from alexphone.media.stream import FRAME_SECONDS, MediaStream, StreamStats
from alexphone.media.stream_driver import MAX_CATCH_UP, StreamDriver
from alexphone.net.media_port import MediaPort
from alexphone.net.rtp_socket import RtpSocket
from alexphone.rtp.demux import PacketKind, classify
from alexphone.rtp.packet import RtpPacket
from alexphone.sdp.attribute import Direction
from alexphone.sdp.codec import PCMU
from alexphone.sdp.offer_answer import NegotiatedMedia
from fake_loop import FakeLoop


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
    assert elapsed >= 0.4  # ended by the media timeout, not before (pacing: the fake-loop tests)
    assert len(rtp) >= 2
    assert [p.sequence - rtp[0].sequence for p in rtp] == list(range(len(rtp)))
    assert rtp[0].marker and all(p.payload_type == 0 and len(p.payload) == 160 for p in rtp)
    assert stats is not None and stats.sent >= len(rtp)
    assert dropped == 1


class FakeSocket:
    """The RtpSocket surface the driver touches: its callbacks and close()."""

    def __init__(self) -> None:
        self.on_rtp: object = None
        self.on_rtcp: object = None
        self.closed = False

    def close(self) -> None:
        """Remember that the driver closed it."""
        self.closed = True


def _on_fake_loop(
    media_timeout: float = 30.0,
) -> tuple[FakeLoop, StreamDriver, list[bytes], list[StreamStats], list[float]]:
    loop = FakeLoop()
    loop.now = 100.0
    sent: list[bytes] = []
    stats: list[StreamStats] = []
    timeouts: list[float] = []
    driver = StreamDriver(
        FakeSocket(),  # type: ignore[arg-type]
        on_stats=stats.append,
        on_dtmf=lambda d: None,
        on_timeout=lambda: timeouts.append(loop.now),
        media_timeout=media_timeout,
        stats_interval=1.0,
        wall=lambda: 1_700_000_000.0,
        loop=loop,
    )
    remote = ("127.0.0.1", 40000)
    media = NegotiatedMedia(PCMU, None, ("127.0.0.1", 20000), remote, Direction.SENDRECV, 20,
                            (PCMU,), None, (remote[0], remote[1] + 1))  # fmt: skip
    stream = MediaStream(media, ToneSource(8000, 440), NullSink(8000),
                         lambda d, a: sent.append(d), lambda d, a: None,
                         rng=random.Random(3), ssrc=7, cname="t@x")  # fmt: skip
    driver.start(stream)
    return loop, driver, sent, stats, timeouts


def _rtp(sent: list[bytes]) -> list[RtpPacket]:
    return [RtpPacket.parse(d) for d in sent if classify(d) is PacketKind.RTP]


def test_one_frame_per_20_ms_on_one_loop_timer() -> None:
    loop, driver, sent, stats, _ = _on_fake_loop()
    loop.advance(102.0)  # two seconds
    rtp = _rtp(sent)
    assert len(rtp) == round(2.0 / FRAME_SECONDS)
    assert [p.sequence - rtp[0].sequence for p in rtp] == list(range(len(rtp)))
    assert len(stats) == 2  # every stats_interval (1 s)
    assert len(loop.pending()) == 1  # frames, RTCP, stats and watch share one timer
    driver.stop()
    assert loop.pending() == []


def test_a_short_stall_catches_up_and_a_long_one_restarts_the_frame_clock() -> None:
    loop, driver, sent, _, _ = _on_fake_loop()
    loop.advance(100.0 + 5 * FRAME_SECONDS)  # the first five frames
    assert len(_rtp(sent)) == 5
    loop.now += 5 * FRAME_SECONDS  # the loop was held up 100 ms: five frames are due at once
    loop.advance(loop.now)
    assert len(_rtp(sent)) == 10
    loop.now += (MAX_CATCH_UP + 5) * FRAME_SECONDS  # 300 ms: beyond the catch-up
    loop.advance(loop.now)
    assert len(_rtp(sent)) == 11  # one frame now, the missed ones are dropped
    driver.stop()


def test_a_silent_peer_times_out_once_after_media_timeout() -> None:
    loop, driver, _, _, timeouts = _on_fake_loop(media_timeout=0.4)
    loop.advance(102.0)
    assert len(timeouts) == 1
    assert 100.4 < timeouts[0] <= 100.4 + 0.1  # the watch runs every media_timeout / 4
    driver.stop()
