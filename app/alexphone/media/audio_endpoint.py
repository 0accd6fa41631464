"""Audio sources and sinks: the stream pulls one frame per tick and pushes one per playout.

Every endpoint speaks 16-bit little-endian mono PCM at the rate it was opened with (the
codec's rate). Pacing comes from the stream's 20 ms loop timer, so a WAV file is read and
written in real time like a sound card would be. Files at another rate or with two channels
are converted on the fly; a source file that ends goes on as silence.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

import numpy as np

from alexphone.core.errors import ConfigError
from alexphone.media.audio_spec import AudioKind, AudioSpec
from alexphone.media.resampler import Resampler, to_pcm, to_samples

TONE_LEVEL = 0.25  # about -12 dBFS, loud enough to measure, far from clipping


class AudioSource(Protocol):
    """Gives PCM frames on demand; never blocks."""

    rate: int

    def read(self, samples: int) -> bytes:
        """Return exactly ``samples`` samples (16-bit LE mono at ``rate``)."""
        ...

    def close(self) -> None:
        """Release the file or device."""
        ...


class AudioSink(Protocol):
    """Takes PCM frames to play; never blocks."""

    rate: int

    def write(self, pcm: bytes) -> None:
        """Play ``pcm`` (16-bit LE mono at ``rate``)."""
        ...

    def close(self) -> None:
        """Finish the file or release the device."""
        ...


@runtime_checkable
class CapturingSource(Protocol):
    """A source that captures on its own clock (a microphone): it says what is waiting."""

    rate: int

    def available(self) -> int | None:
        """Return the samples (at ``rate``) captured and not yet read; None: not capturing."""
        ...


@runtime_checkable
class BufferedSink(Protocol):
    """A sink that plays on its own clock from a FIFO (a sound card): it says what is queued."""

    rate: int

    def queued(self) -> int | None:
        """Return the samples (at ``rate``) written but not yet played; None: not playing."""
        ...


class SilenceSource:
    """Digital silence."""

    def __init__(self, rate: int) -> None:
        self.rate = rate

    def read(self, samples: int) -> bytes:
        """Return ``samples`` zero samples."""
        return bytes(2 * samples)

    def close(self) -> None:
        """Nothing to release."""


class ToneSource:
    """A continuous sine wave at ``hz``."""

    def __init__(self, rate: int, hz: float) -> None:
        self.rate = rate
        self.hz = hz
        self._phase = 0.0
        self._period = 0  # an integer frequency repeats exactly every rate/gcd(rate, hz) samples
        self._at = 0  # where in that period the next sample is
        self._table = b""  # whole periods, synthesised once, enough for a 100 ms read
        if hz > 0 and float(hz).is_integer():
            self._period = rate // math.gcd(rate, int(hz))
            repeats = -(-(self._period + rate // 10) // self._period)
            self._table = self._synth(self._period * repeats)
            self._phase = 0.0

    def read(self, samples: int) -> bytes:
        """Return the next ``samples`` samples of the tone, phase-continuous."""
        if not self._period:
            return self._synth(samples)
        at = self._at
        self._at = (at + samples) % self._period
        if at + samples <= len(self._table) // 2:
            return self._table[2 * at : 2 * (at + samples)]
        self._phase = 2 * math.pi * self.hz * at / self.rate
        return self._synth(samples)

    def _synth(self, samples: int) -> bytes:
        step = 2 * math.pi * self.hz / self.rate
        phases = self._phase + step * np.arange(samples)
        self._phase = float((self._phase + step * samples) % (2 * math.pi))
        return to_pcm(np.sin(phases) * (TONE_LEVEL * 32767))

    def close(self) -> None:
        """Nothing to release."""


class BeepSource:
    """The call-waiting cue: two short beeps of ``hz``, then a pause, over and over."""

    PATTERN = ((0.2, True), (0.2, False), (0.2, True), (2.4, False))  # seconds, sounding
    LEVEL = 0.1  # softer than speech: a reminder, not a ringer

    def __init__(self, rate: int, hz: float = 440.0) -> None:
        self.rate = rate
        self._tone = ToneSource(rate, hz)
        self._mask = np.concatenate(
            [np.full(round(rate * seconds), on) for seconds, on in self.PATTERN]
        )
        self._at = 0

    def read(self, samples: int) -> bytes:
        """Return the next ``samples`` samples of the pattern."""
        index = (self._at + np.arange(samples)) % self._mask.size
        self._at = int((self._at + samples) % self._mask.size)
        tone = to_samples(self._tone.read(samples)) * (self.LEVEL / TONE_LEVEL)
        return to_pcm(np.where(self._mask[index], tone, 0.0))

    def close(self) -> None:
        """Nothing to release."""


class WavSource:
    """Reads a WAV file (any rate, mono or stereo 16-bit), then silence after its end."""

    def __init__(self, path: Path, rate: int) -> None:
        self.rate = rate
        try:
            self._wav = wave.open(str(path), "rb")  # noqa: SIM115 (kept open while read)
        except (OSError, EOFError, wave.Error) as exc:
            raise ConfigError(f"--audio-in: cannot read {path}: {exc}") from None
        if self._wav.getsampwidth() != 2 or self._wav.getnchannels() not in (1, 2):
            self._wav.close()
            raise ConfigError(f"--audio-in: {path}: need 16-bit mono or stereo PCM")
        self._channels = self._wav.getnchannels()
        self.seconds = self._wav.getnframes() / self._wav.getframerate()  # the file's length
        self._resampler = Resampler(self._wav.getframerate(), rate)
        self._pending = b""
        self.finished = False

    def read(self, samples: int) -> bytes:
        """Return the next ``samples`` samples of the file (silence once it has ended)."""
        want = 2 * samples
        while len(self._pending) < want and not self.finished:
            frames = max(1, math.ceil(samples * self._resampler.step))
            raw = self._wav.readframes(frames)
            if not raw:
                self.finished = True
                break
            if self._channels == 2:
                stereo = to_samples(raw).reshape(-1, 2)
                raw = to_pcm(stereo.mean(axis=1))
            self._pending += self._resampler.convert(raw)
        chunk, self._pending = self._pending[:want], self._pending[want:]
        return chunk + bytes(want - len(chunk))

    def close(self) -> None:
        """Close the file."""
        self._wav.close()


class NullSink:
    """Drops what it is given, counting samples."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.samples = 0

    def write(self, pcm: bytes) -> None:
        """Count and forget ``pcm``."""
        self.samples += len(pcm) // 2

    def close(self) -> None:
        """Nothing to release."""


class WavSink:
    """Writes a mono 16-bit WAV whose header is kept valid after every write."""

    def __init__(self, path: Path, rate: int) -> None:
        self.rate = rate
        self.path = path
        self.samples = 0
        try:
            self._file: BinaryIO | None = path.open("wb")
        except OSError as exc:
            raise ConfigError(f"--audio-out: cannot write {path}: {exc.strerror}") from None
        self._file.write(self._header(0))

    def _header(self, data_bytes: int) -> bytes:
        # RIFF/WAVE with a 16-byte PCM fmt chunk: 44 bytes, sizes patched as data grows
        fmt = struct.pack("<HHIIHH", 1, 1, self.rate, self.rate * 2, 2, 16)
        return (
            b"RIFF"
            + struct.pack("<I", 36 + data_bytes)
            + b"WAVEfmt "
            + struct.pack("<I", 16)
            + fmt
            + b"data"
            + struct.pack("<I", data_bytes)
        )

    def write(self, pcm: bytes) -> None:
        """Append ``pcm`` and patch the header so the file is readable at any moment."""
        if self._file is None:
            return
        self._file.write(pcm)
        self.samples += len(pcm) // 2
        data_bytes = 2 * self.samples
        self._file.seek(4)
        self._file.write(struct.pack("<I", 36 + data_bytes))
        self._file.seek(40)
        self._file.write(struct.pack("<I", data_bytes))
        self._file.seek(0, 2)

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def open_synthetic_source(spec: AudioSpec, rate: int) -> AudioSource:
    """Open a non-device source (file, tone, silence); ConfigError if it cannot be used."""
    match spec.kind:
        case AudioKind.FILE:
            assert spec.path is not None
            return WavSource(spec.path, rate)
        case AudioKind.TONE:
            return ToneSource(rate, spec.hz)
        case AudioKind.SILENCE:
            return SilenceSource(rate)
    raise ConfigError(f"--audio-in: {spec} is not a synthetic source")


def open_synthetic_sink(spec: AudioSpec, rate: int) -> AudioSink:
    """Open a non-device sink (file, null); ConfigError if it cannot be used."""
    match spec.kind:
        case AudioKind.FILE:
            assert spec.path is not None
            return WavSink(spec.path, rate)
        case AudioKind.NULL:
            return NullSink(rate)
    raise ConfigError(f"--audio-out: {spec} is not a synthetic sink")
