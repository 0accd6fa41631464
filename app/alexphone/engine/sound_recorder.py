"""The audio check's recorder: a few seconds of the chosen microphone into a WAV file.

The set-up assistant asks with ``RecordSound`` and plays the file back with ``PlaySound``.
Like the sound player, it runs on the engine loop, reading one 20 ms frame per tick at
absolute deadlines, and reports the microphone's level every 100 ms as ``sound.recording``
events, so the assistant's meter moves while the user speaks; the last event says the
recording is done (with its loudest 100 ms) or failed. One recording at a time.
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
    RecordingState,
    SoundRecording,
)
from alexphone.media.audio_device import PortAudio, open_source
from alexphone.media.audio_endpoint import AudioSource, WavSink
from alexphone.media.audio_spec import parse_audio_in
from alexphone.media.stream import LEVEL_FRAMES, SILENCE_DB, RmsLevel

log = logging.getLogger(__name__)
RATE = 48000
FRAME = RATE // 50  # 20 ms
TICK = 0.020
MAX_SECONDS = 30.0


class SoundRecorder:
    """Records at most one clip at a time for the GUI's audio check."""

    def __init__(self, audio: PortAudio, emit: Callable[[Event], None]) -> None:
        self.audio = audio
        self.emit = emit
        self._source: AudioSource | None = None
        self._sink: WavSink | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._path = ""
        self._frames_left = 0
        self._frames = 0
        self._level = RmsLevel()
        self._loudest = SILENCE_DB
        self._next = 0.0

    def record(self, path: str, device: str, seconds: float) -> None:
        """Record ``seconds`` (at most 30) from ``device`` into the WAV at ``path``."""
        self.stop()
        self._path = path
        try:
            spec = parse_audio_in(device)
            sink = WavSink(Path(path), RATE)
        except (AlexphoneError, OSError) as exc:
            self._failed(f"cannot record to {path}: {exc}")
            return
        try:
            self._source = open_source(spec, RATE, self.audio, self._report)
        except (AlexphoneError, OSError) as exc:
            sink.close()
            self._failed(f"cannot record from {device}: {exc}")
            return
        self._sink = sink
        self._frames_left = max(1, round(min(seconds, MAX_SECONDS) / TICK))
        self._frames = 0
        self._level = RmsLevel()
        self._loudest = SILENCE_DB
        self._next = asyncio.get_running_loop().time()
        self._tick()

    def stop(self) -> None:
        """Stop a recording early (what was recorded so far is kept) and free the microphone."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        source, self._source = self._source, None
        sink, self._sink = self._sink, None
        if source is not None:
            source.close()
        if sink is not None:
            sink.close()
            self.emit(SoundRecording(self._path, RecordingState.DONE, self._loudest, self._secs))

    @property
    def _secs(self) -> float:
        return round(self._frames * TICK, 3)

    def _tick(self) -> None:
        source, sink = self._source, self._sink
        if source is None or sink is None:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._next <= now and self._frames_left > 0:
            pcm = source.read(FRAME)
            sink.write(pcm)
            self._level.feed(pcm)
            self._frames += 1
            self._frames_left -= 1
            self._next += TICK
            if self._frames % LEVEL_FRAMES == 0:
                self._loudest = max(self._loudest, self._level.db)
                level = SoundRecording(
                    self._path, RecordingState.RECORDING, self._level.db, self._secs
                )
                self.emit(level)
        if self._frames_left <= 0:
            self.stop()
            return
        self._handle = loop.call_at(self._next, self._tick)

    def _failed(self, message: str) -> None:
        self.emit(ErrorReported(ErrorSource.SOUND, message))
        self.emit(SoundRecording(self._path, RecordingState.FAILED, SILENCE_DB, 0.0))

    def _report(self, device: str, reason: str) -> None:
        self.emit(AudioDeviceChanged(DeviceKind.INPUT, device, f"recording: {reason}"))
