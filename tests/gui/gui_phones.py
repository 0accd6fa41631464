"""Engine runners for GUI tests: loopback listeners, no sound card, no mDNS."""

from __future__ import annotations

import socket
import threading
import time
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


BURST = 1000  # OPTIONS requests a burst sends


def _options(n: int, port: int, local_port: int) -> bytes:
    return (
        f"OPTIONS sip:alice@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK-burst-{n}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@127.0.0.1>;tag=burst{n}\r\n"
        f"To: <sip:alice@127.0.0.1:{port}>\r\n"
        f"Call-ID: burst-{n}@127.0.0.1\r\n"
        f"CSeq: {n + 1} OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


class Burst(threading.Thread):
    """Sends BURST OPTIONS (in windows of 50) and counts the answers, bounded in time."""

    def __init__(self, port: int) -> None:
        super().__init__(name="options-burst", daemon=True)
        self.port = port
        self.answered = 0
        self.finished = threading.Event()

    def run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(0.5)
            local_port = sock.getsockname()[1]
            deadline = time.monotonic() + 20.0
            sent = 0
            while self.answered < BURST and time.monotonic() < deadline:
                while sent < BURST and sent - self.answered < 50:  # keep the socket buffer sane
                    sock.sendto(_options(sent, self.port, local_port), ("127.0.0.1", self.port))
                    sent += 1
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    continue
                if data.startswith(b"SIP/2.0 "):
                    self.answered += 1
        self.finished.set()
