"""The media options of the command line: accepted values reach the settings, bad ones exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from alexphone.cli import build_parser, main, settings_from
from alexphone.media.audio_spec import AudioKind


def test_media_options_reach_the_settings(tmp_path: Path) -> None:
    wav = tmp_path / "in.wav"
    wav.write_bytes(b"")
    args = build_parser().parse_args(
        ["daemon", "--profile", str(tmp_path), "--audio-in", f"file:{wav}", "--audio-out",
         "null", "--codecs", "pcma,opus", "--media-timeout", "12"]
    )  # fmt: skip
    settings = settings_from(args)
    assert settings.audio_in.path == wav and settings.audio_out.kind is AudioKind.NULL
    assert [c.name for c in settings.codecs] == ["PCMA", "opus"]
    assert settings.media_timeout == 12


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["daemon", "--audio-in", "tone:x"], "--audio-in"),
        (["daemon", "--audio-out", "tone:440"], "--audio-out"),
        (["daemon", "--codecs", "opus,g729"], "--codecs"),
        (["daemon", "--media-timeout", "0"], "--media-timeout"),
        (["call", "sip:a@127.0.0.1", "--dtmf", "12x"], "--dtmf"),
    ],
)
def test_bad_media_options_are_one_line_and_exit_2(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--profile", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
