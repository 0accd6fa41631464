"""Ringtone, ringback and the test tone, played by the engine on the device the user chose.

The GUI asks with ``PlaySound``/``StopSound``; this controller opens the named output (a
sound card through the phone's PortAudio session, or ``file:``/``null`` like ``--audio-out``)
and ticks a ``SoundPlayer`` every 20 ms at absolute deadlines on the engine loop. One sound
plays at a time: a new one replaces the old. A single clip runs out, the device's queue
drains, then the device is closed. Trouble (no such file, no device) is one ``error`` event.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from alexphone.core.errors import AlexphoneError
from alexphone.engine.events import (
    AudioDeviceChanged,
    DeviceKind,
    ErrorReported,
    ErrorSource,
    Event,
)
from alexphone.media.audio_device import CHUNKS_KEPT, PortAudio, open_sink
from alexphone.media.audio_spec import parse_audio_out
from alexphone.media.sound_player import TICK_SECONDS, SoundPlayer, load_clip

log = logging.getLogger(__name__)
RATE = 48000  # clips are converted once; the sink converts to the device's own rate
DRAIN_TICKS = CHUNKS_KEPT  # after a single clip: let the device play what it has queued


class SoundController:
    """Plays at most one sound at a time for the GUI."""

    def __init__(self, audio: PortAudio, emit: Callable[[Event], None]) -> None:
        self.audio = audio
        self.emit = emit
        self.player: SoundPlayer | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._next = 0.0
        self._drain = 0
        self.finished = asyncio.Event()  # set whenever no sound is playing
        self.finished.set()

    def play(self, path: str, device: str, repeat: bool) -> None:
        """Play the WAV at ``path`` on ``device`` (once, or until ``stop`` if ``repeat``)."""
        self.stop()
        try:
            spec = parse_audio_out(device)
            clip = load_clip(Path(path), RATE)
            sink = open_sink(spec, RATE, self.audio, self._report)
        except (AlexphoneError, OSError) as exc:
            self.emit(ErrorReported(ErrorSource.SOUND, f"cannot play {path}: {exc}"))
            return
        self.player = SoundPlayer(sink, clip, repeat=repeat)
        self.finished.clear()
        self._drain = DRAIN_TICKS
        loop = asyncio.get_running_loop()
        self._next = loop.time()
        self._tick()

    def _report(self, device: str, reason: str) -> None:
        self.emit(AudioDeviceChanged(DeviceKind.OUTPUT, device, f"sound: {reason}"))

    def _tick(self) -> None:
        player = self.player
        if player is None:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self._next > DRAIN_TICKS * TICK_SECONDS:  # the loop stalled: start again
            self._next = now
        while self._next <= now:
            if player.done:
                self._drain -= 1
            player.tick()
            self._next += TICK_SECONDS
        if self._drain <= 0:
            self.stop()
            return
        self._handle = loop.call_at(self._next, self._tick)

    def stop(self) -> None:
        """Stop the sound now and release its device."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        player, self.player = self.player, None
        if player is not None:
            player.close()
        self.finished.set()
