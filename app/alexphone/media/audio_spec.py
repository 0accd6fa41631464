"""What ``--audio-in`` and ``--audio-out`` name: a device, a WAV file, a tone, silence, nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from alexphone.core.errors import ConfigError

MAX_TONE_HZ = 20000


class AudioKind(Enum):
    """The kinds of audio endpoint."""

    DEVICE = "device"  # a sound card by name; "" is the system default
    FILE = "file"
    TONE = "tone"
    SILENCE = "silence"
    NULL = "null"


@dataclass(frozen=True, slots=True)
class AudioSpec:
    """One parsed audio endpoint option."""

    kind: AudioKind
    device: str = ""  # DEVICE: a substring of the device name, "" for the default
    path: Path | None = None  # FILE
    hz: float = 0.0  # TONE

    def __str__(self) -> str:
        match self.kind:
            case AudioKind.DEVICE:
                return self.device or "default"
            case AudioKind.FILE:
                return f"file:{self.path}"
            case AudioKind.TONE:
                return f"tone:{self.hz:g}"
        return str(self.kind.value)

    @property
    def is_device(self) -> bool:
        """Tell whether this names a sound card (pyaudio), not a synthetic endpoint."""
        return self.kind is AudioKind.DEVICE


DEFAULT_DEVICE = AudioSpec(AudioKind.DEVICE)


class EchoControl(Enum):
    """Whether the capture path runs echo cancellation and noise suppression (--echo-cancel)."""

    AUTO = "auto"  # on when the microphone is a sound card, off for files, tones and silence
    ON = "on"
    OFF = "off"

    def applies_to(self, audio_in: AudioSpec) -> bool:
        """Tell whether processing runs for a call capturing from ``audio_in``."""
        return self is EchoControl.ON or (self is EchoControl.AUTO and audio_in.is_device)


def parse_echo_control(text: str) -> EchoControl:
    """Parse ``auto|on|off``; ConfigError says what to give."""
    try:
        return EchoControl(text.strip().lower())
    except ValueError:
        raise ConfigError(f"--echo-cancel: {text!r}: use on, off or auto") from None


def _common(text: str, option: str) -> AudioSpec | None:
    if text.startswith("file:"):
        name = text[5:]
        if not name:
            raise ConfigError(f"{option}: file: needs a path (file:speech.wav)")
        if not name.lower().endswith(".wav"):
            raise ConfigError(f"{option}: {name!r} is not a .wav file")
        return AudioSpec(AudioKind.FILE, path=Path(name))
    if text in ("", "default"):
        return DEFAULT_DEVICE
    return None


def parse_audio_in(text: str) -> AudioSpec:
    """Parse ``DEVICE|file:X.wav|tone:HZ|silence``; ConfigError names what is wrong."""
    option = "--audio-in"
    spec = _common(text, option)
    if spec is not None:
        if spec.path is not None and not spec.path.is_file():
            raise ConfigError(f"{option}: no such file {str(spec.path)!r}")
        return spec
    if text == "silence":
        return AudioSpec(AudioKind.SILENCE)
    if text == "null":
        raise ConfigError(f"{option}: null is an output; for no input use 'silence'")
    if text.startswith("tone:"):
        try:
            hz = float(text[5:])
        except ValueError:
            raise ConfigError(f"{option}: {text!r}: tone:HZ needs a number (tone:440)") from None
        if not 0 < hz <= MAX_TONE_HZ:
            raise ConfigError(f"{option}: tone frequency must be in 0..{MAX_TONE_HZ} Hz")
        return AudioSpec(AudioKind.TONE, hz=hz)
    return _device(text, option)


def parse_audio_out(text: str) -> AudioSpec:
    """Parse ``DEVICE|file:X.wav|null``; ConfigError names what is wrong."""
    option = "--audio-out"
    spec = _common(text, option)
    if spec is not None:
        if spec.path is not None and not spec.path.absolute().parent.is_dir():
            raise ConfigError(f"{option}: no directory for {str(spec.path)!r}")
        return spec
    if text == "null":
        return AudioSpec(AudioKind.NULL)
    if text == "silence" or text.startswith("tone:"):
        raise ConfigError(f"{option}: {text!r} is an input; outputs are DEVICE, file:X.wav, null")
    return _device(text, option)


def _device(text: str, option: str) -> AudioSpec:
    if not text.strip() or any(ord(c) < 32 for c in text):
        raise ConfigError(f"{option}: {text!r} is not a device name")
    return AudioSpec(AudioKind.DEVICE, device=text.strip())
