"""The GUI stays responsive while its engine answers a burst of 1,000 SIP requests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from alexphone.engine.events import UaReady
from alexphone.gui.main_window import MainWindow
from conftest import WAIT_MS

BURST = 1000
PROBE_MS = 10
MAX_LATENCY_MS = 100.0


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


def test_event_loop_latency_stays_low_during_a_burst(
    qtbot: QtBot, make_window: Callable[..., MainWindow]
) -> None:
    window = make_window()
    window.show()
    with qtbot.waitSignal(
        window.bridge.event_received,
        timeout=WAIT_MS,
        check_params_cb=lambda event: isinstance(event, UaReady),
    ) as ready:
        window.start_engine()
    port = int(ready.args[0].listen[0].rsplit(":", 1)[1])
    latencies: list[float] = []
    last = [time.perf_counter()]

    def probe() -> None:
        now = time.perf_counter()
        latencies.append((now - last[0]) * 1000 - PROBE_MS)
        last[0] = now

    timer = QTimer()
    timer.setInterval(PROBE_MS)
    timer.timeout.connect(probe)
    timer.start()
    burst = Burst(port)
    burst.start()
    qtbot.waitUntil(burst.finished.is_set, timeout=30000)
    timer.stop()
    burst.join(1)
    assert burst.answered == BURST
    worst = max(latencies)
    print(f"freeze guard: {len(latencies)} probes, worst event-loop latency {worst:.1f} ms")
    assert len(latencies) > 5
    assert worst < MAX_LATENCY_MS
