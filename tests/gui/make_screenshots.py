"""Take real screenshots of the main window and of a call in progress under Xvfb.

Usage: python tests/gui/make_screenshots.py OUTPUT_DIR   (``make screenshots``)

Starts Xvfb on a free display, runs the window with its engine on loopback,
calls an in-process auto-answering phone, and grabs the window with
ImageMagick's ``import``. Each look is its own process, since Qt reads its scale
factor when the application starts: the light look at 100 % (``main_window.png``,
``call_in_progress.png``), at 200 % with ``QT_SCALE_FACTOR=2`` (``*_2x.png``) and the
dark palette (``*_dark.png``). Xvfb is stopped by its PID whatever happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCREEN = "2300x1560x24"  # room for the window at 200 %
LOOKS = {  # file name suffix -> environment of the process that takes it
    "": {"ALEXPHONE_THEME": "light"},
    "_2x": {"ALEXPHONE_THEME": "light", "QT_SCALE_FACTOR": "2"},
    "_dark": {"ALEXPHONE_THEME": "dark"},
}


def free_display() -> int:
    """Return a display number with no X server lock."""
    for number in range(90, 200):
        if (
            not Path(f"/tmp/.X{number}-lock").exists()
            and not Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            return number
    raise RuntimeError("no free X display between :90 and :199")


def start_xvfb(number: int) -> subprocess.Popen[bytes]:
    """Start Xvfb :number and wait (at most 10 s) for its socket."""
    process = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", SCREEN, "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"Xvfb :{number} did not start")
        time.sleep(0.05)
    return process


def spin(until: Callable[[], bool], seconds: float) -> bool:
    """Run the Qt event loop until ``until()`` holds or ``seconds`` pass; return until()."""
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    return until()


def grab(display: int, window_id: int, path: Path) -> None:
    """Write the X window ``window_id`` as a PNG with ImageMagick's import."""
    subprocess.run(
        ["import", "-display", f":{display}", "-window", hex(window_id), str(path)],
        check=True,
        timeout=20,
    )
    print(f"wrote {path}")


def shoot(display: int, out: Path, suffix: str = "") -> None:
    """Show the window, call the test phone, and grab both screenshots."""
    os.environ["DISPLAY"] = f":{display}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    sys.path.insert(0, str(HERE))
    from dataclasses import replace

    from gui_phones import dial_check, loopback_runner, loopback_settings

    from alexphone.engine.events import CallState, UaReady
    from alexphone.engine.runner import run_phone
    from alexphone.engine.settings import audio_in_option
    from alexphone.gui.app import build_window
    from alexphone.gui.bridge import EngineThread, EventBridge
    from alexphone.store.contacts import Contact

    with tempfile.TemporaryDirectory(prefix="alexphone-shots-") as temp:
        root = Path(temp)
        peer_bridge = EventBridge()
        ready: list[UaReady] = []
        peer_bridge.event_received.connect(
            lambda e: ready.append(e) if isinstance(e, UaReady) else None
        )
        me = replace(  # a tone for a microphone and the GUI's live views (log, meters) on
            loopback_settings(root / "me"),
            audio_in=audio_in_option("tone:440"),
            log_sip=True,
            audio_levels=True,
        )
        app, window = build_window(
            root / "me", lambda: lambda emit, ok: run_phone(me, emit, ok), dial_check()
        )
        peer = EngineThread(loopback_runner(root / "peer", auto_answer=0.0), peer_bridge)
        peer.start()
        try:
            if not spin(lambda: bool(ready), 10):
                raise RuntimeError("the test phone did not start")
            bob = "sip:bob@" + ready[0].listen[0].split(":", 1)[1]
            for contact in (
                Contact("Ada Lovelace", "sip:ada@example.com", "Analytical engine team"),
                Contact("Bob (test phone)", bob, "Answers at once"),
                Contact("Carol Shaw", "sip:carol@example.org"),
                Contact("Front desk", "sip:100@pbx.example.com"),
                Contact("Grace Hopper", "sip:grace@example.net"),
            ):
                window.contacts.add(contact)
            window.move(0, 0)
            window.resize(1100, 720)
            window.show()
            window.start_engine()
            spin(lambda: window.engine is not None and window.engine.client is not None, 10)
            spin(lambda: False, 1.0)  # let it paint
            grab(display, int(window.winId()), out / f"main_window{suffix}.png")
            window.dial_box.edit.setText(bob)
            window.dial_box.submit()
            connected = spin(
                lambda: any(c.state is CallState.CONFIRMED for c in window.calls.active_calls()), 10
            )
            if not connected:
                raise RuntimeError("the call was not answered")
            window.detail_tabs.setCurrentWidget(window.log_view)
            spin(lambda: False, 2.2)  # the timer shows a running call
            grab(display, int(window.winId()), out / f"call_in_progress{suffix}.png")
        finally:
            window.close()
            peer.shut_down(3000)
            del app


def main(argv: list[str]) -> int:
    """Take the screenshots into argv[0] (default tests/gui/artifacts), one process per look.

    ``--look SUFFIX --display N`` (used by the parent) takes one look on a running Xvfb.
    """
    if len(argv) == 5 and argv[1] == "--look":
        shoot(int(argv[4]), Path(argv[0]), argv[2])
        return 0
    out = Path(argv[0] if argv else HERE / "artifacts").resolve()
    out.mkdir(parents=True, exist_ok=True)
    display = free_display()
    xvfb = start_xvfb(display)
    try:
        for suffix, env in LOOKS.items():
            subprocess.run(
                [sys.executable, __file__, str(out), "--look", suffix, "--display", str(display)],
                env={**os.environ, **env},
                check=True,
                timeout=120,
            )
    finally:
        xvfb.terminate()
        try:
            xvfb.wait(5)
        except subprocess.TimeoutExpired:
            xvfb.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
