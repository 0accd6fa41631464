"""The window transfers a call blind, picked in its Transfer dialog, between two daemons.

The window (offscreen, its engine in the test process) calls one ``alexphone daemon``
(auto-answer, a 660 Hz tone) on loopback and moves that call to a second daemon with the
call panel's Transfer…: the first daemon, as transferee, calls the second, the window's
call ends, and the second daemon records the first one's tone on the new leg.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt's QApplication

import socket
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from lab import Lab
from lab_alexphone import Alexphone
from media_tools import read_wav
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from alexphone.cli import dial_check
from alexphone.engine.events import CallState, CallTransferred, TransferRole, TransferState
from alexphone.engine.runner import run_phone
from alexphone.engine.settings import PhoneSettings, audio_in_option, audio_out_option
from alexphone.gui.call_model import CallInfo
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.net.transport import ListenSpec
from alexphone.store.credentials import PasswordStore
from alexphone.store.database import open_database

pytestmark = [pytest.mark.interop]

WAIT_MS = 20000
LISTENED = 2.0  # seconds of the new leg's audio recorded before the check


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _daemon(lab: Lab, name: str, audio_in: str, audio_out: str) -> tuple[Alexphone, str]:
    """A daemon answering by itself on 127.0.0.1; it and a URI reaching it."""
    port = _free_udp_port()
    phone = Alexphone(
        lab, None, name, listen=[f"udp:127.0.0.1:{port}"], audio_in=audio_in, audio_out=audio_out
    )
    phone.daemon("--auto-answer")
    phone.wait_event("ua.ready", timeout=15)
    return phone, f"sip:{name}@127.0.0.1:{port}"


def _window(qtbot: QtBot, profile: Path) -> MainWindow:
    settings = PhoneSettings(
        listen=(ListenSpec.parse("udp:127.0.0.1:0"),),
        profile=profile,
        audio_in=audio_in_option("silence"),
        audio_out=audio_out_option("null"),
        mdns=False,
    )
    context = WindowContext(
        profile=profile,
        database=open_database(profile / "alexphone.db"),
        runner=lambda: lambda emit, started: run_phone(settings, emit, started),
        check=dial_check(replace(settings, mdns=False)),
        passwords=PasswordStore(profile, use_keyring=False),
    )
    window = MainWindow(context)
    qtbot.addWidget(window)
    return window


def peak_hz(path: Path) -> float:
    """The strongest frequency of the sound in a WAV file (silence left out)."""
    rate, samples = read_wav(path)
    heard = samples[samples != 0].astype(np.float64)
    assert heard.size > rate, f"less than a second of sound in {path}"
    spectrum = np.abs(np.fft.rfft(heard * np.hanning(heard.size)))
    return float(np.argmax(spectrum) * rate / heard.size)


def _finished(event: object) -> bool:
    return isinstance(event, CallTransferred) and event.state in (
        TransferState.SUCCEEDED,
        TransferState.FAILED,
    )


def test_the_window_moves_a_daemon_call_to_another_daemon(
    lab: Lab, qtbot: QtBot, tmp_path: Path
) -> None:
    heard = lab.workdir / "carol.wav"
    bob, bob_uri = _daemon(lab, "bob", "tone:660", "null")
    carol, carol_uri = _daemon(lab, "carol", "silence", f"file:{heard}")
    profile = tmp_path / "me"
    profile.mkdir()
    window = _window(qtbot, profile)
    try:
        window.show()
        with qtbot.waitSignal(window.bridge.client_ready, timeout=WAIT_MS):
            window.start_engine()
        window.dial_box.edit.setText(bob_uri)
        with qtbot.waitSignal(
            window.dispatcher.call_updated,
            timeout=WAIT_MS,
            check_params_cb=lambda c: isinstance(c, CallInfo) and c.state is CallState.CONFIRMED,
        ) as up:
            qtbot.mouseClick(window.dial_box.call_button, Qt.MouseButton.LeftButton)
        original = up.args[0]
        qtbot.mouseClick(window.call_panel.transfer_button, Qt.MouseButton.LeftButton)
        dialog = window.transfers.dialog
        assert dialog is not None
        dialog.target.setEditText(carol_uri)
        with qtbot.waitSignal(
            window.dispatcher.transfer_changed, timeout=WAIT_MS, check_params_cb=_finished
        ) as done:
            qtbot.mouseClick(dialog.transfer_button, Qt.MouseButton.LeftButton)
        assert done.args[0].state is TransferState.SUCCEEDED, window.call_panel.transfer_line.text()
        assert done.args[0].role is TransferRole.TRANSFEROR
        assert window.call_panel.transfer_line.text() == f"Transferred to {carol_uri}."
        qtbot.waitUntil(
            lambda: (window.calls.find(original.call_id) or original).state is CallState.ENDED,
            timeout=WAIT_MS,
        )
        states = [e["state"] for e in bob.events.snapshot() if e["event"] == "call.transfer"]
        assert states[-1] == "succeeded" and "failed" not in states
        carol.wait_event(
            "call.state", lambda e: e["state"] == "confirmed" and e["direction"] == "in"
        )
        time.sleep(LISTENED)  # the new leg's audio plays in real time
        carol.stop()
        assert peak_hz(heard) == pytest.approx(660, abs=15)  # Bob's tone, on Bob's new call
    finally:
        assert window.stop_engine(5000)
        bob.stop()
        carol.stop()
