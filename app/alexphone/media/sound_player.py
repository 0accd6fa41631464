"""Ringtone, ringback and test tone: a WAV clip played through a sink, 20 ms per tick.

The clip is read whole (they are a few seconds long) and converted to the sink's rate; the
caller ticks the player every 20 ms, as the media stream is ticked, so a sound card's bounded
queue is fed at its own pace. A repeating clip starts over when it ends; a single one says it
is done and the caller closes it.
"""

from __future__ import annotations

from pathlib import Path

from alexphone.media.audio_endpoint import AudioSink, WavSource

TICK_SECONDS = 0.020
MAX_CLIP_SECONDS = 60  # a ringtone longer than this is cut


def load_clip(path: Path, rate: int) -> bytes:
    """Return the WAV at ``path`` as 16-bit mono PCM at ``rate``; ConfigError if unreadable."""
    source = WavSource(path, rate)
    try:
        seconds = min(source.seconds, MAX_CLIP_SECONDS)
        return source.read(round(seconds * rate))
    finally:
        source.close()


class SoundPlayer:
    """Feeds one clip to ``sink``, once or over and over."""

    def __init__(self, sink: AudioSink, clip: bytes, *, repeat: bool) -> None:
        self.sink = sink
        self.clip = clip
        self.repeat = repeat
        self.frame_bytes = 2 * round(sink.rate * TICK_SECONDS)
        self._position = 0

    @property
    def done(self) -> bool:
        """Tell whether a single clip has been handed over completely."""
        return not self.repeat and self._position >= len(self.clip)

    def tick(self) -> None:
        """Hand the sink the next 20 ms (silence once a single clip is done)."""
        if not self.clip:
            self.sink.write(bytes(self.frame_bytes))
            return
        frame = self.clip[self._position : self._position + self.frame_bytes]
        self._position += self.frame_bytes
        if self.repeat and self._position >= len(self.clip):
            self._position -= len(self.clip)
            frame += self.clip[: self._position]
        self.sink.write(frame + bytes(self.frame_bytes - len(frame)))

    def close(self) -> None:
        """Release the sink."""
        self.sink.close()
