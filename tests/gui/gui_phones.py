"""Engine runners for GUI tests: loopback listeners, no sound card, no mDNS."""

from __future__ import annotations

import selectors
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


# A phone sheds more than 120 requests in a burst from one address (net/rate_limit.py), as it
# should: the burst comes from ten loopback addresses, 70 each, under the overall burst of 800.
BURST_SOURCES = tuple(f"127.0.0.{host}" for host in range(2, 12))
BURST = 700  # OPTIONS requests a burst sends


def _options(n: int, port: int, source: tuple[str, int]) -> bytes:
    host, local_port = source
    return (
        f"OPTIONS sip:alice@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {host}:{local_port};branch=z9hG4bK-burst-{n}\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:probe@{host}>;tag=burst{n}\r\n"
        f"To: <sip:alice@127.0.0.1:{port}>\r\n"
        f"Call-ID: burst-{n}@{host}\r\n"
        f"CSeq: {n + 1} OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


class Burst(threading.Thread):
    """Sends BURST OPTIONS (in windows of 50, round robin over BURST_SOURCES) and counts the
    answers, bounded in time."""

    def __init__(self, port: int) -> None:
        super().__init__(name="options-burst", daemon=True)
        self.port = port
        self.answered = 0
        self.finished = threading.Event()

    def run(self) -> None:
        socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in BURST_SOURCES]
        try:
            with selectors.DefaultSelector() as selector:
                for sock, host in zip(socks, BURST_SOURCES, strict=True):
                    sock.bind((host, 0))
                    sock.setblocking(False)
                    selector.register(sock, selectors.EVENT_READ)
                self._exchange(socks, selector)
        finally:
            for sock in socks:
                sock.close()
            self.finished.set()

    def _exchange(self, socks: list[socket.socket], selector: selectors.BaseSelector) -> None:
        deadline = time.monotonic() + 20.0
        sent = 0
        while self.answered < BURST and time.monotonic() < deadline:
            while sent < BURST and sent - self.answered < 50:  # keep the socket buffers sane
                sock = socks[sent % len(socks)]
                sock.sendto(_options(sent, self.port, sock.getsockname()), ("127.0.0.1", self.port))
                sent += 1
            for key, _ in selector.select(timeout=0.5):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                if sock.recv(65536).startswith(b"SIP/2.0 "):
                    self.answered += 1
