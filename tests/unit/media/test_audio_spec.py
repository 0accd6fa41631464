"""--audio-in / --audio-out values: what is accepted and the one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.core.errors import ConfigError
from alexphone.media.audio_spec import AudioKind, parse_audio_in, parse_audio_out


def test_inputs(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(b"")
    assert parse_audio_in(f"file:{wav}").path == wav
    assert parse_audio_in("tone:440").hz == 440
    assert parse_audio_in("silence").kind is AudioKind.SILENCE
    assert parse_audio_in("default").is_device
    assert parse_audio_in("USB Headset").device == "USB Headset"
    assert str(parse_audio_in("tone:1000")) == "tone:1000"


def test_outputs(tmp_path: Path) -> None:
    assert parse_audio_out(f"file:{tmp_path / 'got.wav'}").kind is AudioKind.FILE
    assert parse_audio_out("null").kind is AudioKind.NULL
    assert parse_audio_out("pulse").device == "pulse"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tone:abc", "needs a number"),
        ("tone:0", "frequency"),
        ("file:", "needs a path"),
        ("file:x.mp3", "not a .wav"),
        ("file:/nonexistent/x.wav", "no such file"),
        ("null", "is an output"),
    ],
)
def test_bad_inputs_say_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_audio_in(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("silence", "is an input"),
        ("tone:440", "is an input"),
        ("file:/no/such/dir/x.wav", "no dir"),
    ],
)
def test_bad_outputs_say_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_audio_out(text)
