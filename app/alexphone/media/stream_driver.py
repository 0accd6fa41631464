"""Runs a MediaStream on the event loop: the 20 ms frame timer, RTCP timer and media timeout.

The frame timer is armed at absolute deadlines (start + n·20 ms) so pacing does not drift;
if the loop was held up, the missed frames run at once (up to ``MAX_CATCH_UP``), beyond that
the schedule restarts from now. Datagrams come from the call's RtpSocket stamped with
``loop.time()``. The driver reports through callbacks: stats every ``stats_interval``,
DTMF digits as they arrive, and ``on_timeout`` when nothing came for ``media_timeout``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.media.stream import FRAME_SECONDS, MediaStream, StreamStats
from alexphone.net.rtp_socket import RtpSocket

log = logging.getLogger(__name__)
MAX_CATCH_UP = 10  # frames run back to back after a loop stall (200 ms)


class StreamDriver:
    """Owns one call's timers around a MediaStream and its socket."""

    def __init__(
        self,
        socket: RtpSocket,
        *,
        on_stats: Callable[[StreamStats], None],
        on_dtmf: Callable[[str], None],
        on_timeout: Callable[[], None],
        media_timeout: float = 30.0,
        stats_interval: float = 5.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.socket = socket
        self.stream: MediaStream | None = None
        self.on_stats = on_stats
        self.on_dtmf = on_dtmf
        self.on_timeout = on_timeout
        self.media_timeout = media_timeout
        self.stats_interval = stats_interval
        self.wall = wall
        self.loop = asyncio.get_running_loop()
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._next_frame = 0.0
        self._started_at = 0.0
        self.frame_hook: Callable[[float], None] | None = None  # benchmarks: time of each tick
        self._watch_period = min(1.0, media_timeout / 4)
        socket.on_rtp = self._on_rtp
        socket.on_rtcp = self._on_rtcp

    def start(self, stream: MediaStream) -> None:
        """Start the timers for ``stream``."""
        self.stream = stream
        now = self.loop.time()
        self._started_at = now
        self._next_frame = now + FRAME_SECONDS
        self._arm("frame", self._next_frame, self._frame)
        self._arm("rtcp", now + stream.rtcp_interval(), self._rtcp)
        self._arm("stats", now + self.stats_interval, self._stats)
        self._arm("watch", now + self._watch_period, self._watch)

    def _arm(self, name: str, when: float, callback: Callable[[], None]) -> None:
        old = self._handles.pop(name, None)
        if old is not None:
            old.cancel()
        self._handles[name] = self.loop.call_at(when, callback)

    def _frame(self) -> None:
        stream = self.stream
        if stream is None:
            return
        now = self.loop.time()
        if now - self._next_frame > MAX_CATCH_UP * FRAME_SECONDS:
            log.debug("media loop stalled %.0f ms: restarting the frame clock", 1000 * now)
            self._next_frame = now
        while self._next_frame <= now:
            try:
                stream.tick(self._next_frame)
            except Exception:  # an endpoint failed: keep the call, lose this frame
                log.exception("media frame failed")
            if self.frame_hook is not None:
                self.frame_hook(self._next_frame)
            self._next_frame += FRAME_SECONDS
        while stream.dtmf_received:
            self.on_dtmf(stream.dtmf_received.popleft())
        self._arm("frame", self._next_frame, self._frame)

    def _rtcp(self) -> None:
        stream = self.stream
        if stream is None:
            return
        stream.send_report(self.loop.time(), self.wall())
        self._arm("rtcp", self.loop.time() + stream.rtcp_interval(), self._rtcp)

    def _stats(self) -> None:
        if self.stream is None:
            return
        self.on_stats(self.stream.stats())
        self._arm("stats", self.loop.time() + self.stats_interval, self._stats)

    def _watch(self) -> None:
        """End the call when a receiving stream heard nothing for ``media_timeout``."""
        stream = self.stream
        if stream is None:
            return
        now = self.loop.time()
        last = stream.last_received if stream.last_received is not None else self._started_at
        if stream.receiving and now - last > self.media_timeout:
            self.on_timeout()
            return
        if not stream.receiving:
            self._started_at = now  # the clock starts again when we expect media again
            stream.last_received = None
        self._arm("watch", now + self._watch_period, self._watch)

    def _on_rtp(self, data: bytes, addr: Address) -> None:
        if self.stream is not None:
            self.stream.receive_rtp(data, addr, self.loop.time())

    def _on_rtcp(self, data: bytes, addr: Address) -> None:
        if self.stream is not None:
            self.stream.receive_rtcp(data, addr, self.loop.time(), self.wall())

    def stop(self) -> StreamStats | None:
        """Send RTCP BYE, stop the timers, close the socket and endpoints; the final stats."""
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        stream, self.stream = self.stream, None
        stats = None
        if stream is not None:
            stats = stream.stats()
            stream.send_report(self.loop.time(), self.wall(), bye=True)
            stream.source.close()
            stream.sink.close()
        self.socket.close()
        return stats
