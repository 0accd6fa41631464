"""Engine runners for GUI tests: loopback listeners, no sound card, no mDNS."""

from __future__ import annotations

from pathlib import Path

from alexphone.engine.runner import run_phone
from alexphone.engine.settings import (
    PhoneSettings,
    audio_in_option,
    audio_out_option,
)
from alexphone.gui.bridge import EngineRunner
from alexphone.gui.dial_box import DialCheck
from alexphone.net.transport import ListenSpec


def loopback_settings(profile: Path, auto_answer: float | None = None) -> PhoneSettings:
    """Return settings for a phone on udp:127.0.0.1:0 that sends silence and plays nothing."""
    return PhoneSettings(
        listen=(ListenSpec.parse("udp:127.0.0.1:0"),),
        profile=profile,
        user="bob" if auto_answer is not None else "alice",
        auto_answer=auto_answer,
        audio_in=audio_in_option("silence"),
        audio_out=audio_out_option("null"),
    )


def loopback_runner(profile: Path, auto_answer: float | None = None) -> EngineRunner:
    """Return an EngineRunner for ``loopback_settings``."""
    settings = loopback_settings(profile, auto_answer)
    return lambda emit, started: run_phone(settings, emit, started)


def dial_check() -> DialCheck:
    """Return the CLI's dial check for a phone without account or mDNS."""
    from alexphone.cli import dial_check as check

    return check(PhoneSettings(listen=(ListenSpec.parse("udp:127.0.0.1:0"),)))
