"""The capture path with audio processing: microphone → AEC/NS/AGC → what the stream encodes.

A ``ProcessedSource`` is an ``AudioSource`` around the real one. Before each read it feeds
the echo canceller what the speaker played since the last read (``RenderTap``: a sound card
reports what its callback handed to the device, underrun silence included; any other sink
reports what was written to it) and refreshes the delay hint from the latencies both devices
report. The stream driving it sees an ordinary source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from alexphone.media.audio_device import DeviceSink, DeviceSource
from alexphone.media.audio_endpoint import AudioSink, AudioSource, CapturingSource
from alexphone.media.audio_processing import AudioProcessing

log = logging.getLogger(__name__)
Report = Callable[[str], None]  # one line saying what failed


class RenderTap(Protocol):
    """A sink that can tell what it has played."""

    rate: int
    latency: float  # seconds between handing audio over and it leaving the speaker

    def take_played(self) -> bytes:
        """Return the PCM played since the last call (16-bit LE mono at ``rate``)."""
        ...


class TappedSink:
    """Wraps a sink without a device clock (file, null): what is written counts as played."""

    latency = 0.0

    def __init__(self, sink: AudioSink) -> None:
        self.sink = sink
        self.rate = sink.rate
        self._written: list[bytes] = []

    def write(self, pcm: bytes) -> None:
        """Play ``pcm`` and keep it as the echo reference."""
        self.sink.write(pcm)
        self._written.append(pcm)

    def take_played(self) -> bytes:
        """Return what was written since the last call."""
        played, self._written = b"".join(self._written), []
        return played

    def close(self) -> None:
        """Close the wrapped sink."""
        self.sink.close()


class ProcessedSource:
    """Reads the wrapped source and returns it cleaned against what ``tap`` played."""

    def __init__(
        self,
        source: AudioSource,
        tap: RenderTap | None,
        processing: AudioProcessing,
        capture_latency: Callable[[], float] = lambda: 0.0,
        on_failure: Report | None = None,
    ) -> None:
        if processing.rate != source.rate or (tap is not None and tap.rate != source.rate):
            raise ValueError("the source, the tap and the processing must share one rate")
        self.source = source
        self.rate = source.rate
        self.tap = tap
        self.processing = processing
        self.capture_latency = capture_latency
        self.on_failure = on_failure
        self.failed = False
        # resolved once: an isinstance check against a runtime Protocol is slow per frame
        self._backlog = source.available if isinstance(source, CapturingSource) else None

    def read(self, samples: int) -> bytes:
        """Return ``samples`` processed samples (16-bit LE mono at ``rate``)."""
        played = self.tap.take_played() if self.tap is not None else b""
        captured = self.source.read(samples)
        if self.failed:
            return captured
        render_latency = self.tap.latency if self.tap is not None else 0.0
        try:
            self.processing.analyze_render(played)
            self.processing.delay_ms = round(1000 * (self.capture_latency() + render_latency))
            return self.processing.process_capture(captured)
        except (RuntimeError, ValueError) as exc:  # what the binding raises on bad input
            self.failed = True
            log.warning("audio processing failed, the call goes on without it: %s", exc)
            if self.on_failure is not None:
                self.on_failure(f"no echo cancellation: {exc}")
            return captured

    def available(self) -> int | None:
        """Return what the wrapped microphone captured and not read (None: no clock of its own)."""
        return self._backlog() if self._backlog is not None else None

    def close(self) -> None:
        """Close the wrapped source."""
        self.source.close()


def with_processing(
    source: AudioSource,
    sink: AudioSink,
    processing: AudioProcessing,
    on_failure: Report | None = None,
) -> tuple[ProcessedSource, AudioSink]:
    """Return ``source`` cleaned by ``processing`` against what ``sink`` plays, and the sink."""
    tap: RenderTap
    if isinstance(sink, DeviceSink):
        tap = sink
    else:
        tap = sink = TappedSink(sink)
    if isinstance(source, DeviceSource):
        device = source
        return ProcessedSource(source, tap, processing, lambda: device.latency, on_failure), sink
    return ProcessedSource(source, tap, processing, on_failure=on_failure), sink
