"""Runs a MediaStream on the event loop: the 20 ms frame clock, RTCP, stats and media timeout.

The four schedules are deadlines of one sans-I/O core (``get_timer``/``handle_timer``) that a
CoreDriver keeps on a single loop timer. Frames run at absolute deadlines (start + n·20 ms) so
pacing does not drift; if the loop was held up, the missed frames run at once (up to
``MAX_CATCH_UP``), beyond that the schedule restarts from now. Datagrams come from the call's
RtpSocket stamped with ``loop.time()``. The driver reports through callbacks: stats every
``stats_interval``, DTMF digits after each run of the schedules, and ``on_timeout`` when
nothing came for ``media_timeout``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from alexphone.core.address import Address
from alexphone.media.stream import FRAME_SECONDS, MediaStream, StreamStats
from alexphone.net.core_driver import CoreDriver, Scheduler
from alexphone.net.rtp_socket import RtpSocket

log = logging.getLogger(__name__)
MAX_CATCH_UP = 10  # frames run back to back after a loop stall (200 ms)


class StreamDriver:
    """Owns one call's schedules around a MediaStream and its socket."""

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
        loop: Scheduler | None = None,
    ) -> None:
        self.socket = socket
        self.stream: MediaStream | None = None
        self.on_stats = on_stats
        self.on_dtmf = on_dtmf
        self.on_timeout = on_timeout
        self.media_timeout = media_timeout
        self.stats_interval = stats_interval
        self.wall = wall
        self._driver = CoreDriver(self, self._flush, loop=loop)
        self._due: dict[str, float] = {}  # schedule name → next deadline (loop time)
        self._next_frame = 0.0
        self._started_at = 0.0
        self.frame_hook: Callable[[float], None] | None = None  # benchmarks: time of each tick
        self._watch_period = min(1.0, media_timeout / 4)
        socket.on_rtp = self._on_rtp
        socket.on_rtcp = self._on_rtcp

    def start(self, stream: MediaStream) -> None:
        """Start the schedules for ``stream``."""
        self.stream = stream
        now = self._driver.now()
        self._started_at = now
        self._next_frame = now + FRAME_SECONDS
        self._due = {
            "frame": self._next_frame,
            "rtcp": now + stream.rtcp_interval(),
            "stats": now + self.stats_interval,
            "watch": now + self._watch_period,
        }
        self._driver.transmit()

    # -- the core: four deadlines, one timer ---------------------------------------------------
    def get_timer(self) -> float | None:
        """Return the earliest deadline of the running stream, None once stopped."""
        if self.stream is None or not self._due:
            return None
        return min(self._due.values())

    def handle_timer(self, now: float) -> None:
        """Run every schedule due at ``now``: frames, RTCP report, stats, media watch."""
        for name, run in (
            ("frame", self._frame),
            ("rtcp", self._rtcp),
            ("stats", self._stats),
            ("watch", self._watch),
        ):
            if self.stream is not None and self._due.get(name, now + 1) <= now:
                run(now)

    def _flush(self, now: float) -> None:
        stream = self.stream
        while stream is not None and stream.dtmf_received:
            self.on_dtmf(stream.dtmf_received.popleft())

    def _frame(self, now: float) -> None:
        stream = self.stream
        assert stream is not None
        stall = now - self._next_frame
        if stall > MAX_CATCH_UP * FRAME_SECONDS:
            log.debug("media loop stalled %.0f ms: restarting the frame clock", 1000 * stall)
            self._next_frame = now
        while self._next_frame <= now:
            try:
                stream.tick(self._next_frame)
            except Exception:  # an endpoint failed: keep the call, lose this frame
                log.exception("media frame failed")
            if self.frame_hook is not None:
                self.frame_hook(self._next_frame)
            self._next_frame += FRAME_SECONDS
        self._due["frame"] = self._next_frame

    def _rtcp(self, now: float) -> None:
        stream = self.stream
        assert stream is not None
        stream.send_report(now, self.wall())
        self._due["rtcp"] = now + stream.rtcp_interval()

    def _stats(self, now: float) -> None:
        assert self.stream is not None
        self.on_stats(self.stream.stats())
        self._due["stats"] = now + self.stats_interval

    def _watch(self, now: float) -> None:
        """End the call when a receiving stream heard nothing for ``media_timeout``."""
        stream = self.stream
        assert stream is not None
        last = stream.last_received if stream.last_received is not None else self._started_at
        if stream.receiving and now - last > self.media_timeout:
            del self._due["watch"]  # once: the owner ends the call
            self.on_timeout()
            return
        if not stream.receiving:
            self._started_at = now  # the clock starts again when we expect media again
            stream.last_received = None
        self._due["watch"] = now + self._watch_period

    # -- input -------------------------------------------------------------------------------
    def _on_rtp(self, data: bytes, addr: Address) -> None:
        if self.stream is not None:
            self.stream.receive_rtp(data, addr, self._driver.now())

    def _on_rtcp(self, data: bytes, addr: Address) -> None:
        if self.stream is not None:
            self.stream.receive_rtcp(data, addr, self._driver.now(), self.wall())

    def stop(self) -> StreamStats | None:
        """Send RTCP BYE, stop the schedules, close the socket and endpoints; the final stats."""
        self._driver.close()
        self._due.clear()
        stream, self.stream = self.stream, None
        stats = None
        if stream is not None:
            stats = stream.stats()
            stream.send_report(self._driver.now(), self.wall(), bye=True)
            stream.source.close()
            stream.sink.close()
        self.socket.close()
        return stats
